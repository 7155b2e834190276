// The state layout: every variable of the model is one byte of a fixed-length Uint8Array.
// Global variables come first, then one record per replica (replica-side variables and the
// primary's clients for that replica, including its two rdb-client slots). Offsets are
// normalised (see spec/model.md "Normalisation"), so every field has a small finite domain.
import type { ModelConfig } from './config.js';

// ---- enumerations ---------------------------------------------------------------------------
/** Replica main-channel state (server.repl_state, grouped). */
/** NONE: not a replica (REPLICAOF NO ONE, or not yet told REPLICAOF); DOWN: the process has crashed. */
export const RS = { IDLE: 0, PSYNC_WAIT: 1, RDB_HANDSHAKE: 2, SETID_WAIT: 3, MAIN_PSYNC_WAIT: 4, TRANSFER: 5, CLASSIC: 6, CONNECTED: 7, DOWN: 8, NONE: 9 } as const;
export const RS_NAMES = ['idle', 'psync_wait', 'rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer', 'classic_sync', 'connected', 'down', 'none'];
/** Replica RDB progress (server.repl_rdb_channel_state, plus the classic sync's load). */
/**
 * STREAMING: a dual-channel load has ended and the local buffer is being applied (a REPLICAOF may come
 * in between). DOWNLOADED / DOWNLOAD_FAILED (bioDiskDownload, 9.x): a bio thread has finished (or
 * failed) the download; the main thread notices it at its next replicationCron. BULK_PREAMBLE: the
 * rdb channel, still waiting for $ENDOFF, has a disk-target fork's "$<size>" preamble to read.
 */
export const DS = { NONE: 0, SYNC_SENT: 1, DOWNLOAD: 2, LOADING: 3, LOADED: 4, STREAMING: 5, DOWNLOADED: 6, DOWNLOAD_FAILED: 7, BULK_PREAMBLE: 8 } as const;
export const DS_NAMES = ['none', 'sync_sent', 'download', 'loading', 'loaded', 'streaming', 'downloaded', 'download_failed', 'bulk_preamble'];
/** Message slot of the main channel: one request or one reply in flight. */
export const MQ = { NONE: 0, REQ: 1, DUAL: 2, CONT: 3, FULL: 4, OK: 5, ERR: 6 } as const;
export const MQ_NAMES = ['none', 'request', '+DUALCHANNELSYNC', '+CONTINUE', '+FULLRESYNC', '+OK', '-ERR'];
/** Primary's main-channel client (client->repl_state of the main connection). */
/**
 * SEND_BULK: a disk-target full sync after the fork child saved the file: the primary itself sends it.
 * ONLINE_WAIT_ACK: a classic socket sync whose child succeeded: online ("Synchronization with replica
 * succeeded"), but the stream starts only at the replica's first ACK (repl_start_cmd_stream_on_ack).
 */
export const MC = { NONE: 0, NORMAL: 1, WAIT_BGSAVE: 2, WAIT_END: 3, BG_RDB_LOAD: 4, ONLINE: 5, SEND_BULK: 6, ONLINE_WAIT_ACK: 7 } as const;
export const MC_NAMES = ['none', 'normal', 'wait_bgsave_start', 'wait_bgsave_end', 'bg_rdb_load', 'online', 'send_bulk', 'online_before_ack'];
/**
 * Primary's rdb-channel client slot. LINGER = freed by its peer or finished, kept while protected.
 * SEND_BULK = a disk-target fork (repl-diskless-sync turned off while it waited) saved the file,
 * which the primary now sends it itself ("$<size>" preamble, no $ENDOFF). CLOSING = a lingering
 * client its main channel's PSYNC unprotected: still in the async free queue, freed in beforeSleep.
 */
export const RC = { NONE: 0, WAIT_START: 1, WAIT_END: 2, LINGER: 3, SEND_BULK: 4, CLOSING: 5 } as const;
export const RC_NAMES = ['none', 'wait_bgsave_start', 'wait_bgsave_end', 'linger', 'send_bulk', 'closing'];
/** Fork child's view of one replica's transfer. */
/** STREAMING: the child is writing; DELIVERED: it has written everything (the replica may still be
 * reading it from the socket); FLUSHED: likewise, and the child has exited; BROKEN: the connection failed. */
export const CS = { NONE: 0, STREAMING: 1, DELIVERED: 2, BROKEN: 3, FLUSHED: 4 } as const;
export const CS_NAMES = ['none', 'streaming', 'delivered', 'broken', 'flushed'];
/** Fork child: 1 dual-channel (socket), 2 normal sync to replicas' sockets, 3 normal sync to disk, 4 dual-channel rdb clients to disk. */
export const CHILD = { NONE: 0, DUAL: 1, SOCKET: 2, DISK: 3, DUAL_DISK: 4 } as const;
export const CHILD_NAMES = ['none', 'dual-channel', 'normal', 'disk', 'dual-channel-disk'];
/** rdb-client pin: 0 = no reference, 1 = NULL reference waiting for the first block, >=2 = start offset of the pinned block. */
export const PIN_NONE = 0;
export const PIN_NULL = 1;

// ---- global fields ----------------------------------------------------------------------------
export const G_OFF = 0; // primary_repl_offset
export const G_HS = 1; // start offset of the backlog's head block (meaningful when G_NB > 0)
export const G_NB = 2; // number of replication buffer blocks
export const G_BLOG = 3; // backlog exists
export const G_CHILD = 4; // fork child: 0 none, 1 dual-channel, 2 normal, 3 disk, 4 dual-channel to disk
export const G_FAULTS = 5; // faults left
export const G_PDUAL = 6; // primary's dual-channel-replication-enabled (runtime value)
export const G_CFG = 7; // configuration changes left
export const G_PDISKLESS = 8; // primary's repl-diskless-sync (runtime value)
export const G_RC = 9; // refcounts of blocks, head first (maxBlocks bytes)

// ---- per-replica fields (relative to the replica's record) ------------------------------------
export const R_RS = 0; // replica: main-channel state
export const R_DS = 1; // replica: rdb / load progress state
export const R_PROG = 2; // replica: chunks received (download) or steps done (loading)
export const R_E = 3; // replica: $ENDOFF of this attempt (classic: +FULLRESYNC offset)
export const R_APP = 4; // replica: last write its data holds (or will hold once the local buffer is applied)
export const R_CACHE = 5; // replica: has a cached primary (can PSYNC app+1)
export const R_BUF = 6; // replica: writes in the local buffer
export const R_STOP = 7; // replica: stopped reading the main channel (local buffer limit)
export const R_TOK = 8; // replica: the blocking load reached a processEventsWhileBlocked point
export const R_BAD = 9; // replica: applied a write out of order (gap or duplicate)
export const R_IO = 10; // replica: ticks since last I/O of the sync (repl_transfer_lastio)
export const R_PERS = 11; // replica: persisted RDB on disk (0 none, else its offset + 1; 1 = too old)
export const R_MQ = 12; // main channel message slot
export const R_INF = 13; // main channel: writes in flight (sent by the primary, not read yet)
export const R_MEOF = 14; // main channel closed by the primary, not yet noticed by the replica
export const R_REOF = 15; // rdb channel closed/failed by the primary, not yet noticed by the replica
export const R_SLOT = 16; // replica: rdb-client slot of this attempt (0 none, 1..2)
export const R_CS = 17; // fork child's transfer to this replica
export const R_ACK = 18; // REPLCONF ACK in flight to the primary
export const R_MC = 19; // primary: main-channel client state
export const R_MREF = 20; // primary: next write to send on the main channel
export const R_MSOFT = 21; // primary: ticks the main client has been over the soft limit (0 = not over)
export const R_MASSOC = 22; // primary: associated rdb client slot (set-rdb-client-id), 0 none
export const R_MBLK = 23; // primary: start offset of the block the main client references (0 = none)
export const R_HIST = 24; // history variable for --reach goals only (0 unless the model is built with history)
export const R_RDUAL = 25; // replica: its dual-channel-replication-enabled (runtime value)
export const R_CAPA = 26; // primary: the main-channel client announced capa dual-channel and the primary accepted it
export const R_LOSTLOG = 27; // primary: "Connection with replica … lost" of a main channel the replica closed is still to be logged
export const R_DLCFG = 28; // replica: its repl-diskless-load (runtime value): load from the socket
export const R_DLOAD = 29; // replica: this attempt's RDB is loaded from the socket (diskless load), decided at its first data
export const R_ORPH = 30; // primary: an abandoned main-channel PSYNC <replid> <ENDOFF+1> still sits unread on a closed connection
export const R_OE = 31; // primary: that PSYNC's ENDOFF (0 = none / older than anything retained)
export const R_OASSOC = 32; // primary: the rdb-client slot its connection was associated with (set-rdb-client-id), 0 none
export const R_MORD = 33; // primary: position of a classic main client waiting for or fed during a fork (WAIT_BGSAVE_START/END) among those in server.replicas (1 = oldest), 0 = none
export const R_BIO = 34; // replica (bioDiskDownload): a classic sync's bio thread was created by a keep-alive, before the first RDB data
export const R_LEAK = 35; // primary (#1097, 8.0.1): a normal client of a main channel the replica dropped without closing it is still open
export const R_OVER = 36; // primary (H2): the main client's PSYNC adopted more of the buffer than the hard limit + one block (only an escaped pin keeps that much); cleared when it is back within or freed
export const R_SLOTS = 37; // first rdb-client slot
// per rdb-client slot (relative to the slot)
export const S_RC = 0; // slot state
export const S_PROT = 1; // protected_rdb_channel
export const S_RAX = 2; // in replicas_waiting_psync
export const S_PIN = 3; // reference into the replication buffer (PIN_NONE, PIN_NULL, block start)
export const S_GT = 4; // grace ticks elapsed while lingering
export const S_SOFT = 5; // ticks over the soft limit
export const S_CHILD = 6; // WAIT_BGSAVE_END: 1 served by the running fork child (its $ENDOFF came from it); 2 left so by a failed child (8.0.1), reported by the next one
export const S_PEER = 7; // the replica has closed this rdb channel; the primary has not read the EOF yet
export const S_ORD = 8; // position among the live rdb clients in server.replicas (1 = oldest), 0 = none
export const SLOT_SIZE = 9;
export const SLOTS = 2;
export const REPLICA_SIZE = R_SLOTS + SLOTS * SLOT_SIZE;

export interface Layout {
  readonly maxBlocks: number;
  readonly replicaBase: readonly number[];
  readonly bytes: number;
  readonly fields: readonly FieldDef[];
  /**
   * Ghost `rN.replica.downSince` (#1149's fix property I13-down-since): where each replica's byte
   * is, after every replica record. Only in a layout made with `{ downSince: true }`: the states of
   * every other model keep their size and their counts.
   */
  readonly downSinceAt?: readonly number[];
  /**
   * E7, rate-bounded writes (`writeRate > 0`): where `writesThisTick` and each replica's
   * `rN.replica.tickWorked` are, after the replica records (and the ghost). Only in such a layout:
   * with unbounded writes the states keep their size and their counts.
   */
  readonly rateAt?: { readonly writes: number; readonly worked: readonly number[] };
}

export interface FieldDef {
  readonly name: string;
  readonly at: number;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

/**
 * #4103: a dual-channel fork child's save fails. Without rdbChannelSendsVersion the rdb client's
 * replica_version is 0 and replicaRdbVersion falls back to RDB 11; data that needs a newer format
 * (datasetNeedsNewRdb) makes rdbSaveKeyValuePair refuse a key, so the child exits with an error
 * before it has finished any transfer.
 */
export function dualSaveFails(c: { readonly rdbChannelSendsVersion: boolean; readonly datasetNeedsNewRdb: boolean }): boolean {
  return !c.rdbChannelSendsVersion && c.datasetNeedsNewRdb;
}

/**
 * Does the running fork child end with success when it exits (checkChildrenDone)? A disk child
 * has saved its file; a socket child succeeded when some transfer was delivered; a dual-channel
 * child fails when `saveFails` (dualSaveFails, #4103). One definition for the model's child exits
 * and for the fix property I18 (model/invariants.ts).
 */
export function childSucceedsIn(layout: Layout, s: Uint8Array, saveFails = false): boolean {
  if (saveFails && (s[G_CHILD] === CHILD.DUAL || s[G_CHILD] === CHILD.DUAL_DISK)) return false;
  if (s[G_CHILD] === CHILD.DISK || s[G_CHILD] === CHILD.DUAL_DISK) return true;
  for (const b of layout.replicaBase) if (s[b + R_CS] === CS.DELIVERED) return true;
  return false;
}

/**
 * The replica's link with its primary is up: Valkey's server.primary exists (repl_state CONNECTED):
 * connected, or applying its local buffer after a dual-channel load (establishPrimaryConnection runs
 * before the streaming).
 */
export function linkUp(s: Uint8Array, b: number): boolean {
  return s[b + R_RS] === RS.CONNECTED || s[b + R_DS] === DS.STREAMING;
}

/**
 * #1149's ghost rN.replica.downSince (1: Valkey's repl_down_since holds a time; 0: it is 0, "never
 * connected"), updated after a step's effect from its source `s` and successor `d`, only in a layout
 * that has the ghost. Valkey sets it when the replica frees its primary client
 * (replicationHandlePrimaryDisconnection: the link was up) and resets it when the link comes up
 * (establishPrimaryConnection; the classic branch of readSyncBulkPayload), in replicationUnsetPrimary
 * (REPLICAOF NO ONE) and at start-up (a crashed replica restarts with 0). Without
 * downSinceResetOnlyOnConnect (8.0.1) readSyncBulkPayload also resets it at the end of every
 * dual-channel load, the RDB-first order (RDB_LOADED: the main channel's PSYNC not yet accepted,
 * the link down) included.
 */
export function stepDownSince(c: { readonly downSinceResetOnlyOnConnect: boolean }, layout: Layout, s: Uint8Array, d: Uint8Array): void {
  const at = layout.downSinceAt;
  if (!at) return;
  for (let r = 0; r < at.length; r++) {
    const b = layout.replicaBase[r]!;
    const rs = d[b + R_RS]!;
    const up0 = linkUp(s, b), up1 = linkUp(d, b);
    if (rs === RS.NONE || rs === RS.DOWN) d[at[r]!] = 0;
    else if (!up0 && up1) d[at[r]!] = 0;
    else if (up0 && !up1) d[at[r]!] = 1;
    else if (!c.downSinceResetOnlyOnConnect && s[b + R_DS] === DS.LOADING && d[b + R_DS] === DS.LOADED) d[at[r]!] = 0;
  }
}

export function slotBase(layout: Layout, r: number, s: number): number {
  return layout.replicaBase[r]! + R_SLOTS + s * SLOT_SIZE;
}

/** Optional ghost variables of a layout (each only for the property that reads it). */
export interface LayoutGhosts {
  /** rN.replica.downSince: Valkey's repl_down_since is set (a time), for I13-down-since. */
  readonly downSince?: boolean;
}

/** The layout and the declared domain of every field for a configuration. */
export function makeLayout(c: ModelConfig, ghosts: LayoutGhosts = {}): Layout {
  // Offsets live in [0, maxOffset + blockSize + 1]; blocks cover at most maxOffset writes.
  const maxBlocks = Math.ceil(c.maxOffset / c.blockSize) + 1;
  const OMAX = c.maxOffset + c.blockSize + 1;
  const refMax = 1 + 2 * c.replicas * (1 + SLOTS);
  const fields: FieldDef[] = [
    { name: 'off', at: G_OFF, min: 0, max: c.maxOffset },
    { name: 'backlog.head', at: G_HS, min: 0, max: OMAX },
    { name: 'backlog.blocks', at: G_NB, min: 0, max: maxBlocks },
    { name: 'backlog.exists', at: G_BLOG, min: 0, max: 1 },
    { name: 'child', at: G_CHILD, min: 0, max: 4, names: CHILD_NAMES },
    { name: 'faultsLeft', at: G_FAULTS, min: 0, max: c.faults },
    { name: 'primary.dualChannel', at: G_PDUAL, min: 0, max: 1 },
    { name: 'configChangesLeft', at: G_CFG, min: 0, max: c.configChanges },
    { name: 'primary.disklessSync', at: G_PDISKLESS, min: 0, max: 1 },
  ];
  for (let k = 0; k < maxBlocks; k++) fields.push({ name: `block${k}.refcount`, at: G_RC + k, min: 0, max: refMax });
  const g = G_RC + maxBlocks;
  const replicaBase: number[] = [];
  for (let r = 0; r < c.replicas; r++) {
    const b = g + r * REPLICA_SIZE;
    replicaBase.push(b);
    const p = `r${r + 1}.`;
    const add = (name: string, at: number, min: number, max: number, names?: readonly string[]) => fields.push({ name: p + name, at: b + at, min, max, ...(names ? { names } : {}) });
    add('replica.state', R_RS, 0, 9, RS_NAMES);
    add('replica.rdb', R_DS, 0, 8, DS_NAMES);
    add('replica.progress', R_PROG, 0, Math.max(c.rdbChunks, c.loadSteps));
    add('replica.endoff', R_E, 0, OMAX);
    add('replica.applied', R_APP, 0, OMAX);
    add('replica.cached', R_CACHE, 0, 1);
    add('replica.localBuffer', R_BUF, 0, OMAX);
    add('replica.stoppedReading', R_STOP, 0, 1);
    add('replica.loadYield', R_TOK, 0, 1);
    add('replica.outOfOrder', R_BAD, 0, 1);
    add('replica.idleTicks', R_IO, 0, Math.max(c.replTimeout, 0));
    add('replica.persisted', R_PERS, 0, OMAX + 1);
    add('main.message', R_MQ, 0, 6, MQ_NAMES);
    add('main.inFlight', R_INF, 0, c.kernelBuffer);
    add('main.closedByPrimary', R_MEOF, 0, 1);
    add('rdb.closedByPrimary', R_REOF, 0, 1);
    add('replica.rdbSlot', R_SLOT, 0, SLOTS);
    add('child.transfer', R_CS, 0, 4, CS_NAMES);
    add('main.ackInFlight', R_ACK, 0, 1);
    add('mainClient.state', R_MC, 0, 7, MC_NAMES);
    add('mainClient.next', R_MREF, 0, OMAX);
    add('mainClient.softTicks', R_MSOFT, 0, c.cobSoftTicks + 1);
    add('mainClient.assocSlot', R_MASSOC, 0, SLOTS);
    add('mainClient.refBlock', R_MBLK, 0, OMAX);
    add('history.seed', R_HIST, 0, 3);
    add('replica.dualChannel', R_RDUAL, 0, 1);
    add('mainClient.dualCapa', R_CAPA, 0, 1);
    add('mainClient.lostPending', R_LOSTLOG, 0, 1);
    add('replica.disklessLoad', R_DLCFG, 0, 1);
    add('replica.loadFromSocket', R_DLOAD, 0, 1);
    add('abandonedPsync.pending', R_ORPH, 0, 1);
    add('abandonedPsync.endoff', R_OE, 0, OMAX);
    add('abandonedPsync.assocSlot', R_OASSOC, 0, SLOTS);
    add('mainClient.order', R_MORD, 0, c.replicas);
    add('replica.bioBeforeData', R_BIO, 0, 1);
    add('mainClient.leaked', R_LEAK, 0, 1);
    add('mainClient.bornOverLimit', R_OVER, 0, 1);
    for (let s = 0; s < SLOTS; s++) {
      const sb = R_SLOTS + s * SLOT_SIZE;
      const q = `rdbClient${s + 1}.`;
      add(q + 'state', sb + S_RC, 0, 5, RC_NAMES);
      add(q + 'protected', sb + S_PROT, 0, 1);
      add(q + 'waitingPsync', sb + S_RAX, 0, 1);
      add(q + 'pin', sb + S_PIN, 0, OMAX);
      add(q + 'graceTicks', sb + S_GT, 0, c.grace + 1);
      add(q + 'softTicks', sb + S_SOFT, 0, c.cobSoftTicks + 1);
      add(q + 'servedByChild', sb + S_CHILD, 0, 2);
      add(q + 'closedByReplica', sb + S_PEER, 0, 1);
      add(q + 'order', sb + S_ORD, 0, c.replicas * SLOTS);
    }
  }
  let used = g + c.replicas * REPLICA_SIZE;
  let downSinceAt: number[] | undefined;
  if (ghosts.downSince) {
    downSinceAt = replicaBase.map((_, r) => used + r);
    downSinceAt.forEach((at, r) => fields.push({ name: `r${r + 1}.replica.downSince`, at, min: 0, max: 1 }));
    used += c.replicas;
  }
  let rateAt: Layout['rateAt'];
  if (c.writeRate > 0) {
    const writes = used++;
    fields.push({ name: 'writesThisTick', at: writes, min: 0, max: c.writeRate });
    const worked = replicaBase.map((_, r) => used + r);
    worked.forEach((at, r) => fields.push({ name: `r${r + 1}.replica.tickWorked`, at, min: 0, max: 1 }));
    used += c.replicas;
    rateAt = { writes, worked };
  }
  return { maxBlocks, replicaBase, bytes: (used + 3) & ~3, fields, ...(downSinceAt ? { downSinceAt } : {}), ...(rateAt ? { rateAt } : {}) };
}

/** Names and values of a state, for printing. Enumerations print their names. */
export function describeState(layout: Layout, s: Uint8Array): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const f of layout.fields) {
    const v = s[f.at]!;
    out[f.name] = f.names ? (f.names[v] ?? `?${v}`) : v;
  }
  return out;
}

/** Every field outside its declared domain, as messages (empty = all in range). */
export function domainErrors(layout: Layout, s: Uint8Array): string[] {
  const errs: string[] = [];
  for (const f of layout.fields) {
    const v = s[f.at]!;
    if (v < f.min || v > f.max) errs.push(`${f.name}=${v} outside [${f.min}, ${f.max}]`);
  }
  return errs;
}
