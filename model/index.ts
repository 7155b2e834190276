// Assembles the protocol model for one configuration: initial state, action instances,
// successor function with normalisation, invariants, goals, observations.
import type { Goal } from '../engine/model.js';
import type { Observation, ObservableModel } from './observation.js';
import { ACTIONS, closingSlot, Step, takesNoTime, waitsForClosing, type ActionDef, type Mutations } from './actions.js';
import { TOGGLE_FAMILIES, type ModelConfig } from './config.js';
import { makeFixProperties, makeInvariants, makeStepInvariants } from './invariants.js';
import { connectionOfKind, connectionsOf } from './lifecycles.js';
import type { Kind } from './vocabulary.js';
import type { LivenessOptions, LivenessProperty } from '../engine/liveness.js';
import {
  DS, G_CFG, G_FAULTS, G_HS, G_PDISKLESS, G_PDUAL, G_NB, G_OFF, MC, MQ, R_APP, R_E, R_INF, R_MBLK, R_MC, R_MORD, R_MREF, R_OE, R_PERS, R_RDUAL, R_DLCFG, R_RS, R_SLOT, R_SLOTS, RC, RS, S_PIN, S_RC,
  R_STOP, R_DS, R_HIST, R_MQ, R_MEOF, R_CACHE, SLOT_SIZE, SLOTS, describeState, makeLayout, stepDownSince, type Layout,
} from './state.js';

export interface ReplGoal extends Goal {
  /** The goal reads the history variable: build the model with { history: true }. */
  readonly needsHistory?: boolean;
}

export interface ActionInstance {
  readonly def: ActionDef;
  readonly r: number;
  readonly s: number;
  readonly name: string;
}

export interface ReplModel extends ObservableModel {
  readonly config: ModelConfig;
  readonly layout: Layout;
  readonly instances: readonly ActionInstance[];
  readonly goals: readonly ReplGoal[];
  /** Liveness properties ([]<>good) and the weak fairness they assume (spec/model.md §10.3). */
  readonly liveness: readonly LivenessProperty[];
  /** Weakly fair: every action but writes, faults and the operator's (CONFIG SET, REPLICAOF). */
  fairAction(action: number): boolean;
  /** Left out of a liveness check ("faults off"): the faults, and the timeouts and grace expiries that need a peer or link slower than the timer. */
  livenessExcluded(action: number): boolean;
  /** Why an action instance is disabled in `s`, in protocol words (for diagnoses). */
  explain(s: Uint8Array, action: number): string;
  /** The connection an event kind concerns (model/lifecycles.ts). */
  connectionOf(kind: Kind, fields?: Readonly<Record<string, string | number | boolean>>): string;
  /** Lifecycle state of every connection in s, by connection label. */
  connections(s: Uint8Array): Record<string, string>;
}

export function instancesFor(c: ModelConfig): ActionInstance[] {
  const out: ActionInstance[] = [];
  for (const def of ACTIONS) {
    if (def.fault && !c.faultKinds.includes(def.faultKind ?? def.family)) continue;
    // toggles are steps of their own only with a budget; with freeConfig the settings are free instead
    if (TOGGLE_FAMILIES.includes(def.family) && (!c.operatorKinds.includes(def.family) || c.configChanges === 0 || c.freeConfig)) continue;
    if ((def.family === 'ReplicaofNoOne' || def.family === 'Replicaof' || def.family === 'ReplicaofNoOneInHandshake' || def.family === 'RestartReplicaDetached') && !c.operatorKinds.includes('ReplicaofNoOne')) continue;
    if (def.family === 'RestartReplicaDetached' && !c.faultKinds.includes('CrashReplica')) continue;
    // the primary sends a saved file itself only after a disk-target fork: never with diskless sync fixed on
    if (def.family === 'SendBulkDone' && c.disklessSync && !(c.operatorKinds.includes('ToggleDisklessSync') && (c.configChanges > 0 || c.freeConfig))) continue;
    // a disk-target fork for rdb clients needs repl-diskless-sync turned off after a capa dual-channel was
    // accepted (which needs it on): only with ToggleDisklessSync
    if ((def.family === 'RdbBulkSent' || def.family === 'RdbBadEndoff') && !(c.operatorKinds.includes('ToggleDisklessSync') && (c.configChanges > 0 || c.freeConfig))) continue;
    if (def.family === 'HandleAbandonedPsync' && !c.abandonedPsync) continue;
    // the main thread notices a bio thread's download only where there is one
    if ((def.family === 'DownloadNoticed' || def.family === 'KeepAliveBio') && !c.bioDiskDownload) continue;
    // keep-alives reach a classic sync only while a disk child saves: never with diskless sync fixed on
    if (def.family === 'KeepAliveBio' && c.disklessSync && !(c.operatorKinds.includes('ToggleDisklessSync') && (c.configChanges > 0 || c.freeConfig))) continue;
    // a step that reads a free setting has one instance per outcome; its index is passed as `s`
    const variants = def.variants?.(c);
    const vs = variants ?? [''];
    const tag = (v: string) => (variants ? `,${v}` : '');
    if (def.params === 'none') vs.forEach((v, k) => out.push({ def, r: 0, s: k, name: variants ? `${def.family}[${v}]` : def.family }));
    else for (let r = 0; r < c.replicas; r++) {
      if (def.params === 'r') vs.forEach((v, k) => out.push({ def, r, s: k, name: `${def.family}[r${r + 1}${tag(v)}]` }));
      else for (let s = 0; s < SLOTS; s++) out.push({ def, r, s, name: `${def.family}[r${r + 1},s${s + 1}]` });
    }
  }
  return out;
}

export interface BuildOptions {
  /**
   * Maintain the history variable `rN.history.seed` (needed by goals with `needsHistory`). It adds
   * states, so counts with history differ from the preset's published counts.
   */
  readonly history?: boolean;
  /** Fix properties to check as well (model/invariants.ts FIX_PROPERTY_IDS; the bug zoo's). */
  readonly fixProperties?: readonly string[];
}

export function buildModel(c: ModelConfig, mut: Mutations = {}, opts: BuildOptions = {}): ReplModel {
  // #1149's ghost exists only for the fix property that reads it
  const L = makeLayout(c, { downSince: (opts.fixProperties ?? []).includes('I13-down-since') });
  const inst = instancesFor(c);
  const step = new Step(c, L, mut);
  // E7's maximal progress: Tick waits for every instance that takes no time
  const urgent = c.writeRate > 0 ? inst.filter((i) => takesNoTime(i.def)).map((i) => ({ def: i.def, r: i.r, s: i.s })) : [];
  step.urgent = urgent;
  const fix = makeFixProperties(c, L, inst.map((i) => i.def.family), opts.fixProperties ?? []);
  step.history = opts.history === true;
  const scratch = new Uint8Array(L.bytes);
  const B = c.blockSize;
  const n = inst.length;
  const guards = inst.map((i) => i.def.guard);
  const effects = inst.map((i) => i.def.effect);
  const rs = inst.map((i) => i.r);
  const ss = inst.map((i) => i.s);

  /**
   * Normalisation: only differences between offsets matter, so every state is shifted (by a
   * multiple of the block size, keeping block boundaries) until its lowest live offset `base`
   * lies in [2, 1 + blockSize]. Offsets that fall below 0 become 0, meaning "older than anything
   * the primary still has": such a value only ever fails the PSYNC range test, as it should.
   */
  function normalize(d: Uint8Array): void {
    // (the hot path of every transition: layout offsets and enum values are hoisted into locals)
    // server.replicas order of the classic main clients a fork serves or will serve: only their
    // relative order is kept (a client that left WAIT_BGSAVE_START/END drops out of it)
    let ranked = 0;
    for (let r = 0; r < NR; r++) {
      const b = RB[r]!;
      const mc = d[b + R_MC]!;
      if (mc !== MC_WAIT_BGSAVE && mc !== MC_WAIT_END) d[b + R_MORD] = 0;
      else if (d[b + R_MORD]! > 0) ranked++;
    }
    if (ranked > 0) {
      for (let k = 1; k <= ranked; k++) {
        // the k-th smallest remaining rank becomes k
        let best = -1;
        for (let r = 0; r < NR; r++) {
          const v = d[RB[r]! + R_MORD]!;
          if (v >= k && (best < 0 || v < d[RB[best]! + R_MORD]!)) best = r;
        }
        d[RB[best]! + R_MORD] = k;
      }
    }
    let base = d[G_NB]! > 0 ? d[G_HS]! : d[G_OFF]! + 1;
    for (let r = 0; r < NR; r++) {
      const b = RB[r]!;
      const st = d[b + R_RS]!;
      if (st === RS_TRANSFER || st === RS_CONNECTED) {
        const v = d[b + R_APP]! + 1;
        if (v < base) base = v;
      }
      const mc = d[b + R_MC]!;
      const inf = d[b + R_INF]!;
      // a closed main channel still delivers what is in flight; with nothing in flight its position is dead
      if (mc === MC_NONE && inf === 0) d[b + R_MREF] = 0;
      if (mc === MC_BG_RDB_LOAD || mc === MC_ONLINE || mc === MC_WAIT_END || mc === MC_ONLINE_WAIT_ACK || mc === MC_SEND_BULK || inf > 0) {
        const v = d[b + R_MREF]! - inf;
        if (v < base) base = v;
      }
      // buffer references are never below the head in a correct model; keeping them in the base
      // makes a broken model (a trimmed referenced block) visible instead of clamping it away
      const blk = d[b + R_MBLK]!;
      if (blk >= 2 && blk < base) base = blk;
      for (let s = 0; s < SLOTS; s++) {
        const pin = d[b + PIN_OFF[s]!]!;
        if (pin >= 2 && pin < base) base = pin;
      }
    }
    const shift = Math.floor((base - 2) / B) * B;
    if (shift <= 0) return;
    d[G_OFF] = d[G_OFF]! - shift;
    if (d[G_NB]! > 0) d[G_HS] = d[G_HS]! - shift; else d[G_HS] = 0;
    for (let r = 0; r < NR; r++) {
      const b = RB[r]!;
      d[b + R_E] = Math.max(0, d[b + R_E]! - shift);
      d[b + R_OE] = Math.max(0, d[b + R_OE]! - shift);
      d[b + R_APP] = Math.max(0, d[b + R_APP]! - shift);
      if (d[b + R_PERS]! > 0) d[b + R_PERS] = Math.max(1, d[b + R_PERS]! - shift);
      if (d[b + R_MREF]! > 0) d[b + R_MREF] = Math.max(0, d[b + R_MREF]! - shift);
      if (d[b + R_MBLK]! >= 2) d[b + R_MBLK] = d[b + R_MBLK]! - shift;
      for (let s = 0; s < SLOTS; s++) {
        const p = b + PIN_OFF[s]!;
        if (d[p]! >= 2) d[p] = d[p]! - shift;
      }
    }
  }
  const NR = c.replicas;
  const RB = Int32Array.from(L.replicaBase);
  const PIN_OFF = Int32Array.from({ length: SLOTS }, (_, s) => R_SLOTS + s * SLOT_SIZE + S_PIN);
  const MC_WAIT_BGSAVE = MC.WAIT_BGSAVE, MC_WAIT_END = MC.WAIT_END, MC_NONE = MC.NONE, MC_BG_RDB_LOAD = MC.BG_RDB_LOAD;
  const MC_ONLINE = MC.ONLINE, MC_ONLINE_WAIT_ACK = MC.ONLINE_WAIT_ACK, MC_SEND_BULK = MC.SEND_BULK;
  const RS_TRANSFER = RS.TRANSFER, RS_CONNECTED = RS.CONNECTED;
  const GHOST_DOWN_SINCE = L.downSinceAt !== undefined;

  // observe() re-runs an action with observations on; it owns its own working state, as does explain()
  const obsStep = new Step(c, L, mut);
  obsStep.urgent = urgent;
  obsStep.observing = true;
  obsStep.history = step.history;
  const obsScratch = new Uint8Array(L.bytes);
  const explainStep = new Step(c, L, mut);
  explainStep.urgent = urgent;
  explainStep.history = step.history;

  /**
   * Fires action instance i from s into d (the one place that does): guard, then effect on a copy,
   * then normalisation, then the state constraint on the offset span.
   */
  function fire(st: Step, i: number, s: Uint8Array, d: Uint8Array): FireResult {
    st.src = s;
    st.d = d;
    if (!guards[i]!(st, rs[i]!, ss[i]!)) return DISABLED;
    d.set(s);
    effects[i]!(st, rs[i]!, ss[i]!);
    if (GHOST_DOWN_SINCE) stepDownSince(c, L, s, d);
    normalize(d);
    // state constraint: the span of offsets the model tracks stays within maxOffset
    return d[G_OFF]! > c.maxOffset ? BEYOND_BOUND : FIRED;
  }

  const init = new Uint8Array(L.bytes);
  init[G_OFF] = 1;
  init[G_FAULTS] = c.freeFaults ? 0 : c.faults;
  init[G_PDUAL] = c.primaryDual ? 1 : 0;
  init[G_CFG] = c.freeConfig ? 0 : c.configChanges;
  init[G_PDISKLESS] = c.disklessSync ? 1 : 0;
  for (let r = 0; r < c.replicas; r++) {
    init[L.replicaBase[r]! + R_RDUAL] = c.replicaDual[r] ? 1 : 0;
    init[L.replicaBase[r]! + R_DLCFG] = c.disklessLoad ? 1 : 0;
  }
  // replicaStart "either": each replica starts replicating (replicaof in its config) or not yet told REPLICAOF
  const inits: Uint8Array[] = [init];
  if (c.replicaStart === 'either') {
    for (let r = 0; r < c.replicas; r++) {
      for (const s of [...inits]) { const t = s.slice(); t[L.replicaBase[r]! + R_RS] = RS.NONE; inits.push(t); }
    }
  }

  const goals: ReplGoal[] = [
    {
      id: 'psync-after-load',
      description: 'a replica has loaded the RDB before its main-channel PSYNC was answered (RDB_LOADED)',
      test: (s) => anyReplica(s, (b) => s[b + R_DS] === DS.LOADED),
    },
    {
      id: 'local-buffer-full',
      description: 'a replica stopped reading its main channel because its local buffer reached the limit',
      test: (s) => anyReplica(s, (b) => s[b + R_STOP] === 1),
    },
    {
      id: 'set-id-rejected',
      description: 'REPLCONF set-rdb-client-id is answered -ERR (the rdb client is already gone)',
      test: (s) => anyReplica(s, (b) => s[b + R_MQ] === MQ.ERR && s[b + R_RS] === RS.SETID_WAIT),
    },
    {
      id: 'leftover-rdb-client',
      description: 'the seed: a protected rdb client of an earlier sync still lingers (and pins the backlog) while the replica runs a new attempt',
      test: (s) => anyReplica(s, (b) => {
        const cur = s[b + R_SLOT]!;
        const st = s[b + R_RS]!;
        if (st !== RS.SETID_WAIT && st !== RS.MAIN_PSYNC_WAIT && st !== RS.RDB_HANDSHAKE && st !== RS.TRANSFER) return false;
        for (let k = 0; k < SLOTS; k++) if (k + 1 !== cur && s[b + R_SLOTS + k * SLOT_SIZE + S_RC] === RC.LINGER) return true;
        return false;
      }),
    },
    {
      id: 'cob-drop-during-load',
      description: 'the primary dropped a replica\'s main channel (output buffer limit) while the replica still loads its RDB and has stopped reading: it will only notice after the load',
      test: (s) => anyReplica(s, (b) => s[b + R_RS] === RS.TRANSFER && s[b + R_STOP] === 1 && s[b + R_MEOF] === 1),
    },
    {
      id: 'seed-lack-of-backlog',
      description: 'the seed\'s expected path (F8 then F6): the primary drops a replica\'s main channel for its output buffer while the replica still loads; after the load the replica reconnects and its PSYNC is refused for lack of backlog (needs the history variable)',
      needsHistory: true,
      test: (s) => anyReplica(s, (b) => s[b + R_HIST] === 3),
    },
  ];
  const liveness: LivenessProperty[] = [
    {
      id: 'L1-sync-completes',
      description: 'every replica told to replicate is connected again and again: no fair run stays out of sync forever (an endless full-sync loop violates it)',
      good: (s) => { for (let r = 0; r < c.replicas; r++) { const st = s[L.replicaBase[r]! + R_RS]!; if (st !== RS.CONNECTED && st !== RS.NONE) return false; } return true; },
    },
    {
      id: 'L1b-main-online',
      description: 'every replica told to replicate is connected and its main-channel client online on the primary, again and again',
      good: (s) => {
        for (let r = 0; r < c.replicas; r++) {
          const b = L.replicaBase[r]!;
          if (s[b + R_RS] === RS.NONE) continue;
          if (s[b + R_RS] !== RS.CONNECTED || s[b + R_MC] !== MC.ONLINE) return false;
        }
        return true;
      },
    },
    {
      id: 'L-loop',
      description: 'no endless full-sync loop: a fair run forks for a full sync (ForkDual, ForkClassic) only finitely often once the operator has stopped acting (a loop that passes through "connected", as 8.0.1\'s success on a dead link does, violates it and not L1)',
      good: () => false,
      recurring: (a) => FULL_SYNC_FORK.test(inst[a]!.def.family),
      cycleAction: (a) => !OPERATOR.test(inst[a]!.def.family),
    },
  ];
  const UNFAIR = /^(Write|Toggle|Replicaof)/;
  const OPERATOR = /^(Toggle|Replicaof)/;
  const FULL_SYNC_FORK = /^Fork(Dual|Classic)$/;
  function anyReplica(s: Uint8Array, f: (b: number) => boolean): boolean {
    for (let r = 0; r < c.replicas; r++) if (f(L.replicaBase[r]!)) return true;
    return false;
  }

  const families = [...new Set(inst.map((i) => i.def.family))];
  const model: ReplModel = {
    name: 'valkey-dual-channel',
    config: c,
    layout: L,
    instances: inst,
    stateBytes: L.bytes,
    actionNames: inst.map((i) => i.name),
    actionFamilies: inst.map((i) => i.def.family),
    families,
    invariants: [...makeInvariants(c, L), ...fix.invariants],
    transitionInvariants: [...makeStepInvariants(c, L, inst.map((i) => i.def.family)), ...fix.transitionInvariants],
    goals,
    liveness,
    fairAction: (a) => !inst[a]!.def.fault && !UNFAIR.test(inst[a]!.def.family),
    livenessExcluded: (a) => inst[a]!.def.fault === true || inst[a]!.def.family === 'Timeout' || inst[a]!.def.family === 'GraceExpire',
    nodes: step.nodes,
    initStates(emit) { for (const s of inits) emit(s); },
    successors(s, emit) {
      step.observing = false;
      for (let i = 0; i < n; i++) if (fire(step, i, s, scratch) === FIRED) emit(i, scratch);
    },
    successor(s, action) {
      step.observing = false;
      return fire(step, action, s, scratch) === FIRED ? scratch : null;
    },
    // the validator's one pass: each transition fired once, observed as it fires (not fired again by observe())
    successorsObserved(s, emit) {
      // a fresh list only after one was filled (the engine may keep a non-empty list it was given)
      obsStep.obs = [];
      for (let i = 0; i < n; i++) {
        if (obsStep.obs.length > 0) obsStep.obs = [];
        if (fire(obsStep, i, s, obsScratch) === FIRED) emit(i, obsScratch, obsStep.obs);
      }
    },
    observe(s, action, next): readonly Observation[] {
      obsStep.obs = [];
      const r = fire(obsStep, action, s, obsScratch);
      if (r === DISABLED) throw new Error(`observe: ${inst[action]!.name} is not enabled in this state`);
      if (r === BEYOND_BOUND) throw new Error(`observe: ${inst[action]!.name} leaves the offset span bound (maxOffset) in this state`);
      if (next && !equalBytes(obsScratch, next)) throw new Error(`the model is not deterministic: ${inst[action]!.name} reached another state when re-run for observation`);
      return obsStep.obs;
    },
    describe: (s) => describeState(L, s),
    // an output-buffer overflow of a client whose last command was SYNC is an rdb channel
    connectionOf: (kind, fields) => (kind === 'primary.cob_overflow' && fields?.cmd === 'sync' ? 'primary rdb client' : connectionOfKind(kind)),
    connections(s) {
      const out: Record<string, string> = {};
      for (const c of connectionsOf(L)) out[c.label] = String(c.lifecycle.name(s[c.at]!));
      return out;
    },
    explain(s, action) {
      const i = inst[action]!;
      const r = fire(explainStep, action, s, new Uint8Array(L.bytes));
      if (r === FIRED) return `${i.name} is enabled`;
      if (r === BEYOND_BOUND) return `${i.name} is disabled: its successor would exceed the offset span bound maxOffset=${c.maxOffset} (a model bound, not a protocol rule)`;
      // fire() left explainStep reading s
      const k = waitsForClosing(i.def) ? closingSlot(explainStep, i.r) : -1;
      if (k >= 0) return `${i.name} is disabled: replica${i.r + 1}'s rdb client ${k + 1} is closing; its steps wait for AsyncFreeRdb`;
      return `${i.name} is disabled: ${guardText(i.def.family)}`;
    },
  };
  return model;
}

const DISABLED = 0;
const BEYOND_BOUND = 1;
const FIRED = 2;
type FireResult = typeof DISABLED | typeof BEYOND_BOUND | typeof FIRED;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The guard of each family in protocol words (spec/model.md uses the same sentences). */
export const GUARD_TEXT: Record<string, string> = {
  Write: 'needs a backlog (some replica has synced); its successor must keep the offset span within maxOffset; under E7 (writeRate) fewer than writeRate writes since the last Tick',
  ToggleDualChannel: 'needs a configuration change left (or unbounded changes)',
  Tick: 'needs a running timer (handshake/transfer timeout, grace period, soft limit); under E7 (writeRate) also writes or a chunk or load step since the last Tick, and no step that takes no time enabled',
  Connect: 'needs the replica idle (REPL_STATE_CONNECT)',
  HandlePsync: 'needs a first PSYNC pending on a normal main-channel client',
  RecvReply: 'needs a reply in flight on the main channel',
  RdbConnect: 'needs the replica told +DUALCHANNELSYNC with its rdb channel not yet open',
  RdbSetupFail: 'needs fault budget and the replica about to open its rdb channel',
  HandleSync: 'needs the replica in the rdb handshake with its SYNC not yet taken, and a free rdb-client slot',
  ForkDual: 'needs no fork child and an rdb client in WAIT_BGSAVE_START',
  ForkClassic: 'needs no fork child and a classic main client in WAIT_BGSAVE_START',
  HandleSetId: 'needs REPLCONF set-rdb-client-id pending on a normal main-channel client',
  HandleMainPsync: 'needs the main-channel PSYNC <replid> <ENDOFF+1> pending on a normal main-channel client',
  RdbChunk: 'needs a running fork child streaming to this replica, and an open rdb channel; under E7 (writeRate) no chunk or load step of this replica since the last Tick',
  ChildFlush: 'needs a running fork child still writing to this replica',
  LoadStep: 'needs the replica loading its RDB; under E7 (writeRate) no chunk or load step of this replica since the last Tick',
  LoadDone: 'needs the replica\'s RDB load complete',
  StreamDone: 'needs the replica applying its local buffer after a dual-channel load',
  DownloadNoticed: 'needs a bio-thread download that has finished or failed, not yet noticed by the main thread (bioDiskDownload)',
  KeepAliveBio: 'needs a classic sync to disk with no RDB data read yet and no bio thread, whose RDB the primary\'s disk child is still saving (bioDiskDownload)',
  BufferRead: 'needs the replica buffering (transfer, not stopped), data in flight, and during the load a yield point',
  ReadStream: 'needs a connected replica with data in flight',
  SendStream: 'needs a streaming main client (bg_rdb_load or online) with unsent writes and room in the kernel buffer',
  RecvAck: 'needs a REPLCONF ACK in flight (classic: after the fork child finished)',
  ChildExit: 'needs a fork child with no transfer in progress',
  ChildExitFork: 'needs a dual-channel fork child with no transfer in progress, an rdb client it served, and an rdb client (dual) or a classic replica (otherwise) waiting for a fork',
  GraceExpire: 'needs a lingering protected rdb client past its grace period',
  AsyncFreeRdb: 'needs an rdb client its main channel\'s PSYNC unprotected while it lingered, not yet freed',
  RdbPeerClosed: 'needs an rdb channel the replica has closed whose EOF the primary has not read yet',
  MainPeerClosed: 'needs a replica-class main channel the replica has closed whose loss the primary has not logged yet',
  HandleAbandonedPsync: 'needs a main-channel PSYNC the replica wrote before abandoning the connection, not yet read by the primary',
  MainEOF: 'needs a main channel closed by the primary that the replica is reading, with nothing left in flight',
  RdbEOF: 'needs an rdb channel closed by the primary before the download completed',
  Timeout: 'needs the replica\'s repl-timeout clock at its limit, or a connected replica with nothing left to read from its primary',
  KillMain: 'needs fault budget and a main-channel client',
  KillRdb: 'needs fault budget and an rdb client of the current attempt',
  KillChild: 'needs fault budget and a running fork child; for fork-*, also clients it leaves to free (rdb clients it served, or classic replicas waiting for its end) and someone waiting for that fork',
  ForkFail: 'needs fault budget, no fork child and an rdb client waiting for a fork',
  CrashReplica: 'needs fault budget and a running replica',
  CrashAfterRename: 'needs fault budget and a replica about to rename its completed download into dump.rdb (the last chunk readable, or a bio download noticed)',
  RestartReplica: 'needs a crashed replica',
  RestartReplicaNoRdb: 'needs a crashed replica with a dump.rdb',
  RestartReplicaDetached: 'needs a crashed replica',
  ToggleReplicaDual: 'needs a configuration change left (or unbounded changes) and a running replica',
  ToggleDisklessSync: 'needs a configuration change left (or unbounded changes)',
  ReplicaofNoOne: 'needs a running replica that replicates (not already detached, not crashed)',
  Replicaof: 'needs a replica that does not replicate (REPLICAOF NO ONE, or not yet told REPLICAOF)',
  ReplicaofNoOneInHandshake: 'needs a replica about to connect (idle) or told REPLICAOF (not replicating); for capa-read, a primary that ignores its capa dual-channel',
  SendBulkDone: 'needs the primary sending a saved RDB file to this replica (disk-target sync)',
  RdbBulkSent: 'needs the primary sending a saved RDB file to this rdb client (disk-target fork for an rdb channel) that the replica has not closed',
  RdbBadEndoff: 'needs a replica waiting for $ENDOFF with a saved RDB file\'s "$<size>" preamble to read on its rdb channel',
  ToggleDisklessLoad: 'needs a configuration change left (or unbounded changes) and a running replica',
};

function guardText(family: string): string {
  return GUARD_TEXT[family] ?? 'guard false';
}

export type { Mutations };

/** The liveness check's options for this model: its fairness and its left-out actions (spec/model.md §10.1). */
export function livenessOptions(model: ReplModel, maxStates?: number): LivenessOptions {
  return { fair: (a) => model.fairAction(a), exclude: (a) => model.livenessExcluded(a), ...(maxStates !== undefined ? { maxStates } : {}) };
}
