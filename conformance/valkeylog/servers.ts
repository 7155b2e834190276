// Several servers in one file: `docker compose logs` of a primary and its replicas (each line
// prefixed with its service; `kubectl logs --prefix` likewise with pod/container), two servers
// started with the same `logfile`, or logs concatenated with `cat`. The file is split into one part per server, which files.ts then reads as if each
// were a file of its own.
//
// With a compose (or kubectl --prefix) prefix the service name is the server. Otherwise a server is a set of process
// ids: the pids that log as M, S or X (or write the start-up banner) are server processes; two
// of them whose lines alternate in the file, or whose time spans overlap, are two servers running
// at once; one that starts after another has ended is a restart of it (one server, two
// incarnations: files.ts), preferring the server that listened on the same port. Fork children
// (role C, a pid of their own) belong to the server that announced them ("… started by pid N"),
// else to the server of the line before their first one.
import { RUNNING_MODE_RE, STARTING_RE, VERSION_RE } from './catalogue.js';
import type { LogLine, ParsedLine } from './lines.js';

export interface ServerPart {
  /** docker compose service (kubectl: pod/container), when the file had that prefix. */
  readonly service?: string;
  /** Server process ids, in order of appearance (more than one: restarts). */
  readonly pids: number[];
  /** The part's lines, in file order (line numbers of the file). */
  readonly lines: ParsedLine[];
}

const CHILD_ANNOUNCED_RE = /\bstarted by pid (\d+)\b/;
const ART_PID_RE = /\bPID: (\d+)\s*$/;
const ART_PORT_RE = /\bPort: (\d+)\s*$/;

interface Span { first: number; last: number; firstTs: number; lastTs: number; port?: number }
interface Group { pids: number[]; spans: Span[]; port?: number; lastIdx: number; lastTs: number }

const overlaps = (a: Span, b: Span): boolean =>
  (a.first < b.last && b.first < a.last) || (a.firstTs < b.lastTs && b.firstTs < a.lastTs);

/** Split a file's lines into servers. A file of one server gives one part holding every line. */
export function splitServers(lines: readonly ParsedLine[]): ServerPart[] {
  if (!lines.some((l) => l.service !== undefined)) return splitByPid(lines);
  // Lines without a service (compose's "Attaching to …") go with the service of the line before.
  const byService = new Map<string, ParsedLine[]>();
  let cur = lines.find((l) => l.service !== undefined)!.service!;
  for (const l of lines) {
    if (l.service !== undefined) cur = l.service;
    let ls = byService.get(cur);
    if (!ls) byService.set(cur, (ls = []));
    ls.push(l);
  }
  const out: ServerPart[] = [];
  for (const [service, ls] of byService) for (const p of splitByPid(ls)) out.push({ ...p, service });
  return out;
}

const isServerLine = (l: LogLine): boolean => {
  if (l.role !== 'C') return true;
  if (STARTING_RE.test(l.msg)) return true;
  const v = VERSION_RE.exec(l.msg);
  return v !== null && +v.groups!.pid! === l.pid;
};

function splitByPid(lines: readonly ParsedLine[]): ServerPart[] {
  const serverPids = new Set<number>();
  for (const l of lines) if (l.type === 'log' && isServerLine(l)) serverPids.add(l.pid);
  const firstPid = (lines.find((l) => l.type === 'log' && serverPids.has(l.pid)) ?? lines.find((l) => l.type === 'log')) as LogLine | undefined;
  if (serverPids.size <= 1) return [{ pids: firstPid ? [firstPid.pid] : [], lines: [...lines] }];

  // ---- the time and line span of every server pid
  const spans = new Map<number, Span>();
  lines.forEach((l, i) => {
    const pid = l.type === 'log' || l.type === 'signal' ? l.pid : undefined;
    if (pid === undefined || !serverPids.has(pid)) return;
    let s = spans.get(pid);
    if (!s) spans.set(pid, (s = { first: i, last: i, firstTs: Infinity, lastTs: -Infinity }));
    s.last = i;
    if (l.type === 'log') {
      s.firstTs = Math.min(s.firstTs, l.tsMs);
      s.lastTs = Math.max(s.lastTs, l.tsMs);
      const rm = RUNNING_MODE_RE.exec(l.msg);
      if (rm && s.port === undefined) s.port = +rm.groups!.port!;
    }
  });
  // The logo (always-show-logo) names its server: "PID: N" and "Port: P" in one block of art lines.
  const artBlocks: { from: number; to: number; pid?: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.type !== 'banner-art') continue;
    let j = i;
    let pid: number | undefined;
    let port: number | undefined;
    while (j < lines.length && lines[j]!.type === 'banner-art') {
      const p = ART_PID_RE.exec(lines[j]!.raw);
      if (p) pid = +p[1]!;
      const q = ART_PORT_RE.exec(lines[j]!.raw);
      if (q) port = +q[1]!;
      j++;
    }
    artBlocks.push({ from: i, to: j - 1, ...(pid !== undefined ? { pid } : {}) });
    if (pid !== undefined && port !== undefined) {
      const s = spans.get(pid);
      if (s && s.port === undefined) s.port = port;
    }
    i = j - 1;
  }

  // ---- server pids → servers
  const groups: Group[] = [];
  const groupOf = new Map<number, Group>();
  for (const pid of [...spans.keys()].sort((a, b) => spans.get(a)!.first - spans.get(b)!.first)) {
    const s = spans.get(pid)!;
    const free = groups.filter((g) => g.spans.every((t) => !overlaps(s, t)));
    const g = free.find((c) => c.port !== undefined && c.port === s.port) ?? [...free].sort((a, b) => b.lastTs - a.lastTs)[0];
    if (g) {
      g.pids.push(pid);
      g.spans.push(s);
      g.lastIdx = Math.max(g.lastIdx, s.last);
      g.lastTs = Math.max(g.lastTs, s.lastTs);
      if (g.port === undefined && s.port !== undefined) g.port = s.port;
      groupOf.set(pid, g);
    } else {
      const n: Group = { pids: [pid], spans: [s], ...(s.port !== undefined ? { port: s.port } : {}), lastIdx: s.last, lastTs: s.lastTs };
      groups.push(n);
      groupOf.set(pid, n);
    }
  }
  if (groups.length === 1) return [{ pids: groups[0]!.pids, lines: [...lines] }];

  // ---- fork children: announced by their parent, else the server of the line before
  const announced = new Map<number, number>();
  for (const l of lines) {
    if (l.type !== 'log' || !serverPids.has(l.pid)) continue;
    const m = CHILD_ANNOUNCED_RE.exec(l.msg);
    if (m && !announced.has(+m[1]!)) announced.set(+m[1]!, l.pid);
  }
  const assigned: (Group | undefined)[] = new Array(lines.length);
  let prevServer: Group | undefined;
  lines.forEach((l, i) => {
    if (l.type === 'log' || (l.type === 'signal' && l.pid !== undefined)) {
      const pid = l.pid!;
      let g = groupOf.get(pid);
      if (!g) {
        const parent = announced.get(pid);
        g = (parent !== undefined ? groupOf.get(parent) : undefined) ?? prevServer;
        if (g && l.type === 'log') groupOf.set(pid, g);
      }
      assigned[i] = g;
      if (serverPids.has(pid)) prevServer = g;
    }
  });
  for (const b of artBlocks) {
    const g = b.pid !== undefined ? groupOf.get(b.pid) : undefined;
    if (g) for (let i = b.from; i <= b.to; i++) assigned[i] = g;
  }
  // Everything else: with the line before (a crash report continues its server's last line),
  // a harness "Starting server" marker with the server that starts after it, a "Starting test"
  // marker with every server running at that moment.
  const next: (Group | undefined)[] = new Array(lines.length);
  let after: Group | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.type === 'log' && assigned[i]) after = assigned[i];
    next[i] = after;
  }
  const extra = new Map<number, Group[]>();
  let before: Group | undefined;
  lines.forEach((l, i) => {
    if (assigned[i]) { if (l.type === 'log') before = assigned[i]; return; }
    if (l.type === 'harness' && l.kind === 'server') assigned[i] = next[i] ?? before;
    else if (l.type === 'harness') {
      const running = groups.filter((g) => g.spans.some((s) => s.first <= i && i <= s.last));
      if (running.length > 0) { assigned[i] = running[0]; extra.set(i, running.slice(1)); } else assigned[i] = before ?? next[i];
    } else assigned[i] = before ?? next[i];
  });
  return groups.map((g) => ({
    pids: g.pids,
    lines: lines.filter((_, i) => assigned[i] === g || extra.get(i)?.includes(g)),
  }));
}
