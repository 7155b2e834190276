// Test windows: the stretches of a suite run between one test's start and the next one's, as the
// harness marked them in every running server's log ("### Starting test NAME in FILE"). The same
// test start appears in several logs without a timestamp; markers of one start are matched across
// logs by name and by the times of their neighbouring lines, and ordered by each log's own order.
// A test that started while no server ran (its body starts them) has no such marker; its window
// begins with the first server the harness started for it ("### Starting server for test NAME").
// Every log line then belongs to a window: the last test marker above it in its own log; above
// the first one, the test the server was started in ("### Starting server for test NAME"), or no
// test when the harness started it between tests (an empty NAME); in logs without markers, the
// window its time falls in.
import { splitTestName, type BoundedMarker } from './markers.js';
import type { HarnessResult } from './folder.js';
import type { SuiteServer } from './servers.js';

export interface TestWindow {
  /** 0-based, in the order the tests ran. */
  readonly index: number;
  /** The test's name, as the harness reports it ([ok]: NAME). */
  readonly name: string;
  /** Its test file (tests/integration/….tcl), when the marker names it. */
  readonly file?: string;
  /** Estimated start (the first log line after the marker); the next window's start ends it. */
  readonly startMs: number;
  /** Servers that logged the marker. */
  readonly servers: readonly number[];
  /** The harness's verdict on the test, when a results file was found. */
  harness?: HarnessResult['status'];
  harnessMs?: number;
}

export interface TestWindows {
  readonly windows: readonly TestWindow[];
  /** Window index of a server's line; -1 before the first test. */
  windowOf(server: number, line: number): number;
}

interface Cluster { name: string; lo: number; hi: number; members: { server: number; m: BoundedMarker }[]; seen: number }

export function testWindows(servers: readonly SuiteServer[], results?: readonly HarnessResult[]): TestWindows {
  const all: { server: number; m: BoundedMarker }[] = [];
  for (const s of servers) for (const m of s.markers) if (m.kind === 'test') all.push({ server: s.id, m });
  all.sort((a, b) => a.m.loMs - b.m.loMs || a.m.hiMs - b.m.hiMs || a.server - b.server || a.m.line - b.m.line);
  const clusters: Cluster[] = [];
  const clusterOf = new Map<string, number>();
  for (const x of all) {
    let c = clusters.findIndex((k) => k.name === x.m.name && !k.members.some((y) => y.server === x.server) && Math.max(k.lo, x.m.loMs) <= Math.min(k.hi, x.m.hiMs));
    if (c < 0) { clusters.push({ name: x.m.name, lo: x.m.loMs, hi: x.m.hiMs, members: [], seen: clusters.length }); c = clusters.length - 1; }
    const k = clusters[c]!;
    k.lo = Math.max(k.lo, x.m.loMs);
    k.hi = Math.min(k.hi, x.m.hiMs);
    k.members.push(x);
    clusterOf.set(`${x.server}:${x.m.line}`, c);
  }
  // Order: every log's own order of its markers, then time.
  const succ = new Map<number, Set<number>>();
  const indeg = clusters.map(() => 0);
  for (const s of servers) {
    const cs = s.markers.filter((m) => m.kind === 'test').map((m) => clusterOf.get(`${s.id}:${m.line}`)!);
    for (let i = 1; i < cs.length; i++) {
      const a = cs[i - 1]!, b = cs[i]!;
      if (a === b) continue;
      const set = succ.get(a) ?? succ.set(a, new Set()).get(a)!;
      if (!set.has(b)) { set.add(b); indeg[b]!++; }
    }
  }
  const est = (k: Cluster): number => (Number.isFinite(k.hi) ? k.hi : k.lo);
  const ready = clusters.map((_, i) => i).filter((i) => indeg[i] === 0);
  const ordered: number[] = [];
  const placed = new Set<number>();
  while (ordered.length < clusters.length) {
    if (ready.length === 0) {
      // a cycle (inconsistent orders): break it by time
      const rest = clusters.map((_, i) => i).filter((i) => !placed.has(i));
      ready.push(rest.sort((a, b) => est(clusters[a]!) - est(clusters[b]!))[0]!);
    }
    ready.sort((a, b) => est(clusters[a]!) - est(clusters[b]!) || clusters[a]!.seen - clusters[b]!.seen);
    const c = ready.shift()!;
    if (placed.has(c)) continue;
    placed.add(c);
    ordered.push(c);
    for (const d of succ.get(c) ?? []) if (--indeg[d]! === 0 && !placed.has(d)) ready.push(d);
  }
  interface W { name: string; file?: string; startMs: number; lo: number; hi: number; servers: number[]; cluster?: number }
  const ws: W[] = ordered.map((c) => {
    const k = clusters[c]!;
    const { test, file } = splitTestName(k.name);
    const fileOf = k.members.map((x) => (x.m as { testFile?: string }).testFile).find((f) => f !== undefined);
    return { name: test, ...(file ?? fileOf ? { file: file ?? fileOf } : {}), startMs: est(k), lo: k.lo, hi: k.hi, servers: [...new Set(k.members.map((x) => x.server))], cluster: c };
  });
  // The windows' start estimates follow their order.
  for (let i = 1; i < ws.length; i++) if (ws[i]!.startMs < ws[i - 1]!.startMs) ws[i]!.startMs = ws[i - 1]!.startMs;
  // A server started inside a test ("### Starting server for test NAME") belongs to that test's
  // window. A test that began while no server ran has no "Starting test" marker anywhere: its
  // window begins with the first server started in it.
  const startWindow = new Map<number, W>();
  const started = servers
    .map((s) => ({ s, m: s.markers.find((m) => m.kind === 'server') }))
    .filter((x): x is { s: SuiteServer; m: BoundedMarker } => x.m !== undefined && x.m.name !== '')
    .sort((a, b) => a.s.firstTs - b.s.firstTs || a.s.id - b.s.id);
  for (const { s, m } of started) {
    const { test, file } = splitTestName(m.name);
    const t = Number.isFinite(m.hiMs) ? m.hiMs : s.firstTs;
    // the test began after every window that surely began earlier (hi ≤ t) and no later than
    // the last one that may have (lo ≤ t)
    let from = -1, to = -1;
    ws.forEach((w, i) => { if (w.hi <= t) from = i; if (w.lo <= t) to = i; });
    let found: W | undefined;
    for (let i = Math.max(from, 0); i <= to; i++) if (ws[i]!.name === test) found = ws[i];
    if (!found) {
      found = { name: test, ...(file ?? (m as { testFile?: string }).testFile ? { file: file ?? (m as { testFile?: string }).testFile } : {}), startMs: t, lo: t, hi: t, servers: [] };
      let at = 0;
      while (at < ws.length && ws[at]!.startMs <= t) at++;
      ws.splice(at, 0, found);
    }
    startWindow.set(s.id, found);
  }
  const indexOf = new Map<number, number>();
  const windows: TestWindow[] = ws.map((w, i) => {
    if (w.cluster !== undefined) indexOf.set(w.cluster, i);
    return { index: i, name: w.name, ...(w.file ? { file: w.file } : {}), startMs: w.startMs, servers: w.servers };
  });
  if (results) {
    let at = 0;
    for (const w of windows) {
      const k = results.findIndex((r, j) => j >= at && r.test === w.name);
      if (k < 0) continue;
      w.harness = results[k]!.status;
      if (results[k]!.ms !== undefined) w.harnessMs = results[k]!.ms;
      at = k + 1;
    }
  }
  const byTime = (ts: number): number => {
    let w = -1;
    for (const x of windows) if (x.startMs <= ts) w = x.index; else break;
    return w;
  };
  const lineWindows = new Map<number, Int32Array>();
  for (const s of servers) {
    const arr = new Int32Array(s.lines.length + 2).fill(-1);
    // Before the log's first test marker: the test the server was started in; none when the
    // harness started it outside any test (an empty name: set-up between tests); else by time.
    const srv = s.markers.find((m) => m.kind === 'server');
    let startWin: number | undefined;
    if (srv && srv.name === '') startWin = -1;
    else if (srv) startWin = windows[ws.indexOf(startWindow.get(s.id)!)]?.index;
    let cur: number | undefined = startWin;
    let lastTs = -Infinity;
    const tests = new Map(s.markers.filter((m) => m.kind === 'test').map((m) => [m.line, indexOf.get(clusterOf.get(`${s.id}:${m.line}`)!)!]));
    for (let line = 1; line <= s.lines.length; line++) {
      const t = tests.get(line);
      if (t !== undefined) cur = t;
      const ts = s.tsOfLine(line);
      if (ts !== undefined) lastTs = ts;
      arr[line] = cur ?? byTime(Number.isFinite(lastTs) ? lastTs : s.firstTs);
    }
    lineWindows.set(s.id, arr);
  }
  return {
    windows,
    windowOf: (server, line) => lineWindows.get(server)?.[line] ?? -1,
  };
}
