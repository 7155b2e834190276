// Grouping the servers of a suite folder into replication topologies (conformance/suite/topology.ts)
// and their lines into test windows (windows.ts), on constructed folders: port reuse, role change
// over time, REPLICAOF NO ONE and back, a replica moving to another primary, tests whose servers
// are started inside them.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteLayout, type SuiteLayout } from '../../conformance/suite/index.js';
import { sliceText } from '../../conformance/suite/topology.js';
import { ServerLog, suiteFolder } from './helpers.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function layout(logs: ServerLog[]): SuiteLayout {
  const dir = suiteFolder(logs);
  dirs.push(dir);
  return suiteLayout(dir);
}

/** Groups as "primary-port<-replica-port,…" with the servers' folder names. */
function shape(l: SuiteLayout): string[] {
  return l.grouping.groups.map((g) => g.members.map((m) => `${l.servers[m.server]!.rel.split('/')[0]}:${m.role}`).join(' '));
}
const lineOf = (log: ServerLog, text: string): number => log.text().split('\n').findIndex((l) => l.includes(text)) + 1;

describe('replication groups', () => {
  it('a port reused by a later server: each replica joins the server on that port at the time', () => {
    const a = new ServerLog(101, 3000).start(0);
    const b = new ServerLog(102, 3001).start(100);
    a.test('T1'); b.test('T1');
    b.replicaof(1000, 3000);
    a.log(1001, 'Replica 127.0.0.1:3001 asks for synchronization');
    a.shutdown(5000); b.shutdown(5000, 'S');
    const c = new ServerLog(103, 3000).start(10_000);
    const d = new ServerLog(104, 3001).start(10_100);
    c.test('T2'); d.test('T2');
    d.replicaof(11_000, 3000);
    c.log(11_001, 'Replica 127.0.0.1:3001 asks for synchronization');
    c.shutdown(15_000); d.shutdown(15_000, 'S');
    const l = layout([a, b, c, d]);
    expect(shape(l)).toEqual(['server.4242.1:primary server.4242.3:replica', 'server.4242.5:primary server.4242.7:replica']);
    expect(l.grouping.groups.map((g) => g.primaryPort)).toEqual([3000, 3000]);
    // whole logs: nothing cut
    for (const g of l.grouping.groups) for (const m of g.members) {
      expect(m.slice).toEqual({ from: 1, to: l.servers[m.server]!.lines.length });
      expect(m.startup).toBeUndefined();
    }
    expect(l.windows.windows.map((w) => w.name)).toEqual(['T1', 'T2']);
  });

  it('a replica in one test and the primary of another server in a later test: two groups, its log cut at the later test', () => {
    const p = new ServerLog(201, 4000).start(0);
    const s = new ServerLog(202, 4001).start(100);
    const r = new ServerLog(203, 4002).start(200);
    for (const x of [p, s, r]) x.test('T1');
    s.replicaof(1000, 4000);
    p.log(1001, 'Replica 127.0.0.1:4001 asks for synchronization');
    s.noOne(3000);
    p.log(3001, 'Connection with replica 127.0.0.1:4001 lost.');
    for (const x of [p, s, r]) x.test('T2');
    r.replicaof(4000, 4001);
    s.log(4001, 'Replica 127.0.0.1:4002 asks for synchronization');
    p.shutdown(9000); s.shutdown(9000); r.shutdown(9000, 'S');
    const l = layout([p, s, r]);
    expect(shape(l)).toEqual(['server.4242.1:primary server.4242.3:replica', 'server.4242.3:primary server.4242.5:replica']);
    const [g1, g2] = l.grouping.groups;
    const sIn1 = g1!.members.find((m) => m.server === 1)!;
    const sIn2 = g2!.members.find((m) => m.server === 1)!;
    const t2 = lineOf(s, '### Starting test T2');
    expect(sIn1.slice).toEqual({ from: 1, to: t2 - 1 });
    expect(sIn2.slice.from).toBe(t2);
    expect(sIn2.slice.to).toBe(l.servers[1]!.lines.length);
    // the later group keeps the server's start-up lines (banner, port, version)
    expect(sIn2.startup).toEqual({ from: lineOf(s, 'Valkey is starting'), to: lineOf(s, 'Ready to accept') });
    const text = sliceText(l.servers[1]!, sIn2).split('\n');
    expect(text.length).toBe(s.text().split('\n').length);
    expect(text[lineOf(s, 'Running mode') - 1]).toContain('port=4001');
    expect(text[lineOf(s, 'REPLICAOF 127.0.0.1:4000') - 1]).toBe('');
    expect(text[lineOf(s, 'asks for synchronization') - 1]).toContain('127.0.0.1:4002');
    expect(g1!.primaryPort).toBe(4000);
    expect(g2!.primaryPort).toBe(4001);
    // windows: S's lines after the T2 marker lie in T2
    expect(l.windows.windowOf(1, lineOf(s, 'asks for synchronization'))).toBe(1);
    expect(l.windows.windowOf(1, lineOf(s, 'REPLICAOF 127.0.0.1:4000'))).toBe(0);
  });

  it('REPLICAOF NO ONE and then the same primary again: one group, two episodes', () => {
    const p = new ServerLog(301, 5000).start(0);
    const r = new ServerLog(302, 5001).start(100);
    p.test('T1'); r.test('T1');
    r.replicaof(1000, 5000);
    r.noOne(2000);
    p.test('T2'); r.test('T2');
    r.replicaof(3000, 5000);
    p.shutdown(4000); r.shutdown(4000, 'S');
    const l = layout([p, r]);
    expect(shape(l)).toEqual(['server.4242.1:primary server.4242.3:replica']);
    expect(l.grouping.groups[0]!.episodes.map((e) => [e.primaryPort, e.endedBy])).toEqual([[5000, 'replicaof-no-one'], [5000, 'end-of-log']]);
  });

  it('a replica that moves to another primary: one group per primary, its log cut between them', () => {
    const p1 = new ServerLog(401, 6000).start(0);
    const p2 = new ServerLog(402, 6001).start(50);
    const r = new ServerLog(403, 6002).start(100);
    for (const x of [p1, p2, r]) x.test('T1');
    r.replicaof(1000, 6000);
    for (const x of [p1, p2, r]) x.test('T2');
    r.replicaof(3000, 6001);
    for (const x of [p1, p2]) x.shutdown(5000);
    r.shutdown(5000, 'S');
    const l = layout([p1, p2, r]);
    expect(shape(l)).toEqual(['server.4242.1:primary server.4242.5:replica', 'server.4242.3:primary server.4242.5:replica']);
    const t2 = lineOf(r, '### Starting test T2');
    expect(l.grouping.groups[0]!.members[1]!.slice).toEqual({ from: 1, to: t2 - 1 });
    expect(l.grouping.groups[1]!.members[1]!.slice.from).toBe(t2);
    expect(l.grouping.groups[0]!.episodes[0]!.endedBy).toBe('other-primary');
  });

  it('two replicas of one primary, one restarted: one group', () => {
    const p = new ServerLog(501, 7000).start(0);
    const r1 = new ServerLog(502, 7001).start(10);
    const r2 = new ServerLog(503, 7002).start(20);
    for (const x of [p, r1, r2]) x.test('T1');
    r1.replicaof(1000, 7000);
    r2.replicaof(1000, 7000);
    r2.shutdown(2000, 'S');
    r2.restart(2500, 504, 'T1');
    r2.log(2600, 'Connecting to PRIMARY 127.0.0.1:7000', 'S');
    p.shutdown(4000); r1.shutdown(4000, 'S');
    const l = layout([p, r1, r2]);
    expect(shape(l)).toEqual(['server.4242.1:primary server.4242.3:replica server.4242.5:replica']);
    expect(l.servers[2]!.log.incarnations.length).toBe(2);
    expect(l.grouping.groups[0]!.episodes.filter((e) => e.replica === 2).map((e) => e.endedBy)).toEqual(['restart', 'end-of-log']);
  });

  it('a replica whose primary has no log here: a group of its own, said so', () => {
    const r = new ServerLog(601, 8001).start(0);
    r.test('T1');
    r.replicaof(1000, 8000);
    r.shutdown(2000, 'S');
    const l = layout([r]);
    expect(l.grouping.groups.length).toBe(1);
    expect(l.grouping.groups[0]!.primary).toBeUndefined();
    expect(l.grouping.groups[0]!.notes.join(' ')).toContain('port 8000');
    expect(l.grouping.notes.join(' ')).toContain('port 8000');
  });

  it('one *.log file holding two servers\' interleaved lines: two servers, one group', async () => {
    const p = new ServerLog(1101, 3400).start(0);
    const r = new ServerLog(1102, 3401).start(100);
    r.replicaof(1000, 3400);
    p.log(1001, 'Replica 127.0.0.1:3401 asks for synchronization');
    p.shutdown(2000); r.shutdown(2001, 'S');
    const time = (l: string): string => l.slice(l.indexOf(' '));
    const lines = [...p.text().split('\n'), ...r.text().split('\n')].filter((l) => /^\d+:/.test(l)).sort((a, b) => time(a).localeCompare(time(b)));
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(`${os.tmpdir()}/replcheck-suite-`);
    dirs.push(dir);
    writeFileSync(`${dir}/both.log`, lines.join('\n') + '\n');
    const l = suiteLayout(dir);
    expect(l.servers.map((s) => [s.rel, s.port])).toEqual([['both.log#pid1101', 3400], ['both.log#pid1102', 3401]]);
    expect(shape(l)).toEqual(['both.log#pid1101:primary both.log#pid1102:replica']);
  });

  it('a server that never replicates is standalone', () => {
    const a = new ServerLog(701, 9000).start(0);
    a.test('T1');
    a.shutdown(1000);
    const l = layout([a]);
    expect(l.grouping.groups).toEqual([]);
    expect(l.grouping.standalone).toEqual([0]);
  });
});

describe('test windows', () => {
  it('markers of one test start are one window across logs; set-up between tests belongs to no test; servers started inside a test belong to it', () => {
    const p = new ServerLog(801, 3100).start(0);
    const r = new ServerLog(802, 3101).start(100);
    p.test('T1'); r.test('T1');
    r.replicaof(1000, 3100);
    p.test('T2'); r.test('T2');
    r.log(2000, 'something in T2', 'S');
    p.shutdown(3000); r.shutdown(3000, 'S');
    // T3 starts while no server runs: its servers say so in their "Starting server" marker
    const q = new ServerLog(803, 3102).start(5000, 'T3 in tests/integration/x.tcl');
    const s = new ServerLog(804, 3103).start(5100, 'T3 in tests/integration/x.tcl');
    s.replicaof(5200, 3102);
    q.shutdown(6000); s.shutdown(6000, 'S');
    // between tests: a server started outside any test, then T4
    const u = new ServerLog(805, 3104).start(7000);
    const v = new ServerLog(806, 3105).start(7100);
    v.replicaof(7200, 3104);
    u.test('T4'); v.test('T4');
    v.log(7300, 'in T4', 'S');
    u.shutdown(8000); v.shutdown(8000, 'S');
    const l = layout([p, r, q, s, u, v]);
    expect(l.windows.windows.map((w) => [w.name, w.file, w.servers.length])).toEqual([
      ['T1', 'tests/integration/x.tcl', 2], ['T2', 'tests/integration/x.tcl', 2], ['T3', 'tests/integration/x.tcl', 0], ['T4', 'tests/integration/x.tcl', 2],
    ]);
    expect(l.windows.windowOf(1, lineOf(r, 'Valkey is starting'))).toBe(-1);
    expect(l.windows.windowOf(1, lineOf(r, 'REPLICAOF'))).toBe(0);
    expect(l.windows.windowOf(1, lineOf(r, 'something in T2'))).toBe(1);
    expect(l.windows.windowOf(3, lineOf(s, 'REPLICAOF'))).toBe(2);
    expect(l.windows.windowOf(2, lineOf(q, 'Valkey is starting'))).toBe(2);
    expect(l.windows.windowOf(5, lineOf(v, 'REPLICAOF'))).toBe(-1);
    expect(l.windows.windowOf(5, lineOf(v, 'in T4'))).toBe(3);
    expect(shape(l).length).toBe(3);
  });

  it('two tests started back to back with no line between them keep their order', () => {
    const p = new ServerLog(901, 3200).start(0);
    const r = new ServerLog(902, 3201).start(100);
    r.replicaof(200, 3200);
    for (const x of [p, r]) { x.test('A'); x.test('B'); x.test('A'); }
    r.log(1000, 'after', 'S');
    p.shutdown(2000); r.shutdown(2000, 'S');
    const l = layout([p, r]);
    expect(l.windows.windows.map((w) => w.name)).toEqual(['A', 'B', 'A']);
    expect(l.windows.windowOf(1, lineOf(r, 'after'))).toBe(2);
  });

  it('the harness results are matched to the windows by name, in order', async () => {
    const p = new ServerLog(1001, 3300).start(0);
    const r = new ServerLog(1002, 3301).start(100);
    r.replicaof(200, 3300);
    for (const x of [p, r]) x.test('A');
    for (const x of [p, r]) x.test('B');
    p.shutdown(2000); r.shutdown(2000, 'S');
    const dir = suiteFolder([p, r]);
    dirs.push(dir);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/results.tsv`, 'status\tduration_ms\ttest\nok\t12\tA\nskip\t\tnever started\nerr\t\tB\n');
    const l = suiteLayout(dir);
    expect(l.windows.windows.map((w) => [w.name, w.harness, w.harnessMs])).toEqual([['A', 'ok', 12], ['B', 'err', undefined]]);
  });
});
