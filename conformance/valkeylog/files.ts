// File level: read valkey-server log files, split each into incarnations (one per server process),
// attribute fork-child lines to their parent, find each file's listening port, and name the nodes
// ("primary", "replica1", "replica2", … by port).
import { readFileSync } from 'node:fs';
import { parseLogText, levelRank, LEVELS, type Level, type LogLine, type ParsedLine, type LineWarning } from './lines.js';
import { ART_PORT_RE, READY_RE, RUNNING_MODE_RE, STARTING_RE, VERSION_RE } from './catalogue.js';

export class ValkeyLogError extends Error {
  constructor(readonly file: string, readonly line: number, readonly expected: string, readonly got: string) {
    super(`${file}:${line}: not a Valkey log: expected ${expected}, got ${JSON.stringify(got.slice(0, 160))}`);
    this.name = 'ValkeyLogError';
  }
}

export interface Incarnation {
  /** 0-based index within the file. */
  readonly index: number;
  /** Pid of the server process. */
  readonly pid: number;
  /** 1-based line where it starts (the "Valkey is starting" banner when present). */
  readonly startLine: number;
  readonly startTsMs: number;
  /** True for every incarnation after the first: the server was restarted. */
  readonly restart: boolean;
  /** Listening port from its banner, when logged. */
  port?: number;
  /** Pids of fork children (role C, another pid) whose lines are attributed to this incarnation. */
  readonly childPids: number[];
  /** Line of "Ready to accept connections", when seen. */
  readyLine?: number;
  /** The incarnation began with the "Valkey is starting" banner (else the file began mid-run). */
  readonly banner: boolean;
  /** Start-up saw "Before turning into a replica …" before ready: a persisted RDB with replid/offset was loaded. */
  persisted: boolean;
  /** Valkey version from the start-up line "Valkey version=X, …", when logged. */
  version?: string;
}

/** A log line with its file-level attribution. */
export interface FileLogLine extends LogLine {
  /** Index of the incarnation it belongs to. */
  readonly incarnation: number;
  /** Logged by a fork child of the incarnation (role C, pid differs from the server's). */
  readonly child: boolean;
  /** Logged before "Ready to accept connections" of its incarnation. */
  readonly startup: boolean;
}

export interface LogFile {
  readonly file: string;
  readonly lines: readonly ParsedLine[];
  readonly logLines: readonly FileLogLine[];
  readonly incarnations: readonly Incarnation[];
  /** Listening port (first incarnation that logged one, else the laddr of a REPLICAOF). */
  readonly port?: number;
  /** Detected log level: debug if any '.' line, verbose if any '-', else notice. */
  readonly level: Level;
  /** Ports this server was told to replicate from (REPLICAOF / Connecting to PRIMARY). */
  readonly primaryPorts: ReadonlySet<number>;
  /** Some line was logged with role S. */
  readonly wasReplica: boolean;
  readonly warnings: readonly LineWarning[];
}

const REPLICAOF_RE = /^REPLICAOF (?<host>\S+):(?<port>\d+) enabled \(user request from '(?<client>.*)$/s;
const CONNECTING_RE = /^(?:Re)?[Cc]onnecting to PRIMARY (?<host>\S+):(?<port>\d+)(?: after failure)?$/;
const LADDR_RE = /\bladdr=(?:\[[^\]]*\]|[^\s:]+):(?<port>\d+)\b/;

export function parseLogFile(file: string, content: string): LogFile {
  const { lines, warnings: w0 } = parseLogText(content, file);
  const warnings: LineWarning[] = [...w0];
  const first = lines.find((l) => l.type !== 'blank');
  const expected = '"<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <msg>" (role M/S/C/X, level . - * #)';
  if (!first) throw new ValkeyLogError(file, 1, expected, '(empty file)');
  if (first.type !== 'log' && first.type !== 'banner-art' && first.type !== 'signal') throw new ValkeyLogError(file, first.line, expected, first.raw);
  if (!lines.some((l) => l.type === 'log')) throw new ValkeyLogError(file, first.line, expected, first.raw);

  const incarnations: Incarnation[] = [];
  const logLines: FileLogLine[] = [];
  const primaryPorts = new Set<number>();
  let wasReplica = false;
  let cur: Incarnation | undefined;
  let curHasLines = false;
  let replicaofLaddr: number | undefined;
  let pendingArtPort: number | undefined;
  let minLevel = levelRank('notice');
  let guessedFromChild = false;
  const open = (l: LogLine, banner: boolean): Incarnation => {
    const inc: Incarnation = {
      index: incarnations.length, pid: l.pid, startLine: l.line, startTsMs: l.tsMs, restart: incarnations.length > 0,
      childPids: [], persisted: false, banner,
    };
    if (!banner && incarnations.length > 0) {
      warnings.push({ file, line: l.line, message: `new server pid ${l.pid} without a start-up banner: treated as a restart` });
    }
    incarnations.push(inc);
    curHasLines = false;
    return inc;
  };

  for (const l of lines) {
    if (l.type === 'banner-art') {
      const m = ART_PORT_RE.exec(l.raw);
      if (m) pendingArtPort = +m.groups!.port!;
      continue;
    }
    if (l.type !== 'log') continue;
    if (l.level === 'debug' || l.level === 'verbose') minLevel = Math.min(minLevel, levelRank(l.level));
    const starting = STARTING_RE.test(l.msg);
    if (!cur || (starting && curHasLines && l.pid !== cur.pid)) {
      const prev = cur;
      cur = open(l, starting);
      guessedFromChild = !starting && l.role === 'C';
      if (prev && starting) {
        // Start-up lines written before the banner (e.g. "WARNING Memory overcommit must be enabled!",
        // role C, the new pid) were taken for a fork child of the previous process: move them here.
        let i = logLines.length;
        while (i > 0 && logLines[i - 1]!.pid === l.pid && logLines[i - 1]!.role === 'C') i--;
        if (i < logLines.length) {
          for (let j = i; j < logLines.length; j++) logLines[j] = { ...logLines[j]!, incarnation: cur.index, child: false, startup: true };
          const k = prev.childPids.indexOf(l.pid);
          if (k >= 0 && !logLines.slice(0, i).some((x) => x.pid === l.pid)) prev.childPids.splice(k, 1);
          (cur as { startLine: number }).startLine = logLines[i]!.line;
          (cur as { startTsMs: number }).startTsMs = logLines[i]!.tsMs;
        }
      }
    }
    else if (l.role !== 'C' && l.pid !== cur.pid) {
      if (guessedFromChild && cur.index === 0 && incarnations.length === 1) {
        // The file began with fork-child lines (no banner): those belonged to a child of this server.
        const old = cur.pid;
        cur.childPids.push(old);
        (cur as { pid: number }).pid = l.pid;
        for (let i = 0; i < logLines.length; i++) if (logLines[i]!.pid === old) logLines[i] = { ...logLines[i]!, child: true, startup: false };
      } else if (curHasLines && !cur.childPids.includes(l.pid)) cur = open(l, false);
      else if (!curHasLines) (cur as { pid: number }).pid = l.pid;
    } else if (starting && !curHasLines) (cur as { pid: number }).pid = l.pid;
    const v = VERSION_RE.exec(l.msg);
    if (v && +v.groups!.pid! !== cur.pid) (cur as { pid: number }).pid = +v.groups!.pid!;
    if (v) cur.version = v.groups!.version!;
    if (l.role !== 'C') guessedFromChild = false;
    const child = l.role === 'C' && l.pid !== cur.pid;
    if (child && !cur.childPids.includes(l.pid)) cur.childPids.push(l.pid);
    curHasLines = true;
    if (pendingArtPort !== undefined && cur.port === undefined) cur.port = pendingArtPort;
    pendingArtPort = undefined;
    const rm = RUNNING_MODE_RE.exec(l.msg);
    if (rm && !child) cur.port = +rm.groups!.port!;
    const startup = cur.banner && cur.readyLine === undefined && !child;
    if (READY_RE.test(l.msg) && !child && cur.readyLine === undefined) cur.readyLine = l.line;
    if (startup && l.msg.startsWith('Before turning into a replica, using my own primary parameters')) cur.persisted = true;
    if (l.role === 'S') wasReplica = true;
    const ro = REPLICAOF_RE.exec(l.msg);
    if (ro) {
      primaryPorts.add(+ro.groups!.port!);
      const la = LADDR_RE.exec(ro.groups!.client!);
      if (la && replicaofLaddr === undefined) replicaofLaddr = +la.groups!.port!;
    }
    const co = CONNECTING_RE.exec(l.msg);
    if (co) primaryPorts.add(+co.groups!.port!);
    logLines.push({ ...l, incarnation: cur.index, child, startup });
  }
  if (pendingArtPort !== undefined && cur && cur.port === undefined) cur.port = pendingArtPort;

  const ports = [...new Set(incarnations.map((i) => i.port).filter((p): p is number => p !== undefined))];
  if (ports.length > 1) warnings.push({ file, line: 1, message: `server restarted on different ports: ${ports.join(', ')}; using ${ports[0]}` });
  const port = ports[0] ?? replicaofLaddr;
  if (ports.length === 0) {
    warnings.push({
      file, line: 1,
      message: port !== undefined
        ? `no start-up banner ("Running mode=…, port=N."): port ${port} taken from the laddr of the REPLICAOF client`
        : 'no start-up banner ("Running mode=…, port=N.") and no REPLICAOF laddr: listening port unknown',
    });
  }
  return {
    file, lines, logLines, incarnations, ...(port !== undefined ? { port } : {}), level: LEVELS[minLevel]!, primaryPorts, wasReplica, warnings,
  };
}

export function readLogFile(path: string): LogFile {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValkeyLogError(path, 0, 'a readable file', String((e as Error).message));
  }
  return parseLogFile(path, content);
}

export interface NodeInfo {
  /** "primary", "replica1", "replica2", … */
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly port?: number;
  readonly file: string;
  readonly incarnations: readonly Incarnation[];
  readonly level: Level;
}

/**
 * Name the servers: the one the others replicate from is "primary"; the rest are replicas,
 * numbered by listening port (file order when a port is unknown).
 */
export function assignNodes(files: readonly LogFile[]): { nodes: NodeInfo[]; byFile: Map<string, NodeInfo>; warnings: LineWarning[] } {
  const warnings: LineWarning[] = [];
  const seen = new Map<number, string>();
  for (const f of files) {
    if (f.port === undefined) continue;
    const other = seen.get(f.port);
    if (other !== undefined) throw new ValkeyLogError(f.file, 1, `a server on a port other than ${f.port} (already used by ${other})`, `port=${f.port}`);
    seen.set(f.port, f.file);
  }
  let primary: LogFile | undefined;
  const targeted = files.filter((f) => f.port !== undefined && files.some((g) => g !== f && g.primaryPorts.has(f.port!)));
  if (targeted.length === 1) primary = targeted[0];
  else if (targeted.length > 1) {
    const roots = targeted.filter((f) => !f.wasReplica);
    if (roots.length === 1) primary = roots[0];
    else throw new ValkeyLogError(targeted[0]!.file, 1, 'exactly one server that the others replicate from', `candidates: ${targeted.map((t) => t.file).join(', ')}`);
  } else {
    const nonReplicas = files.filter((f) => !f.wasReplica);
    if (nonReplicas.length === 1) {
      primary = nonReplicas[0];
      if (files.length > 1) warnings.push({ file: primary!.file, line: 1, message: 'no REPLICAOF/Connecting line names this server\'s port; taken as primary because it never logged as a replica' });
    } else if (files.length > 1 || nonReplicas.length > 1) {
      warnings.push({ file: files[0]!.file, line: 1, message: 'could not identify the primary: no file is the target of another file\'s REPLICAOF' });
    }
  }
  const replicas = files.filter((f) => f !== primary).sort((a, b) => {
    if (a.port !== undefined && b.port !== undefined) return a.port - b.port;
    if (a.port !== undefined) return -1;
    if (b.port !== undefined) return 1;
    return files.indexOf(a) - files.indexOf(b);
  });
  const nodes: NodeInfo[] = [];
  const byFile = new Map<string, NodeInfo>();
  const mk = (f: LogFile, name: string, role: 'primary' | 'replica'): void => {
    const n: NodeInfo = { name, role, ...(f.port !== undefined ? { port: f.port } : {}), file: f.file, incarnations: f.incarnations, level: f.level };
    nodes.push(n);
    byFile.set(f.file, n);
  };
  if (primary) mk(primary, 'primary', 'primary');
  replicas.forEach((f, i) => {
    if (primary && primary.port !== undefined && !f.primaryPorts.has(primary.port) && f.primaryPorts.size > 0) {
      warnings.push({ file: f.file, line: 1, message: `replicates from port(s) ${[...f.primaryPorts].join(', ')}, not from the primary's port ${primary.port}` });
    }
    mk(f, `replica${i + 1}`, 'replica');
  });
  // keep input order for the output list's stability? No: primary first, then replicas by port.
  return { nodes, byFile, warnings };
}
