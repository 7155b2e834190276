// The lifecycle of each connection of the model, as typescript-fsm transition tables.
//
// The model (model/actions.ts) keeps, per replica, four connection states: the replica's main
// channel (R_RS), its rdb channel / load progress (R_DS), the primary's main-channel client (R_MC)
// and the primary's two rdb-client slots (S_RC). Each table below lists every step one of those
// states takes, as t(from, action family, to): one row per (from, family, to) the model can take.
// An action may move several connections at once (ForkDual moves the replica's main channel, its
// rdb channel and the rdb client); each connection's step is a row of that connection's table.
//
// `connectionSteps` classifies a model transition (before, after, action) into per-connection
// steps and checks each against its table; test/model/lifecycles.test.ts runs it over every
// transition of the reachable graphs of the `small`, `default` and `operator` presets and of two
// variants of `small` (test/model/lifecycles*.test.ts), and also checks that
// every row is taken (no dead rows), so the tables cannot drift from the model.
// spec/lifecycles.md holds the Mermaid diagrams generated from the tables (`mermaid`,
// `lifecyclesMarkdown`); regenerate with `npm run build && node dist/model/lifecycles-diagrams.js`.
import { StateMachine, t, type Callback, type ITransition } from 'typescript-fsm';
import type { Kind } from './vocabulary.js';
import { ACTIONS } from './actions.js';
import { DS_NAMES, MC_NAMES, R_DS, R_MC, R_RS, R_SLOTS, RC_NAMES, RS_NAMES, S_RC, SLOT_SIZE, SLOTS, type Layout } from './state.js';

// ---- names ------------------------------------------------------------------------------------
export const RS_STATES = ['idle', 'psync_wait', 'rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer', 'classic_sync', 'connected', 'down', 'none'] as const;
export const DS_STATES = ['none', 'sync_sent', 'download', 'loading', 'loaded', 'streaming', 'downloaded', 'download_failed', 'bulk_preamble'] as const;
export const MC_STATES = ['none', 'normal', 'wait_bgsave_start', 'wait_bgsave_end', 'bg_rdb_load', 'online', 'send_bulk', 'online_before_ack'] as const;
export const RC_STATES = ['none', 'wait_bgsave_start', 'wait_bgsave_end', 'linger', 'send_bulk', 'closing'] as const;
export type RsState = (typeof RS_STATES)[number];
export type DsState = (typeof DS_STATES)[number];
export type McState = (typeof MC_STATES)[number];
export type RcState = (typeof RC_STATES)[number];

/** An action family of the model (model/actions.ts), used as the event of every table. */
export type Family = string;
/** Every action family the model declares, in model order. */
export const FAMILIES: readonly Family[] = ACTIONS.map((a) => a.family);

/** The four connections that have a lifecycle table. */
export type ConnectionName = 'replica main channel' | 'replica rdb channel' | 'primary main-channel client' | 'primary rdb client';
/** What a trace event concerns (connectionOfKind). */
export type Attribution = ConnectionName | 'fork child' | 'none';

// ---- the tables -------------------------------------------------------------------------------
/** One row of a table, as plain data. */
export interface Row<S extends string = string> {
  readonly from: S;
  readonly event: Family;
  readonly to: S;
}

/**
 * A connection's lifecycle: a typescript-fsm StateMachine whose transitions are the table. The
 * machine is nondeterministic as a table (one (from, event) may lead to several states, chosen by
 * the rest of the model state); `allows` asks about a whole row, `can`/`getNextState` of the base
 * class only about (current state, event).
 */
export class Lifecycle<S extends string> extends StateMachine<S, Family> {
  constructor(
    readonly connection: ConnectionName,
    /** State names indexed by the encoded value (RS_NAMES, …). */
    readonly states: readonly S[],
    init: S,
    transitions: ITransition<S, Family, Callback>[],
  ) {
    super(init, transitions);
  }

  /** The initial state. */
  get initial(): S {
    return this.init;
  }

  /** The table's rows, in declaration order. */
  rows(): Row<S>[] {
    return this.transitions.map((tr) => ({ from: tr.fromState, event: tr.event, to: tr.toState }));
  }

  /** Does the table have the row (from, event, to)? */
  allows(from: S, event: Family, to: S): boolean {
    return this.transitions.some((tr) => tr.fromState === from && tr.event === event && tr.toState === to);
  }

  /** Name of an encoded state value ("?7" if out of range). */
  name(v: number): S | `?${number}` {
    return this.states[v] ?? `?${v}`;
  }
}

type Tr<S> = ITransition<S, Family, Callback>;
/** Rows `from --event--> to` for each `from`. */
function each<S>(froms: readonly S[], event: Family, to: S): Tr<S>[] {
  return froms.map((f) => t<S, Family, Callback>(f, event, to));
}
const tr = <S>(from: S, event: Family, to: S): Tr<S> => t<S, Family, Callback>(from, event, to);

/** Replica main channel: server.repl_state (grouped), plus 'down' for a crashed replica process. */
export const REPLICA_MAIN = new Lifecycle<RsState>('replica main channel', RS_STATES, 'idle', [
  tr('idle', 'Connect', 'psync_wait'),
  tr('psync_wait', 'RecvReply', 'rdb_handshake'),
  tr('psync_wait', 'RecvReply', 'connected'),
  tr('psync_wait', 'RecvReply', 'classic_sync'),
  tr('rdb_handshake', 'ForkDual', 'setid_wait'),
  tr('rdb_handshake', 'ChildExitFork', 'setid_wait'),
  tr('rdb_handshake', 'KillChild', 'setid_wait'),
  tr('rdb_handshake', 'ForkFail', 'setid_wait'),
  tr('setid_wait', 'RecvReply', 'main_psync_wait'),
  tr('setid_wait', 'RecvReply', 'idle'),
  tr('main_psync_wait', 'RecvReply', 'transfer'),
  tr('main_psync_wait', 'RecvReply', 'connected'),
  tr('main_psync_wait', 'RecvReply', 'idle'),
  tr('transfer', 'StreamDone', 'connected'),
  tr('classic_sync', 'LoadDone', 'connected'),
  ...each(['connected', 'transfer', 'classic_sync', 'psync_wait', 'setid_wait', 'main_psync_wait'] as const, 'MainEOF', 'idle'),
  ...each(['rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer'] as const, 'RdbEOF', 'idle'),
  ...each(['psync_wait', 'rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer', 'classic_sync'] as const, 'Timeout', 'idle'),
  // "PRIMARY timeout": a connected replica heard nothing from its primary for repl-timeout
  tr('connected', 'Timeout', 'idle'),
  tr('rdb_handshake', 'RdbSetupFail', 'idle'),
  // a disk-target fork's "$<size>" preamble read where $ENDOFF was expected
  tr('rdb_handshake', 'RdbBadEndoff', 'idle'),
  // bioDiskDownload: a failed download is noticed by replicationCron
  ...each(['setid_wait', 'main_psync_wait', 'transfer', 'classic_sync'] as const, 'DownloadNoticed', 'idle'),
  ...each(['idle', 'psync_wait', 'rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer', 'classic_sync', 'connected', 'none'] as const, 'CrashReplica', 'down'),
  // killed between the rename of a completed download and the load (a dump.rdb survives)
  ...each(['setid_wait', 'main_psync_wait', 'transfer', 'classic_sync'] as const, 'CrashAfterRename', 'down'),
  tr('down', 'RestartReplica', 'idle'),
  tr('down', 'RestartReplicaNoRdb', 'idle'),
  tr('down', 'RestartReplicaDetached', 'none'),
  // the operator: REPLICAOF NO ONE from any state of a running replica, REPLICAOF again
  ...each(['idle', 'psync_wait', 'rdb_handshake', 'setid_wait', 'main_psync_wait', 'transfer', 'classic_sync', 'connected'] as const, 'ReplicaofNoOne', 'none'),
  tr('none', 'Replicaof', 'psync_wait'),
  // REPLICAOF NO ONE cuts the handshake a connect (or REPLICAOF: none to none) began, before its PSYNC
  tr('idle', 'ReplicaofNoOneInHandshake', 'none'),
]);

/** Replica rdb channel and load progress: server.repl_rdb_channel_state, plus the classic sync's download and load. */
export const REPLICA_RDB = new Lifecycle<DsState>('replica rdb channel', DS_STATES, 'none', [
  tr('none', 'RdbConnect', 'sync_sent'),
  tr('sync_sent', 'ForkDual', 'download'),
  tr('sync_sent', 'ChildExitFork', 'download'),
  tr('sync_sent', 'KillChild', 'download'),
  tr('sync_sent', 'ForkFail', 'download'),
  tr('none', 'RecvReply', 'download'),
  ...each(['download', 'loading', 'loaded'] as const, 'RecvReply', 'none'),
  tr('download', 'RdbChunk', 'loading'),
  // bioDiskDownload: the bio thread finishes or fails the download; replicationCron notices it
  tr('download', 'RdbChunk', 'downloaded'),
  tr('download', 'RdbEOF', 'download_failed'),
  tr('download', 'MainEOF', 'download_failed'),
  tr('downloaded', 'DownloadNoticed', 'loading'),
  tr('download_failed', 'DownloadNoticed', 'none'),
  ...each(['downloaded', 'download_failed'] as const, 'MainEOF', 'none'),
  ...each(['downloaded', 'download_failed'] as const, 'RecvReply', 'none'),
  ...each(['downloaded', 'download_failed'] as const, 'CrashReplica', 'none'),
  ...each(['download', 'downloaded'] as const, 'CrashAfterRename', 'none'),
  ...each(['downloaded', 'download_failed'] as const, 'ReplicaofNoOne', 'none'),
  ...each(['downloaded', 'download_failed'] as const, 'Timeout', 'none'),
  // a disk-target fork for the rdb channel (repl-diskless-sync turned off): the primary sends the saved file
  tr('sync_sent', 'ChildExit', 'bulk_preamble'),
  tr('bulk_preamble', 'RdbBadEndoff', 'none'),
  ...each(['bulk_preamble'] as const, 'CrashReplica', 'none'),
  ...each(['bulk_preamble'] as const, 'ReplicaofNoOne', 'none'),
  tr('loading', 'LoadDone', 'streaming'),
  tr('loading', 'LoadDone', 'none'),
  tr('loading', 'LoadDone', 'loaded'),
  tr('streaming', 'StreamDone', 'none'),
  ...each(['download', 'loading', 'loaded'] as const, 'MainEOF', 'none'),
  ...each(['sync_sent', 'download'] as const, 'RdbEOF', 'none'),
  tr('loading', 'RdbEOF', 'none'), // a load from the socket reads the rdb channel
  ...each(['sync_sent', 'download', 'loading', 'loaded'] as const, 'Timeout', 'none'),
  ...each(['sync_sent', 'download', 'loading', 'loaded', 'streaming'] as const, 'CrashReplica', 'none'),
  ...each(['sync_sent', 'download', 'loaded', 'streaming'] as const, 'ReplicaofNoOne', 'none'),
]);

const FED = ['wait_bgsave_end', 'send_bulk', 'online_before_ack', 'bg_rdb_load', 'online'] as const;
const ANY_MC = ['normal', 'wait_bgsave_start', 'wait_bgsave_end', 'send_bulk', 'online_before_ack', 'bg_rdb_load', 'online'] as const;

/** Primary's main-channel client of a replica: client->repl_state of the main connection ('none' = no client). */
export const PRIMARY_MAIN = new Lifecycle<McState>('primary main-channel client', MC_STATES, 'none', [
  tr('none', 'Connect', 'normal'),
  tr('none', 'Replicaof', 'normal'),
  tr('normal', 'HandlePsync', 'online'),
  tr('normal', 'HandlePsync', 'wait_bgsave_start'),
  // syncCommand CASE 1: attached to a disk child already saving for another classic replica (two replicas)
  tr('normal', 'HandlePsync', 'wait_bgsave_end'),
  tr('wait_bgsave_start', 'ForkClassic', 'wait_bgsave_end'),
  tr('wait_bgsave_start', 'ChildExitFork', 'wait_bgsave_end'),
  // KillChild fork-*: the fork for waiting clients starts before the killed child's clients are freed
  tr('wait_bgsave_start', 'KillChild', 'wait_bgsave_end'),
  tr('normal', 'HandleMainPsync', 'bg_rdb_load'),
  tr('normal', 'HandleMainPsync', 'online'),
  tr('bg_rdb_load', 'RecvAck', 'online'),
  // classic socket sync: online when the child succeeds, the stream starts at the first ACK
  tr('wait_bgsave_end', 'ChildExit', 'online_before_ack'),
  tr('online_before_ack', 'RecvAck', 'online'),
  // disk target: the saved file is sent by the primary itself, then the replica is online
  tr('wait_bgsave_end', 'ChildExit', 'send_bulk'),
  tr('send_bulk', 'SendBulkDone', 'online'),
  // freed: output-buffer limits (hard on a new block, soft by the clock), kills, failed classic child
  ...each(FED, 'Write', 'none'),
  ...each(FED, 'Tick', 'none'),
  ...each(ANY_MC, 'KillMain', 'none'),
  // a failed classic child frees its client; a child that exits by itself has delivered to it (a
  // transfer the replica broke off has freed the client already), so only a killed child fails it
  tr('wait_bgsave_end', 'KillChild', 'none'),
  // freed: the replica closed its connections (abort, crash)
  tr('normal', 'RecvReply', 'none'),
  ...each(['normal', 'bg_rdb_load', 'online'] as const, 'RdbEOF', 'none'),
  ...each(['normal', 'wait_bgsave_end', 'send_bulk', 'online_before_ack', 'bg_rdb_load', 'online'] as const, 'Timeout', 'none'),
  tr('normal', 'RdbSetupFail', 'none'),
  tr('normal', 'RdbBadEndoff', 'none'),
  ...each(['normal', 'bg_rdb_load', 'online'] as const, 'DownloadNoticed', 'none'),
  ...each(ANY_MC, 'CrashReplica', 'none'),
  ...each(['normal', 'wait_bgsave_end', 'online_before_ack', 'bg_rdb_load', 'online'] as const, 'CrashAfterRename', 'none'),
  ...each(ANY_MC, 'ReplicaofNoOne', 'none'),
]);

/** Primary's rdb client in one slot of a replica ('linger' = closed but kept while protected). */
export const PRIMARY_RDB = new Lifecycle<RcState>('primary rdb client', RC_STATES, 'none', [
  tr('none', 'HandleSync', 'wait_bgsave_start'),
  tr('wait_bgsave_start', 'ForkDual', 'wait_bgsave_end'),
  tr('wait_bgsave_start', 'ChildExitFork', 'wait_bgsave_end'),
  tr('wait_bgsave_start', 'KillChild', 'wait_bgsave_end'),
  tr('wait_bgsave_start', 'ForkFail', 'linger'),
  // a disk-target fork for rdb clients: a new rdb client joins it (syncCommand CASE 1); the primary
  // sends the saved file once it exits, and frees the client when it has sent it
  tr('none', 'HandleSync', 'wait_bgsave_end'),
  tr('wait_bgsave_end', 'ChildExit', 'send_bulk'),
  tr('send_bulk', 'RdbBulkSent', 'none'),
  tr('send_bulk', 'RdbPeerClosed', 'none'),
  tr('send_bulk', 'KillRdb', 'none'),
  // closed by the primary: a protected client lingers, an unprotected one is freed
  tr('wait_bgsave_start', 'KillRdb', 'none'),
  tr('wait_bgsave_end', 'KillRdb', 'linger'),
  tr('wait_bgsave_end', 'KillRdb', 'none'),
  tr('wait_bgsave_end', 'ChildExit', 'linger'),
  tr('wait_bgsave_end', 'ChildExit', 'none'),
  tr('wait_bgsave_end', 'ChildExitFork', 'linger'),
  tr('wait_bgsave_end', 'ChildExitFork', 'none'),
  tr('wait_bgsave_end', 'KillChild', 'linger'),
  tr('wait_bgsave_end', 'KillChild', 'none'),
  // with #1297 a failed child also unprotects (and so frees) a lingering client it served
  tr('linger', 'ChildExit', 'none'),
  tr('linger', 'ChildExitFork', 'none'),
  tr('linger', 'KillChild', 'none'),
  // closed by the replica (after its load, on abort, crash or REPLICAOF NO ONE): the primary acts
  // when it reads the EOF, later
  tr('wait_bgsave_start', 'RdbPeerClosed', 'none'),
  tr('wait_bgsave_end', 'RdbPeerClosed', 'linger'),
  tr('wait_bgsave_end', 'RdbPeerClosed', 'none'),
  // a lingering client is freed: grace period over, its main channel's PSYNC matched it, output-buffer limits
  tr('linger', 'GraceExpire', 'none'),
  // its main channel's PSYNC unprotects it: freed in the next beforeSleep, after other clients' handlers
  tr('linger', 'HandleMainPsync', 'closing'),
  tr('linger', 'HandleAbandonedPsync', 'closing'),
  tr('closing', 'AsyncFreeRdb', 'none'),
  ...each(['wait_bgsave_end', 'linger'] as const, 'Write', 'none'),
  ...each(['wait_bgsave_end', 'linger'] as const, 'Tick', 'none'),
]);

/** The four tables, in the order of spec/lifecycles.md. */
export const LIFECYCLES = [REPLICA_MAIN, REPLICA_RDB, PRIMARY_MAIN, PRIMARY_RDB] as const;

// The tables name states by the model's own name lists, and events by its action families.
for (const [lc, names] of [[REPLICA_MAIN, RS_NAMES], [REPLICA_RDB, DS_NAMES], [PRIMARY_MAIN, MC_NAMES], [PRIMARY_RDB, RC_NAMES]] as const) {
  if (lc.states.length !== names.length || lc.states.some((s, i) => s !== names[i])) {
    throw new Error(`lifecycles: the states of "${lc.connection}" (${lc.states.join(', ')}) differ from model/state.ts (${names.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const r of lc.rows()) {
    if (!FAMILIES.includes(r.event)) throw new Error(`lifecycles: "${lc.connection}" row ${r.from} --${r.event}--> ${r.to}: no action family ${r.event}`);
    if (r.from === r.to) throw new Error(`lifecycles: "${lc.connection}" row ${r.from} --${r.event}--> ${r.to} is not a change`);
    const k = `${r.from}|${r.event}|${r.to}`;
    if (seen.has(k)) throw new Error(`lifecycles: "${lc.connection}" row ${r.from} --${r.event}--> ${r.to} is declared twice`);
    seen.add(k);
  }
}

// ---- classifying a model transition -----------------------------------------------------------
/** One connection's part in a model transition. */
export interface ConnectionStep {
  readonly connection: ConnectionName;
  /** Replica index (0-based) the connection belongs to. */
  readonly replica: number;
  /** rdb-client slot (0-based) for 'primary rdb client', else -1. */
  readonly slot: number;
  /** Short label, e.g. "r1 primary rdb client (slot 2)". */
  readonly label: string;
  readonly from: string;
  readonly to: string;
  readonly event: Family;
  /** The connection's state changed. */
  readonly changed: boolean;
  /** Unchanged, or the change is a row of the connection's table. */
  readonly allowed: boolean;
}

/** Byte offset and table of every connection of a layout, in a fixed order. */
export interface ConnectionSlot {
  readonly lifecycle: Lifecycle<string>;
  readonly at: number;
  readonly replica: number;
  readonly slot: number;
  readonly label: string;
}

const layoutSlots = new WeakMap<Layout, ConnectionSlot[]>();

/** The connections of a layout: per replica its main channel, rdb channel, main client and each rdb-client slot. */
export function connectionsOf(layout: Layout): readonly ConnectionSlot[] {
  let out = layoutSlots.get(layout);
  if (out) return out;
  out = [];
  layout.replicaBase.forEach((b, r) => {
    const p = `r${r + 1} `;
    out!.push({ lifecycle: REPLICA_MAIN, at: b + R_RS, replica: r, slot: -1, label: p + REPLICA_MAIN.connection });
    out!.push({ lifecycle: REPLICA_RDB, at: b + R_DS, replica: r, slot: -1, label: p + REPLICA_RDB.connection });
    out!.push({ lifecycle: PRIMARY_MAIN, at: b + R_MC, replica: r, slot: -1, label: p + PRIMARY_MAIN.connection });
    for (let s = 0; s < SLOTS; s++) {
      out!.push({ lifecycle: PRIMARY_RDB, at: b + R_SLOTS + s * SLOT_SIZE + S_RC, replica: r, slot: s, label: `${p}${PRIMARY_RDB.connection} (slot ${s + 1})` });
    }
  });
  layoutSlots.set(layout, out);
  return out;
}

/**
 * Every connection's part in the model transition `before --action--> after`: whether its state
 * changed, and whether the change is a row (from, action family, to) of its table. `action` is an
 * action instance (model.instances[i], which has `def.family`) or a family name.
 */
export function connectionSteps(layout: Layout, before: Uint8Array, after: Uint8Array, action: { readonly def: { readonly family: string } } | Family): ConnectionStep[] {
  const event = typeof action === 'string' ? action : action.def.family;
  return connectionsOf(layout).map((c) => {
    const lc = c.lifecycle;
    const from = lc.name(before[c.at]!);
    const to = lc.name(after[c.at]!);
    const changed = before[c.at] !== after[c.at];
    return { connection: lc.connection, replica: c.replica, slot: c.slot, label: c.label, from, to, event, changed, allowed: !changed || lc.allows(from, event, to) };
  });
}

/** The steps of a transition that are not rows of their tables, as messages (empty = all allowed). */
export function lifecycleViolations(layout: Layout, before: Uint8Array, after: Uint8Array, action: { readonly def: { readonly family: string }; readonly name?: string } | Family): string[] {
  const name = typeof action === 'string' ? action : (action.name ?? action.def.family);
  return connectionSteps(layout, before, after, action)
    .filter((s) => !s.allowed)
    .map((s) => `${s.label}: ${s.from} --${s.event}--> ${s.to} is not in its lifecycle table (action ${name})`);
}

// ---- diagrams -----------------------------------------------------------------------------------
/** Mermaid id of a state (Mermaid keywords and odd characters avoided). */
function mid(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * A Mermaid stateDiagram-v2 of a table: the initial state, then one edge per (from, to) pair in
 * first-row order, labelled with its events in row order.
 */
export function mermaid(table: Lifecycle<string>): string {
  const edges = new Map<string, { from: string; to: string; events: string[] }>();
  for (const r of table.rows()) {
    const k = `${r.from}\u0000${r.to}`;
    const e = edges.get(k);
    if (e) e.events.push(r.event);
    else edges.set(k, { from: r.from, to: r.to, events: [r.event] });
  }
  const lines = ['stateDiagram-v2', `  [*] --> ${mid(table.initial)}`];
  for (const e of edges.values()) lines.push(`  ${mid(e.from)} --> ${mid(e.to)}: ${e.events.join(', ')}`);
  return lines.join('\n');
}

const EXPLAIN: Record<ConnectionName, string> = {
  'replica main channel':
    'The replica\'s main channel (`server.repl_state`, grouped). The replica connects and sends PSYNC; ' +
    '+CONTINUE connects it at once, +FULLRESYNC starts a classic sync on this channel, +DUALCHANNELSYNC ' +
    'sends it into the rdb handshake. Once the primary forks and sends `$ENDOFF` on the rdb channel, the main ' +
    'channel sends REPLCONF set-rdb-client-id, then PSYNC <replid> <ENDOFF+1>; +CONTINUE starts buffering the stream ' +
    '(`transfer`) until the load ends. Any failure (EOF, error reply, timeout) aborts back to `idle`; a crash takes the process `down`.',
  'replica rdb channel':
    'The replica\'s rdb channel and RDB progress (`server.repl_rdb_channel_state`, plus the download and load of a classic sync, which ' +
    'arrive on the main channel). The rdb channel sends SYNC (`sync_sent`), downloads after `$ENDOFF`, then loads. A load that ends ' +
    'before the main channel\'s PSYNC is answered keeps the RDB (`loaded`) until +CONTINUE arrives.',
  'primary main-channel client':
    'The primary\'s client for the replica\'s main channel (`client->repl_state`). It is `normal` while handshaking; a genuine ' +
    'partial resync makes it `online`; a classic full sync waits for a fork (`wait_bgsave_start`) and then its end; the main-channel ' +
    'PSYNC of a dual-channel sync makes it `bg_rdb_load` (streaming while the replica loads) until the first ACK. It is freed (`none`) ' +
    'when the replica closes the connection, when it is killed, or when it overruns its output-buffer limits.',
  'primary rdb client':
    'The primary\'s client for a replica\'s rdb channel, in one of two slots (a new attempt may start while the previous one\'s client ' +
    'lingers). SYNC makes it wait for a fork; the fork sends `$ENDOFF`, pins the backlog and protects it. Closed while protected, it ' +
    '`linger`s for the grace period (still pinning the backlog) until its main channel\'s PSYNC matches it, the grace period ends, ' +
    'or an output-buffer limit frees it; a PSYNC match unprotects it, and it is `closing` until the event loop\'s `beforeSleep` frees it.',
};

/** spec/lifecycles.md's exact text. */
export function lifecyclesMarkdown(): string {
  const out: string[] = [
    '<!-- Generated from model/lifecycles.ts; do not edit. Regenerate with:',
    '     npm run build && node dist/model/lifecycles-diagrams.js',
    '     test/model/lifecycles.test.ts checks this file equals the generated text. -->',
    '',
    '# Connection lifecycles',
    '',
    'Each connection of one replica\'s sync has a lifecycle: a state in the model\'s state vector',
    '(`model/state.ts`) and a transition table in `model/lifecycles.ts`. An edge is labelled with the',
    'action families (`model/actions.ts`) that take it; one action may move several connections at once',
    '(e.g. `ForkDual` moves the replica\'s main channel, its rdb channel and the rdb client). The tables',
    'list exactly the steps the model takes in the `small`, `default` and `operator` presets and in three variants',
    'of `small` (profile 9.1.2 with disk-target syncs and diskless loads; abandoned main-channel PSYNCs answered;',
    'two classic replicas syncing to disk):',
    'tests enumerate those reachable state graphs, check every step against its table, and check every row is taken.',
    '',
  ];
  for (const lc of LIFECYCLES) {
    out.push(`## ${lc.connection[0]!.toUpperCase()}${lc.connection.slice(1)}`, '', EXPLAIN[lc.connection], '', '```mermaid', mermaid(lc), '```', '');
  }
  return out.join('\n');
}

// ---- attribution of trace events ----------------------------------------------------------------
/**
 * The connections a trace event kind concerns, the usual one first. Most kinds concern exactly one;
 * a few are logged alike for several (a client kill or output-buffer overflow names a client id, not
 * a channel), and list them all.
 */
export const KIND_CONNECTIONS: Readonly<Record<Kind, readonly [Attribution, ...Attribution[]]>> = {
  'replica.start': ['replica main channel'], // the process leaves 'down'
  'replica.connect': ['replica main channel'],
  'replica.psync': ['replica main channel'],
  'replica.dualchannel_offered': ['replica main channel'],
  'replica.rdb_channel_connected': ['replica rdb channel'],
  'replica.set_id_rejected': ['replica main channel'],
  'replica.main_psync': ['replica main channel'],
  'replica.continue': ['replica main channel'],
  'replica.fullresync': ['replica main channel'],
  'replica.partial_resync': ['replica main channel'],
  'replica.rdb_receiving': ['replica rdb channel'], // the download (classic: on the main channel)
  'replica.load_start': ['replica rdb channel'],
  'replica.load_done': ['replica rdb channel'],
  'replica.local_buffer_limit': ['replica main channel'],
  'replica.buffer_streamed': ['replica main channel'],
  'replica.psync_after_load': ['replica main channel'],
  'replica.sync_finished': ['replica rdb channel', 'replica main channel'], // logged when the load ends
  'replica.primary_lost': ['replica main channel'],
  'replica.main_closed': ['replica main channel'],
  'replica.rdb_failed': ['replica rdb channel'],
  'replica.handshake_failed': ['replica main channel'], // the main-channel handshake failed; the replica reconnects
  'replica.timeout': ['replica main channel', 'replica rdb channel'], // handshake or download silence; aborts the main channel
  'replica.abort': ['replica main channel', 'replica rdb channel'],
  'replica.replicaof': ['replica main channel'], // the node starts replicating: it connects
  'replica.primary_mode': ['replica main channel'], // REPLICAOF NO ONE: the node stops replicating
  'replica.stream_failed': ['replica main channel'],
  'replica.config_set': ['replica main channel'], // decides the next handshake's capa dual-channel
  'primary.dual_capa_ignored': ['primary main-channel client'],
  'primary.sync_request': ['primary main-channel client', 'primary rdb client'], // PSYNC (main) or SYNC (rdb channel)
  'primary.psync_refused': ['primary main-channel client'],
  'primary.dualchannel_offered': ['primary main-channel client'],
  'primary.backlog_created': ['none'],
  'primary.bgsave_start': ['fork child'],
  'primary.bgsave_wait': ['fork child', 'primary rdb client', 'primary main-channel client'], // the waiting client waits for the next child
  'primary.bgsave_attached': ['fork child', 'primary main-channel client'], // the client shares the running disk child
  'primary.endoff_sent': ['primary rdb client'],
  'primary.rdb_pinned': ['primary rdb client'],
  'primary.rdb_attached': ['primary rdb client'],
  'primary.main_matched': ['primary main-channel client', 'primary rdb client'],
  'primary.rdb_unlinked': ['primary rdb client'],
  'primary.psync_accepted': ['primary main-channel client'],
  'primary.fullresync': ['primary main-channel client'],
  'primary.child_started': ['fork child'],
  'primary.child_done': ['fork child'],
  'primary.fork_failed': ['fork child'],
  'primary.rdb_streamed': ['fork child'], // the child's transfer to one replica succeeded
  'primary.rdb_channel_closed': ['primary rdb client'],
  'primary.rdb_free_postponed': ['primary rdb client'],
  'primary.grace_expired': ['primary rdb client'],
  'primary.replica_online': ['primary main-channel client'],
  'primary.replica_lost': ['primary main-channel client'],
  'primary.cob_overflow': ['primary main-channel client', 'primary rdb client'],
  'primary.client_killed': ['primary main-channel client', 'primary rdb client'],
  'primary.write': ['none'],
  'primary.stream_sent': ['primary main-channel client'],
  'primary.setid_reply': ['primary main-channel client'],
  'primary.rdb_eof': ['primary rdb client'],
  'primary.child_flushed': ['fork child'],
  'primary.ack': ['primary main-channel client'],
  'primary.config_set': ['none'],
  'replica.stream_read': ['replica main channel'],
  'replica.load_progress': ['replica rdb channel'],
  'replica.crash': ['replica main channel', 'replica rdb channel'], // the process goes 'down'
  'env.tick': ['none'],
};

/** The connection a trace event kind concerns (the usual one when several are possible: KIND_CONNECTIONS). */
export function connectionOfKind(kind: Kind): Attribution {
  const c = KIND_CONNECTIONS[kind];
  if (!c) throw new Error(`connectionOfKind: unknown event kind "${kind}"`);
  return c[0];
}
