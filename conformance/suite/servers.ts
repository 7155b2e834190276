// One server log of a suite folder, read once by the log reader: its lines, incarnations and
// ports, its lifetime, its harness markers, and its replication episodes — the
// spans during which it was the replica of some port ("REPLICAOF host:port enabled" / "Connecting
// to PRIMARY host:port" up to "PRIMARY MODE enabled", another REPLICAOF, a restart or the end).
import { parseLogFiles, type LogFile } from '../valkeylog/index.js';
import { boundMarkers, type BoundedMarker } from './markers.js';
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
  /** The reader's name for this server's log: the file's path, or "<path>#pid<N>" for one of several servers in a file. */
  readonly path: string;
  /** The same, relative to the folder. */
  readonly rel: string;
  /** The file's lines, those of other servers in the same file blanked (line numbers unchanged). */
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

/** The servers of one log file (usually one). Throws ValkeyLogError when it holds no Valkey log. */
export function readServers(firstId: number, f: SuiteLogFile): SuiteServer[] {
  const logs = parseLogFiles(f.path, f.content);
  const all = f.content.split('\n');
  return logs.map((log, k) => {
    let lines = all;
    if (logs.length > 1) {
      const mine = new Set(log.lines.map((l) => l.line));
      lines = all.map((l, i) => (mine.has(i + 1) ? l : ''));
    }
    return readServer(firstId + k, f, log, lines);
  });
}

function readServer(id: number, f: SuiteLogFile, log: LogFile, lines: string[]): SuiteServer {
  const markers = boundMarkers(log);
  const ts = new Map<number, number>();
  for (const l of log.logLines) ts.set(l.line, l.tsMs);
  const ports = log.incarnations.map((i) => i.port ?? f.confPort ?? log.port);
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
    id, path: log.file, rel: f.rel + log.file.slice(f.path.length), text: lines.join('\n'), lines, log, markers, ports,
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
