// The closed vocabulary of trace events: every kind a trace line may carry, the node that emits
// it, and its fields. Model actions emit these (model/observe.ts), the Valkey log reader produces
// them (conformance/valkeylog/), spec/trace.schema.json is generated from this table, and
// spec/trace.md documents it. One table, so the three cannot drift apart.

export type FieldType = 'int' | 'string' | 'bool';

export interface KindDef {
  /** "primary" or "replica": which kind of node logs it. "env" for driver/environment steps. */
  readonly node: 'primary' | 'replica' | 'env';
  /** Connection the event belongs to, when the kind fixes it. */
  readonly conn?: 'main' | 'rdb' | 'child' | 'other';
  readonly fields: Readonly<Record<string, { type: FieldType; required: boolean; doc: string }>>;
  readonly doc: string;
}

const f = (type: FieldType, doc: string, required = true) => ({ type, required, doc });

export const KINDS = {
  // ---- replica side -------------------------------------------------------------------------
  'replica.start': { node: 'replica', fields: { persisted: f('bool', 'a persisted RDB with replid/offset was loaded at start', false) }, doc: 'replica process (re)started' },
  'replica.connect': { node: 'replica', conn: 'main', fields: {}, doc: 'main channel connection attempt begins' },
  'replica.psync': { node: 'replica', conn: 'main', fields: { offset: f('int', 'requested offset (cached offset + 1), -1 for PSYNC ? -1'), replid: f('string', 'the replication id asked for (absent for PSYNC ? -1)', false) }, doc: 'first PSYNC of an attempt on the main channel' },
  'replica.dualchannel_offered': { node: 'replica', conn: 'main', fields: {}, doc: '+DUALCHANNELSYNC received; rdb channel opens' },
  'replica.rdb_channel_connected': { node: 'replica', conn: 'rdb', fields: {}, doc: 'rdb channel connected, REPLCONF + SYNC sent' },
  'replica.set_id_rejected': { node: 'replica', conn: 'main', fields: {}, doc: 'REPLCONF set-rdb-client-id answered with an error' },
  'replica.main_psync': { node: 'replica', conn: 'main', fields: { offset: f('int', 'ENDOFF + 1'), replid: f('string', 'the replication id the primary sent with $ENDOFF (its current one)', false) }, doc: 'PSYNC <replid> <ENDOFF+1> on the main channel after $ENDOFF' },
  'replica.continue': { node: 'replica', conn: 'main', fields: { background: f('bool', 'RDB still loading ("RDB load in background")') }, doc: '+CONTINUE for the main-channel PSYNC of a dual-channel sync' },
  'replica.fullresync': { node: 'replica', conn: 'main', fields: { offset: f('int', 'offset of the classic full sync snapshot'), replid: f('string', 'the replication id of +FULLRESYNC (the primary\'s current one)', false) }, doc: '+FULLRESYNC: classic single-channel full sync' },
  'replica.partial_resync': { node: 'replica', conn: 'main', fields: {}, doc: '+CONTINUE for a plain PSYNC: genuine partial resync' },
  'replica.rdb_receiving': { node: 'replica', fields: { to: f('string', 'disk (a temp file, then dump.rdb) or parser (diskless load: loaded straight from the socket)', false) }, doc: 'first RDB bytes arrived (rdb channel, or main channel for classic sync)' },
  'replica.load_start': { node: 'replica', fields: {}, doc: 'RDB download complete, blocking load begins' },
  'replica.load_done': { node: 'replica', fields: {}, doc: 'RDB loaded' },
  'replica.local_buffer_limit': { node: 'replica', conn: 'main', fields: {}, doc: 'local buffer reached its limit; replica stops reading the main channel' },
  'replica.buffer_streamed': { node: 'replica', fields: {}, doc: 'local buffer applied after the load (dual-channel success)' },
  'replica.psync_after_load': { node: 'replica', conn: 'main', fields: {}, doc: '+CONTINUE arrived after the RDB was already loaded' },
  'replica.sync_finished': { node: 'replica', fields: {}, doc: '"PRIMARY <-> REPLICA sync: Finished with success"' },
  'replica.primary_lost': { node: 'replica', conn: 'main', fields: {}, doc: 'steady-state link to the primary lost' },
  'replica.main_closed': { node: 'replica', conn: 'main', fields: {}, doc: 'main channel EOF noticed while buffering (provisional primary closed)' },
  'replica.rdb_failed': { node: 'replica', conn: 'rdb', fields: {}, doc: 'rdb channel transfer failed (I/O error, error reply, short read)' },
  'replica.handshake_failed': { node: 'replica', conn: 'main', fields: {}, doc: 'the main-channel handshake failed (e.g. "Primary did not reply to PSYNC, will try later"); the replica reconnects' },
  'replica.timeout': { node: 'replica', fields: {}, doc: 'repl-timeout fired during handshake or transfer, or on a connected replica ("PRIMARY timeout", phase connected)' },
  'replica.abort': { node: 'replica', fields: { result: f('int', 'psync result code in "Main channel psync result N" (6 = refused, -1 = set-rdb-client-id rejected)', false) }, doc: '"Aborting dual channel sync"' },
  'replica.replicaof': { node: 'replica', conn: 'main', fields: {}, doc: '"REPLICAOF <host>:<port> enabled": the node is told to replicate (it connects at once)' },
  'replica.primary_mode': { node: 'replica', fields: {}, doc: '"PRIMARY MODE enabled": REPLICAOF NO ONE, the node stops replicating' },
  'replica.stream_failed': { node: 'replica', fields: {}, doc: '"Failed to stream local replication buffer into memory": REPLICAOF NO ONE came while the local buffer was applied' },
  'replica.config_set': { node: 'replica', fields: { dual: f('bool', 'new value of the replica\'s dual-channel-replication-enabled', false), disklessLoad: f('bool', 'new value of the replica\'s repl-diskless-load (true: load from the socket)', false) }, doc: 'CONFIG SET dual-channel-replication-enabled or repl-diskless-load on the replica (simulated traces, or a driver log)' },
  // ---- primary side -------------------------------------------------------------------------
  'primary.sync_request': { node: 'primary', fields: {}, doc: '"Replica … asks for synchronization" (PSYNC or SYNC, either channel)' },
  'primary.psync_refused': { node: 'primary', conn: 'main', fields: { reason: f('string', 'no-cache | replid | backlog'), offset: f('int', 'requested offset (reason backlog)', false), requestedReplid: f('string', 'the id the replica asked for (a replication id mismatch; 9.1+ also for lack of backlog)', false), primaryOffset: f('int', 'the primary\'s replication offset when it logged the line (9.1+ lack of backlog: the end of the range it can reply with, minus one)', false), replid: f('string', 'the primary\'s replication id (a replication id mismatch)', false), replid2: f('string', 'the primary\'s second replication id (a replication id mismatch)', false) }, doc: 'partial resync not possible' },
  'primary.dualchannel_offered': { node: 'primary', conn: 'main', fields: {}, doc: '+DUALCHANNELSYNC sent on the main channel' },
  'primary.backlog_created': { node: 'primary', fields: { replid: f('string', 'the new replication id', false), replid2: f('string', 'the new second replication id (cleared: all zeros)', false) }, doc: 'replication backlog created (new replid)' },
  'primary.bgsave_start': { node: 'primary', fields: { mode: f('string', 'dual-channel | normal'), target: f('string', 'socket | disk', false) }, doc: 'fork for replication' },
  'primary.dual_capa_ignored': { node: 'primary', conn: 'main', fields: {}, doc: '"Dual channel capability ignored: repl-diskless-sync disabled" (9.1+, #3051): the replica announced capa dual-channel' },
  'primary.bgsave_wait': { node: 'primary', fields: {}, doc: 'a socket fork child is running; the new sync waits for the next one' },
  'primary.bgsave_attached': { node: 'primary', fields: {}, doc: '"Waiting for end of BGSAVE for SYNC": a classic full sync shares the running disk-target BGSAVE of another waiting replica' },
  'primary.endoff_sent': { node: 'primary', conn: 'rdb', fields: { endoff: f('int', 'RDB end offset'), cid: f('int', 'rdb client id'), primaryOffset: f('int', 'the primary\'s replication offset when it logged the line (= endoff)', false) }, doc: '$ENDOFF sent on the rdb channel' },
  'primary.rdb_pinned': { node: 'primary', conn: 'rdb', fields: { cid: f('int', 'rdb client id'), tracking: f('bool', 'a backlog tail block existed to pin') }, doc: 'rdb client added to replicas_waiting_psync' },
  'primary.rdb_attached': { node: 'primary', conn: 'rdb', fields: { cid: f('int', 'rdb client id') }, doc: 'waiting rdb client attached to the first new block' },
  'primary.main_matched': { node: 'primary', conn: 'main', fields: { cid: f('int', 'rdb client id the main channel matched') }, doc: 'main-channel PSYNC matched and unpinned the rdb client' },
  'primary.rdb_unlinked': { node: 'primary', conn: 'rdb', fields: { cid: f('int', 'rdb client id') }, doc: 'waiting rdb client freed without a PSYNC' },
  'primary.psync_accepted': {
    node: 'primary', conn: 'main',
    fields: {
      offset: f('int', 'first offset sent'),
      primaryOffset: f('int', 'the primary\'s replication offset when it logged the line (offset + bytes sent − 1)', false),
      // the debug-level "[PSYNC] …" lines addReplyReplicationBacklog logs just before (the same call)
      requestOffset: f('int', '"[PSYNC] Replica request offset" (debug level): the offset asked for, again', false),
      backlogFirst: f('int', '"[PSYNC] First byte" (debug level): the backlog\'s first offset', false),
      backlogFirstBySkip: f('int', 'the request offset minus "[PSYNC] Skipping" (debug level): the backlog\'s first offset as the skip gives it', false),
      backlogEnd: f('int', '"[PSYNC] First byte" + "[PSYNC] History len" − 1 (debug level, history not empty): the backlog\'s last offset, the primary\'s replication offset', false),
    },
    doc: '+CONTINUE: partial resync accepted (dual-channel main PSYNC or genuine)',
  },
  'primary.fullresync': { node: 'primary', conn: 'main', fields: {}, doc: 'classic full resync (the main client waits for a fork)' },
  'primary.child_started': { node: 'primary', conn: 'child', fields: {}, doc: 'RDB fork child started' },
  'primary.child_done': { node: 'primary', conn: 'child', fields: { ok: f('bool', 'child exited with success') }, doc: 'RDB fork child exited' },
  'primary.fork_failed': { node: 'primary', conn: 'child', fields: {}, doc: 'fork failed: BGSAVE for replication failed' },
  'primary.rdb_streamed': { node: 'primary', fields: {}, doc: 'RDB fully sent to a replica (socket)' },
  'primary.rdb_channel_closed': { node: 'primary', conn: 'rdb', fields: {}, doc: 'rdb channel client freed' },
  'primary.rdb_free_postponed': { node: 'primary', conn: 'rdb', fields: { cid: f('int', 'rdb client id') }, doc: 'protected rdb client kept for the grace period' },
  'primary.grace_expired': { node: 'primary', conn: 'rdb', fields: { cid: f('int', 'rdb client id') }, doc: 'grace period over; rdb client freed' },
  'primary.replica_online': { node: 'primary', conn: 'main', fields: {}, doc: 'full sync complete (first ACK)' },
  'primary.replica_lost': { node: 'primary', conn: 'main', fields: {}, doc: 'main-channel (or classic replica) client freed' },
  'primary.cob_overflow': { node: 'primary', fields: { cid: f('int', 'client id'), class: f('string', 'replica | normal | pubsub | monitor'), cmd: f('string', 'last command of the client (sync, psync, replconf, …)', false) }, doc: 'client closed for overcoming of output buffer limits' },
  'primary.client_killed': { node: 'primary', fields: { cid: f('int', 'client id') }, doc: 'CLIENT KILL of a replication connection' },
  'primary.write': { node: 'primary', fields: {}, doc: 'a client write propagated to the replication stream (simulated traces only)' },
  'primary.stream_sent': { node: 'primary', conn: 'main', fields: {}, doc: 'one write of the stream written to a main-channel socket (simulated traces only)' },
  'primary.setid_reply': { node: 'primary', conn: 'main', fields: { ok: f('bool', '+OK (true) or -ERR Unrecognized RDB client id (false)') }, doc: 'reply to REPLCONF set-rdb-client-id (simulated traces only; Valkey does not log it)' },
  'primary.rdb_eof': { node: 'primary', conn: 'rdb', fields: {}, doc: 'the primary reads the EOF of an rdb channel the replica has closed (simulated traces only; Valkey logs what follows: a postponed or freed client)' },
  'primary.child_flushed': { node: 'primary', conn: 'child', fields: {}, doc: 'the fork child has written the whole RDB to one replica\'s socket (simulated traces only)' },
  'primary.ack': { node: 'primary', conn: 'main', fields: {}, doc: 'a REPLCONF ACK read that changes nothing (simulated traces only)' },
  'primary.config_set': { node: 'primary', fields: { dual: f('bool', 'new value of dual-channel-replication-enabled', false), disklessSync: f('bool', 'new value of repl-diskless-sync', false) }, doc: 'CONFIG SET dual-channel-replication-enabled or repl-diskless-sync on the primary (simulated traces, or a driver log)' },
  'replica.stream_read': { node: 'replica', conn: 'main', fields: { buffered: f('bool', 'into the local buffer (true) or applied (false)') }, doc: 'one write read from the main channel (simulated traces only)' },
  'replica.load_progress': { node: 'replica', fields: {}, doc: 'the blocking load reached a yield point (simulated traces only)' },
  'replica.crash': { node: 'replica', fields: {}, doc: 'the replica process died (kill -9)' },
  // ---- environment ---------------------------------------------------------------------------
  'env.tick': { node: 'env', fields: {}, doc: 'one tick of time (simulated traces only)' },
} as const satisfies Record<string, KindDef>;

export type Kind = keyof typeof KINDS;

/** Primary-side kinds that concern one replica carry its node name in the optional field "replica". */
export const GLOBAL_PRIMARY_KINDS: readonly string[] = ['primary.write', 'primary.config_set', 'primary.bgsave_start', 'primary.child_started', 'primary.child_done', 'primary.fork_failed', 'primary.backlog_created'];
export const REPLICA_FIELD = { type: 'string', required: false, doc: 'the replica node this primary event is about (Valkey logs its ip:port or client id)' } as const;

/** The fields of a kind, including the implicit "replica" field of per-replica primary kinds. */
export function fieldsOf(kind: Kind): Readonly<Record<string, { type: FieldType; required: boolean; doc: string }>> {
  const def: KindDef = KINDS[kind];
  if (def.node === 'primary' && !GLOBAL_PRIMARY_KINDS.includes(kind)) return { ...def.fields, replica: REPLICA_FIELD };
  return def.fields;
}
export const KIND_NAMES = Object.keys(KINDS) as Kind[];
