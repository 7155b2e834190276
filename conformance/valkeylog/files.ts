// File level: read valkey-server log files (plain, gzip-compressed, with a BOM or CRLF line ends),
// split a file that holds several servers into one part per server (servers.ts), split each
// server's lines into incarnations (one per server process), attribute fork-child lines to their
// parent, find each server's listening port, collect the test harness's markers, and name the
// nodes ("primary", "replica1", "replica2", … by port).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  parseLogText, harnessMarkerOfMessage, levelRank, LEVELS, KNOWN_LINE_FORMATS, KNOWN_TIMESTAMP_FORMATS,
  type Level, type LogLine, type ParsedLine, type LineWarning, type LineFormat, type TimestampFormat,
} from './lines.js';
import { KNOWN_WRAPPERS, type WrapperName } from './wrappers.js';
import { splitServers } from './servers.js';
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

/** A marker line of Valkey's test harness (or its `DEBUG LOG` form in external mode). */
export interface HarnessMarker {
  /** 1-based line of the file. */
  readonly line: number;
  /** Time of the marker: a DEBUG LOG line's own; else the nearest preceding timestamped line's (the following one's when none precedes). */
  readonly tsMs: number;
  /** server: "### Starting server for test …"; test: "### Starting test …". */
  readonly kind: 'server' | 'test';
  /** The test's name ("" when a server was started outside any test). */
  readonly name: string;
  /** The test file ("tests/integration/….tcl"), when the marker names it. */
  readonly testFile?: string;
}

export interface LogFile {
  /** Name of this server's log: the file as given, or "<file>#pid<N>" / "<file>#<service>" for one of several servers in a file. */
  readonly file: string;
  /** The file as given (path); line numbers are its lines. */
  readonly source: string;
  /** This server's lines (all the file's lines when it holds one server). */
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
  /** Test harness markers, in line order. */
  readonly markers: readonly HarnessMarker[];
  /** Line and timestamp formats seen, "<log-format>/<log-timestamp-format>" in order of appearance ("legacy/legacy" for 8.0.x). */
  readonly formats: readonly string[];
  /** Wrapper prefixes stripped from the file's lines, outermost first (wrappers.ts). */
  readonly wrappers: readonly WrapperName[];
  /**
   * utc: every timestamp is absolute (iso8601 with its offset, epoch milliseconds); local: legacy
   * timestamps, the servers' local time read as UTC; mixed: both (log-timestamp-format changed at run time).
   */
  readonly timeBasis: 'utc' | 'local' | 'mixed';
}

/** What a Valkey log line looks like, for the error about a file that is none. */
export const EXPECTED_LOG_LINE =
  `"<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <msg>" (role M/S/C/X, level . - * #) or another known format: ` +
  `line formats ${KNOWN_LINE_FORMATS.join('; ')}; timestamp formats ${KNOWN_TIMESTAMP_FORMATS.join(', ')}; ` +
  `optionally behind a wrapper prefix: ${KNOWN_WRAPPERS.join('; ')}`;

const REPLICAOF_RE = /^REPLICAOF (?<host>\S+):(?<port>\d+) enabled \(user request from '(?<client>.*)$/s;
const CONNECTING_RE = /^(?:Re)?[Cc]onnecting to PRIMARY (?<host>\S+):(?<port>\d+)(?: after failure)?$/;
const LADDR_RE = /\bladdr=(?:\[[^\]]*\]|[^\s:]+):(?<port>\d+)\b/;

/**
 * The text of a log file's bytes: gunzipped when gzip-compressed (by its magic bytes, whatever its
 * name), decoded as UTF-8, or as UTF-16 when it starts with a UTF-16 byte-order mark (a log saved
 * by Windows PowerShell's ">").
 */
export function decodeLogBytes(file: string, bytes: Uint8Array): string {
  let b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b);
    } catch (e) {
      throw new ValkeyLogError(file, 0, 'a readable gzip file', String((e as Error).message));
    }
  }
  const utf16 = (): Buffer => b.subarray(2, b.length - (b.length % 2)); // a cut last byte is dropped
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return utf16().toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return Buffer.from(utf16()).swap16().toString('utf16le');
  return b.toString('utf8');
}

/**
 * Read one log file: one LogFile per server it holds (usually one; several when servers were
 * interleaved in it, see servers.ts). Throws ValkeyLogError for a file with no Valkey log line in
 * any known format.
 */
export function parseLogFiles(file: string, content: string | Uint8Array): LogFile[] {
  const text = typeof content === 'string' ? content : decodeLogBytes(file, content);
  const { lines, warnings, wrappers } = parseLogText(text, file);
  const first = lines.find((l) => l.type !== 'blank' && l.type !== 'foreign');
  if (!first) throw new ValkeyLogError(file, 1, EXPECTED_LOG_LINE, lines.length === 0 ? '(empty file)' : '(no Valkey lines)');
  const firstLog = lines.findIndex((l) => l.type === 'log');
  if (firstLog < 0) {
    throw new ValkeyLogError(file, first.line, EXPECTED_LOG_LINE + (wrappers.length ? ` (found the wrapper ${wrappers.join(' + ')}; this is the text inside it)` : ''), first.raw);
  }
  // Text before the first Valkey line that is in no known format (e.g. a container entrypoint's
  // own output): reported, not judged. (Malformed lines already have a warning each.)
  const before = lines.slice(0, firstLog).filter((l) => l.type === 'continuation');
  if (before.length > 0) {
    warnings.push({ file, line: before[0]!.line, message: `${before.length} line(s) before the first Valkey log line (line ${lines[firstLog]!.line}) are in no known log format; not judged; first: ${JSON.stringify(before[0]!.raw.slice(0, 200))}` });
    warnings.sort((a, b) => a.line - b.line);
  }
  const parts = splitServers(lines);
  const real = parts.filter((p) => p.lines.some((l) => l.type === 'log'));
  // A compose service (or pod) that wrote no Valkey line (an init container, a sidecar): reported.
  const lost = (name: string): LineWarning[] => parts.filter((p) => !real.includes(p)).map((p) => ({
    file: name, line: p.lines[0]?.line ?? 1,
    message: `${p.lines.length} line(s)${p.service !== undefined ? ` of ${p.service}` : ''} hold no Valkey log line: not judged`,
  }));
  if (real.length <= 1) return [buildLogFile(file, file, lines, [...lost(file), ...warnings], wrappers)];
  const names = real.map((p) => {
    const sameService = real.filter((q) => q.service === p.service).length;
    return file + (p.service !== undefined ? `#${p.service}` : '') + (p.service === undefined || sameService > 1 ? `#pid${p.pids[0]}` : '');
  });
  const owner = new Map<number, number>();
  real.forEach((p, k) => { for (const l of p.lines) if (!owner.has(l.line)) owner.set(l.line, k); });
  const summary: LineWarning = {
    file: names[0]!, line: 1,
    message: `${file} holds ${real.length} servers' lines interleaved: read as ${real.map((p, k) => `${names[k]} (${p.service !== undefined ? `service ${p.service}, ` : ''}pid ${p.pids.join(', ')})`).join(', ')}`,
  };
  return real.map((p, k) => {
    const mine = warnings.filter((w) => (owner.get(w.line) ?? 0) === k).map((w) => ({ ...w, file: names[k]! }));
    return buildLogFile(names[k]!, file, p.lines, k === 0 ? [summary, ...lost(names[0]!), ...mine] : mine, wrappers);
  });
}

/** Read a file that holds one server's log (see parseLogFiles for files holding several). */
export function parseLogFile(file: string, content: string | Uint8Array): LogFile {
  const files = parseLogFiles(file, content);
  if (files.length > 1) {
    throw new ValkeyLogError(file, files[1]!.logLines[0]!.line, 'the log of one server (this file holds several: read it with parseLogFiles / readValkeyLogs)', files.map((f) => f.file).join(', '));
  }
  return files[0]!;
}

function buildLogFile(file: string, source: string, lines: readonly ParsedLine[], w0: readonly LineWarning[], wrappers: readonly WrapperName[]): LogFile {
  const warnings: LineWarning[] = [...w0];
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
    // The same pid starting again after it was ready: a restart that kept its pid (a container's pid 1).
    const samePidRestart = starting && cur !== undefined && curHasLines && l.pid === cur.pid && cur.readyLine !== undefined;
    if (!cur || (starting && curHasLines && l.pid !== cur.pid) || samePidRestart) {
      const prev = cur;
      cur = open(l, starting);
      guessedFromChild = !starting && l.role === 'C';
      if (prev && starting) {
        // Start-up lines written before the banner (e.g. "WARNING Memory overcommit must be enabled!",
        // role C, the new pid) were taken for a fork child of the previous process: move them here.
        // With the pid unchanged, the start-up checks' "WARNING …" lines are the ones to move.
        let i = logLines.length;
        const pre = (x: FileLogLine): boolean => x.pid === l.pid && x.incarnation === prev.index &&
          (samePidRestart ? x.level === 'warning' && x.msg.startsWith('WARNING ') && x.line > (prev.readyLine ?? 0) : x.role === 'C');
        while (i > 0 && pre(logLines[i - 1]!)) i--;
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
    else if (starting && !cur.banner && cur.readyLine === undefined && l.pid === cur.pid) {
      // 8.1+: the start-up checks' warnings come before the banner, logged as M or S with the
      // server's own pid (8.0.x logs them as C). The incarnation did begin with its start-up.
      (cur as { banner: boolean }).banner = true;
      for (let j = 0; j < logLines.length; j++) {
        const x = logLines[j]!;
        if (x.incarnation === cur.index && !x.child) logLines[j] = { ...x, startup: true };
      }
    }
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
  for (const inc of incarnations) {
    if (inc.restart && !inc.banner) warnings.push({ file, line: inc.startLine, message: `new server pid ${inc.pid} without a start-up banner: treated as a restart` });
  }

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
  const formats = [...new Set(logLines.map((l) => `${l.format}/${l.tsFormat}`))];
  const local = logLines.some((l) => l.tsFormat === 'legacy');
  const absolute = logLines.some((l) => l.tsFormat !== 'legacy');
  return {
    file, source, lines, logLines, incarnations, ...(port !== undefined ? { port } : {}), level: LEVELS[minLevel]!, primaryPorts, wasReplica, warnings,
    markers: markersOf(lines), formats, wrappers: [...wrappers], timeBasis: local && absolute ? 'mixed' : local ? 'local' : 'utc',
  };
}

/** The harness markers of a server's lines, each with the time of the nearest timestamped line before it (else after it). */
function markersOf(lines: readonly ParsedLine[]): HarnessMarker[] {
  const out: HarnessMarker[] = [];
  let lastTs: number | undefined;
  const waiting: { line: number; kind: 'server' | 'test'; name: string; testFile?: string }[] = [];
  const emit = (m: (typeof waiting)[number], tsMs: number): void => {
    out.push({ line: m.line, tsMs, kind: m.kind, name: m.name, ...(m.testFile !== undefined ? { testFile: m.testFile } : {}) });
  };
  for (const l of lines) {
    if (l.type === 'harness') {
      const m = { line: l.line, kind: l.kind, name: l.name, ...(l.testFile !== undefined ? { testFile: l.testFile } : {}) };
      if (lastTs !== undefined) emit(m, lastTs);
      else waiting.push(m);
    } else if (l.type === 'log') {
      for (const m of waiting.splice(0)) emit(m, l.tsMs);
      lastTs = l.tsMs;
      const d = harnessMarkerOfMessage(l.msg);
      if (d) emit({ line: l.line, ...d }, l.tsMs);
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ValkeyLogError(path, 0, 'a readable file', String((e as Error).message));
  }
}

/** Read a log file holding one server's log (plain or gzip-compressed). */
export function readLogFile(path: string): LogFile {
  return parseLogFile(path, readBytes(path));
}

/** Read a log file: one LogFile per server it holds (plain or gzip-compressed). */
export function readLogFiles(path: string): LogFile[] {
  return parseLogFiles(path, readBytes(path));
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
