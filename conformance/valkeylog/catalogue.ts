// The regex catalogue: every replication-relevant Valkey 8.0.1 log message (checked against
// src/replication.c, src/networking.c, src/rdb.c, src/server.c, src/childinfo.c, src/debug.c and
// src/socket.c of valkey-io/valkey at tag 8.0.1) mapped to a vocabulary kind, to `known-ignored`
// (known and irrelevant to the model, or fully implied by a neighbouring line), or to
// `known-unmapped` (relevant, but the vocabulary has no kind for it: reported once per rule and
// file as a warning).
//
// Regexes apply to the message with any 8.1+ "Dual channel replication: " / "<Dual Channel> "
// prefix removed. `level` is the level the source logs the message at, i.e. the loglevel a server
// needs for the message to appear.
import type { Kind } from '../../model/vocabulary.js';
import type { Level } from './lines.js';

export type Side = 'primary' | 'replica' | 'any';
export type FieldValue = number | string | boolean;
export type Groups = Readonly<Record<string, string | undefined>>;
export type Classification = Kind | 'known-ignored' | 'known-unmapped';

export interface Rule {
  /** Catalogue id (the event names of valkey-real-runs.md §5 where one exists). */
  readonly id: string;
  /** Which node logs it. 'any' = either. */
  readonly side: Side;
  /** Level the message is logged at (the minimum loglevel needed to see it). */
  readonly level: Level;
  /**
   * Where a later version logs the message at another level: from `version` ("major.minor") on,
   * at `level`. A log whose start-up line names no version is judged by the more verbose of the two.
   */
  readonly levelSince?: { readonly version: string; readonly level: Level };
  readonly re: RegExp;
  readonly kind: Classification;
  /** Vocabulary fields of the kind. */
  readonly fields?: (g: Groups) => Record<string, FieldValue>;
  /** Other captured values (replid, byte counts, …). */
  readonly extra?: (g: Groups) => Record<string, FieldValue>;
  /** The message names a replica (group `rn`) that should be attributed to a replica node. */
  readonly names?: boolean;
  /** Connection the message concerns when the rule fixes it and the vocabulary kind does not. */
  readonly conn?: 'main' | 'rdb' | 'child' | 'other';
  readonly note?: string;
}

/** replicationGetReplicaName(): "<ip>:<listening-port>", "<ip>:<unknown-replica-port>", or "client id #N". */
const RN = String.raw`(?<rn>(?:\[[^\]]*\]|[^\s:()']+):(?:\d+|<unknown-replica-port>)|client id #\d+)`;
const ID = String.raw`[0-9a-fA-F?]+`;
const r = (s: string, flags = ''): RegExp => new RegExp(s.replace(/RN/g, RN), flags);
const int = (s: string | undefined): number => Number.parseInt(s ?? '', 10);

/** PSYNC result codes (replication.c PSYNC_*), by the names 8.1+ prints after "-1". */
const PSYNC_RESULTS: Readonly<Record<string, number>> = {
  PSYNC_WRITE_ERROR: 0, PSYNC_WAIT_REPLY: 1, PSYNC_CONTINUE: 2, PSYNC_FULLRESYNC: 3, PSYNC_NOT_SUPPORTED: 4, PSYNC_TRY_LATER: 5, PSYNC_FULLRESYNC_DUAL_CHANNEL: 6,
};
/** 8.0.1 prints the code; 8.1+ prints -1 and then the name, an error reply ("-ERR …": the failure came before the PSYNC) or nothing. */
function psyncResult(code: number, what: string | undefined): number {
  const name = what?.trim() ?? '';
  return code === -1 && name in PSYNC_RESULTS ? PSYNC_RESULTS[name]! : code;
}

export const COB_RE =
  /^Client (?<info>id=\d+ .*?)(?: (?<how>scheduled to be closed ASAP|closed) for overcoming of output buffer limits\.)?$/;

export const RULES: readonly Rule[] = [
  // ================================================================ primary side (role M)
  { id: 'P_SYNC_REQUEST', side: 'primary', level: 'notice', kind: 'primary.sync_request', names: true,
    re: r('^Replica RN asks for synchronization$') },
  { id: 'P_SYNC_WRONG_OFFSET', side: 'primary', level: 'warning', kind: 'known-unmapped', names: true,
    re: r('^Replica RN asks for synchronization but with a wrong offset$'), note: 'PSYNC with an unparsable offset; no reply beyond an error' },
  { id: 'P_PSYNC_REPLID_MISMATCH', side: 'primary', level: 'notice', kind: 'primary.psync_refused', conn: 'main',
    re: r(String.raw`^Partial resynchronization not accepted: Replication ID mismatch \(Replica asked for '(?<req>[^']*)', my replication IDs are '(?<replid>\w+)' and '(?<replid2>\w+)'\)$`),
    fields: (g) => ({ reason: 'replid', requestedReplid: g.req ?? '', replid: g.replid ?? '', replid2: g.replid2 ?? '' }) },
  { id: 'P_PSYNC_SECOND_ID_OFFSET', side: 'primary', level: 'notice', kind: 'primary.psync_refused', conn: 'main',
    re: /^Partial resynchronization not accepted: Requested offset for second ID was (?<offset>-?\d+), but I can reply up to (?<upto>-?\d+)$/,
    fields: () => ({ reason: 'replid' }), extra: (g) => ({ requestedOffset: int(g.offset), secondIdUpTo: int(g.upto) }),
    note: 'replid2 matched but the offset is past second_replid_offset: reported as reason "replid"' },
  { id: 'P_FULL_RESYNC_REQUESTED', side: 'primary', level: 'notice', kind: 'primary.psync_refused', conn: 'main', names: true,
    re: r('^Full resync requested by replica RN$'), fields: () => ({ reason: 'no-cache' }) },
  { id: 'P_PSYNC_LACK_OF_BACKLOG', side: 'primary', level: 'notice', kind: 'primary.psync_refused', conn: 'main', names: true,
    // 8.x: "(Replica request was: N)."; 9.1 (#2877/#2886): "(Replica request was <replid>:N, and I can only reply with the range [A, B])." or, without a backlog, "(Replica request was: <replid>:N)."
    re: r(String.raw`^Unable to partial resync with replica RN for lack of backlog \(Replica request was:? (?:(?<req>[0-9a-fA-F?]+):)?(?<offset>-?\d+)(?:, and I can only reply with the range \[(?<lo>-?\d+), (?<hi>-?\d+)\])?\)\.$`),
    // the range's end is repl_backlog->offset + histlen = the primary's replication offset + 1
    fields: (g) => ({ reason: 'backlog', offset: int(g.offset), ...(g.req !== undefined && g.req !== '?' ? { requestedReplid: g.req } : {}), ...(g.hi !== undefined ? { primaryOffset: int(g.hi) - 1 } : {}) }) },
  { id: 'P_PSYNC_OFFSET_TOO_HIGH', side: 'primary', level: 'warning', kind: 'known-ignored', names: true,
    re: r(String.raw`^Warning: replica RN tried to PSYNC with an offset (?:that is greater than the primary replication offset\.|\(-?\d+\) that is greater than the primary replication offset \(-?\d+\))$`),
    note: 'detail of the preceding "lack of backlog" refusal' },
  { id: 'P_DUALCHANNEL_OFFERED', side: 'primary', level: 'notice', kind: 'primary.dualchannel_offered', names: true,
    re: r(String.raw`^Replica RN is capable of dual channel synchronization, and partial sync isn't possible\. Full sync will continue with dedicated RDB channel\.$`) },
  { id: 'P_BACKLOG_CREATED', side: 'primary', level: 'notice', kind: 'primary.backlog_created',
    re: /^Replication backlog created, my new replication IDs are '(?<replid>\w+)' and '(?<replid2>\w+)'$/,
    fields: (g) => ({ replid: g.replid ?? '', replid2: g.replid2 ?? '' }) },
  { id: 'P_BGSAVE_FOR_SYNC', side: 'primary', level: 'notice', kind: 'primary.bgsave_start',
    re: /^Starting BGSAVE for SYNC with target: (?<target>replicas sockets|disk) using: (?<mode>dual-channel|normal sync)$/,
    fields: (g) => ({ mode: g.mode === 'dual-channel' ? 'dual-channel' : 'normal', target: g.target === 'disk' ? 'disk' : 'socket' }) },
  { id: 'P_BGSAVE_WAIT_NEXT', side: 'primary', level: 'notice', kind: 'primary.bgsave_wait',
    re: /^Current BGSAVE has socket target\. Waiting for next BGSAVE for SYNC$/, extra: () => ({ cause: 'socket-child' }) },
  { id: 'P_BGSAVE_WAIT_NEXT_DISK', side: 'primary', level: 'notice', kind: 'primary.bgsave_wait',
    re: /^Can't attach the replica to the current BGSAVE\. Waiting for next BGSAVE for SYNC$/, extra: () => ({ cause: 'disk-child' }),
    note: 'disk-target child running that the replica cannot share' },
  { id: 'P_BGSAVE_WAIT_OTHER_CHILD', side: 'primary', level: 'notice', kind: 'primary.bgsave_wait',
    re: /^No BGSAVE in progress, but another BG operation is active\. BGSAVE for replication delayed$/, extra: () => ({ cause: 'other-child' }),
    note: 'an AOF rewrite or module fork is running' },
  { id: 'P_BGSAVE_ATTACH_DISK', side: 'primary', level: 'notice', kind: 'primary.bgsave_attached',
    re: /^Waiting for end of BGSAVE for SYNC$/, note: 'replica attached to a running disk-target BGSAVE (syncCommand CASE 1)' },
  { id: 'P_BGSAVE_DELAY', side: 'primary', level: 'notice', kind: 'known-unmapped',
    re: /^Delay next BGSAVE for diskless SYNC$/, note: 'repl-diskless-sync-delay > 0: fork postponed to replicationCron' },
  { id: 'P_ENDOFF_SENT', side: 'primary', level: 'notice', kind: 'primary.endoff_sent', names: true,
    re: r(String.raw`^Sending to replica RN RDB end offset (?<endoff>\d+) and client-id (?<cid>\d+)$`),
    fields: (g) => ({ endoff: int(g.endoff), cid: int(g.cid), primaryOffset: int(g.endoff) }) },
  { id: 'P_RDB_CLIENT_WAIT_PSYNC', side: 'primary', level: 'debug', kind: 'primary.rdb_pinned', names: true,
    re: r(String.raw`^Add rdb replica RN to waiting psync, with cid (?<cid>\d+), (?<track>tracking repl-backlog tail|no repl-backlog to track) ?$`),
    fields: (g) => ({ cid: int(g.cid), tracking: g.track === 'tracking repl-backlog tail' }) },
  { id: 'P_RDB_CLIENT_ATTACH_BLOCK', side: 'primary', level: 'debug', kind: 'primary.rdb_attached',
    re: /^Attach replica rdb client (?<cid>\d+) to repl buf block$/, fields: (g) => ({ cid: int(g.cid) }) },
  { id: 'P_MAIN_CHANNEL_MATCHED_RDB', side: 'primary', level: 'debug', kind: 'primary.main_matched', names: true,
    re: r(String.raw`^Remove psync waiting replica RN with cid (?<cid>\d+), repl buffer block (?<how>ref count decreased|doesn't exist)$`),
    fields: (g) => ({ cid: int(g.cid) }), extra: (g) => ({ blockExisted: g.how === 'ref count decreased' }) },
  { id: 'P_RDB_CLIENT_UNLINKED', side: 'primary', level: 'debug', kind: 'primary.rdb_unlinked', names: true,
    re: r(String.raw`^Remove psync waiting replica RN with cid (?<cid>\d+) from replicas rax\.$`), fields: (g) => ({ cid: int(g.cid) }) },
  { id: 'P_PSYNC_DEBUG', side: 'primary', level: 'debug', kind: 'known-ignored',
    re: /^\[PSYNC\] (?<what>Replica request offset|Backlog size|First byte|History len|Skipping|Backlog history len is zero)(?:: (?<value>-?\d+))?$/,
    extra: (g) => ({ what: g.what ?? '', ...(g.value !== undefined ? { value: int(g.value) } : {}) }) },
  { id: 'P_PSYNC_ACCEPTED', side: 'primary', level: 'notice', kind: 'primary.psync_accepted', names: true,
    re: r(String.raw`^Partial resynchronization request from RN accepted\. Sending (?<bytes>-?\d+) bytes of backlog starting from offset (?<offset>-?\d+)\.$`),
    // addReplyReplicationBacklog sends primary_repl_offset − offset + 1 bytes
    fields: (g) => ({ offset: int(g.offset), primaryOffset: int(g.offset) + int(g.bytes) - 1 }), extra: (g) => ({ bytes: int(g.bytes) }) },
  { id: 'P_RDB_CHILD_STARTED', side: 'primary', level: 'notice', kind: 'primary.child_started',
    re: /^Background RDB transfer started by pid (?<childpid>\d+) to (?<how>direct socket to replica|pipe through parent process)(?: while skipping RDB checksum for this transfer)?$/,
    extra: (g) => ({ childPid: int(g.childpid), dualChannel: g.how === 'direct socket to replica' }) },
  { id: 'P_RDB_CHILD_DONE', side: 'primary', level: 'notice', kind: 'primary.child_done',
    re: /^Background RDB transfer (?<result>terminated with success|error|terminated by signal (?<signal>\d+))$/,
    fields: (g) => ({ ok: g.result === 'terminated with success' }), extra: (g): Record<string, FieldValue> => (g.signal !== undefined ? { signal: int(g.signal) } : {}) },
  // a disk-target child (repl-diskless-sync no) logs as any BGSAVE: events.ts keeps these lines as
  // child_started / child_done only after "Starting BGSAVE for SYNC with target: disk"
  { id: 'P_DISK_CHILD_STARTED', side: 'primary', level: 'notice', kind: 'primary.child_started',
    re: /^Background saving started by pid (?<childpid>\d+)$/, extra: (g) => ({ childPid: int(g.childpid), target: 'disk' }) },
  { id: 'P_DISK_CHILD_DONE', side: 'primary', level: 'notice', kind: 'primary.child_done',
    re: /^Background saving (?<result>terminated with success|error|terminated by signal (?<signal>\d+))$/,
    fields: (g) => ({ ok: g.result === 'terminated with success' }), extra: (g): Record<string, FieldValue> => ({ target: 'disk', ...(g.signal !== undefined ? { signal: int(g.signal) } : {}) }) },
  { id: 'CHILD_DB_SAVED', side: 'any', level: 'notice', kind: 'known-ignored', re: /^DB saved on disk$/, note: 'logged by a disk-target fork child' },
  { id: 'P_DUAL_CAPA_IGNORED', side: 'primary', level: 'notice', kind: 'primary.dual_capa_ignored',
    re: /^Dual channel capability ignored: repl-diskless-sync disabled$/, note: '9.1+ (#3051): REPLCONF capa dual-channel while repl-diskless-sync is off' },
  { id: 'P_FORK_FAILED', side: 'primary', level: 'warning', kind: 'primary.fork_failed',
    re: /^BGSAVE for replication failed$/ },
  { id: 'P_FORK_ERRNO', side: 'any', level: 'warning', kind: 'known-ignored',
    re: /^Can't save in background: fork: (?<err>.*)$/, note: 'followed by "BGSAVE for replication failed" when the fork was for replication' },
  { id: 'P_BGSAVE_NO_RSI', side: 'primary', level: 'warning', kind: 'known-unmapped',
    re: /^BGSAVE for replication: replication information not available, can't generate the RDB file right now\. Try later\.$/ },
  { id: 'P_SYNC_FAILED_CHILD_ERROR', side: 'primary', level: 'warning', kind: 'known-ignored',
    re: /^SYNC failed\. BGSAVE child returned an error$/, note: 'consequence of child_done ok=false; the freed clients log their own lines' },
  { id: 'P_SYNC_FAILED_DISK', side: 'primary', level: 'warning', kind: 'known-unmapped',
    re: /^SYNC failed\. Can't open\/stat DB after BGSAVE: (?<err>.*)$/ },
  { id: 'P_PIPE_DONE', side: 'primary', level: 'notice', kind: 'known-ignored',
    re: /^Diskless rdb transfer, done reading from pipe, (?<up>\d+) replicas still up\.$/, note: 'normal (pipe) sync; per-replica "Streamed RDB transfer" lines follow' },
  { id: 'P_KILL_RDB_CHILD', side: 'primary', level: 'notice', kind: 'known-ignored', re: /^Killing running RDB child: \d+$/, note: '9.1: before the child is killed (the child_done line follows)' },
  { id: 'P_PIPE_LAST_REPLICA_DROPPED', side: 'primary', level: 'warning', kind: 'known-ignored',
    re: /^Diskless rdb transfer, last replica dropped, killing fork child\.$/, note: 'child_done follows' },
  { id: 'P_TRANSFER_WRITE_ERROR', side: 'primary', level: 'warning', kind: 'known-unmapped',
    re: /^(?:Diskless rdb transfer, (?:read error sending DB to replicas|write error sending DB to replica)|Write error sending RDB preamble to replica|Read error sending DB to replica|Write error sending DB to replica): (?<err>.*)$/,
    note: 'normal-sync (pipe or disk) transfer error' },
  { id: 'P_STREAMED_RDB_OK', side: 'primary', level: 'notice', kind: 'primary.rdb_streamed', names: true,
    re: r(String.raw`^Streamed RDB transfer with replica RN succeeded \(socket\)\. Waiting for REPLCONF ACK from replica to enable streaming$`) },
  { id: 'P_RDB_ONLY_DONE', side: 'primary', level: 'notice', kind: 'known-ignored', names: true, conn: 'rdb',
    re: r(String.raw`^RDB transfer completed, rdb only replica \(RN\) should be disconnected asap$`),
    note: 'the rdb client is scheduled for closing; "rdb channel disconnected" follows' },
  { id: 'P_RDB_CHANNEL_CLOSED', side: 'primary', level: 'notice', kind: 'primary.rdb_channel_closed', names: true,
    re: r(String.raw`^Replica RN rdb channel disconnected\.$`) },
  { id: 'P_RDB_CLIENT_FREE_POSTPONED', side: 'primary', level: 'verbose', kind: 'primary.rdb_free_postponed', names: true,
    re: r(String.raw`^Postpone RDB client id=(?<cid>\d+) \(RN\) free for (?<secs>-?\d+) seconds$`),
    fields: (g) => ({ cid: int(g.cid) }), extra: (g) => ({ seconds: int(g.secs) }) },
  { id: 'P_RDB_CLIENT_GRACE_EXPIRED', side: 'primary', level: 'notice', kind: 'primary.grace_expired',
    re: /^Replica main channel failed to establish PSYNC within the grace period \((?<secs>-?\d+) seconds\)\. Freeing RDB client (?<cid>\d+)\.$/,
    fields: (g) => ({ cid: int(g.cid) }), extra: (g) => ({ seconds: int(g.secs) }) },
  { id: 'P_REPLICA_ONLINE', side: 'primary', level: 'notice', kind: 'primary.replica_online', names: true,
    re: r('^Synchronization with replica RN succeeded$') },
  { id: 'P_REPLICA_LOST', side: 'primary', level: 'notice', kind: 'primary.replica_lost', names: true,
    re: r(String.raw`^Connection with replica RN lost\.$`) },
  { id: 'P_REPLICA_TIMEDOUT', side: 'primary', level: 'warning', kind: 'known-ignored', names: true,
    re: r(String.raw`^Disconnecting timedout replica \((?<what>streaming sync|full sync)\): RN$`), note: 'replica_lost follows' },
  { id: 'P_BACKLOG_FREED', side: 'primary', level: 'notice', kind: 'known-unmapped',
    re: /^Replication backlog freed after (?<secs>\d+) seconds without connected replicas\.$/ },
  { id: 'P_LAGGING_REPLICA', side: 'primary', level: 'notice', kind: 'known-ignored', names: true,
    re: r(String.raw`^Lagging replica RN reported offset (?<lag>-?\d+) behind master, lag=\d+, state=\S+\.$`) },
  { id: 'P_SHUTDOWN_REPLICAS', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^(?:Waiting for replicas before shutting down\.|\d+ of \d+ replicas are in sync when shutting down\.)$/ },
  { id: 'P_BACKLOG_DUMP', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^(?:hide-user-data-from-log is on, skip logging backlog content to avoid spilling user data\.|Latest backlog is: .*)$/ },
  { id: 'P_REMOVE_RDB_FILE', side: 'primary', level: 'notice', kind: 'known-ignored',
    re: /^Removing the RDB file used to feed replicas in a persistence-less instance$/ },
  { id: 'P_FAILOVER', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^(?:Failover request received for replid .*|FAILOVER (?:to .*|requested to .*)|Failover target .* is synced, failing over\.|PRIMARY MODE enabled \(failover request from '.*'\))$/,
    note: 'FAILOVER command, not modelled' },
  // ================================================================ either side
  { id: 'COB_OVERFLOW', side: 'any', level: 'warning', kind: 'primary.cob_overflow', re: COB_RE,
    note: 'fields are filled by classifyCob(); see events.ts' },
  { id: 'DEBUG_LOG_MARK', side: 'any', level: 'warning', kind: 'known-ignored', re: /^DEBUG LOG: (?<text>.*)$/s,
    extra: (g) => ({ text: g.text ?? '' }) },
  { id: 'SOCKET_ERROR', side: 'any', level: 'verbose', kind: 'known-ignored',
    re: /^(?<dir>Reading from client|Error writing to client): (?<err>.*)$/ },
  { id: 'FORK_COW', side: 'any', level: 'verbose', kind: 'known-ignored',
    re: /^Fork CoW for (?<what>.+): current \d+ MB, peak \d+ MB, average \d+ MB$/ },
  { id: 'ACCEPTED', side: 'any', level: 'verbose', kind: 'known-ignored',
    re: /^Accepted (?:\S+:\d+|connection to .*|client connection in error state: .*)$/ },
  { id: 'CLIENT_CLOSED', side: 'any', level: 'verbose', kind: 'known-ignored', re: /^Client closed connection .*$/ },
  { id: 'CLIENTS_TOTAL', side: 'any', level: 'debug', kind: 'known-ignored',
    re: /^Total: \d+ clients connected \(\d+ replicas\), \d+ \(.*\) bytes in use$/ },
  { id: 'INVALID_USE', side: 'any', level: 'warning', kind: 'known-unmapped',
    re: /^(?<what>.+), disconnecting it: (?<client>id=\d+ .*)$/, note: 'logInvalidUseAndFreeClientAsync (e.g. a replica sent a non-REPLCONF command)' },
  { id: 'RDB_LOAD_INFO', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^(?:Loading RDB produced by (?:Valkey|Redis) version .*|RDB age -?\d+ seconds|RDB memory usage when created [\d.]+ Mb|RDB has an AOF tail|RDB is base AOF|RDB '.*': .*|Unrecognized RDB AUX field: .*)$/ },
  { id: 'DB_LOADED_FROM_DISK', side: 'any', level: 'notice', kind: 'known-ignored', re: /^DB loaded from disk: [\d.]+ seconds$/ },
  { id: 'STARTUP', side: 'any', level: 'notice', kind: 'known-ignored', re: /^oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo$/,
    note: 'start of an incarnation; files.ts turns it into replica.start on replica nodes' },
  { id: 'PROCESS_PAUSE', side: 'any', level: 'notice', kind: 'known-ignored', re: /^Process (?<what>is about to stop|has been continued)\.$/,
    note: 'DEBUG PAUSE-AFTER-FORK' },
  { id: 'STARTUP_SYSTEM_WARNING', side: 'any', level: 'warning', kind: 'known-ignored',
    re: /^WARNING (?:Memory overcommit must be enabled!|you have Transparent Huge Pages \(THP\) support enabled|The TCP backlog setting of \d+ cannot be enforced)/,
    note: 'start-up system checks (linuxMemoryWarnings, checkTcpBacklogSettings)' },
  { id: 'SHUTDOWN', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^(?:There is a child saving an \.rdb\. Killing it!|There is a module fork child\. Killing it!|Saving the final RDB snapshot before exiting\.|User requested shutdown\.\.\.(?: \(user request from '.*)?)$/s,
    note: 'shutdown (the process ends; a restart shows as a new incarnation)' },
  // ================================================================ replica side (role S)
  { id: 'R_REPLICAOF', side: 'replica', level: 'notice', kind: 'replica.replicaof',
    re: /^REPLICAOF (?<host>\S+):(?<port>\d+) enabled \(user request from '(?<client>.*?)(?:'\))?$/s,
    extra: (g) => ({ host: g.host ?? '', port: int(g.port) }), note: 'REPLICAOF host port, logged after "Connecting to PRIMARY"; files.ts also uses it to find the primary (the trailing "\')" may be cut by LOG_MAX_LEN)' },
  { id: 'R_REPLICAOF_NOOP', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^REPLICAOF would result into synchronization with the primary we are already connected with\. No operation performed\.$/ },
  { id: 'R_PRIMARY_MODE', side: 'any', level: 'notice', kind: 'replica.primary_mode',
    re: /^PRIMARY MODE enabled \(user request from '.*$/s, note: 'REPLICAOF NO ONE: the node stops being a replica' },
  { id: 'R_CONNECTING', side: 'replica', level: 'notice', kind: 'replica.connect',
    re: /^(?<re>Re)?[Cc]onnecting to PRIMARY (?<host>\S+):(?<port>\d+)(?<after> after failure)?$/,
    extra: (g) => ({ host: g.host ?? '', port: int(g.port), reconnect: g.re !== undefined, afterFailure: g.after !== undefined }) },
  { id: 'R_SYNC_STARTED', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^PRIMARY <-> REPLICA sync started$/ },
  { id: 'R_CONNECT_FIRED', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Non blocking connect for SYNC fired the event\.$/ },
  { id: 'R_PING_OK', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Primary replied to PING, replication can continue\.\.\.$/ },
  { id: 'R_REPLCONF_NONCRITICAL', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^\(Non critical\) Primary does not understand REPLCONF (?:listening-port|ip-address|capa|VERSION): .*$/s },
  { id: 'R_SYNTH_CACHED_PRIMARY', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^Before turning into a replica, using my own primary parameters to synthesize a cached primary: I may be able to synchronize with the new primary with just a partial transfer\.$/,
    note: 'at start-up (before "Ready to accept connections") it marks a persisted RDB: replica.start persisted=true' },
  { id: 'R_NO_CACHED_PRIMARY', side: 'replica', level: 'notice', kind: 'replica.psync', conn: 'main',
    re: /^Partial resynchronization not possible \(no cached primary\)$/, fields: () => ({ offset: -1 }) },
  { id: 'R_PSYNC_SENT', side: 'replica', level: 'notice', kind: 'replica.psync',
    re: new RegExp(String.raw`^Trying a partial resynchronization \(request (?<replid>${ID}):(?<offset>-?\d+)\)\.$`),
    fields: (g) => ({ offset: int(g.offset), replid: g.replid ?? '' }) },
  { id: 'R_GOT_DUALCHANNELSYNC', side: 'replica', level: 'notice', kind: 'replica.dualchannel_offered',
    re: /^PSYNC is not possible, initialize RDB channel\.$/ },
  { id: 'R_RDB_CHANNEL_UP', side: 'replica', level: 'debug', kind: 'replica.rdb_channel_connected',
    re: /^Received first reply from primary using rdb connection\.$/ },
  { id: 'R_SET_ID_REJECTED', side: 'replica', level: 'notice', kind: 'replica.set_id_rejected',
    re: /^Primary does not understand REPLCONF identify: (?<err>.*)$/s, extra: (g) => ({ error: g.err ?? '' }) },
  { id: 'R_MAIN_PSYNC_SENT', side: 'replica', level: 'notice', kind: 'replica.main_psync',
    re: new RegExp(String.raw`^Trying a partial resynchronization using main channel \(request (?<replid>${ID}):(?<offset>-?\d+)\)\.$`),
    fields: (g) => ({ offset: int(g.offset), replid: g.replid ?? '' }) },
  { id: 'R_MAIN_PSYNC_CONTINUE', side: 'replica', level: 'notice', kind: 'replica.continue',
    // 8.0.1 writes "Primary <-> REPLICA" (mixed case); 8.1+ writes "PRIMARY <-> REPLICA" behind the
    // dual-channel prefix. Without ", RDB load in background" and without prefix, the upper-case
    // form is the genuine partial resync (R_PSYNC_CONTINUE_2 below): events.ts decides.
    re: /^(?<case>Primary|PRIMARY) <-> REPLICA sync: Primary accepted a Partial Resynchronization(?<bg>, RDB load in background)?\.$/,
    fields: (g) => ({ background: g.bg !== undefined }) },
  { id: 'R_PSYNC_CONTINUE', side: 'replica', level: 'notice', kind: 'replica.partial_resync',
    re: /^Successful partial resynchronization with primary\.$/ },
  { id: 'R_PRIMARY_REPLID_CHANGED', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Primary replication ID changed to (?<replid>\w+)$/ },
  { id: 'R_FULLRESYNC', side: 'replica', level: 'notice', kind: 'replica.fullresync',
    re: /^Full resync from primary: (?<replid>\w+):(?<offset>-?\d+)$/, fields: (g) => ({ offset: int(g.offset), replid: g.replid ?? '' }) },
  { id: 'R_PSYNC_TRY_LATER', side: 'replica', level: 'notice', kind: 'known-unmapped',
    re: /^Primary is currently unable to PSYNC but should be in the future: (?<reply>.*)$/s },
  { id: 'R_PSYNC_NOT_SUPPORTED', side: 'replica', level: 'notice', kind: 'known-unmapped',
    re: /^(?:Primary does not support PSYNC or is in error state \(reply: .*\)|Unexpected reply to PSYNC from primary: .*|Primary replied with wrong \+FULLRESYNC syntax\.)$/s },
  { id: 'R_RETRY_SYNC', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Retrying with SYNC\.\.\.$/ },
  { id: 'R_RDB_RECEIVING', side: 'replica', level: 'notice', kind: 'replica.rdb_receiving',
    re: /^PRIMARY <-> REPLICA sync: receiving (?:streamed RDB from primary with EOF|(?<bytes>-?\d+) bytes from primary) (?<to>to disk|to parser)$/,
    fields: (g) => ({ to: g.to === 'to parser' ? 'parser' : 'disk' }), extra: (g): Record<string, FieldValue> => (g.bytes !== undefined ? { bytes: int(g.bytes) } : {}) },
  { id: 'R_DISCARD_CACHED', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Discarding previously cached primary state\.$/ },
  { id: 'R_FLUSH_OLD', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^(?:PRIMARY <-> REPLICA sync: Flushing old data|RDB signature and version check passed\. Flushing old data|PRIMARY <-> REPLICA sync: Skipping flush, no new data was loaded\.)$/,
    note: '9.1 logs "RDB signature and version check passed. Flushing old data"' },
  { id: 'R_BIO_CREATE', side: 'replica', level: 'notice', kind: 'replica.rdb_receiving',
    re: /^Replica main thread creating Bio thread to save RDB to disk$/, fields: () => ({ to: 'disk' }),
    note: '9.x (#1784): the main thread hands the connection to a bio thread at the first RDB data; the bio thread\'s own "receiving …" line comes at any later time (events.ts ignores it)' },
  { id: 'R_BIO_DOWNLOAD', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^(?:Done downloading RDB|Replica main thread detected RDB download completion in Bio thread|Loading the RDB and finalizing primary-replica sync\.\.\.|Cleaning slot migration log in anticipation of a load operation\.)$/,
    note: '9.1 (#1784): the disk download runs in a bio thread ("Replica bio thread: " prefix); replicationCron notices its end' },
  { id: 'R_RDB_LOAD_INTERNAL_ERROR', side: 'any', level: 'warning', kind: 'known-ignored',
    re: /^Internal error in RDB reading offset \d+, function at rdb\.c:\d+ -> .*$/s,
    note: 'rdbReportError: detail of a failed load (from the socket: "Failed trying to load the PRIMARY synchronization DB from socket" follows)' },
  { id: 'R_BIO_DOWNLOAD_FAILED', side: 'replica', level: 'warning', kind: 'known-ignored',
    re: /^(?:Error reading sync (?:metadata|payload)|Error downloading RDB|Main thread asked to abort the save while Bio thread is reading the sync (?:metadata|payload)|Replica main thread detected RDB download failure in Bio thread|Failed to load RDB|Failed to read sync metadata)$/,
    note: '9.1: details of a failed bio-thread download or load; the I/O error line before them is replica.rdb_failed' },
  { id: 'R_LOAD_START', side: 'replica', level: 'notice', kind: 'replica.load_start', re: /^PRIMARY <-> REPLICA sync: Loading DB in memory$/ },
  { id: 'R_LOAD_DB_SWAP', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^PRIMARY <-> REPLICA sync: (?:Discarding temporary DB in background|Discarding the half-loaded data|Swapping active DB with loaded DB|Discarding old DB in background)$/ },
  { id: 'R_LOAD_DONE', side: 'any', level: 'notice', kind: 'replica.load_done',
    re: /^Done loading RDB, keys loaded: (?<keys>\d+), keys expired: (?<expired>\d+)(?:, empty keys skipped: (?<skipped>\d+))?(?:, all fields expired hashes: (?<hashes>\d+))?\.$/,
    extra: (g) => ({ keys: int(g.keys), expired: int(g.expired) }), note: 'at start-up (before "Ready to accept connections") or on a primary node: known-ignored' },
  { id: 'R_LOCAL_BUF_LIMIT', side: 'replica', level: 'notice', kind: 'replica.local_buffer_limit',
    re: /^Replication buffer limit reached(?: \((?<bytes>\d+) bytes\))?, stopping buffering\.(?: Further accumulation will occur on primary side\.)?$/,
    note: '9.1 (#2824) adds the size and "Further accumulation will occur on primary side."' },
  { id: 'R_LOCAL_BUF_STREAMED', side: 'replica', level: 'notice', kind: 'replica.buffer_streamed',
    re: /^Successfully streamed replication data into memory$/ },
  { id: 'R_LOCAL_BUF_STREAM_FAILED', side: 'any', level: 'warning', kind: 'replica.stream_failed',
    re: /^Failed to stream local replication buffer into memory$/, note: 'REPLICAOF NO ONE while the local buffer is applied: logged by the node once it is a primary' },
  { id: 'R_PSYNC_AFTER_LOAD', side: 'replica', level: 'debug', kind: 'replica.psync_after_load',
    re: /^(?:Dual channel sync - psync established after rdb load|Psync established after rdb load)$/, note: '8.1+: "Dual channel replication: Psync established after rdb load"' },
  { id: 'R_SYNC_FINISHED', side: 'replica', level: 'notice', kind: 'replica.sync_finished', re: /^PRIMARY <-> REPLICA sync: Finished with success$/ },
  { id: 'R_PRIMARY_LOST', side: 'replica', level: 'notice', kind: 'replica.primary_lost', re: /^Connection with primary lost\.$/ },
  { id: 'R_CACHING_PRIMARY', side: 'replica', level: 'notice', kind: 'known-ignored', re: /^Caching the disconnected primary state\.$/ },
  { id: 'R_PROVISIONAL_CLOSED', side: 'replica', level: 'verbose', kind: 'replica.main_closed', re: /^Provisional primary closed connection$/,
    levelSince: { version: '8.1', level: 'warning' },
    note: '8.0.1 readIntoReplDataBlock: verbose, for an EOF only (a read error is "Error reading from primary", notice); 8.1+ readIntoReplDataBlock logs it at warning for both EOF and read errors' },
  { id: 'R_PROVISIONAL_READ_ERR', side: 'replica', level: 'notice', kind: 'replica.main_closed',
    re: /^Error reading from primary: (?<err>.*)$/s, extra: (g) => ({ error: g.err ?? '' }) },
  { id: 'R_SYNC_IO_ERROR', side: 'replica', level: 'warning', kind: 'replica.rdb_failed',
    re: /^I\/O error trying to sync with PRIMARY: (?<err>.*)$/s, extra: (g) => ({ error: g.err ?? '' }) },
  { id: 'R_RDB_READ_FAILED', side: 'replica', level: 'warning', kind: 'replica.rdb_failed',
    re: /^(?:I\/O error reading bulk count from PRIMARY: .*|PRIMARY aborted replication with an error: .*|Bad protocol from PRIMARY, the first byte is not '\$' \(we received '.*'\), are you sure the host and port are right\?|Replication stream EOF marker is broken|Write error or short write writing to the DB dump file needed for PRIMARY <-> REPLICA synchronization: .*)$/s,
    note: 'reading the RDB failed (rdb channel in dual-channel sync, main channel in a normal sync)' },
  { id: 'R_RDB_LOAD_FAILED', side: 'replica', level: 'warning', kind: 'replica.rdb_failed',
    re: /^(?:Failed trying to load the PRIMARY synchronization DB from (?<from>socket|disk), check server logs\.|Failed trying to (?:sync the temp DB to disk|rename the temp DB into .*|sync DB directory .*) in PRIMARY <-> REPLICA synchronization: .*)$/s,
    extra: (g) => ({ phase: 'load', ...(g.from ? { from: g.from } : {}) }) },
  { id: 'R_RDB_HANDSHAKE_FAILED', side: 'replica', level: 'notice', kind: 'replica.rdb_failed', conn: 'rdb',
    re: /^(?:Error condition on socket for dual channel replication: .*|Sending command to primary in dual channel replication handshake: .*|Primary did not respond to (?:auth|replconf) command during SYNC handshake|Unable to AUTH to Primary: .*|Server does not support sync with offset, dual channel sync approach cannot be used: .*|I\/O error writing to Primary: .*|Received unexpected \$ENDOFF response: .*|Unable to connect to Primary: .*)$/s,
    note: 'rdb-channel connect/handshake failure (F2–F4); "Aborting dual channel sync" follows' },
  { id: 'R_EMPTY_ENDOFF', side: 'replica', level: 'debug', kind: 'known-ignored', re: /^Received empty \$ENDOFF response$/, note: 'keep-alive newline while waiting for $ENDOFF' },
  { id: 'R_TEMPFILE_FAILED', side: 'replica', level: 'warning', kind: 'replica.rdb_failed',
    re: /^Opening the temp file needed for PRIMARY <-> REPLICA synchronization: .*$/s,
    note: 'after +DUALCHANNELSYNC the replica opens the temp file for the rdb channel first; a leftover file of an aborted attempt ("File exists") fails the attempt before the rdb channel exists, so no "Aborting dual channel sync" follows' },
  { id: 'R_READ_RESPONSE_FAILED', side: 'replica', level: 'warning', kind: 'known-ignored',
    re: /^Failed to read response from the server: .*$/s,
    note: 'receiveSynchronousResponse failed: detail of the line that follows (PSYNC not answered, or "Aborting dual channel sync. Main channel psync result -1")' },
  { id: 'R_MAIN_HANDSHAKE_FAILED', side: 'replica', level: 'warning', kind: 'replica.handshake_failed', conn: 'main',
    re: /^(?:Error condition on socket for SYNC: .*|Unable to connect to PRIMARY: .*|Error reply to PING from primary: .*|Unable to AUTH to PRIMARY: .*|Primary did not respond to command during SYNC handshake|Sending command to primary in replication handshake: .*|Unable to send PSYNC to primary: .*|Primary did not reply to PSYNC, will try later|I\/O error writing to PRIMARY: .*|syncWithPrimary\(\): state machine error, state should be RECEIVE_PSYNC but is -?\d+|Can't create readable event for SYNC: .*|Can't clear main connection handler: .*|Error while setting readable handler: .*)$/s,
    note: 'main-channel connect/handshake failure (a reconnect follows)' },
  { id: 'R_DUAL_ABORT_DETAIL', side: 'replica', level: 'warning', kind: 'replica.abort',
    re: /^Aborting dual channel sync\. (?:Main channel psync result (?<res>-?\d+)(?: (?<what>.*))?|(?<write>Write error\.))$/s,
    // 8.1+ prints -1 and the result's name (or the error reply, or nothing) after it
    fields: (g): Record<string, FieldValue> => (g.res !== undefined ? { result: psyncResult(int(g.res), g.what) } : {}),
    extra: (g): Record<string, FieldValue> => (g.write !== undefined ? { writeError: true } : {}),
    note: 'the plain "Aborting dual channel sync" that follows is merged into this record' },
  { id: 'R_DUAL_ABORT', side: 'replica', level: 'notice', kind: 'replica.abort', re: /^Aborting dual channel sync$/ },
  { id: 'R_DUAL_SYNC_FAILED_81', side: 'replica', level: 'warning', kind: 'known-ignored', re: /^Dual channel sync failed with error .*$/s,
    note: '8.1+ only (PR #945): detail of an rdb-channel handshake failure, whose own line is replica.rdb_failed' },
  { id: 'R_TIMEOUT', side: 'replica', level: 'warning', kind: 'replica.timeout',
    re: /^(?<what>Timeout connecting to the PRIMARY|Timeout receiving bulk data from PRIMARY)\.\.\.(?: If the problem persists try to set the 'repl-timeout' parameter in valkey\.conf to a larger value\.)?$/,
    extra: (g) => ({ phase: g.what === 'Timeout connecting to the PRIMARY' ? 'handshake' : 'transfer' }) },
  { id: 'R_PRIMARY_TIMEOUT', side: 'replica', level: 'warning', kind: 'replica.timeout', re: /^PRIMARY timeout: no data nor PING received\.\.\.$/,
    extra: () => ({ phase: 'connected' }),
    note: 'replicationCron: a connected replica heard nothing from its primary for repl-timeout; freeClient(server.primary): replica.primary_lost follows' },
  { id: 'R_INLINE_FROM_PRIMARY', side: 'replica', level: 'warning', kind: 'known-unmapped',
    re: /^WARNING: Receiving inline protocol from primary, primary stream corruption\? Closing the primary connection and discarding the cached primary\.$/ },
  { id: 'R_RESURRECT_FAILED', side: 'replica', level: 'warning', kind: 'known-unmapped',
    re: /^Error resurrecting the cached primary, impossible to add the (?:readable|writable) handler: .*$/s },
  { id: 'R_REPLID2', side: 'any', level: 'notice', kind: 'known-ignored',
    re: /^Setting secondary replication ID to \w+, valid up to offset: -?\d+\. New replication ID is \w+$/ },
  { id: 'R_MISC', side: 'replica', level: 'notice', kind: 'known-ignored',
    re: /^(?:Removing the RDB file obtained from the primary\. This replica has persistence disabled|Skipping diskless-load because there are modules that (?:don't handle read errors|are not aware of async replication)\.|Replica is about to load the RDB file received from the primary, but there is a pending RDB child running\. Killing process \d+ and removing its temp file to avoid any race|Error truncating the RDB file received from the primary for SYNC: .*|Failed enabling the AOF after successful primary synchronization! Trying it again in one second\.|Replica is applying a command even though it is unable to write to disk\.|Changing replication IDs after receiving DEBUG change-repl-id)$/s },
];

/** Start-up lines that carry the server's identity (files.ts). */
export const RUNNING_MODE_RE = /^Running mode=(?<mode>\w+), port=(?<port>\d+)\.$/;
export const ART_PORT_RE = /^\s.*\bPort: (?<port>\d+)\s*$/;
export const READY_RE = /^Ready to accept connections(?: (?<type>\w+))?$/;
export const STARTING_RE = /^oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo$/;
export const VERSION_RE = /^Valkey version=(?<version>\S+), bits=\d+, commit=\S+, modified=\d, pid=(?<pid>\d+), just started$/;

/**
 * A message that matched no rule and mentions replication: it becomes a warning. (Messages that
 * match nothing and do not look like this are start-up and housekeeping noise.)
 */
export const REPLICATION_LOOKING_RE =
  /replica|primary|master|slave|\bp?sync\b|\brdb\b|backlog|dual.?channel|output buffer|replconf|endoff|fork|^Client id=/i;
