import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readValkeyLogs, readValkeyLogTexts, parseCobLine } from '../../../conformance/valkeylog/index.js';
import { LOG_MAX_MSG_BYTES } from '../../../conformance/valkeylog/lines.js';
import { banner, runLogs } from './helpers.js';

// Real lines, /work/shared/design/valkey-real-runs.md §4 S6 and S7.
const S6 = {
  N: 'Client id=14 addr=127.0.0.1:60460 laddr=127.0.0.1:21000 fd=12 name=slow-getter age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=1047 qbuf-free=19427 argv-mem=9 multi-mem=0 rbs=16384 rbp=16384 obl=16384 oll=2 omem=1048624 tot-mem=1086409 events=r cmd=get user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=1047 tot-net-out=0 tot-cmds=2 scheduled to be closed ASAP for overcoming of output buffer limits.',
  O: 'Client id=12 addr=127.0.0.1:60442 laddr=127.0.0.1:21000 fd=15 name=slow-monitor age=0 idle=0 flags=O db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=4 omem=1048672 tot-mem=1086432 events=rw cmd=monitor user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=65 tot-net-out=3874206 tot-cmds=2 scheduled to be closed ASAP for overcoming of output buffer limits.',
  P: 'Client id=13 addr=127.0.0.1:60444 laddr=127.0.0.1:21000 fd=16 name=slow-subscriber age=0 idle=0 flags=P db=0 sub=1 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=4 omem=1048672 tot-mem=1086488 events=rw cmd=subscribe user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=80 tot-net-out=3899430 tot-cmds=2 scheduled to be closed ASAP for overcoming of output buffer limits.',
  S: 'Client id=10 addr=127.0.0.1:60432 laddr=127.0.0.1:21000 fd=11 name= age=0 idle=0 flags=S db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=52 omem=1066208 tot-mem=1088608 events=rw cmd=psync user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=382 tot-net-out=4160654 tot-cmds=7 scheduled to be closed ASAP for overcoming of output buffer limits.',
};
// S7: the protected rdb client (the doc cuts the tail; completed with the 8.0.1 catClientInfoString fields).
const S7_SA = 'Client id=10 addr=127.0.0.1:39810 laddr=127.0.0.1:21000 fd=12 name= age=0 idle=0 flags=SA db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=54 omem=1107216 tot-mem=1109136 events= cmd=sync user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=297 tot-net-out=5 tot-cmds=2 scheduled to be closed ASAP for overcoming of output buffer limits.';

describe('parseCobLine: classification by flags and cmd', () => {
  it('N normal, O monitor, P pubsub, S+psync main channel, SA+sync rdb channel', () => {
    expect(parseCobLine(S6.N, false)).toMatchObject({ cid: 14, class: 'normal', cmd: 'get', name: 'slow-getter', omem: 1048624, how: 'async', cut: false });
    expect(parseCobLine(S6.O, false)).toMatchObject({ cid: 12, class: 'monitor', cmd: 'monitor' });
    expect(parseCobLine(S6.P, false)).toMatchObject({ cid: 13, class: 'pubsub', cmd: 'subscribe' });
    expect(parseCobLine(S6.S, false)).toMatchObject({ cid: 10, class: 'replica', channel: 'main', cmd: 'psync', addr: '127.0.0.1:60432', name: '' });
    expect(parseCobLine(S7_SA, false)).toMatchObject({ cid: 10, class: 'replica', channel: 'rdb', cmd: 'sync', flags: 'SA' });
    expect(parseCobLine(S6.S.replace('cmd=psync', 'cmd=replconf'), false)).toMatchObject({ class: 'replica', channel: 'main', cmd: 'replconf' });
    expect(parseCobLine(S6.N.replace('scheduled to be closed ASAP', 'closed'), false)).toMatchObject({ how: 'sync' });
  });
});

const prim = (...msgs: string[]): { file: string; content: string } => ({
  file: 'p.log', content: banner(11532, 21000) + msgs.map((m) => `11532:M 25 Nov 2026 08:22:53.908 ${m}`).join('\n') + '\n',
});

describe('COB overflow records on the primary', () => {
  it('S6 excerpt: all four COB kinds, replica class keeps cid and cmd', () => {
    const r = readValkeyLogTexts(runLogs('s6-with-replica-overflow-1'));
    const cob = r.events.filter((e) => e.kind === 'primary.cob_overflow');
    expect(cob.map((e) => e.fields)).toEqual([
      { cid: 14, class: 'normal', cmd: 'get' }, { cid: 12, class: 'monitor', cmd: 'monitor' },
      { cid: 13, class: 'pubsub', cmd: 'subscribe' }, { cid: 10, class: 'replica', cmd: 'psync' },
    ]);
    expect(cob[3]).toMatchObject({ conn: 'main', peerRef: '127.0.0.1:60432', extra: { addr: '127.0.0.1:60432', flags: 'S', channel: 'main', omem: 1066208 } });
  });

  it('rdb-channel COB attributed by the cid from $ENDOFF; main-channel COB by the close that follows', () => {
    const twoReplicas = [
      { file: 'r1.log', content: banner(2, 21001) + "2:S 25 Nov 2026 08:00:00.100 * REPLICAOF 127.0.0.1:21000 enabled (user request from 'id=4 addr=127.0.0.1:1 laddr=127.0.0.1:21001 fd=9')\n" },
      { file: 'r2.log', content: banner(3, 21002) + "3:S 25 Nov 2026 08:00:00.100 * REPLICAOF 127.0.0.1:21000 enabled (user request from 'id=4 addr=127.0.0.1:1 laddr=127.0.0.1:21002 fd=9')\n" },
    ];
    const r = readValkeyLogTexts([
      prim('* Sending to replica 127.0.0.1:21002 RDB end offset 0 and client-id 10', `# ${S7_SA}`, '* Replica 127.0.0.1:21002 rdb channel disconnected.', `# ${S6.S.replace('id=10', 'id=9')}`, '* Connection with replica 127.0.0.1:21001 lost.'),
      ...twoReplicas,
    ]);
    const cob = r.events.filter((e) => e.kind === 'primary.cob_overflow');
    expect(cob.map((e) => [e.fields.cid, e.fields.cmd, e.peer, e.attributedBy])).toEqual([[10, 'sync', 'replica2', 'cid'], [9, 'psync', 'replica1', 'close-order']]);
  });

  it('a COB line cut at LOG_MAX_LEN before "for overcoming…" is still recognised from its intact client info, with a warning', () => {
    // Same real line with a long lib-name (CLIENT SETINFO), cut at 1023 bytes as vsnprintf does.
    const long = S6.S.replace('lib-name= ', `lib-name=${'x'.repeat(700)} `);
    const cut = Buffer.from(long).subarray(0, LOG_MAX_MSG_BYTES).toString();
    expect(cut).not.toMatch(/for overcoming/);
    const r = readValkeyLogTexts([prim(`# ${cut}`)]);
    const e = r.events.find((x) => x.rule === 'COB_OVERFLOW')!;
    expect(e).toMatchObject({ kind: 'primary.cob_overflow', fields: { cid: 10, class: 'replica', cmd: 'psync' }, capped: true });
    expect(e.extra.how).toBeUndefined();
    expect(r.warnings.find((w) => w.line === 8)!.message).toMatch(/cut at LOG_MAX_LEN.*id=10 flags=S cmd=psync/);
  });

  it('a COB line cut before its cmd= field is a warning naming the line, not a record', () => {
    const long = S6.S.replace('name= ', `name=${'n'.repeat(900)} `);
    const cut = Buffer.from(long).subarray(0, LOG_MAX_MSG_BYTES).toString();
    const r = readValkeyLogTexts([prim(`# ${cut}`)]);
    expect(r.events.find((x) => x.rule === 'COB_OVERFLOW')).toBeUndefined();
    expect(r.warnings).toEqual([expect.objectContaining({ file: 'p.log', line: 8, message: expect.stringMatching(/no intact client info.*LOG_MAX_LEN/) })]);
  });

  it('an uncut "Client id=…" line without the suffix is not taken for a COB line', () => {
    const r = readValkeyLogTexts([prim(`# ${S6.N.replace(' scheduled to be closed ASAP for overcoming of output buffer limits.', ' did something new')}`)]);
    expect(r.events.find((x) => x.kind === 'primary.cob_overflow')).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
  });
});

const T = 'traces/valkey-8.0.1';
describe.skipIf(!existsSync(`${T}/normal-clients-overflow/primary.log`))('real 8.0.1 captures: COB lines', () => {
  it('normal-clients-overflow: N, P and O classes', () => {
    const r = readValkeyLogs([`${T}/normal-clients-overflow/primary.log`, `${T}/normal-clients-overflow/replica.log`]);
    expect(r.events.filter((e) => e.kind === 'primary.cob_overflow').map((e) => [e.fields.class, e.fields.cmd])).toEqual([['normal', 'get'], ['pubsub', 'subscribe'], ['monitor', 'monitor']]);
  });
  it.skipIf(!existsSync(`${T}/cob-overflow-small-backlog/primary.log`))('cob-overflow-small-backlog: S + psync, main channel, then lost and lack of backlog', () => {
    const r = readValkeyLogs([`${T}/cob-overflow-small-backlog/primary.log`, `${T}/cob-overflow-small-backlog/replica.log`]);
    const i = r.events.findIndex((e) => e.kind === 'primary.cob_overflow');
    expect(r.events[i]).toMatchObject({ fields: { class: 'replica', cmd: 'psync' }, conn: 'main', peer: 'replica1' });
    const after = r.events.slice(i + 1).filter((e) => e.node === 'primary' && e.kind !== 'known-ignored').map((e) => e.kind);
    expect(after.slice(0, 3)).toEqual(['primary.replica_lost', 'primary.sync_request', 'primary.psync_refused']);
    const refused = r.events.find((e) => e.kind === 'primary.psync_refused' && e.fields.reason === 'backlog')!;
    const psync = r.events.filter((e) => e.kind === 'replica.psync').at(-1)!;
    expect(refused.fields.offset).toBe(psync.fields.offset);
  });
  it.skipIf(!existsSync(`${T}/leftover-rdb-client/primary.log`))('leftover-rdb-client: SA + sync is the rdb channel, attributed through its $ENDOFF cid', () => {
    const r = readValkeyLogs([`${T}/leftover-rdb-client/primary.log`, `${T}/leftover-rdb-client/replica.log`]);
    const cob = r.events.find((e) => e.kind === 'primary.cob_overflow')!;
    const endoff = r.events.find((e) => e.kind === 'primary.endoff_sent')!;
    expect(cob).toMatchObject({ fields: { class: 'replica', cmd: 'sync', cid: endoff.fields.cid }, conn: 'rdb', peer: 'replica1', attributedBy: 'cid', extra: { flags: 'SA' } });
    expect(readFileSync(`${T}/leftover-rdb-client/primary.log`, 'utf8')).toContain('Postpone RDB client id=');
  });
});
