import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readValkeyLogs, readValkeyLogTexts, ValkeyLogError } from '../../../conformance/valkeylog/index.js';
import { parseLogFile } from '../../../conformance/valkeylog/files.js';
import { banner } from './helpers.js';

const T = 'traces/valkey-8.0.1';
const have = (s: string): boolean => existsSync(`${T}/${s}/primary.log`);
const meta = (s: string): { servers: Record<string, { port: number; pids: number[] }> } => JSON.parse(readFileSync(`${T}/${s}/meta.json`, 'utf8'));

describe('file identification (synthetic, 8.0.1 start-up wording)', () => {
  it('takes the port from "Running mode=standalone, port=N." and the pid from the banner', () => {
    const f = parseLogFile('p.log', banner(4242, 21000));
    expect(f.port).toBe(21000);
    expect(f.incarnations).toHaveLength(1);
    expect(f.incarnations[0]).toMatchObject({ pid: 4242, startLine: 1, restart: false, banner: true, readyLine: 7 });
    expect(f.warnings).toEqual([]);
  });

  it('takes the port from the ASCII-art logo (always-show-logo yes)', () => {
    const text = [
      '4242:C 25 Nov 2026 08:00:00.001 * oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo',
      '4242:C 25 Nov 2026 08:00:00.001 * Configuration loaded',
      '4242:M 25 Nov 2026 08:00:00.002 * monotonic clock: POSIX clock_gettime',
      '                .+^+.                                                ',
      '            .+#########+.                                            ',
      '        .+########+########+.           Valkey 8.0.1 (00000000/0) 64 bit',
      "    .+########+'     '+########+.                                    ",
      " .########+'     .+.     '+########.    Running in standalone mode",
      " |####+'     .+#######+.     '+####|    Port: 6390",
      " |###|   .+###############+.   |###|    PID: 4242                     ",
      " |###|   |#####*'' ''*#####|   |###|                                 ",
      " |###|   |###(  (@@@)  )###|   |###|          https://valkey.io      ",
      "                '+v+'                                                ",
      '',
      '4242:M 25 Nov 2026 08:00:00.003 * Server initialized',
      '4242:M 25 Nov 2026 08:00:00.003 * Ready to accept connections tcp',
    ].join('\n') + '\n';
    const f = parseLogFile('p.log', text);
    expect(f.port).toBe(6390);
    expect(f.lines.filter((l) => l.type === 'banner-art')).toHaveLength(10);
    expect(f.warnings).toEqual([]);
  });

  it('falls back to the laddr of the REPLICAOF client when the banner is missing', () => {
    const f = parseLogFile('r.log', "21213:S 25 Nov 2026 08:36:21.897 * REPLICAOF 127.0.0.1:21000 enabled (user request from 'id=5 addr=127.0.0.1:41314 laddr=127.0.0.1:21001 fd=10 name= age=0 idle=0 flags=N db=0')\n");
    expect(f.port).toBe(21001);
    expect([...f.primaryPorts]).toEqual([21000]);
    expect(f.warnings[0]!.message).toMatch(/laddr/);
  });

  it('rejects a file that is not a Valkey log, naming file, line and what was expected', () => {
    const driver = '8201:D 25 Nov 2026 09:25:15.215 > scenario dual-channel-one-side\n';
    expect(() => parseLogFile('driver.log', driver)).toThrow(ValkeyLogError);
    expect(() => parseLogFile('driver.log', driver)).toThrow(/driver\.log:1: not a Valkey log: expected "<pid>:<role> <dd Mon yyyy HH:MM:SS\.mmm> <level> <msg>"/);
    expect(() => parseLogFile('empty.log', '')).toThrow(/empty\.log:1: not a Valkey log.*empty file/);
    expect(() => parseLogFile('x.json', '{"a": 1}\n')).toThrow(/x\.json:1/);
  });

  it('a new pid after a banner is a restart; fork-child lines go to their parent', () => {
    const text = banner(100, 21001) +
      '100:S 25 Nov 2026 08:00:01.000 * Connecting to PRIMARY 127.0.0.1:21000\n' +
      '150:C 25 Nov 2026 08:00:01.500 * Fork CoW for RDB: current 1 MB, peak 1 MB, average 1 MB\n' +
      '300:C 25 Nov 2026 08:00:05.000 # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.\n' +
      banner(300, 21001, '25 Nov 2026 08:00:05');
    const f = parseLogFile('r.log', text);
    expect(f.incarnations.map((i) => [i.pid, i.startLine, i.restart, i.childPids])).toEqual([[100, 1, false, [150]], [300, 10, true, []]]);
    expect(f.logLines.find((l) => l.pid === 150)).toMatchObject({ child: true, incarnation: 0 });
    expect(f.logLines.find((l) => l.line === 10)).toMatchObject({ child: false, incarnation: 1, startup: true });
  });

  it('names the primary from the other files\' REPLICAOF target and orders replicas by port', () => {
    const rep = (pid: number, port: number): string => banner(pid, port) +
      `${pid}:S 25 Nov 2026 08:00:01.000 * REPLICAOF 127.0.0.1:21000 enabled (user request from 'id=4 addr=127.0.0.1:1 laddr=127.0.0.1:${port} fd=9 name= flags=N')\n`;
    const r = readValkeyLogTexts([
      { file: 'b.log', content: rep(3, 21007) },
      { file: 'p.log', content: banner(1, 21000) },
      { file: 'a.log', content: rep(2, 21005) },
    ]);
    expect(r.nodes.map((n) => [n.name, n.port, n.file])).toEqual([['primary', 21000, 'p.log'], ['replica1', 21005, 'a.log'], ['replica2', 21007, 'b.log']]);
  });

  it('two files with the same port are an error', () => {
    expect(() => readValkeyLogTexts([{ file: 'a.log', content: banner(1, 21000) }, { file: 'b.log', content: banner(2, 21000) }])).toThrow(/b\.log:1.*already used by a\.log/);
  });
});

describe.skipIf(!have('full-sync-with-writes'))('real 8.0.1 captures: file identification', () => {
  it('full-sync-with-writes: ports, pids and the fork child', () => {
    const s = 'full-sync-with-writes';
    const m = meta(s);
    const r = readValkeyLogs([`${T}/${s}/replica.log`, `${T}/${s}/primary.log`]);
    expect(r.nodes.map((n) => [n.name, n.port, n.file.split('/').pop(), n.level])).toEqual([
      ['primary', m.servers.primary!.port, 'primary.log', 'debug'], ['replica1', m.servers.replica!.port, 'replica.log', 'debug'],
    ]);
    const p = r.nodes[0]!;
    expect(p.incarnations.map((i) => i.pid)).toEqual(m.servers.primary!.pids);
    const started = r.events.find((e) => e.kind === 'primary.child_started')!;
    expect(p.incarnations[0]!.childPids).toContain(started.extra.childPid);
    const cow = r.events.filter((e) => e.rule === 'FORK_COW');
    expect(cow.length).toBeGreaterThan(0);
    for (const e of cow) expect(e).toMatchObject({ node: 'primary', child: true, pid: started.extra.childPid, kind: 'known-ignored' });
    expect(r.warnings.filter((w) => !/no vocabulary kind/.test(w.message))).toEqual([]);
  });

  it.skipIf(!have('dual-channel-one-side'))('dual-channel-one-side: two replicas named by port, whatever the file order', () => {
    const s = 'dual-channel-one-side';
    const m = meta(s);
    const r = readValkeyLogs([`${T}/${s}/replica2.log`, `${T}/${s}/primary.log`, `${T}/${s}/replica.log`]);
    const byPort = Object.values(m.servers).map((x) => x.port).filter((p) => p !== m.servers.primary!.port).sort((a, b) => a - b);
    expect(r.nodes.map((n) => [n.name, n.port])).toEqual([['primary', m.servers.primary!.port], ['replica1', byPort[0]], ['replica2', byPort[1]]]);
    // Every primary-side line that names a replica is attributed by its listening port.
    for (const e of r.events.filter((x) => x.node === 'primary' && x.peerRef?.includes(':'))) expect(e.attributedBy).toBe('port');
    expect(r.events.filter((e) => e.kind === 'primary.replica_online').map((e) => e.peer).sort()).toEqual(['replica1', 'replica2']);
    expect(r.events.filter((e) => e.kind === 'primary.fullresync').map((e) => e.peer).sort()).toEqual(['replica1', 'replica2']);
  });

  it.skipIf(!have('kill-replica-during-load'))('kill-replica-during-load: restart via a new pid, persisted RDB', () => {
    const s = 'kill-replica-during-load';
    const m = meta(s);
    const r = readValkeyLogs([`${T}/${s}/primary.log`, `${T}/${s}/replica.log`]);
    const rep = r.nodes.find((n) => n.name === 'replica1')!;
    expect(rep.incarnations.map((i) => i.pid)).toEqual(m.servers.replica!.pids);
    expect(rep.incarnations.map((i) => [i.restart, i.persisted])).toEqual([[false, false], [true, true]]);
    const starts = r.events.filter((e) => e.kind === 'replica.start');
    // the first start is the model's initial state (known-ignored); the restart is a replica.start
    expect(starts.map((e) => [e.fields.persisted, e.extra.restart, e.incarnation])).toEqual([[true, true, 1]]);
    expect(r.events.filter((e) => e.rule === 'R_FIRST_START').map((e) => e.incarnation)).toEqual([0]);
    // The start-up load of the persisted RDB is not a sync load.
    const second = r.events.filter((e) => e.node === 'replica1' && e.incarnation === 1);
    expect(second.find((e) => e.rule === 'R_STARTUP_LOAD_DONE')).toBeDefined();
    expect(second.find((e) => e.kind === 'replica.load_done')).toBeUndefined();
    expect(second.filter((e) => e.kind !== 'known-ignored').map((e) => e.kind)).toEqual(['replica.start', 'replica.connect', 'replica.psync', 'replica.partial_resync']);
  });
});

describe('files in no known format, text around the log', () => {
  it('an unrecognisable file is an error naming file, line, what was found and every known format and wrapper', () => {
    let err: unknown;
    try { parseLogFile('app.log', '\n\nINFO 2026-01-12 09:43:10 starting worker\nINFO 2026-01-12 09:43:11 done\n'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValkeyLogError);
    const e = err as ValkeyLogError;
    expect([e.file, e.line, e.got]).toEqual(['app.log', 3, 'INFO 2026-01-12 09:43:10 starting worker']);
    for (const known of ['legacy "<pid>:<role> <time> <level> <msg>"', 'logfmt "pid=<pid> role=', 'json "{', 'legacy "dd Mon yyyy HH:MM:SS.mmm"', 'iso8601 "yyyy-mm-ddTHH:MM:SS.mmm±hh:mm"',
      'milliseconds "<epoch ms>"', 'docker-json:', 'cri:', 'journal-iso:', 'syslog:', 'compose:', 'kubectl-prefix:', 'timestamp:']) expect(e.message).toContain(known);
    expect(e.message).toMatch(/^app\.log:3: not a Valkey log: expected "<pid>:<role> <dd Mon yyyy HH:MM:SS\.mmm> <level> <msg>"/);
  });

  it('a container entrypoint\'s own lines before the first Valkey line are a warning, not an error', () => {
    const text = 'valkey 09:43:10.92 INFO  ==> ** Starting Valkey setup **\nvalkey 09:43:10.95 INFO  ==> ** Valkey setup finished! **\n\n' + banner(1, 6379);
    const f = parseLogFile('pod.log', text);
    expect(f.port).toBe(6379);
    expect(f.logLines[0]!.line).toBe(4);
    expect(f.warnings).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/^2 line\(s\) before the first Valkey log line \(line 4\) are in no known log format/) })]);
  });

  it('a crash report\'s raw text inside a logfmt log is accepted as continuation, as in legacy logs', () => {
    const text = [
      'pid=7 role=primary timestamp="1795595781000" level=notice message="oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo"',
      'pid=7 role=primary timestamp="1795595781001" level=notice message="Running mode=standalone, port=6379."',
      'pid=7 role=primary timestamp="1795595781002" level=warning message="Valkey 9.1.2 crashed by signal: 11, si_code: 0"',
      '',
      '------ STACK TRACE ------',
      'EIP:',
      '/usr/bin/valkey-server *:6379(debugCommand+0x25b)[0x55c0c1c0b2fb]',
      '',
      'pid=7 role=primary timestamp="1795595781003" level=warning message="Valkey is now ready to exit, bye bye..."',
    ].join('\n') + '\n';
    const f = parseLogFile('crash.log', text);
    expect(f.lines.map((l) => l.type)).toEqual(['log', 'log', 'log', 'blank', 'continuation', 'continuation', 'continuation', 'blank', 'log']);
    expect(f.warnings).toEqual([]);
    expect(f.port).toBe(6379);
  });
});
