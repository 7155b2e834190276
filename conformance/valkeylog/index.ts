// The Valkey log reader: log files in, named nodes and typed replication events out. Pure: it knows
// Valkey's log messages, not the model; turning these records into trace events is done elsewhere.
import { LEVELS, levelRank, type Level, type LineWarning } from './lines.js';
import { assignNodes, parseLogFiles, readLogFiles, type LogFile, type NodeInfo } from './files.js';
import { classify, observableKindsOfNodes, type LogEvent } from './events.js';

export { ValkeyLogError, parseLogFiles, readLogFiles, type Incarnation, type NodeInfo, type LogFile, type HarnessMarker } from './files.js';
export { levelOfKind, observableKinds, observableKindsOfNodes, parseCobLine, LEVEL_OF_KIND, type LogEvent, type CobInfo } from './events.js';
export { RULES, type Rule } from './catalogue.js';
export type { Level, LineWarning, LineFormat, TimestampFormat } from './lines.js';
export type { WrapperName } from './wrappers.js';

export interface ValkeyLogs {
  /** "primary" first, then "replica1", "replica2", … by listening port. */
  readonly nodes: NodeInfo[];
  /** Classified records, file after file (in the order given), each file in line order. */
  readonly events: LogEvent[];
  readonly warnings: LineWarning[];
  /** Vocabulary kinds every given file logs at a level detailed enough to show (each side judged by its least verbose file). */
  readonly observedKinds: string[];
  /** Least verbose level among the files (debug if any '.' line, verbose if '-', else notice). */
  readonly minLevel: Level;
  /** One per server: a file holding several servers gives several (named "<file>#pid<N>" or "<file>#<service>"). */
  readonly files: LogFile[];
}

function assemble(files: LogFile[]): ValkeyLogs {
  const { nodes, byFile, warnings: nodeWarnings } = assignNodes(files);
  const { events, warnings: evWarnings } = classify({ files, byFile, nodes });
  const warnings = [...files.flatMap((f) => f.warnings), ...nodeWarnings, ...evWarnings];
  const local = files.filter((f) => f.timeBasis !== 'utc');
  const utc = files.filter((f) => f.timeBasis !== 'local');
  if (local.length > 0 && utc.length > 0) {
    warnings.push({
      file: local[0]!.file, line: 1,
      message: `legacy timestamps (local time, read as UTC) in ${local.map((f) => f.file).join(', ')} and absolute ones (iso8601, milliseconds) in ${utc.map((f) => f.file).join(', ')}: unless the servers ran in UTC, their lines are ordered off by the timezone offset`,
    });
  }
  const rank = Math.max(...files.map((f) => levelRank(f.level)));
  return { nodes, events, warnings, observedKinds: observableKindsOfNodes(nodes), minLevel: LEVELS[rank]!, files };
}

/**
 * Read and classify the log files of one run (usually one file per server; a file holding several
 * servers is split). Throws ValkeyLogError for a file that is not a Valkey log.
 */
export function readValkeyLogs(paths: readonly string[]): ValkeyLogs {
  if (paths.length === 0) throw new Error('readValkeyLogs: no log files given');
  return assemble(paths.flatMap(readLogFiles));
}

/** Same as readValkeyLogs, from contents already in memory (text, or the file's bytes: gzip is recognised). */
export function readValkeyLogTexts(inputs: readonly { file: string; content: string | Uint8Array }[]): ValkeyLogs {
  if (inputs.length === 0) throw new Error('readValkeyLogTexts: no log files given');
  return assemble(inputs.flatMap((i) => parseLogFiles(i.file, i.content)));
}
