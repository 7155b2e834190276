// One server log of a suite folder, read once: its lines (harness markers blanked), its
// incarnations and ports, its lifetime, its harness markers, and its replication episodes — the
// spans during which it was the replica of some port ("REPLICAOF host:port enabled" / "Connecting
// to PRIMARY host:port" up to "PRIMARY MODE enabled", another REPLICAOF, a restart or the end).
import { parseLogFile, ValkeyLogError, type LogFile } from '../valkeylog/files.js';
import { extractMarkers, readerMarkers, type BoundedMarker } from './markers.js';
import type { SuiteLogFile } from './folder.js';

export interface Episode {
  /** Index of the replica's server (SuiteServer.id). */
  readonly replica: number;
  /** The port it replicated from. */
  readonly primaryPort: number;
  readonly startLine: number;
  readonly startTs: number;
  /** Last line of the episode (the line that ended it, or the incarnation's / file's last line). */
  endLine: number;
  endTs: number;
  /** Why it ended. */
  endedBy: 'replicaof-no-one' | 'other-primary' | 'restart' | 'end-of-log';
  /** Index of the primary's server, once resolved (undefined: no log of a server on that port). */
  primary?: number;
}

export interface SuiteServer {
  readonly id: number;
  readonly path: string;
  readonly rel: string;
  /** Content with the harness markers blanked (line numbers unchanged). */
  readonly text: string;
  readonly lines: readonly string[];
  readonly log: LogFile;
  readonly markers: readonly BoundedMarker[];
  /** Port of each incarnation (banner, else configuration file, else the file's port). */
  readonly ports: readonly (number | undefined)[];
  readonly port?: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly episodes: Episode[];
  /** Line → time of that log line (undefined for non-log lines). */
  readonly tsOfLine: (line: number) => number | undefined;
}

const REPLICAOF_RE = /^REPLICAOF (?<host>\S+):(?<port>\d+) enabled/;
const CONNECTING_RE = /^(?:Re)?[Cc]onnecting to (?:PRIMARY|MASTER) (?<host>\S+):(?<port>\d+)(?: after failure)?$/;
const NO_ONE_RE = /^(?:PRIMARY|MASTER) MODE enabled \(/;

/** Read one server log. Throws ValkeyLogError when the file is not a Valkey log. */
export function readServer(id: number, f: SuiteLogFile): SuiteServer {
  const own = extractMarkers(f.content);
  let log: LogFile | undefined;
  let markers: BoundedMarker[] | undefined;
  if (own.markers.length > 0) {
    // When the reader knows the harness lines it takes the file as it is and reports them.
    try {
      const whole = parseLogFile(f.path, f.content);
      markers = readerMarkers(whole, f.content);
      if (markers) log = whole;
    } catch (e) {
      if (!(e instanceof ValkeyLogError)) throw e;
    }
  }
  log ??= parseLogFile(f.path, own.blanked);
  markers ??= own.markers;
  const lines = own.blanked.split('\n');
  const ts = new Map<number, number>();
  for (const l of log.logLines) ts.set(l.line, l.tsMs);
  const ports = log.incarnations.map((i) => i.port ?? f.confPort ?? log!.port);
  const episodes: Episode[] = [];
  let cur: Episode | undefined;
  let prev: { line: number; ts: number; inc: number } | undefined;
  const close = (line: number, tsMs: number, why: Episode['endedBy']): void => {
    if (!cur) return;
    cur.endLine = line;
    cur.endTs = tsMs;
    cur.endedBy = why;
    episodes.push(cur);
    cur = undefined;
  };
  for (const l of log.logLines) {
    if (prev && l.incarnation !== prev.inc) close(prev.line, prev.ts, 'restart');
    const before = prev;
    prev = { line: l.line, ts: l.tsMs, inc: l.incarnation };
    if (l.child) continue;
    const m = REPLICAOF_RE.exec(l.msg) ?? CONNECTING_RE.exec(l.msg);
    if (m) {
      const port = +m.groups!.port!;
      if (cur && cur.primaryPort === port) continue;
      // told to replicate from another port: the previous episode ended just before
      if (cur) close(before!.line, before!.ts, 'other-primary');
      cur = { replica: id, primaryPort: port, startLine: l.line, startTs: l.tsMs, endLine: l.line, endTs: l.tsMs, endedBy: 'end-of-log' };
      continue;
    }
    if (NO_ONE_RE.test(l.msg)) close(l.line, l.tsMs, 'replicaof-no-one');
  }
  if (prev) close(prev.line, prev.ts, 'end-of-log');
  const times = log.logLines.map((l) => l.tsMs);
  return {
    id, path: f.path, rel: f.rel, text: own.blanked, lines, log, markers, ports,
    ...(ports.find((p) => p !== undefined) !== undefined ? { port: ports.find((p) => p !== undefined)! } : {}),
    firstTs: times.length ? Math.min(...times) : 0,
    lastTs: times.length ? Math.max(...times) : 0,
    episodes,
    tsOfLine: (line) => ts.get(line),
  };
}

/** The server's port at a moment (the incarnation running then; else its first known port). */
export function portAt(s: SuiteServer, tsMs: number): number | undefined {
  let p: number | undefined;
  s.log.incarnations.forEach((inc, i) => { if (inc.startTsMs <= tsMs) p = s.ports[i] ?? p; });
  return p ?? s.port;
}

/** First log line of a server at or after a moment (its last line when none). */
export function lineAtOrAfter(s: SuiteServer, tsMs: number): number {
  for (const l of s.log.logLines) if (l.tsMs >= tsMs) return l.line;
  return s.log.logLines[s.log.logLines.length - 1]?.line ?? 1;
}

/** Last log line of a server at or before a moment (its first line when none). */
export function lineAtOrBefore(s: SuiteServer, tsMs: number): number {
  let out = s.log.logLines[0]?.line ?? 1;
  for (const l of s.log.logLines) { if (l.tsMs <= tsMs) out = l.line; else break; }
  return out;
}
