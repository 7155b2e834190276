import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readValkeyLogTexts, readValkeyLogs, levelOfKind, observableKinds, type LogEvent } from '../../../conformance/valkeylog/index.js';
import { KIND_NAMES } from '../../../model/vocabulary.js';
import { banner, runLogs } from './helpers.js';

const kinds = (evs: LogEvent[], node?: string): string[] =>
  evs.filter((e) => e.kind !== 'known-ignored' && (node === undefined || e.node === node)).map((e) => e.kind);

describe('S1: dual-channel full sync (real 8.0.1 excerpt)', () => {
  const r = readValkeyLogTexts(runLogs('s1-run1'));
  it('names the nodes and detects debug level', () => {
    expect(r.nodes.map((n) => [n.name, n.port, n.role, n.level])).toEqual([['primary', 21000, 'primary', 'debug'], ['replica1', 21001, 'replica', 'debug']]);
    expect(r.minLevel).toBe('debug');
  });
  it('primary side: every step of the handshake and transfer', () => {
    expect(kinds(r.events, 'primary')).toEqual([
      'primary.sync_request', 'primary.psync_refused', 'primary.dualchannel_offered', 'primary.sync_request', 'primary.backlog_created',
      'primary.bgsave_start', 'primary.endoff_sent', 'primary.rdb_pinned', 'primary.child_started', 'primary.sync_request',
      'primary.main_matched', 'primary.psync_accepted', 'primary.child_done', 'primary.rdb_streamed', 'primary.rdb_channel_closed',
      'primary.replica_online',
    ].filter((k) => k !== 'primary.psync_refused')); // the replid-mismatch line is "…[cut]" in the doc excerpt
    const endoff = r.events.find((e) => e.kind === 'primary.endoff_sent')!;
    expect(endoff.fields).toEqual({ endoff: 0, cid: 8, primaryOffset: 0 });
    expect(endoff).toMatchObject({ peer: 'replica1', attributedBy: 'port', peerRef: '127.0.0.1:21001', conn: 'rdb' });
    expect(r.events.find((e) => e.kind === 'primary.rdb_pinned')!.fields).toEqual({ cid: 8, tracking: false });
    expect(r.events.find((e) => e.kind === 'primary.main_matched')!.fields).toEqual({ cid: 8 });
    // 0 bytes: the primary's offset is still $ENDOFF; the debug "[PSYNC] Replica request offset: 1" before it is merged
    // into the record, and "Backlog history len is zero" gives no first byte nor history end
    expect(r.events.find((e) => e.kind === 'primary.psync_accepted')!.fields).toEqual({ offset: 1, primaryOffset: 0, requestOffset: 1 });
    expect(r.events.find((e) => e.kind === 'primary.bgsave_start')!.fields).toEqual({ mode: 'dual-channel', target: 'socket' });
    expect(r.events.find((e) => e.kind === 'primary.child_done')!.fields).toEqual({ ok: true });
    expect(r.events.find((e) => e.rule === 'P_PSYNC_DEBUG')!.kind).toBe('known-ignored');
  });
  it('replica side', () => {
    // the log's first start of the process is the model's initial state: not a replica.start event
    expect(kinds(r.events, 'replica1')).toEqual([
      'replica.connect', 'replica.psync', 'replica.dualchannel_offered', 'replica.rdb_channel_connected',
      'replica.main_psync', 'replica.continue', 'replica.rdb_receiving', 'replica.load_start', 'replica.load_done',
      'replica.buffer_streamed', 'replica.sync_finished',
    ]);
    expect(r.events.find((e) => e.kind === 'replica.psync')!.fields).toEqual({ offset: 1, replid: '67bcc0404dba2b7f1e4188b9b43f22ed2c3e4b6e' });
    // the main PSYNC asks for the id $ENDOFF carried: the one the primary's backlog creation named
    const created = r.events.find((e) => e.kind === 'primary.backlog_created')!.fields;
    expect(created.replid2).toBe('0000000000000000000000000000000000000000');
    expect(r.events.find((e) => e.kind === 'replica.main_psync')!.fields).toEqual({ offset: 1, replid: created.replid });
    expect(r.events.find((e) => e.kind === 'replica.continue')!.fields).toEqual({ background: true });
    expect(r.events.find((e) => e.rule === 'R_FIRST_START')!).toMatchObject({ kind: 'known-ignored', node: 'replica1', incarnation: 0 });
  });
  it('no warnings beyond what the excerpt lacks', () => {
    expect(r.warnings).toEqual([]);
  });
});

describe('refusals, partial resyncs, normal sync', () => {
  it('lack of backlog carries the offset (S2a) and a replid mismatch is attributed to the preceding request (S7)', () => {
    const s2 = readValkeyLogTexts(runLogs('s2-small-backlog-2'));
    expect(s2.events.find((e) => e.kind === 'primary.psync_refused')!.fields).toEqual({ reason: 'backlog', offset: 168516 });
    const s7 = readValkeyLogTexts(runLogs('s7-leftover-rdb-client-cob-1'));
    const mismatch = s7.events.find((e) => e.rule === 'P_PSYNC_REPLID_MISMATCH')!;
    expect(mismatch).toMatchObject({ kind: 'primary.psync_refused', fields: { reason: 'replid' }, peer: 'replica1' });
    expect(mismatch.fields.requestedReplid).toBe('f77199bc7d16bfdda9eba90e2450e756e0be7443');
    expect(mismatch.fields.replid).toMatch(/^[0-9a-f]{40}$/);
    expect(mismatch.fields.replid2).toMatch(/^[0-9a-f]{40}$/);
  });
  it('S7: abort with psync result 6 is one replica.abort (the plain line is merged)', () => {
    const s7 = readValkeyLogTexts(runLogs('s7-leftover-rdb-client-cob-1'));
    const aborts = s7.events.filter((e) => e.kind === 'replica.abort');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]!.fields).toEqual({ result: 6 });
    expect(s7.events.find((e) => e.rule === 'R_DUAL_ABORT_MERGED')).toBeDefined();
    expect(kinds(s7.events, 'primary')).toContain('primary.rdb_unlinked');
    expect(kinds(s7.events, 'primary')).toContain('primary.rdb_free_postponed');
    expect(s7.events.find((e) => e.kind === 'primary.rdb_attached')).toMatchObject({ fields: { cid: 10 }, peer: 'replica1', attributedBy: 'cid' });
  });
  it('S7 grace: grace_expired attributed by the cid of the postponed client', () => {
    const g = readValkeyLogTexts(runLogs('s7-leftover-rdb-client-grace-1'));
    expect(g.events.find((e) => e.kind === 'primary.grace_expired')).toMatchObject({ fields: { cid: 10 }, peer: 'replica1', attributedBy: 'cid', extra: { seconds: 3 } });
  });
  it('S2c: genuine partial resync after a COB overflow', () => {
    const r = readValkeyLogTexts(runLogs('s2-soft-limit-big-backlog-1'));
    expect(kinds(r.events, 'replica1')).toEqual([
      'replica.load_done', 'replica.buffer_streamed', 'replica.sync_finished', 'replica.primary_lost', 'replica.connect',
      'replica.psync', 'replica.partial_resync',
    ]);
    expect(r.events.find((e) => e.rule === 'R_PSYNC_CONTINUE_2')!.kind).toBe('known-ignored');
    expect(r.events.find((e) => e.kind === 'primary.psync_accepted')!).toMatchObject({ fields: { offset: 168516, primaryOffset: 168516 + 15399158 - 1 }, extra: { bytes: 15399158 } });
    expect(r.events.find((e) => e.kind === 'replica.connect')!.extra).toMatchObject({ reconnect: true, afterFailure: false, port: 21000 });
  });
  it('S5: normal sync: bgsave mode normal, replica fullresync, derived primary.fullresync', () => {
    const r = readValkeyLogTexts(runLogs('s5-primary-no-replica-yes-1'));
    expect(r.events.find((e) => e.kind === 'primary.bgsave_start')!.fields).toEqual({ mode: 'normal', target: 'socket' });
    expect(r.events.find((e) => e.kind === 'replica.fullresync')!.fields).toMatchObject({ offset: 0, replid: r.events.find((e) => e.kind === 'primary.backlog_created')!.fields.replid });
    expect(r.events.find((e) => e.rule === 'P_PIPE_DONE')!.kind).toBe('known-ignored');
  });
  it('a refusal not followed by +DUALCHANNELSYNC yields a derived primary.fullresync', () => {
    const p = banner(500, 21000) + [
      '500:M 25 Nov 2026 08:21:22.712 * Replica 127.0.0.1:21001 asks for synchronization',
      "500:M 25 Nov 2026 08:21:22.712 * Partial resynchronization not accepted: Replication ID mismatch (Replica asked for 'a54bbaca90ebb43e5b4f5b75ff1ad30fa1cc1e4b', my replication IDs are '7291a13c330fb8aa0a0d22e7ac32b1c1a0c8e2f1' and '0000000000000000000000000000000000000000')",
      "500:M 25 Nov 2026 08:21:22.712 * Replication backlog created, my new replication IDs are '606938d56cc75afa1720c3f8c268e37480410259' and '0000000000000000000000000000000000000000'",
      '500:M 25 Nov 2026 08:21:22.712 * Starting BGSAVE for SYNC with target: replicas sockets using: normal sync',
    ].join('\n') + '\n';
    const r = readValkeyLogTexts([{ file: 'p.log', content: p }]);
    expect(kinds(r.events)).toEqual(['primary.sync_request', 'primary.psync_refused', 'primary.fullresync', 'primary.backlog_created', 'primary.bgsave_start']);
    expect(r.events.find((e) => e.kind === 'primary.fullresync')).toMatchObject({ derived: true, line: 9, conn: 'main', rule: 'P_FULLRESYNC_DERIVED' });
  });
  it('S4 kill-rdb-child: failed child, rdb channel I/O error, abort, reconnect after failure', () => {
    const r = readValkeyLogTexts(runLogs('s4-kill-rdb-child-1'));
    expect(r.events.find((e) => e.kind === 'primary.child_done')!.fields).toEqual({ ok: false });
    expect(r.events.find((e) => e.kind === 'primary.child_done')!.extra).toEqual({ signal: 9 });
    expect(r.events.find((e) => e.rule === 'P_SYNC_FAILED_CHILD_ERROR')!.kind).toBe('known-ignored');
    expect(kinds(r.events, 'replica1').slice(0, 3)).toEqual(['replica.rdb_failed', 'replica.abort', 'replica.connect']);
    expect(r.events.find((e) => e.kind === 'replica.abort')!.fields).toEqual({});
    expect(r.events.find((e) => e.kind === 'replica.connect')!.extra).toMatchObject({ afterFailure: true });
    expect(r.events.find((e) => e.kind === 'primary.rdb_pinned')!.fields).toEqual({ cid: 11, tracking: true });
  });
  it('S4 kill-replica-load: "client id #7" attributed to the only replica; the startup load is not a sync load', () => {
    const r = readValkeyLogTexts(runLogs('s4-kill-replica-load-1'));
    expect(r.events.find((e) => e.kind === 'primary.replica_lost')).toMatchObject({ peerRef: 'client id #7', peer: 'replica1', attributedBy: 'single-replica' });
    expect(r.events.find((e) => e.rule === 'SOCKET_ERROR')!.kind).toBe('known-ignored');
  });
  it('S3: local buffer limit', () => {
    const r = readValkeyLogTexts(runLogs('s3-replica-limit-plus-primary-cob-1'));
    expect(kinds(r.events, 'replica1')).toContain('replica.local_buffer_limit');
  });
});

const P = 21000;
const primaryWith = (...lines: string[]): string => banner(100, P) + lines.map((l) => `100:M 25 Nov 2026 09:00:00.000 ${l}`).join('\n') + '\n';
const replicaWith = (...lines: string[]): string => banner(200, 21001) + lines.map((l) => `200:S 25 Nov 2026 09:00:00.000 ${l}`).join('\n') + '\n';

describe('messages from the 8.0.1 source and protocol doc §5 (not in the run excerpts)', () => {
  const cases: [string, 'p' | 'r', string, Record<string, unknown>][] = [
    ['* Full resync requested by replica 127.0.0.1:21001', 'p', 'primary.psync_refused', { reason: 'no-cache' }],
    ['* Partial resynchronization not accepted: Requested offset for second ID was 2000, but I can reply up to 1500', 'p', 'primary.psync_refused', { reason: 'replid' }],
    ['* Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC', 'p', 'primary.bgsave_wait', {}],
    ['# BGSAVE for replication failed', 'p', 'primary.fork_failed', {}],
    ['* Replica main channel failed to establish PSYNC within the grace period (61 seconds). Freeing RDB client 12.', 'p', 'primary.grace_expired', { cid: 12 }],
    ['* Partial resynchronization not possible (no cached primary)', 'r', 'replica.psync', { offset: -1 }],
    ['* Primary does not understand REPLCONF identify: -ERR Unrecognized RDB client id 12', 'r', 'replica.set_id_rejected', {}],
    ['# Aborting dual channel sync. Main channel psync result -1', 'r', 'replica.abort', { result: -1 }],
    ['* Primary <-> REPLICA sync: Primary accepted a Partial Resynchronization.', 'r', 'replica.continue', { background: false }],
    ['. Dual channel sync - psync established after rdb load', 'r', 'replica.psync_after_load', {}],
    ['- Provisional primary closed connection', 'r', 'replica.main_closed', {}],
    ['* Error reading from primary: Connection reset by peer', 'r', 'replica.main_closed', {}],
    ['# Timeout receiving bulk data from PRIMARY... If the problem persists try to set the \'repl-timeout\' parameter in valkey.conf to a larger value.', 'r', 'replica.timeout', {}],
    ['# Timeout connecting to the PRIMARY...', 'r', 'replica.timeout', {}],
    ['# Received unexpected $ENDOFF response: -ERR foo', 'r', 'replica.rdb_failed', {}],
    ['# PRIMARY aborted replication with an error: ERR BGSAVE failed, replication can\'t continue', 'r', 'replica.rdb_failed', {}],
    ['* PRIMARY <-> REPLICA sync: receiving 1234 bytes from primary to disk', 'r', 'replica.rdb_receiving', { to: 'disk' }],
    ['* PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to parser', 'r', 'replica.rdb_receiving', { to: 'parser' }],
    ['* Done loading RDB, keys loaded: 5, keys expired: 0, empty keys skipped: 1.', 'r', 'replica.load_done', {}],
    // 8.1.1 / 9.1.2 dialect (texts from their replication.c / rdb.c, seen in Valkey's own test runs)
    ['* Dual channel replication: Aborting dual channel sync. Main channel psync result -1 PSYNC_FULLRESYNC_DUAL_CHANNEL', 'r', 'replica.abort', { result: 6 }],
    ['* Dual channel replication: Aborting dual channel sync. Main channel psync result -1 PSYNC_TRY_LATER', 'r', 'replica.abort', { result: 5 }],
    ['* Dual channel replication: Aborting dual channel sync. Main channel psync result -1 -ERR Unrecognized RDB client id 12', 'r', 'replica.abort', { result: -1 }],
    ['* Dual channel replication: Aborting dual channel sync. Main channel psync result -1 ', 'r', 'replica.abort', { result: -1 }],
    ['. Dual channel replication: Psync established after rdb load', 'r', 'replica.psync_after_load', {}],
    ['* Dual channel replication: Replication buffer limit reached (16384 bytes), stopping buffering. Further accumulation will occur on primary side.', 'r', 'replica.local_buffer_limit', {}],
    ['* Done loading RDB, keys loaded: 10001, keys expired: 0, all fields expired hashes: 0.', 'r', 'replica.load_done', {}],
    ['* Replica main thread creating Bio thread to save RDB to disk', 'r', 'replica.rdb_receiving', { to: 'disk' }],
    ['* Replica bio thread: PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to disk', 'r', 'known-ignored', {}],
    ['* Unable to partial resync with replica 127.0.0.1:6380 for lack of backlog (Replica request was 8c1d3a7f:1234, and I can only reply with the range [2000, 3000]).', 'p', 'primary.psync_refused', { reason: 'backlog', offset: 1234, requestedReplid: '8c1d3a7f', primaryOffset: 2999 }],
    ['* Unable to partial resync with replica 127.0.0.1:6380 for lack of backlog (Replica request was: 8c1d3a7f:1234).', 'p', 'primary.psync_refused', { reason: 'backlog', offset: 1234, requestedReplid: '8c1d3a7f' }],
    // addReplyReplicationBacklog sends primary_repl_offset − offset + 1 bytes: the primary's offset is 1000
    ['* Partial resynchronization request from 127.0.0.1:6380 accepted. Sending 100 bytes of backlog starting from offset 901.', 'p', 'primary.psync_accepted', { offset: 901, primaryOffset: 1000 }],
    ['* Dual channel capability ignored: repl-diskless-sync disabled', 'p', 'primary.dual_capa_ignored', {}],
    ["* REPLICAOF 127.0.0.1:6379 enabled (user request from 'id=3 addr=127.0.0.1:1 laddr=127.0.0.1:2 fd=11 name= user=default lib-name= lib-ver=')", 'r', 'replica.replicaof', {}],
    ["* PRIMARY MODE enabled (user request from 'id=3 addr=127.0.0.1:1 laddr=127.0.0.1:2 fd=11 name= user=default lib-name= lib-ver=')", 'r', 'replica.primary_mode', {}],
    ['# Dual channel replication: Failed to stream local replication buffer into memory', 'r', 'replica.stream_failed', {}],
    ['* RDB signature and version check passed. Flushing old data', 'r', 'known-ignored', {}],
  ];
  for (const [line, side, kind, fields] of cases) {
    it(`${kind} ← ${line.slice(2, 70)}`, () => {
      const files = side === 'p' ? [{ file: 'p.log', content: primaryWith(line) }] : [{ file: 'r.log', content: replicaWith(line) }];
      const r = readValkeyLogTexts(files);
      const ev = r.events.find((e) => e.line === 8)!;
      expect(ev.kind).toBe(kind);
      expect(ev.fields).toEqual(fields);
    });
  }
  it('8.1+ prefixed lines and the upper-case "PRIMARY <-> REPLICA" of 8.1 are recognised', () => {
    const r = readValkeyLogTexts([{ file: 'r.log', content: replicaWith(
      '* Dual channel replication: PSYNC is not possible, initialize RDB channel.',
      '* Dual channel replication: Trying a partial resynchronization using main channel (request c4be0d555d61ce3b5a7b32284d4b1b9f1acd15aa:1).',
      '* Dual channel replication: PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization, RDB load in background.',
      '* <Dual Channel> Aborting dual channel sync',
      '* PSYNC is not possible, initialize RDB channel.',
    ) }]);
    expect(kinds(r.events)).toEqual(['replica.dualchannel_offered', 'replica.main_psync', 'replica.continue', 'replica.abort', 'replica.dualchannel_offered']);
    expect(r.events.filter((e) => e.prefix !== undefined).map((e) => e.prefix)).toEqual(['Dual channel replication: ', 'Dual channel replication: ', 'Dual channel replication: ', '<Dual Channel> ']);
    expect(r.events.find((e) => e.kind === 'replica.continue')!.fields).toEqual({ background: true });
  });
  it('known but irrelevant lines are known-ignored (Accepted, Client closed connection, DEBUG LOG, Fork CoW)', () => {
    const r = readValkeyLogTexts([{ file: 'p.log', content: primaryWith(
      '- Accepted 127.0.0.1:34774',
      '- Client closed connection id=5 addr=127.0.0.1:41314 laddr=127.0.0.1:21000 fd=10 name=poller age=1 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1920 events=r cmd=info user=default redir=-1 resp=2 lib-name= lib-ver= tot-net-in=1 tot-net-out=1 tot-cmds=1',
      '# DEBUG LOG: DRIVER: about to CLIENT KILL',
      '. Total: 3 clients connected (2 replicas), 2361208 (2.25M) bytes in use',
    ) + '101:C 25 Nov 2026 09:00:01.000 * Fork CoW for RDB: current 1 MB, peak 1 MB, average 0 MB\n' }]);
    expect(r.events.slice(-5).map((e) => [e.kind, e.rule])).toEqual([
      ['known-ignored', 'ACCEPTED'], ['known-ignored', 'CLIENT_CLOSED'], ['known-ignored', 'DEBUG_LOG_MARK'], ['known-ignored', 'CLIENTS_TOTAL'], ['known-ignored', 'FORK_COW'],
    ]);
    expect(r.events.at(-1)).toMatchObject({ child: true, pid: 101, conn: 'child' });
    expect(r.events.find((e) => e.rule === 'DEBUG_LOG_MARK')!.extra).toEqual({ text: 'DRIVER: about to CLIENT KILL' });
    expect(r.warnings).toEqual([]);
  });
  it('unknown replication-looking lines become warnings with file:line; unrelated lines are skipped', () => {
    const r = readValkeyLogTexts([{ file: 'r.log', content: replicaWith(
      '* Dual channel replication: Something new about the rdb channel',
      '* Primary is doing something we never saw',
      '* DB saved on disk',
    ) }]);
    expect(r.warnings.map((w) => [w.file, w.line])).toEqual([['r.log', 8], ['r.log', 9]]);
    expect(r.warnings[0]!.message).toMatch(/unrecognised replication-related message/);
  });
  it('a disk-target fork for SYNC: its "Background saving" lines are the replication child; a BGSAVE of its own is not', () => {
    const r = readValkeyLogTexts([{ file: 'p.log', content: primaryWith(
      '* Starting BGSAVE for SYNC with target: disk using: normal sync',
      '* Background saving started by pid 77',
      '* Background saving terminated with success',
      '* Background saving started by pid 78',
      '* Background saving terminated with success',
    ) }]);
    expect(r.events.slice(-5).map((e) => [e.kind, e.rule])).toEqual([
      ['primary.bgsave_start', 'P_BGSAVE_FOR_SYNC'], ['primary.child_started', 'P_DISK_CHILD_STARTED'], ['primary.child_done', 'P_DISK_CHILD_DONE'],
      ['known-unmapped', 'P_DISK_CHILD_STARTED_NOT_FOR_SYNC'], ['known-unmapped', 'P_DISK_CHILD_DONE_NOT_FOR_SYNC'],
    ]);
    expect(r.events.find((e) => e.kind === 'primary.bgsave_start')!.fields).toEqual({ mode: 'normal', target: 'disk' });
    expect(r.events.find((e) => e.kind === 'primary.child_done')!.fields).toEqual({ ok: true });
  });
  it('relevant messages with no vocabulary kind are counted once per rule as a warning', () => {
    const r = readValkeyLogTexts([{ file: 'p.log', content: primaryWith(
      '* Delay next BGSAVE for diskless SYNC',
      '* Delay next BGSAVE for diskless SYNC',
    ) }]);
    expect(r.events.filter((e) => e.kind === 'known-unmapped')).toHaveLength(2);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toMatch(/^2 line\(s\).*P_BGSAVE_DELAY/);
  });
  it('a main-channel handshake failure is a replica.handshake_failed event; its read-error detail line is ignored', () => {
    const r = readValkeyLogTexts([{ file: 'r.log', content: replicaWith(
      '# Failed to read response from the server: Connection reset by peer',
      '# Primary did not reply to PSYNC, will try later',
    ) }]);
    expect(r.events.filter((e) => e.kind === 'replica.handshake_failed').map((e) => e.line)).toEqual([9]);
    expect(r.events.filter((e) => e.kind === 'known-ignored' && e.rule === 'R_READ_RESPONSE_FAILED')).toHaveLength(1);
  });
});

describe('log levels', () => {
  it('levelOfKind: debug-only kinds, verbose kinds, notice kinds', () => {
    expect(levelOfKind('primary.rdb_pinned')).toBe('debug');
    expect(levelOfKind('primary.main_matched')).toBe('debug');
    expect(levelOfKind('replica.rdb_channel_connected')).toBe('debug');
    expect(levelOfKind('primary.rdb_free_postponed')).toBe('verbose');
    expect(levelOfKind('replica.main_closed')).toBe('verbose');
    expect(levelOfKind('primary.endoff_sent')).toBe('notice');
    expect(levelOfKind('primary.cob_overflow')).toBe('warning');
    expect(levelOfKind('primary.client_killed')).toBeUndefined();
    expect(levelOfKind('env.tick')).toBeUndefined();
  });
  it('a notice-level log is known to lack the debug and verbose kinds', () => {
    const notice = observableKinds('notice');
    expect(notice).toContain('primary.endoff_sent');
    expect(notice).not.toContain('primary.rdb_pinned');
    expect(notice).not.toContain('replica.main_closed');
    expect(observableKinds('debug').length).toBeGreaterThan(notice.length);
    for (const k of observableKinds('debug')) expect(KIND_NAMES).toContain(k);
  });
  it('a level that changed between versions: "Provisional primary closed connection" is verbose in 8.0, warning from 8.1 on', () => {
    expect(levelOfKind('replica.main_closed', '8.0.1')).toBe('verbose');
    expect(levelOfKind('replica.main_closed', '8.1.1')).toBe('notice'); // "Error reading from primary" (8.0 only) still counts
    expect(levelOfKind('replica.main_closed', '9.1.2')).toBe('notice');
    expect(observableKinds('notice', 'replica', '8.0.1')).not.toContain('replica.main_closed');
    expect(observableKinds('notice', 'replica', '8.1.1')).toContain('replica.main_closed');
    expect(observableKinds('notice', 'replica', '10.0.0')).toContain('replica.main_closed');
    const banner = (v: string) => [
      `1:M 01 Jan 2026 00:00:00.000 * Valkey version=${v}, bits=64, commit=00000000, modified=0, pid=1, just started`,
      '1:M 01 Jan 2026 00:00:00.001 * Running mode=standalone, port=7001.',
      '1:S 01 Jan 2026 00:00:00.002 * Connecting to PRIMARY 127.0.0.1:7000',
    ].join('\n');
    const primary = '2:M 01 Jan 2026 00:00:00.000 * Running mode=standalone, port=7000.';
    const seen = (v: string) => readValkeyLogTexts([{ file: 'p.log', content: primary }, { file: 'r.log', content: banner(v) }]).observedKinds;
    expect(seen('8.0.1')).not.toContain('replica.main_closed');
    expect(seen('8.1.1')).toContain('replica.main_closed');
  });
  it('a 9.1.2 notice log (chaos seed 379) observes the "Provisional primary closed connection" it holds', () => {
    const r = readValkeyLogs(['traces/chaos/main-eof-before-bio-912/primary.log', 'traces/chaos/main-eof-before-bio-912/replica1.log']);
    expect(r.observedKinds).toContain('replica.main_closed');
    expect(r.events.filter((e) => e.kind === 'replica.main_closed').map((e) => e.line)).toEqual([20]);
  });
  it('"PRIMARY timeout: no data nor PING received..." is replica.timeout, phase connected', () => {
    const r = readValkeyLogs(['traces/chaos/primary-timeout-connected/primary.log', 'traces/chaos/primary-timeout-connected/replica1.log']);
    const t = r.events.filter((e) => e.kind === 'replica.timeout');
    expect(t.map((e) => [e.line, e.extra.phase])).toEqual([[45, 'connected']]);
  });
  it('observedKinds judges each side by its own file level', () => {
    const r = readValkeyLogTexts(runLogs('s4-kill-replica-load-1')); // primary debug, replica notice
    expect(r.minLevel).toBe('notice');
    expect(r.observedKinds).toContain('primary.rdb_pinned');
    expect(r.observedKinds).not.toContain('replica.rdb_channel_connected');
    expect(r.observedKinds).toContain('replica.continue');
  });
});

describe('real 8.0.1 captures (traces/valkey-8.0.1/*)', async () => {
  const { existsSync, readdirSync } = await import('node:fs');
  const { readValkeyLogs } = await import('../../../conformance/valkeylog/index.js');
  const root = 'traces/valkey-8.0.1';
  const scenarios = existsSync(root) ? readdirSync(root).filter((s) => existsSync(`${root}/${s}/primary.log`)) : [];
  it.skipIf(scenarios.length === 0)('every scenario reads without unrecognised replication lines, and the captures cover most kinds', () => {
    const seen = new Set<string>();
    for (const s of scenarios) {
      const files = readdirSync(`${root}/${s}`).filter((f) => f.endsWith('.log') && f !== 'driver.log').map((f) => `${root}/${s}/${f}`);
      const r = readValkeyLogs(files);
      expect(r.warnings.filter((w) => /unrecognised|malformed|truncated|not classified/.test(w.message)), s).toEqual([]);
      expect(r.nodes[0]!.name, s).toBe('primary');
      for (const e of r.events) if (e.kind !== 'known-ignored' && e.kind !== 'known-unmapped') seen.add(e.kind);
    }
    for (const k of ['primary.endoff_sent', 'primary.rdb_pinned', 'primary.main_matched', 'primary.psync_accepted', 'primary.cob_overflow', 'primary.bgsave_wait',
      'primary.rdb_free_postponed', 'primary.grace_expired', 'primary.rdb_unlinked', 'primary.rdb_attached', 'primary.fullresync',
      'replica.main_psync', 'replica.continue', 'replica.abort', 'replica.rdb_failed', 'replica.local_buffer_limit', 'replica.psync_after_load', 'replica.partial_resync', 'replica.start']) {
      expect(seen, k).toContain(k);
    }
  });
});

describe('the debug "[PSYNC]" lines of an accepted PSYNC (real 8.0.1 capture, kill-rdb-channel)', () => {
  const dir = new URL('../../../traces/valkey-8.0.1/kill-rdb-channel/', import.meta.url);
  const text = (f: string): string => readFileSync(new URL(f, dir), 'utf8');
  const accepted = (primary: string) => readValkeyLogTexts([{ file: 'primary.log', content: primary }, { file: 'replica.log', content: text('replica.log') }])
    .events.filter((e) => e.kind === 'primary.psync_accepted').map((e) => ({ line: e.line, fields: e.fields }));
  it('are merged into the record of the "accepted" line after them: request offset, first byte (also as request − skip), history end', () => {
    expect(accepted(text('primary.log'))).toEqual([
      { line: 31, fields: { offset: 1, primaryOffset: 0, requestOffset: 1 } }, // "Backlog history len is zero"
      { line: 55, fields: { offset: 100498, primaryOffset: 100497, requestOffset: 100498, backlogFirst: 1, backlogFirstBySkip: 1, backlogEnd: 100497 } },
    ]);
  });
  it('are dropped when another line of the same process comes between them and the "accepted" line', () => {
    const lines = text('primary.log').split('\n');
    const other = lines[53]!.replace(/\[PSYNC\] Skipping: \d+/, 'Done loading RDB, keys loaded: 0, keys expired: 0.');
    expect(lines[53]).toMatch(/\[PSYNC\] Skipping: /);
    const cut = [...lines.slice(0, 54), other, ...lines.slice(54)].join('\n');
    expect(accepted(cut)[1]).toEqual({ line: 56, fields: { offset: 100498, primaryOffset: 100497 } });
  });
});
