// Every action of the model: name, parameters, guard, effect, and the trace events it emits.
// spec/model.md lists the same actions in the same order with the same names.
//
// An action instance is a family plus its parameters (replica r, rdb-client slot s). Its guard
// reads the current state `src`; its effect mutates `d`, a copy of `src`, through the helpers of
// `Step`. Observations are recorded only when `Step.observing` is on (simulation, conformance),
// so the checker's hot loop pays nothing for them.
import { effectiveHard, effectiveSoft, type ModelConfig } from './config.js';
import {
  CHILD, childSucceedsIn, dualSaveFails, CS, DS, G_BLOG, G_CFG, G_CHILD, G_FAULTS, G_PDISKLESS, G_PDUAL, G_HS, G_NB, G_OFF, G_RC, MC, MQ, PIN_NONE, PIN_NULL, R_ACK, R_APP, R_BAD, R_BIO, R_BUF, R_CACHE,
  R_CAPA, R_CS, R_DLCFG, R_LEAK, R_DLOAD, R_DS, R_E, R_HIST, R_INF, R_IO, R_LOSTLOG, R_OASSOC, R_OE, R_ORPH, R_MASSOC, R_MBLK, R_MC, R_MEOF, R_MORD, R_MQ, R_MREF, R_MSOFT, R_PERS, R_PROG, R_RDUAL, R_REOF, R_RS, R_SLOT, R_SLOTS,
  R_STOP, R_TOK, R_OVER, RC, RS, S_CHILD, S_GT, S_ORD, S_PEER, S_PIN, S_PROT, S_RAX, S_RC, S_SOFT, SLOT_SIZE, SLOTS, type Layout,
} from './state.js';
import { pendingRegister, type FieldSpec, type Observation } from './observation.js';
import type { Kind } from './vocabulary.js';

/** Deliberate bugs, for tests that show the checker catches each invariant's violation. */
export interface Mutations {
  /** Trimming drops the head block whatever its reference count. */
  trimIgnoresRefcount?: boolean;
  /** The main-channel PSYNC is accepted at ENDOFF instead of checked at ENDOFF+1. */
  psyncAtEndoff?: boolean;
  /** Releasing a pin forgets to decrement the block's reference count. */
  unpinLeaksRef?: boolean;
  /** The main-channel PSYNC does not remove the rdb client from replicas_waiting_psync. */
  psyncKeepsRax?: boolean;
  /** The replica never stops buffering at its local limit. */
  ignoreLocalLimit?: boolean;
  /** The primary never checks a replica client's hard output-buffer limit. */
  noHardLimit?: boolean;
  /** A finished rdb client that is no longer protected is kept instead of freed. */
  keepFinishedRdbClient?: boolean;
  /** A CLIENT KILL of a protected rdb client clears its protection (frees it at once). */
  killUnprotects?: boolean;
  /** The replica applies its local buffer twice on success. */
  applyBufferTwice?: boolean;
  /** A successful sync leaves a non-empty local buffer behind. */
  keepBufferOnSuccess?: boolean;
  /** A restarted replica takes the offset persisted in its dump.rdb as the next write, not the last one it holds. */
  restartOffsetOffByOne?: boolean;
}

export type Param = 'none' | 'r' | 'rs';

export interface ActionDef {
  readonly family: string;
  readonly params: Param;
  readonly fault?: boolean;
  /** The fault kind (config faultKinds) a fault family belongs to, when not its own name. */
  readonly faultKind?: string;
  readonly doc: string;
  /**
   * Outcomes of a free setting the step reads (freeConfig): one instance per outcome, whose index
   * the guard and effect receive as `s` (families with params 'none' or 'r' only). Undefined: one
   * instance that reads the setting from the state.
   */
  readonly variants?: (c: ModelConfig) => readonly string[] | undefined;
  guard(m: Step, r: number, s: number): boolean;
  effect(m: Step, r: number, s: number): void;
}

const ONLY_REPLICA: readonly number[] = Object.freeze([0]);

/** Working context of one transition: the source state, the successor being built, helpers. */
export class Step {
  src!: Uint8Array;
  d!: Uint8Array;
  observing = false;
  obs: Observation[] = [];
  readonly B: number;
  readonly hard: number;
  readonly soft: number;
  readonly nodes: string[];

  /** E7 (writeRate > 0): the instances that take no time (takesNoTime); Tick waits while one is enabled. Set by buildModel. */
  urgent: readonly { readonly def: ActionDef; readonly r: number; readonly s: number }[] = [];

  /** Maintain the history variable R_HIST (only for --reach goals that need it). */
  history = false;

  constructor(readonly c: ModelConfig, readonly L: Layout, readonly mut: Mutations) {
    this.B = c.blockSize;
    this.hard = effectiveHard(c);
    this.soft = effectiveSoft(c);
    this.nodes = ['primary', ...Array.from({ length: c.replicas }, (_, i) => `replica${i + 1}`)];
  }

  // ---- field access ----------------------------------------------------------------------------
  rb(r: number): number { return this.L.replicaBase[r]!; }
  sb(r: number, s: number): number { return this.L.replicaBase[r]! + R_SLOTS + s * SLOT_SIZE; }
  /** Read a replica field of the source state. */
  g(r: number, f: number): number { return this.src[this.L.replicaBase[r]! + f]!; }
  /** Read a replica field of the successor. */
  get(r: number, f: number): number { return this.d[this.L.replicaBase[r]! + f]!; }
  set(r: number, f: number, v: number): void { this.d[this.L.replicaBase[r]! + f] = v; }
  gs(r: number, s: number, f: number): number { return this.src[this.sb(r, s) + f]!; }
  getS(r: number, s: number, f: number): number { return this.d[this.sb(r, s) + f]!; }
  setS(r: number, s: number, f: number, v: number): void { this.d[this.sb(r, s) + f] = v; }

  // ---- E7, rate-bounded writes (writeRate > 0; without E7 each test passes and each count is a no-op) --
  /** Another write fits in this tick. */
  writeFits(): boolean { const at = this.L.rateAt; return !at || this.src[at.writes]! < this.c.writeRate; }
  countWrite(): void { const at = this.L.rateAt; if (at) this.d[at.writes] = this.d[at.writes]! + 1; }
  /** Replica r has not yet spent this tick on an RDB chunk or a load step. */
  tickFree(r: number): boolean { const at = this.L.rateAt; return !at || this.src[at.worked[r]!] === 0; }
  spendTick(r: number): void { const at = this.L.rateAt; if (at) this.d[at.worked[r]!] = 1; }

  // ---- observations ------------------------------------------------------------------------------
  emit(node: string, kind: Kind, fields: Record<string, FieldSpec> = {}, clear?: string[]): void {
    if (this.observing) this.obs.push(clear ? { kind, node, fields, clear } : { kind, node, fields });
  }
  rep(r: number): string { return this.nodes[r + 1]!; }
  /** A primary event about replica r: it names the replica (Valkey logs its ip:port). */
  pe(r: number, kind: Kind, fields?: Record<string, FieldSpec>, clear?: string[]): void {
    if (!this.observing) return;
    // every caller passes a fresh object literal: adding the field to it (last, as a spread would)
    // spares a copy on the validator's hot path; the replica's field is one shared object
    const f = fields ?? {};
    f.replica = (this.replicaFields[r] ??= { op: 'lit', value: this.nodes[r + 1]! });
    this.emit('primary', kind, f, clear);
  }
  private readonly replicaFields: FieldSpec[] = [];
  /** Register names tie concrete values (client ids, offsets) across events. */
  regCid(r: number, s: number): string { return (this.cidNames[r * SLOTS + s] ??= `r${r + 1}.rdb${s + 1}.cid`); }
  regEndoff(r: number): string { return (this.endoffNames[r] ??= `r${r + 1}.endoff`); }
  regMainCid(r: number): string { return (this.mainCidNames[r] ??= `r${r + 1}.main.cid`); }
  // register names are built once: they are made on every observed transition
  private readonly cidNames: string[] = [];
  private readonly endoffNames: string[] = [];
  private readonly mainCidNames: string[] = [];
  private readonly psyncNames: string[] = [];
  /** The offset of replica r's last first PSYNC ("request <replid>:<offset>"): the primary's answer names it. */
  regPsync(r: number): string { return (this.psyncNames[r] ??= `r${r + 1}.psync`); }
  private readonly psyncReplidNames: string[] = [];
  /** The replication id of replica r's last first PSYNC: a mismatch line (or 9.1's "lack of backlog") repeats it. */
  regPsyncReplid(r: number): string { return (this.psyncReplidNames[r] ??= `r${r + 1}.psyncReplid`); }
  /**
   * A refusal of replica r's first PSYNC without a usable cached primary. When it is a replication
   * id mismatch the line names the id asked for (the replica's PSYNC line names it too) and both of
   * the primary's ids; PSYNC ? -1 and the second id's offset name none.
   */
  refusedForId(r: number): Record<string, FieldSpec> {
    // a fresh object: pe() adds the replica's field to it
    return { reason: { op: 'any' }, replid: { op: 'eq', reg: REG_REPLID, unlike: [this.regPsyncReplid(r)] }, replid2: { op: 'eq', reg: REG_REPLID2 }, requestedReplid: this.notPrimaryId(r) };
  }
  /**
   * The id a replica without a cached primary asks for: register PSYID(r), never bound to the
   * primary's current id (a mismatch means just that, and the primary's id is bound unlike it in
   * refusedForId, whichever line comes first; the second id may be asked for, refused for its offset).
   */
  notPrimaryId(r: number): FieldSpec {
    return { op: 'eq', reg: this.regPsyncReplid(r), unlike: [REG_REPLID] };
  }
  private readonly cidRegs: string[][] = [];
  /** The registers of replica r's rdb-client ids (one array per replica, built once). */
  rdbCidRegs(r: number): string[] { return (this.cidRegs[r] ??= Array.from({ length: SLOTS }, (_, s) => this.regCid(r, s))); }

  // ---- replication buffer ------------------------------------------------------------------------
  /** Start offset of block k (0 = head). */
  blockStart(k: number): number { return this.d[G_HS]! + k * this.B; }
  blockIndex(start: number): number { return (start - this.d[G_HS]!) / this.B; }
  tailStart(): number { return this.d[G_HS]! + (this.d[G_NB]! - 1) * this.B; }
  addRef(start: number): void { this.d[G_RC + this.blockIndex(start)]!++; }
  decRef(start: number): void { if (!this.mut.unpinLeaksRef) this.d[G_RC + this.blockIndex(start)]!--; }
  /** Number of rdb clients in server.replicas (slots in use). */
  liveRdbClients(): number {
    let n = 0;
    for (let r = 0; r < this.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (this.getS(r, s, S_ORD) > 0) n++;
    return n;
  }
  /** Is offset o servable from the backlog (the PSYNC range test)? */
  inBacklog(o: number): boolean {
    const d = this.d;
    if (!d[G_BLOG]) return false;
    if (d[G_NB] === 0) return o === d[G_OFF]! + 1;
    return d[G_HS]! <= o && o <= d[G_OFF]! + 1;
  }
  /** Output-buffer memory of a client referencing block `start`, in writes (whole blocks). */
  used(start: number): number { return start < 2 || this.d[G_NB] === 0 ? 0 : this.tailStart() + this.B - start; }

  /** incrementalTrimReplicationBacklog: drop head blocks only the backlog references. */
  trim(): void {
    const d = this.d;
    const bl = this.c.backlog;
    while (d[G_NB]! > 1) {
      const histlen = d[G_OFF]! - d[G_HS]! + 1;
      if (histlen - this.B <= bl) break;
      if (d[G_RC] !== 1 && !this.mut.trimIgnoresRefcount) break;
      // drop the head; the backlog's reference moves to the next block
      const nb = d[G_NB]!;
      for (let k = 0; k < nb - 1; k++) d[G_RC + k] = d[G_RC + k + 1]!;
      d[G_RC + nb - 1] = 0;
      d[G_NB] = nb - 1;
      d[G_HS] = d[G_HS]! + this.B;
      d[G_RC]!++;
    }
  }

  createBacklog(): void {
    if (this.d[G_BLOG]) return;
    this.d[G_BLOG] = 1;
    // createReplicationBacklog: changeReplicationId + clearReplicationId2 ("my new replication IDs are …")
    this.emit('primary', 'primary.backlog_created', { replid: { op: 'set', reg: REG_REPLID }, replid2: { op: 'set', reg: REG_REPLID2 } }, [REG_POFF]);
  }

  // ---- primary-side clients ------------------------------------------------------------------------
  /** Main client is fed from the replication buffer (has or will take a reference). */
  fed(r: number): boolean {
    const mc = this.get(r, R_MC);
    return mc === MC.WAIT_END || mc === MC.SEND_BULK || mc === MC.ONLINE_WAIT_ACK || mc === MC.BG_RDB_LOAD || mc === MC.ONLINE;
  }
  /** Free the primary's main-channel client of replica r; the replica sees EOF later. */
  /**
   * `deferLog`: the replica closed the connection; the primary logs the loss when it reads the EOF
   * (MainPeerClosed), after whatever else it handles first. The client's state is released at once.
   */
  freeMain(r: number, replicaClass: boolean, deferLog = false, keepCid = false): void {
    // the primary was sending a saved RDB file itself: that transfer ends with the client
    if (this.get(r, R_MC) === MC.SEND_BULK && this.get(r, R_CS) === CS.STREAMING) this.set(r, R_CS, CS.NONE);
    const blk = this.get(r, R_MBLK);
    if (blk >= 2) this.decRef(blk);
    this.set(r, R_MBLK, 0);
    this.set(r, R_OVER, 0);
    this.set(r, R_MC, MC.NONE);
    this.set(r, R_CAPA, 0);
    this.set(r, R_MASSOC, 0);
    this.set(r, R_MSOFT, 0);
    // R_MREF stays: writes already in the socket are still delivered in order (see normalize)
    if (replicaClass && deferLog) {
      // one pending line per replica: an older one is logged first
      if (this.get(r, R_LOSTLOG)) this.pe(r, 'primary.replica_lost', {}, [this.regMainCid(r)]);
      this.set(r, R_LOSTLOG, 1);
    } else if (replicaClass) this.pe(r, 'primary.replica_lost', {}, keepCid ? undefined : [this.regMainCid(r)]);
    this.trim();
  }
  /** Drop the rdb client's pin: refcount--, out of replicas_waiting_psync, unprotected. */
  unpin(r: number, s: number): void {
    const pin = this.getS(r, s, S_PIN);
    if (pin >= 2) this.decRef(pin);
    this.setS(r, s, S_PIN, PIN_NONE);
    this.setS(r, s, S_PROT, 0);
    this.setS(r, s, S_RAX, 0);
  }
  /** The main client references more than the (raised) hard limit + one block (I8's bound). */
  mainOverBound(r: number): boolean {
    const blk = this.get(r, R_MBLK);
    return this.hard > 0 && blk >= 2 && this.d[G_NB]! > 0 && this.d[G_HS]! + this.d[G_NB]! * this.B - 1 - blk + 1 > this.hard + this.B;
  }
  /** The rdb client in slot s leaves server.replicas (if still there): the clients after it move up. */
  leaveReplicas(r: number, s: number): void {
    const ord = this.getS(r, s, S_ORD);
    if (ord === 0) return;
    this.setS(r, s, S_ORD, 0);
    for (let q = 0; q < this.c.replicas; q++) for (let t = 0; t < SLOTS; t++) if (this.getS(q, t, S_ORD) > ord) this.setS(q, t, S_ORD, this.getS(q, t, S_ORD) - 1);
  }
  /**
   * H2: an rdb client a failed fork dropped from server.replicas (`order` 0 while it lingers) is
   * class normal in Valkey, with reply_bytes 0: no output-buffer check sees its pin. Only with
   * forkFailedRdbChecksCob (no Valkey version) is it still held to the replica-class limits.
   */
  escapesCob(r: number, s: number): boolean {
    return !this.c.forkFailedRdbChecksCob && this.getS(r, s, S_ORD) === 0;
  }
  /** Really free the rdb client in slot s (freeClient of an unprotected client). */
  freeRdb(r: number, s: number, keepCid = false): void {
    // Valkey logs "rdb channel disconnected" (freeClient) before "Remove psync waiting replica …
    // from replicas rax" (freeReplicaReferencedReplBuffer)
    const wasWaiting = this.getS(r, s, S_RAX) === 1;
    const clear = keepCid ? undefined : [this.regCid(r, s)];
    this.pe(r, 'primary.rdb_channel_closed', {}, wasWaiting ? undefined : clear);
    if (wasWaiting) this.pe(r, 'primary.rdb_unlinked', { cid: { op: 'eq', reg: this.regCid(r, s) } }, clear);
    this.unpin(r, s);
    this.setS(r, s, S_RC, RC.NONE);
    this.setS(r, s, S_GT, 0);
    this.setS(r, s, S_SOFT, 0);
    this.setS(r, s, S_CHILD, 0);
    this.setS(r, s, S_PEER, 0);
    this.leaveReplicas(r, s);
    if (this.get(r, R_SLOT) === s + 1) {
      // the socket is shut down (shutdown(SHUT_RDWR), then close): the child's writes fail and the
      // replica sees EOF before the end. An RDB the child already wrote completely is still read to
      // its end, or lost with the connection: a close with unread input resets it, and the data the
      // primary had not yet sent goes with it (real 9.1.2, traces/chaos/rdb-kill-after-child-wrote-912:
      // CLIENT KILL of the rdb client, the child's "terminated with success" after it, and the
      // replica's "connection lost" at the kill). The child, done writing, still succeeds.
      const cs = this.get(r, R_CS);
      const ds = this.get(r, R_DS);
      const readsSocket = ds === DS.SYNC_SENT || ds === DS.DOWNLOAD || (ds === DS.LOADING && this.get(r, R_DLOAD) === 1);
      if (readsSocket && cs !== CS.FLUSHED) {
        this.set(r, R_REOF, 1);
        if (cs === CS.STREAMING) this.set(r, R_CS, CS.BROKEN);
      }
    }
    this.trim();
  }
  /** freeClient / freeClientAsync of an rdb client: protected ones linger for the grace period. */
  closeRdb(r: number, s: number): void {
    // already in the async free queue, unprotected: freed in beforeSleep (AsyncFreeRdb)
    if (this.getS(r, s, S_RC) === RC.CLOSING) return;
    if (this.getS(r, s, S_PROT)) {
      if (this.getS(r, s, S_RC) !== RC.LINGER) {
        this.setS(r, s, S_RC, RC.LINGER);
        this.setS(r, s, S_GT, 0);
        this.pe(r, 'primary.rdb_free_postponed', { cid: { op: 'eq', reg: this.regCid(r, s) } });
      }
    } else if (this.mut.keepFinishedRdbClient && this.getS(r, s, S_RC) === RC.WAIT_END) {
      // bug: the finished client stays
    } else {
      this.freeRdb(r, s);
    }
  }
  /**
   * Output-buffer limit reached: protection cleared, client closed. From the write path (`sync`
   * false) and for a protected rdb client Valkey frees the client asynchronously and logs the limit
   * first ("scheduled to be closed ASAP"); from clientsCron (`sync`) it frees an unprotected client
   * at once, so freeClient's lines come first and "closed for overcoming of output buffer limits"
   * after them (closeClientOnOutputBufferLimitReached, networking.c).
   */
  cobClose(r: number, s: number, sync = false): void {
    if (sync && (s < 0 || !this.getS(r, s, S_PROT))) {
      if (s < 0) {
        this.cobHistory(r);
        this.freeMain(r, true, false, true);
        this.pe(r, 'primary.cob_overflow', this.cobLine(r, s), [this.regMainCid(r)]);
        this.set(r, R_MEOF, 1);
      } else {
        this.freeRdb(r, s, true);
        this.pe(r, 'primary.cob_overflow', this.cobLine(r, s), [this.regCid(r, s)]);
      }
      return;
    }
    this.cobSchedule(r, s);
    this.cobFreeAsync(r, s);
  }
  /** The overflow line: the client's id, class and last command. */
  private cobLine(r: number, s: number): Record<string, FieldSpec> {
    // the main channel's id is logged nowhere before; it cannot be one of the rdb clients' ids
    return s < 0
      ? { cid: { op: 'eq', reg: this.regMainCid(r), unlike: this.rdbCidRegs(r) }, class: { op: 'lit', value: 'replica' }, cmd: { op: 'in', values: ['psync', 'replconf'] } }
      : { cid: { op: 'eq', reg: this.regCid(r, s) }, class: { op: 'lit', value: 'replica' }, cmd: { op: 'lit', value: 'sync' } };
  }
  /** history: the main channel was dropped while the replica still downloads or loads its RDB */
  private cobHistory(r: number): void {
    if (this.history && this.get(r, R_RS) === RS.TRANSFER) this.set(r, R_HIST, 1);
  }
  /** freeClientAsync: "scheduled to be closed ASAP …", protection cleared; freed by cobFreeAsync. */
  private cobSchedule(r: number, s: number): void {
    if (s < 0) this.cobHistory(r);
    this.pe(r, 'primary.cob_overflow', this.cobLine(r, s));
    if (s >= 0) this.setS(r, s, S_PROT, 0);
  }
  /** freeClientsInAsyncFreeQueue frees a scheduled client. */
  private cobFreeAsync(r: number, s: number): void {
    if (s < 0) { this.freeMain(r, true); this.set(r, R_MEOF, 1); } else this.freeRdb(r, s);
  }
  /**
   * Replicas in the server.replicas order of their main clients, as far as the model knows it: the
   * others by index first, then the classic main clients in WAIT_BGSAVE_START/END by R_MORD (they
   * joined the list last: listAddNodeTail). The relative order of an online main client and a
   * waiting classic one is not kept (a client online through a partial resync may have joined
   * after); where it is used only the waiting ones' order is observed, except for two clients
   * over the hard limit at one block.
   */
  mainListOrder(): readonly number[] {
    // on every write (checkHardLimits) of the checker's and the validator's hot loops: no allocation,
    // a stable insertion sort into a scratch array and one shared frozen array per permutation
    const n = this.c.replicas;
    if (n === 1) return ONLY_REPLICA;
    const keys = this.orderKeys, buf = this.orderBuf;
    for (let r = 0; r < n; r++) { const o = this.get(r, R_MORD); keys[r] = o > 0 ? n + o : r; buf[r] = r; }
    let code = 0;
    for (let i = 1; i < n; i++) {
      const x = buf[i]!, kx = keys[x]!;
      let j = i - 1;
      while (j >= 0 && keys[buf[j]!]! > kx) { buf[j + 1] = buf[j]!; j--; }
      buf[j + 1] = x;
    }
    for (let i = 0; i < n; i++) code = code * n + buf[i]!;
    let p = this.orders.get(code);
    if (!p) { p = Object.freeze(Array.from(buf.subarray(0, n))); this.orders.set(code, p); }
    return p;
  }
  private readonly orderKeys = new Int32Array(64);
  private readonly orderBuf = new Int32Array(64);
  private readonly orders = new Map<number, readonly number[]>();
  /**
   * Hard-limit check of every replica-class client that references the buffer. On the write path
   * (feedReplicationBuffer) each client over the limit is scheduled as the new block is added, and
   * freeClientsInAsyncFreeQueue frees them all afterwards in the order they were scheduled: with two
   * clients over the limit, both overflow lines come before both clients' loss lines.
   */
  checkHardLimits(sync = false): void {
    if (this.hard === 0 || this.mut.noHardLimit) return;
    const over: number[] = [];
    // in server.replicas order, as far as the model knows it (mainListOrder)
    for (const r of this.mainListOrder()) {
      const blk = this.get(r, R_MBLK);
      if (blk >= 2 && this.used(blk) >= this.hard) over.push(r * (SLOTS + 1));
      for (let s = 0; s < SLOTS; s++) {
        const pin = this.getS(r, s, S_PIN);
        if (pin >= 2 && this.getS(r, s, S_RC) !== RC.NONE && !this.escapesCob(r, s) && this.used(pin) >= this.hard) over.push(r * (SLOTS + 1) + s + 1);
      }
    }
    if (sync || over.length <= 1) {
      for (const k of over) this.cobClose(Math.floor(k / (SLOTS + 1)), (k % (SLOTS + 1)) - 1, sync);
      return;
    }
    for (const k of over) this.cobSchedule(Math.floor(k / (SLOTS + 1)), (k % (SLOTS + 1)) - 1);
    for (const k of over) this.cobFreeAsync(Math.floor(k / (SLOTS + 1)), (k % (SLOTS + 1)) - 1);
  }

  // ---- replica side ----------------------------------------------------------------------------------
  /** cancelReplicationHandshake(1) / replicationAbortDualChannelSyncTransfer: close both channels. */
  abort(r: number, result: number | null): void {
    const dual = this.get(r, R_DS) !== DS.NONE && this.get(r, R_RS) !== RS.CLASSIC;
    const me = this.rep(r);
    // the caller's "Aborting dual channel sync. Main channel psync result …" comes before the drain;
    // replicationAbortDualChannelSyncTransfer's plain "Aborting dual channel sync" after it (the reader
    // merges the two lines into one record unless the bio thread logged an event between them)
    if (result !== null) this.emit(me, 'replica.abort', { result: { op: 'lit', value: result } });
    const bioFailed = this.drainBio(r);
    if (dual && (result === null || bioFailed)) this.emit(me, 'replica.abort');
    this.closeReplicaConnections(r);
    this.resetReplica(r, RS.IDLE);
  }
  /**
   * bioDiskDownload: cancelReplicationHandshake first drains a running bio download
   * (replica_bio_abort_save, bioDrainWorker) before it closes anything. The bio thread exists from
   * the first readable event of the download (a chunk read, progress ≥ 1; or a keep-alive, KeepAliveBio).
   * Blocked in its read on a connection the primary closed, it fails: "I/O error …" (replica.rdb_failed),
   * then "Error reading sync metadata/payload", "Error downloading RDB" (known-ignored), all before the
   * abort's own line. Otherwise it sees the flag: "Main thread asked to abort the save …" (known-ignored).
   */
  drainBio(r: number): boolean {
    if (!this.c.bioDiskDownload || this.get(r, R_DS) !== DS.DOWNLOAD) return false;
    const classic = this.get(r, R_RS) === RS.CLASSIC;
    if (!(this.get(r, R_PROG) > 0 || (classic && this.get(r, R_BIO)))) return false;
    // the bio thread reads the main channel of a classic sync, the rdb channel of a dual-channel one
    if (!(classic ? this.get(r, R_MEOF) && !this.get(r, R_INF) : this.get(r, R_REOF))) return false;
    this.emit(this.rep(r), 'replica.rdb_failed');
    return true;
  }
  /**
   * The replica closes its connections. The primary frees the main-channel client at once; it reads
   * the rdb channel's EOF later (RdbPeerClosed), after whatever else it handles first.
   */
  closeReplicaConnections(r: number): void {
    const mc = this.get(r, R_MC);
    // a main-channel PSYNC already written is still read and answered by the primary (HandleAbandonedPsync)
    if (this.c.abandonedPsync && mc === MC.NORMAL && this.get(r, R_RS) === RS.MAIN_PSYNC_WAIT && this.get(r, R_MQ) === MQ.REQ && !this.get(r, R_ORPH)) {
      this.set(r, R_ORPH, 1);
      this.set(r, R_OE, this.get(r, R_E));
      this.set(r, R_OASSOC, this.get(r, R_MASSOC));
    }
    if (mc !== MC.NONE) this.freeMain(r, mc !== MC.NORMAL, true);
    this.peerClosesRdb(r);
    if (this.get(r, R_CS) === CS.STREAMING) this.set(r, R_CS, CS.BROKEN);
  }
  /**
   * An error of the rdb channel's handshake (fullSyncWithPrimary) before #1097 (8.0.1,
   * rdbHandshakeErrorClosesMain false): the replica drops its pointer to the main connection
   * without closing it, so the primary keeps that connection's client (a normal client: it was only
   * offered +DUALCHANNELSYNC) until the replica process exits (mainClient.leaked). The record is
   * free for the next connection; the abort that follows closes only the rdb channel.
   */
  leakMainOnHandshakeError(r: number): void {
    if (this.c.rdbHandshakeErrorClosesMain || this.get(r, R_MC) === MC.NONE) return;
    this.set(r, R_LEAK, 1);
    this.set(r, R_MC, MC.NONE);
    this.set(r, R_CAPA, 0);
    this.set(r, R_MASSOC, 0);
    this.set(r, R_MSOFT, 0);
  }
  /** The replica closes the rdb channel of its current attempt: the primary has yet to read the EOF. */
  peerClosesRdb(r: number): void {
    const slot = this.get(r, R_SLOT);
    if (!slot) return;
    const rc = this.getS(r, slot - 1, S_RC);
    if (rc === RC.WAIT_START || rc === RC.WAIT_END || rc === RC.SEND_BULK) this.setS(r, slot - 1, S_PEER, 1);
  }
  resetReplica(r: number, rs: number): void {
    const d = this.d;
    const b = this.rb(r);
    // history: an abort or a crash ends the path the seed goal follows (a reconnect after a lost link keeps it)
    if (this.history && !(rs === RS.IDLE && d[b + R_HIST] === 2)) d[b + R_HIST] = 0;
    d[b + R_RS] = rs;
    d[b + R_DS] = DS.NONE;
    d[b + R_PROG] = 0;
    d[b + R_E] = 0;
    d[b + R_BUF] = 0;
    d[b + R_STOP] = 0;
    d[b + R_TOK] = 0;
    d[b + R_IO] = 0;
    d[b + R_MQ] = MQ.NONE;
    d[b + R_INF] = 0;
    d[b + R_MEOF] = 0;
    d[b + R_REOF] = 0;
    d[b + R_SLOT] = 0;
    d[b + R_ACK] = 0;
    d[b + R_DLOAD] = 0;
    d[b + R_BIO] = 0;
    if (d[b + R_CS] === CS.FLUSHED) d[b + R_CS] = CS.NONE;
  }
  /** Read the oldest write in flight on the main channel into the replica's data or buffer. */
  readOne(r: number): void {
    const w = this.get(r, R_MREF) - this.get(r, R_INF);
    const app = this.get(r, R_APP);
    if (w !== app + 1) this.set(r, R_BAD, 1);
    this.set(r, R_APP, app + 1);
    this.set(r, R_INF, this.get(r, R_INF) - 1);
  }
  /** dualChannelSyncSuccess: the local buffer has been applied; the link is up. */
  dualSuccess(r: number): void {
    if (this.mut.applyBufferTwice) this.set(r, R_APP, this.get(r, R_APP) + this.get(r, R_BUF));
    this.emit(this.rep(r), 'replica.buffer_streamed');
    const b = this.rb(r);
    const d = this.d;
    d[b + R_RS] = RS.CONNECTED;
    d[b + R_DS] = DS.NONE;
    d[b + R_PROG] = 0;
    if (!this.mut.keepBufferOnSuccess) d[b + R_BUF] = 0;
    d[b + R_STOP] = 0;
    d[b + R_TOK] = 0;
    d[b + R_CACHE] = 1;
    d[b + R_ACK] = 1;
    d[b + R_E] = 0;
  }
  /** The replica closes its rdb channel after the load (the primary frees or postpones the client once it reads the EOF). */
  closeRdbChannel(r: number): void {
    this.peerClosesRdb(r);
    this.set(r, R_SLOT, 0);
    this.set(r, R_REOF, 0);
  }
  /** Does the replica's repl-timeout clock run in its current state? */
  ioClockRuns(r: number): boolean {
    if (this.c.replTimeout === 0) return false;
    const rs = this.g(r, R_RS);
    const ds = this.g(r, R_DS);
    switch (rs) {
      case RS.PSYNC_WAIT: case RS.SETID_WAIT: case RS.MAIN_PSYNC_WAIT:
        return this.g(r, R_MQ) === MQ.REQ;
      case RS.RDB_HANDSHAKE:
        // once the primary holds the SYNC, it sends "\n" keep-alives until the fork
        return this.g(r, R_SLOT) === 0;
      case RS.TRANSFER:
        return ds === DS.DOWNLOAD;
      case RS.CLASSIC:
        // while a disk-target child saves, the primary's "\n" keep-alives reset the replica's clock
        return ds === DS.DOWNLOAD && !(this.g(r, R_MC) === MC.WAIT_END && this.src[G_CHILD] === CHILD.DISK);
      default:
        return false;
    }
  }
  /**
   * Can a connected replica's repl-timeout fire ("PRIMARY timeout: no data nor PING received",
   * replicationCron: `server.primary->last_interaction` older than repl-timeout)? The model has no
   * clock for the link: the primary can always fall silent for repl-timeout (stopped, blocked, or no
   * writes while repl-ping-replica-period ≥ repl-timeout), but only with nothing left for the replica
   * to read: data or a reply in flight would be read (resetting last_interaction), and an EOF the
   * primary left would be noticed first (MainEOF).
   */
  primarySilent(r: number): boolean {
    if (this.c.replTimeout === 0 || this.g(r, R_RS) !== RS.CONNECTED) return false;
    // a replica that reads nothing (#804a's half success) times out whatever waits on the link; so
    // does a link born stale after a load (staleAfterLoad) until the replica reads from it
    return this.g(r, R_STOP) === 1 || this.g(r, R_IO) >= this.c.replTimeout || (this.g(r, R_INF) === 0 && this.g(r, R_MQ) === MQ.NONE && this.g(r, R_MEOF) === 0);
  }
  /**
   * The link comes up at the end of a load (a classic LoadDone, a dual-channel StreamDone): the new
   * primary client's last_interaction is the cached clock, which a blocking load does not refresh
   * (updateCachedTime only at startLoading and in processEventsWhileBlocked, every 2 MB read), so it
   * may already be older than repl-timeout, and replicationCron, run in the same event-loop pass,
   * can time the link out before the replica reads what waits on it, an EOF included (real 8.1.1,
   * traces/chaos/timeout-after-long-load-811: "Finished with success", then "PRIMARY timeout" in the
   * same millisecond). A connected replica's idleTicks, unused otherwise, says so until its first read.
   */
  staleAfterLoad(r: number): void {
    if (this.c.replTimeout > 0) this.set(r, R_IO, this.c.replTimeout);
  }
  /**
   * REPLCONF capa dual-channel, read by the primary in the handshake: the replica announces it if
   * its own setting is on; the primary accepts it only with dual channel and diskless sync enabled.
   * The capability is fixed for the connection: later CONFIG SETs do not change it.
   */
  dualCapable(r: number): boolean {
    return this.d[this.rb(r) + R_RDUAL] === 1 && this.d[G_PDUAL] === 1 && this.d[G_PDISKLESS] === 1;
  }
  /** A dual-channel attempt is under way (server.repl_rdb_channel_state != NONE): abort logs "Aborting dual channel sync". */
  dualInProgress(r: number): boolean {
    const rs = this.get(r, R_RS);
    return rs === RS.RDB_HANDSHAKE || rs === RS.SETID_WAIT || rs === RS.MAIN_PSYNC_WAIT || rs === RS.TRANSFER;
  }
}

const anyInt: FieldSpec = { op: 'any' };
/**
 * The primary's replication ids ("my replication IDs are '<replid>' and '<replid2>'"). They change
 * only where a line says so (backlog creation: changeReplicationId, clearReplicationId2); the
 * primary's other lines, +FULLRESYNC and the $ENDOFF the main PSYNC repeats carry the current one.
 */
export const REG_REPLID = 'primary.replid';
export const REG_REPLID2 = 'primary.replid2';
/**
 * The primary's replication offset as its own lines name it ($ENDOFF; an accepted PSYNC's offset +
 * bytes − 1; 9.1's "can only reply with the range [A, B]": B − 1). It never decreases, and the
 * primary's lines are judged in its log's order, so each such line is at least the last one. A new
 * backlog (a new replication id) starts the history afresh.
 */
export const REG_POFF = 'primary.offset';
const PRIMARY_OFFSET: FieldSpec = { op: 'mono', reg: REG_POFF };
/** Scratch registers of one "accepted" record: its debug-level "[PSYNC]" values against each other. */
const REG_ACC_OFF = 'psyncAccepted.offset';
const REG_ACC_FIRST = 'psyncAccepted.backlogFirst';
/**
 * The fields of "Partial resynchronization request … accepted. Sending N bytes of backlog starting
 * from offset X" with the debug-level "[PSYNC]" lines of the same addReplyReplicationBacklog call
 * (merged into the record by the reader; absent below debug level): the request offset repeats X;
 * the first byte, also request − skip; first byte + history length − 1 is the primary's offset,
 * X + N − 1 (the field order matters: primaryOffset binds it first).
 */
function acceptedFields(offset: FieldSpec): Record<string, FieldSpec> {
  // an `eq` X binds or checks its register, and the request offset is held to the same one; an
  // unconstrained X (an abandoned PSYNC's) is copied into a scratch register for it instead
  return offset.op === 'eq'
    ? { offset, primaryOffset: PRIMARY_OFFSET, requestOffset: offset, backlogFirst: { op: 'set', reg: REG_ACC_FIRST }, backlogFirstBySkip: { op: 'eq', reg: REG_ACC_FIRST }, backlogEnd: { op: 'eq', reg: REG_POFF } }
    : { offset: { op: 'set', reg: REG_ACC_OFF }, primaryOffset: PRIMARY_OFFSET, requestOffset: { op: 'eq', reg: REG_ACC_OFF }, backlogFirst: { op: 'set', reg: REG_ACC_FIRST }, backlogFirstBySkip: { op: 'eq', reg: REG_ACC_FIRST }, backlogEnd: { op: 'eq', reg: REG_POFF } };
}
const ACCEPTED_SCRATCH = [REG_ACC_OFF, REG_ACC_FIRST];

// =====================================================================================================
// The actions, in the order of spec/model.md.
// =====================================================================================================
const STEPS: readonly ActionDef[] = [
  // ---- environment ---------------------------------------------------------------------------------
  {
    family: 'Write', params: 'none',
    doc: 'A client write on the primary is appended to the replication buffer (new block when the tail is full); replica clients are attached, hard limits checked on a new block, the backlog trimmed.',
    // the bound on the offset span is a state constraint applied after normalisation (model/index.ts)
    guard: (m) => m.src[G_BLOG] === 1 && m.writeFits(),
    effect: (m) => {
      const d = m.d;
      const nb = d[G_NB]!;
      m.countWrite();
      d[G_OFF] = d[G_OFF]! + 1;
      const o = d[G_OFF]!;
      m.emit('primary', 'primary.write');
      const newBlock = nb === 0 || o > m.tailStart() + m.B - 1;
      if (!newBlock) return;
      if (nb === 0) {
        d[G_HS] = o;
        d[G_NB] = 1;
        d[G_RC] = 1; // the backlog's own reference
        // backfillRdbReplicasToPsyncWait: waiting rdb clients with a NULL reference attach
        for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) {
          if (m.getS(r, s, S_RAX) && m.getS(r, s, S_PIN) === PIN_NULL) {
            m.setS(r, s, S_PIN, o);
            m.addRef(o);
            m.pe(r, 'primary.rdb_attached', { cid: { op: 'eq', reg: m.regCid(r, s) } });
          }
        }
      } else {
        d[G_NB] = nb + 1;
        d[G_RC + nb] = 0;
      }
      // fed replica clients without a reference start at this block
      for (let r = 0; r < m.c.replicas; r++) {
        if (m.fed(r) && m.get(r, R_MBLK) === 0) { m.set(r, R_MBLK, o); m.addRef(o); }
      }
      m.checkHardLimits();
      m.trim();
    },
  },
  {
    family: 'Tick', params: 'none',
    doc: 'One unit of time: repl-timeout clocks, grace periods and soft-limit clocks advance; clientsCron closes clients over a limit. Under E7 (writeRate > 0) also when writes or an RDB chunk or load step used the tick, and only when no message or handler is due (maximal progress); the write and work counts start again.',
    guard: (m) => {
      const rate = m.L.rateAt;
      if (rate) {
        // maximal progress: time waits for every step that takes no time (takesNoTime)
        if (urgentDue(m)) return false;
        if (m.src[rate.writes]! > 0) return true;
        for (const at of rate.worked) if (m.src[at] === 1) return true;
      }
      for (let r = 0; r < m.c.replicas; r++) {
        if (m.ioClockRuns(r) && m.g(r, R_IO) < m.c.replTimeout) return true;
        for (let s = 0; s < SLOTS; s++) if (m.gs(r, s, S_RC) === RC.LINGER && m.gs(r, s, S_GT) <= m.c.grace) return true;
        if (m.soft > 0) {
          const blk = m.g(r, R_MBLK);
          if (blk >= 2 && softOver(m, blk)) return true;
          for (let s = 0; s < SLOTS; s++) { const pin = m.gs(r, s, S_PIN); if (pin >= 2 && !(!m.c.forkFailedRdbChecksCob && m.gs(r, s, S_ORD) === 0) && softOver(m, pin)) return true; }
        }
      }
      return false;
    },
    effect: (m) => {
      m.emit('env', 'env.tick');
      const rate = m.L.rateAt;
      if (rate) {
        m.d[rate.writes] = 0;
        for (const at of rate.worked) m.d[at] = 0;
      }
      for (let r = 0; r < m.c.replicas; r++) {
        if (m.ioClockRuns(r) && m.get(r, R_IO) < m.c.replTimeout) m.set(r, R_IO, m.get(r, R_IO) + 1);
        for (let s = 0; s < SLOTS; s++) if (m.getS(r, s, S_RC) === RC.LINGER && m.getS(r, s, S_GT) <= m.c.grace) m.setS(r, s, S_GT, m.getS(r, s, S_GT) + 1);
        if (m.soft > 0) {
          const blk = m.get(r, R_MBLK);
          if (blk >= 2 && m.used(blk) >= m.soft) {
            const t = m.get(r, R_MSOFT) + 1;
            m.set(r, R_MSOFT, t);
            if (t > m.c.cobSoftTicks) m.cobClose(r, -1, true);
          } else m.set(r, R_MSOFT, 0);
          for (let s = 0; s < SLOTS; s++) {
            const pin = m.getS(r, s, S_PIN);
            if (pin >= 2 && !m.escapesCob(r, s) && m.used(pin) >= m.soft) {
              const t = m.getS(r, s, S_SOFT) + 1;
              m.setS(r, s, S_SOFT, t);
              if (t > m.c.cobSoftTicks) m.cobClose(r, s, true);
            } else m.setS(r, s, S_SOFT, 0);
          }
        }
      }
      m.checkHardLimits(true);
    },
  },
  {
    family: 'ToggleDualChannel', params: 'none',
    doc: 'The operator flips the primary\'s dual-channel-replication-enabled (CONFIG SET); it affects connections whose REPLCONF capa is read afterwards.',
    guard: (m) => canToggle(m),
    effect: (m) => {
      spendToggle(m);
      m.d[G_PDUAL] = m.d[G_PDUAL] ? 0 : 1;
      m.emit('primary', 'primary.config_set', { dual: { op: 'lit', value: m.d[G_PDUAL] === 1 } });
    },
  },
  {
    family: 'ToggleReplicaDual', params: 'r',
    doc: 'The operator flips a replica\'s dual-channel-replication-enabled (CONFIG SET); it decides whether its next handshake announces capa dual-channel. A sync under way goes on as it started.',
    guard: (m, r) => canToggle(m) && m.g(r, R_RS) !== RS.DOWN,
    effect: (m, r) => {
      spendToggle(m);
      m.set(r, R_RDUAL, m.get(r, R_RDUAL) ? 0 : 1);
      m.emit(m.rep(r), 'replica.config_set', { dual: { op: 'lit', value: m.get(r, R_RDUAL) === 1 } });
    },
  },
  {
    family: 'ToggleDisklessSync', params: 'none',
    doc: 'The operator flips the primary\'s repl-diskless-sync (CONFIG SET): it decides whether a replica\'s capa dual-channel is accepted, and whether the next fork writes to the replicas\' sockets or to disk, a fork for waiting rdb channels included (ForkDual).',
    guard: (m) => canToggle(m),
    effect: (m) => {
      spendToggle(m);
      m.d[G_PDISKLESS] = m.d[G_PDISKLESS] ? 0 : 1;
      m.emit('primary', 'primary.config_set', { disklessSync: { op: 'lit', value: m.d[G_PDISKLESS] === 1 } });
    },
  },
  {
    family: 'ToggleDisklessLoad', params: 'r',
    doc: 'The operator flips a replica\'s repl-diskless-load (CONFIG SET; disabled vs swapdb/on-empty-db/flush-before-load): it decides whether its next RDB is loaded from the socket or through a file.',
    guard: (m, r) => canToggle(m) && m.g(r, R_RS) !== RS.DOWN,
    effect: (m, r) => {
      spendToggle(m);
      m.set(r, R_DLCFG, m.get(r, R_DLCFG) ? 0 : 1);
      m.emit(m.rep(r), 'replica.config_set', { disklessLoad: { op: 'lit', value: m.get(r, R_DLCFG) === 1 } });
    },
  },
  {
    family: 'ReplicaofNoOne', params: 'r',
    doc: 'REPLICAOF NO ONE (refused with -LOADING during a load): the replica drops its primary ("Connection with primary lost" when it has one, "Aborting dual channel sync" when a dual-channel attempt is under way), closes its channels and becomes a primary with a new replication id ("PRIMARY MODE enabled"); its data keeps no usable cached primary. While the local buffer is applied, the interrupted streaming then logs "Failed to stream local replication buffer" and "Finished with success".',
    guard: (m, r) => { const rs = m.g(r, R_RS); return rs !== RS.NONE && rs !== RS.DOWN && m.g(r, R_DS) !== DS.LOADING; },
    effect: (m, r) => unsetPrimary(m, r),
  },
  {
    family: 'Replicaof', params: 'r',
    doc: 'REPLICAOF <primary>: the replica connects at once ("Connecting to PRIMARY", then "REPLICAOF … enabled") and, after the handshake, sends PSYNC with its own replication id, which the primary refuses.',
    variants: capaVariants,
    guard: (m, r, v) => m.g(r, R_RS) === RS.NONE && capaVariantFits(m, r, v),
    effect: (m, r, v) => {
      startHandshake(m, r, true, v);
    },
  },
  {
    family: 'ReplicaofNoOneInHandshake', params: 'r',
    variants: handshakeCutVariants,
    doc: 'REPLICAOF NO ONE arrives while the handshake that REPLICAOF <primary> (or a connect) began is still under way, before the PSYNC line: "Connecting to PRIMARY" (and "REPLICAOF … enabled"), then "PRIMARY MODE enabled". The primary saw no PSYNC; on 9.1+ it may have read REPLCONF capa dual-channel and logged "Dual channel capability ignored".',
    guard: (m, r, v) => {
      const rs = m.g(r, R_RS);
      if (rs !== RS.NONE && rs !== RS.IDLE) return false;
      return v === 0 || capaOutcomes(m.c, m.g(r, R_RDUAL) === 1, m.src[G_PDUAL] === 1, m.src[G_PDISKLESS] === 1).has('capa-ignored');
    },
    effect: (m, r, v) => {
      // the state Connect/Replicaof then ReplicaofNoOne reach: the handshake's setup, then replicationUnsetPrimary
      connectWithPrimary(m, r, m.get(r, R_RS) === RS.NONE, 'no-capa');
      if (v === 1) m.pe(r, 'primary.dual_capa_ignored');
      unsetPrimary(m, r);
    },
  },
  // ---- replica: main channel handshake --------------------------------------------------------------
  {
    family: 'Connect', params: 'r',
    doc: 'The replica connects its main channel and handshakes (REPLCONF capa dual-channel if its setting is on; the primary accepts the capability only with dual channel and diskless sync enabled), then sends PSYNC <cached replid> <applied+1>, or PSYNC ? -1 without a cached primary.',
    variants: capaVariants,
    guard: (m, r, v) => m.g(r, R_RS) === RS.IDLE && capaVariantFits(m, r, v),
    effect: (m, r, v) => {
      startHandshake(m, r, false, v);
    },
  },
  {
    family: 'HandlePsync', params: 'r',
    doc: 'The primary answers the first PSYNC: +CONTINUE if the offset is in the backlog, else +DUALCHANNELSYNC if both sides allow dual channel (and diskless sync is on), else a classic full sync waits for a fork, or, while a disk child saves for another classic replica, joins it at once (+FULLRESYNC with that replica\'s offset).',
    guard: (m, r) => m.g(r, R_RS) === RS.PSYNC_WAIT && m.g(r, R_MQ) === MQ.REQ && m.g(r, R_MC) === MC.NORMAL,
    effect: (m, r) => {
      m.pe(r, 'primary.sync_request');
      const cached = m.get(r, R_CACHE) === 1;
      const o = m.get(r, R_APP) + 1;
      if (cached && m.inBacklog(o)) {
        m.set(r, R_MC, MC.ONLINE);
        m.set(r, R_MREF, o);
        attachMain(m, r, o);
        m.set(r, R_MQ, MQ.CONT);
        // "accepted. Sending N bytes of backlog starting from offset <psync_offset>": the requested offset
        m.pe(r, 'primary.psync_accepted', acceptedFields({ op: 'eq', reg: m.regPsync(r) }), ACCEPTED_SCRATCH);
        return;
      }
      // history: … and later its reconnect PSYNC is refused for lack of backlog (the seed's expected path)
      if (m.history && cached && m.get(r, R_HIST) === 2) m.set(r, R_HIST, 3);
      // "for lack of backlog (Replica request was: <psync_offset>)": the requested offset
      // 9.1 names the id asked for in "lack of backlog (Replica request was <replid>:<offset>)" too
      // (a cached primary's id is the primary's current one: startHandshake)
      m.pe(r, 'primary.psync_refused', cached ? { reason: { op: 'lit', value: 'backlog' }, offset: { op: 'eq', reg: m.regPsync(r) }, requestedReplid: { op: 'eq', reg: REG_REPLID }, primaryOffset: PRIMARY_OFFSET } : m.refusedForId(r));
      if (m.get(r, R_CAPA)) {
        m.set(r, R_MQ, MQ.DUAL);
        m.pe(r, 'primary.dualchannel_offered');
      } else {
        m.createBacklog();
        // listAddNodeTail(server.replicas, c): after every classic client already there
        m.set(r, R_MORD, classicRanked(m) + 1);
        const peer = m.d[G_CHILD] === CHILD.DISK ? diskPeer(m) : -1;
        if (peer >= 0) {
          attachToDiskChild(m, r, peer);
          return;
        }
        m.set(r, R_MC, MC.WAIT_BGSAVE);
        m.set(r, R_MQ, MQ.NONE);
        if (m.d[G_CHILD] !== 0) m.pe(r, 'primary.bgsave_wait');
      }
    },
  },
  {
    family: 'RecvReply', params: 'r',
    doc: 'The replica reads the reply on its main channel: +DUALCHANNELSYNC opens the rdb channel; +CONTINUE starts buffering (or completes the sync if the RDB is already loaded); +FULLRESYNC starts a classic transfer; the set-rdb-client-id reply sends the main PSYNC or aborts.',
    guard: (m, r) => m.g(r, R_MQ) >= MQ.DUAL,
    effect: (m, r) => {
      const rs = m.get(r, R_RS);
      const q = m.get(r, R_MQ);
      const me = m.rep(r);
      m.set(r, R_MQ, MQ.NONE);
      m.set(r, R_IO, 0);
      if (rs === RS.PSYNC_WAIT) {
        if (q === MQ.DUAL) {
          // the rdb channel is opened next (RdbConnect), or fails to be (RdbSetupFail)
          m.set(r, R_RS, RS.RDB_HANDSHAKE);
          // a new rdb channel: the $ENDOFF of the last one is forgotten
          m.emit(me, 'replica.dualchannel_offered', {}, [m.regEndoff(r)]);
        } else if (q === MQ.CONT) {
          m.set(r, R_RS, RS.CONNECTED);
          m.emit(me, 'replica.partial_resync');
        } else {
          // +FULLRESYNC <replid> <offset>: the classic RDB follows on this channel
          m.set(r, R_RS, RS.CLASSIC);
          m.set(r, R_DS, DS.DOWNLOAD);
          m.set(r, R_PROG, 0);
          m.emit(me, 'replica.fullresync', { offset: anyInt, replid: { op: 'eq', reg: REG_REPLID } });
        }
      } else if (rs === RS.SETID_WAIT) {
        if (q === MQ.OK) {
          m.set(r, R_RS, RS.MAIN_PSYNC_WAIT);
          m.set(r, R_MQ, MQ.REQ);
          m.emit(me, 'replica.main_psync', { offset: { op: 'eq', reg: m.regEndoff(r), plus: 1 }, replid: { op: 'eq', reg: REG_REPLID } });
        } else {
          m.emit(me, 'replica.set_id_rejected');
          m.abort(r, -1);
        }
      } else if (rs === RS.MAIN_PSYNC_WAIT) {
        if (q === MQ.CONT) {
          const loaded = m.get(r, R_DS) === DS.LOADED;
          // the suffix says whether the main thread holds the rdb connection: until the load ends, but
          // not while a bio thread downloads (it takes the connection at the first data, gives it back at the end)
          const ds = m.get(r, R_DS);
          const background = !loaded && !(m.c.bioDiskDownload && ds === DS.DOWNLOAD && m.get(r, R_PROG) >= 1);
          m.emit(me, 'replica.continue', { background: { op: 'lit', value: background } });
          m.set(r, R_APP, m.get(r, R_E));
          if (loaded) {
            m.emit(me, 'replica.psync_after_load');
            m.set(r, R_SLOT, 0);
            if (m.c.streamSkipsEmptyBuffer) m.dualSuccess(r);
            else {
              // before #804: streaming the local buffer that this order never created fails, and the
              // success stops half-way: connected (establishPrimaryConnection ran), but the primary
              // client has no read handler, no ACK is sent, the rdb-channel state stays "loaded"
              m.emit(me, 'replica.stream_failed');
              m.set(r, R_RS, RS.CONNECTED);
              m.set(r, R_CACHE, 1);
              m.set(r, R_STOP, 1);
            }
          } else {
            m.set(r, R_RS, RS.TRANSFER);
            m.set(r, R_BUF, 0);
            m.set(r, R_STOP, 0);
          }
        } else {
          // "PSYNC is not possible, initialize RDB channel." is logged before the dual-channel code aborts
          m.emit(me, 'replica.dualchannel_offered', {}, [m.regEndoff(r)]);
          m.abort(r, 6);
        }
      }
    },
  },
  {
    family: 'RdbConnect', params: 'r',
    doc: 'After +DUALCHANNELSYNC the replica opens its rdb channel and sends REPLCONF capa eof rdb-only 1 rdb-channel 1 and SYNC.',
    guard: (m, r) => m.g(r, R_RS) === RS.RDB_HANDSHAKE && m.g(r, R_DS) === DS.NONE,
    effect: (m, r) => {
      m.set(r, R_DS, DS.SYNC_SENT);
      m.set(r, R_IO, 0);
      m.emit(m.rep(r), 'replica.rdb_channel_connected');
    },
  },
  // ---- primary: rdb channel, fork -------------------------------------------------------------------
  {
    family: 'HandleSync', params: 'r',
    doc: 'The primary takes the rdb channel\'s REPLCONF rdb-channel 1 + SYNC: a new rdb client in the first free slot waits for a fork (WAIT_BGSAVE_START); the backlog is created if needed. While a disk-target child saves for other rdb clients, it joins that save ("Waiting for end of BGSAVE for SYNC", syncCommand CASE 1).',
    guard: (m, r) => m.g(r, R_RS) === RS.RDB_HANDSHAKE && m.g(r, R_DS) === DS.SYNC_SENT && m.g(r, R_SLOT) === 0 && (m.gs(r, 0, S_RC) === RC.NONE || m.gs(r, 1, S_RC) === RC.NONE),
    effect: (m, r) => {
      const s = m.getS(r, 0, S_RC) === RC.NONE ? 0 : 1;
      m.setS(r, s, S_RC, RC.WAIT_START);
      m.setS(r, s, S_ORD, m.liveRdbClients() + 1);
      m.set(r, R_SLOT, s + 1);
      m.set(r, R_IO, 0);
      m.pe(r, 'primary.sync_request');
      m.createBacklog();
      // syncCommand CASE 1: a disk-target child that saves for rdb clients (ForkDual[disk]) takes a
      // new rdb client too: same capa (eof) and replica_req (rdb channel); rdb-only peers are
      // skipped only for clients that are not rdb-only. Nothing is written to it (SYNC: pre_psync)
      if (m.d[G_CHILD] === CHILD.DUAL_DISK && anyDiskServed(m)) {
        m.setS(r, s, S_RC, RC.WAIT_END);
        m.setS(r, s, S_CHILD, 1);
        m.pe(r, 'primary.bgsave_attached');
        return;
      }
      if (m.d[G_CHILD] !== 0) m.pe(r, 'primary.bgsave_wait');
    },
  },
  {
    family: 'ForkDual', params: 'none',
    variants: (c) => (freeSetting(c, 'ToggleDisklessSync') ? ['socket', 'disk'] : undefined),
    doc: 'No fork child runs and rdb clients wait: fork for them (dual-channel replicas only). With repl-diskless-sync each gets $ENDOFF <offset> <cid>, pins the backlog tail (or a NULL reference if no block exists), becomes protected and enters replicas_waiting_psync; the replica then sends REPLCONF set-rdb-client-id on its main channel. With repl-diskless-sync turned off since their capa was accepted the fork saves to disk: no $ENDOFF, no pin, no protection (the replicas keep waiting for $ENDOFF).',
    guard: (m) => m.src[G_CHILD] === 0 && anyWaitStart(m),
    effect: (m, _r, v) => forkDual(m, freeSetting(m.c, 'ToggleDisklessSync') ? v === 1 : m.d[G_PDISKLESS] === 0),
  },
  {
    family: 'ForkClassic', params: 'none',
    variants: (c) => (freeSetting(c, 'ToggleDisklessSync') ? ['socket', 'disk'] : undefined),
    doc: 'No fork child runs and classic replicas wait: fork for them, to the replicas\' sockets with repl-diskless-sync, else to disk. Each main client gets +FULLRESYNC <offset> and is fed from the fork offset on (WAIT_BGSAVE_END). A socket child writes the RDB into each main channel; a disk child saves the file, which the primary sends itself once the child has finished.',
    guard: (m) => {
      if (m.src[G_CHILD] !== 0) return false;
      for (let r = 0; r < m.c.replicas; r++) if (m.g(r, R_MC) === MC.WAIT_BGSAVE) return true;
      return false;
    },
    effect: (m, _r, v) => forkClassic(m, freeSetting(m.c, 'ToggleDisklessSync') ? v === 1 : m.d[G_PDISKLESS] === 0),
  },
  {
    family: 'HandleSetId', params: 'r',
    doc: 'The primary answers REPLCONF set-rdb-client-id <cid>: +OK and associate if that rdb client is in replicas_waiting_psync, else -ERR Unrecognized RDB client id.',
    guard: (m, r) => m.g(r, R_RS) === RS.SETID_WAIT && m.g(r, R_MQ) === MQ.REQ && m.g(r, R_MC) === MC.NORMAL,
    effect: (m, r) => {
      const slot = m.get(r, R_SLOT);
      const ok = slot > 0 && m.getS(r, slot - 1, S_RAX) === 1;
      if (ok) {
        m.set(r, R_MASSOC, slot);
        m.set(r, R_MQ, MQ.OK);
      } else {
        m.set(r, R_MQ, MQ.ERR);
      }
      m.pe(r, 'primary.setid_reply', { ok: { op: 'lit', value: ok } });
    },
  },
  {
    family: 'HandleMainPsync', params: 'r',
    doc: 'The primary answers the main channel\'s PSYNC <replid> <ENDOFF+1>: if the offset is in the backlog, +CONTINUE and stream from it (BG_RDB_LOAD and unpin the associated rdb client if it still waits, else ONLINE); else "lack of backlog" and +DUALCHANNELSYNC again.',
    guard: (m, r) => m.g(r, R_RS) === RS.MAIN_PSYNC_WAIT && m.g(r, R_MQ) === MQ.REQ && m.g(r, R_MC) === MC.NORMAL,
    effect: (m, r) => {
      const o = m.get(r, R_E) + (m.mut.psyncAtEndoff ? 0 : 1);
      const offsetField: FieldSpec = { op: 'eq', reg: m.regEndoff(r), plus: 1 };
      m.pe(r, 'primary.sync_request');
      if (!m.inBacklog(o)) {
        // 9.1 names the id asked for: the one $ENDOFF carried, the primary's current id
        m.pe(r, 'primary.psync_refused', { reason: { op: 'lit', value: 'backlog' }, offset: offsetField, requestedReplid: { op: 'eq', reg: REG_REPLID }, primaryOffset: PRIMARY_OFFSET });
        m.pe(r, 'primary.dualchannel_offered');
        m.set(r, R_MQ, MQ.DUAL);
        return;
      }
      const assoc = m.get(r, R_MASSOC);
      let lingering = -1;
      if (assoc && m.getS(r, assoc - 1, S_RAX)) {
        m.set(r, R_MC, MC.BG_RDB_LOAD);
        m.pe(r, 'primary.main_matched', { cid: { op: 'eq', reg: m.regCid(r, assoc - 1) } });
        if (!m.mut.psyncKeepsRax) {
          // removeReplicaFromPsyncWait: unpin (no trim here)
          m.unpin(r, assoc - 1);
          if (m.getS(r, assoc - 1, S_RC) === RC.LINGER) lingering = assoc - 1;
        }
      } else {
        m.set(r, R_MC, MC.ONLINE);
      }
      // addReplyReplicationBacklog takes the main client's reference before anything is freed
      m.set(r, R_MREF, o);
      attachMain(m, r, o);
      m.set(r, R_MQ, MQ.CONT);
      m.pe(r, 'primary.psync_accepted', acceptedFields(offsetField), ACCEPTED_SCRATCH);
      // a lingering client lost its protection: freed in beforeSleep (AsyncFreeRdb), after the reply
      // and after whatever other clients' handlers run in the same event-loop iteration
      if (lingering >= 0) m.setS(r, lingering, S_RC, RC.CLOSING);
    },
  },
  // ---- transfer and load -----------------------------------------------------------------------------
  {
    family: 'RdbChunk', params: 'r',
    doc: 'The replica reads one RDB chunk (rdb channel, or the main channel for a classic sync); the last one only after the fork child has written everything. Then the download is complete: the file is renamed to dump.rdb (persisted), the cached primary is discarded and the blocking load starts. With repl-diskless-load (decided at the first chunk) the load starts at once and reads the socket itself.',
    variants: (c) => (freeSetting(c, 'ToggleDisklessLoad') ? ['disk', 'socket'] : undefined),
    guard: (m, r, v) => {
      const cs = m.g(r, R_CS);
      // a closed rdb channel still delivers what the child had written (unless reset: RdbEOF)
      if (m.g(r, R_DS) !== DS.DOWNLOAD || (m.g(r, R_REOF) !== 0 && !wroteAll(cs)) || m.g(r, R_MQ) === MQ.FULL || !m.tickFree(r)) return false;
      // with a free setting, the first chunk chooses the load mode; later chunks keep it, and so does a
      // bio thread a keep-alive created (KeepAliveBio: to disk)
      if (freeSetting(m.c, 'ToggleDisklessLoad') && (m.g(r, R_PROG) > 0 || m.g(r, R_BIO)) && v !== m.g(r, R_DLOAD)) return false;
      // the last chunk is readable only once the child has written everything; a load from the
      // socket starts at the first data (LoadDone then waits for the child's last byte)
      const socketStart = m.g(r, R_PROG) === 0 && !m.g(r, R_BIO) && (freeSetting(m.c, 'ToggleDisklessLoad') ? v === 1 : m.g(r, R_DLCFG) === 1);
      return m.g(r, R_PROG) + 1 < m.c.rdbChunks || socketStart ? cs === CS.STREAMING || cs === CS.DELIVERED || cs === CS.FLUSHED : cs === CS.DELIVERED || cs === CS.FLUSHED;
    },
    effect: (m, r, v) => {
      const p = m.get(r, R_PROG) + 1;
      m.spendTick(r);
      m.set(r, R_IO, 0);
      if (p === 1 && m.get(r, R_BIO)) {
        // the bio thread a keep-alive created (KeepAliveBio) reads the data: nothing more to log here
        m.set(r, R_BIO, 0);
      } else if (p === 1) {
        const socket = freeSetting(m.c, 'ToggleDisklessLoad') ? v === 1 : m.get(r, R_DLCFG) === 1;
        m.set(r, R_DLOAD, socket ? 1 : 0);
        m.emit(m.rep(r), 'replica.rdb_receiving', { to: { op: 'lit', value: socket ? 'parser' : 'disk' } });
        if (socket) {
          // rdbLoadRio on the connection: the load is the rest of the transfer; no dump.rdb is written
          m.set(r, R_DS, DS.LOADING);
          m.set(r, R_PROG, 0);
          m.set(r, R_TOK, 0);
          m.set(r, R_CACHE, 0);
          m.emit(m.rep(r), 'replica.load_start');
          return;
        }
      }
      if (p < m.c.rdbChunks) { m.set(r, R_PROG, p); return; }
      // read to the end: the child's part is over once it has exited too
      if (m.get(r, R_CS) === CS.FLUSHED) m.set(r, R_CS, CS.NONE);
      if (m.c.bioDiskDownload) {
        // the bio thread is done; the main thread notices it later (DownloadNoticed)
        m.set(r, R_DS, DS.DOWNLOADED);
        m.set(r, R_PROG, 0);
        return;
      }
      startLoad(m, r);
    },
  },
  {
    family: 'DownloadNoticed', params: 'r',
    doc: 'bioDiskDownload: replicationCron notices that the bio thread has finished the download ("Replica main thread detected RDB download completion in Bio thread"): the file becomes dump.rdb, the cached primary is discarded and the blocking load starts; or that it failed: the sync is aborted.',
    guard: (m, r) => { const ds = m.g(r, R_DS); return ds === DS.DOWNLOADED || ds === DS.DOWNLOAD_FAILED; },
    effect: (m, r) => {
      if (m.get(r, R_DS) === DS.DOWNLOADED) startLoad(m, r);
      else m.abort(r, null);
    },
  },
  {
    family: 'KeepAliveBio', params: 'r',
    doc: 'bioDiskDownload: a classic sync to disk whose RDB the primary\'s disk child is still saving: the primary\'s replicationCron writes "\\n" keep-alives into the main channel (is_presync: WAIT_BGSAVE_END with a child that is not a socket child), and the replica\'s first readable event, a newline, creates the bio thread ("Replica main thread creating Bio thread to save RDB to disk", receiveRDBinBioThreadSingleChannel); the bio thread skips the newlines (tryReadBulkPayloadMetadata) until the file\'s header.',
    guard: (m, r) => m.c.bioDiskDownload && m.g(r, R_RS) === RS.CLASSIC && m.g(r, R_DS) === DS.DOWNLOAD && m.g(r, R_PROG) === 0 && !m.g(r, R_BIO)
      && m.g(r, R_MC) === MC.WAIT_END && m.src[G_CHILD] === CHILD.DISK && (freeSetting(m.c, 'ToggleDisklessLoad') || m.g(r, R_DLCFG) === 0),
    effect: (m, r) => {
      // the load mode is disk from now on (useDisklessLoad chose the bio thread's read handler)
      m.set(r, R_BIO, 1);
      m.set(r, R_DLOAD, 0);
      m.emit(m.rep(r), 'replica.rdb_receiving', { to: { op: 'lit', value: 'disk' } });
    },
  },
  {
    family: 'ChildFlush', params: 'r',
    doc: 'The fork child finishes writing the RDB into this replica\'s socket (the replica may read it later). Not a dual-channel child whose save fails (#4103, dualSaveFails): it exits with an error first (ChildExit).',
    guard: (m, r) => m.g(r, R_CS) === CS.STREAMING && m.src[G_CHILD] !== 0 && m.g(r, R_MC) !== MC.SEND_BULK && !(m.src[G_CHILD] === CHILD.DUAL && dualSaveFails(m.c)),
    effect: (m, r) => {
      m.set(r, R_CS, CS.DELIVERED);
      m.pe(r, 'primary.child_flushed');
    },
  },
  {
    family: 'SendBulkDone', params: 'r',
    doc: 'Disk-target full sync: the primary has written the whole saved RDB file into the main channel (the replica may still be reading it); the replica is put online at once ("Synchronization with replica … succeeded") and the stream follows.',
    guard: (m, r) => m.g(r, R_MC) === MC.SEND_BULK,
    effect: (m, r) => {
      m.set(r, R_MC, MC.ONLINE);
      m.set(r, R_CS, CS.FLUSHED);
      m.pe(r, 'primary.replica_online');
    },
  },
  {
    family: 'RdbBulkSent', params: 'rs',
    doc: 'Disk-target fork for an rdb client: the primary has written the whole saved file into the rdb channel (sendBulkToReplica); replicaPutOnline finds the client rdb-only ("RDB transfer completed, rdb only replica … should be disconnected asap") and it is freed at once ("rdb channel disconnected"). The replica reads the preamble from its socket even so (RdbBadEndoff).',
    guard: (m, r, s) => m.gs(r, s, S_RC) === RC.SEND_BULK && m.gs(r, s, S_PEER) === 0,
    effect: (m, r, s) => m.freeRdb(r, s),
  },
  {
    family: 'LoadStep', params: 'r',
    doc: 'The blocking RDB load makes progress and reaches a processEventsWhileBlocked point (the only place the main channel is read while loading).',
    guard: (m, r) => m.g(r, R_DS) === DS.LOADING && m.g(r, R_PROG) < m.c.loadSteps && m.tickFree(r),
    effect: (m, r) => {
      m.spendTick(r);
      m.set(r, R_PROG, m.get(r, R_PROG) + 1);
      m.set(r, R_TOK, 1);
      m.emit(m.rep(r), 'replica.load_progress');
    },
  },
  {
    family: 'LoadDone', params: 'r',
    doc: 'The load ends. Dual channel after +CONTINUE: the local buffer is applied next (StreamDone). Dual channel before +CONTINUE: RDB_LOADED, wait for the PSYNC reply; the rdb channel is closed (the primary frees or postpones its rdb client). Classic: link up, ACK.',
    // a load from the socket ends only with the child's last byte
    guard: (m, r) => m.g(r, R_DS) === DS.LOADING && m.g(r, R_PROG) >= m.c.loadSteps && (!m.g(r, R_DLOAD) || wroteAll(m.g(r, R_CS))),
    effect: (m, r) => {
      const rs = m.get(r, R_RS);
      const me = m.rep(r);
      m.emit(me, 'replica.load_done');
      if (m.get(r, R_DLOAD)) {
        // the socket has been read to its end: the child's part is over once it has exited too
        m.set(r, R_DLOAD, 0);
        if (m.get(r, R_CS) === CS.FLUSHED) m.set(r, R_CS, CS.NONE);
      }
      if (rs === RS.CLASSIC) {
        m.emit(me, 'replica.sync_finished');
        m.staleAfterLoad(r);
        m.set(r, R_RS, RS.CONNECTED);
        m.set(r, R_DS, DS.NONE);
        m.set(r, R_PROG, 0);
        m.set(r, R_TOK, 0);
        m.set(r, R_APP, m.get(r, R_E));
        m.set(r, R_E, 0);
        m.set(r, R_CACHE, 1);
        m.set(r, R_ACK, 1);
        return;
      }
      if (rs === RS.TRANSFER) {
        // the local buffer is applied next (StreamDone); a REPLICAOF may be processed meanwhile
        m.set(r, R_DS, DS.STREAMING);
        m.set(r, R_PROG, 0);
        m.set(r, R_TOK, 0);
        return;
      }
      // +CONTINUE not yet received: keep the loaded RDB, close the rdb channel
      m.set(r, R_DS, DS.LOADED);
      m.set(r, R_PROG, 0);
      m.set(r, R_TOK, 0);
      m.emit(me, 'replica.sync_finished');
      m.closeRdbChannel(r);
    },
  },
  {
    family: 'StreamDone', params: 'r',
    doc: 'The replica has applied its local buffer after a dual-channel load: the link is up, ACK; the rdb channel is closed (the primary frees or postpones its rdb client). With successChecksMainLink (#5417), a main channel the primary has closed meanwhile makes it abort the sync instead (it resyncs).',
    guard: (m, r) => m.g(r, R_DS) === DS.STREAMING,
    effect: (m, r) => {
      if (m.c.successChecksMainLink && m.get(r, R_MEOF)) {
        // #5417: no success on a dead link; the cached primary was discarded at the load, so the resync is full
        m.abort(r, null);
        return;
      }
      m.dualSuccess(r);
      m.staleAfterLoad(r);
      m.emit(m.rep(r), 'replica.sync_finished');
      m.closeRdbChannel(r);
    },
  },
  {
    family: 'BufferRead', params: 'r',
    doc: 'While the RDB downloads or loads (at a yield point), the replica reads one write from its main channel into its local buffer, or, when the buffer is over its limit, stops reading the main channel until the load ends.',
    guard: (m, r) => {
      if (m.g(r, R_RS) !== RS.TRANSFER || m.g(r, R_STOP) || m.g(r, R_INF) === 0) return false;
      return readsMainWhileSyncing(m.g(r, R_DS), m.g(r, R_TOK));
    },
    effect: (m, r) => {
      if (m.get(r, R_DS) === DS.LOADING) m.set(r, R_TOK, 0);
      const lim = m.c.localLimit;
      // a limit of 0 is "no limit" since #989; before it, 0 stopped the buffering after one block
      if ((lim > 0 || !m.c.localLimitZeroMeansUnlimited) && m.get(r, R_BUF) > lim && !m.mut.ignoreLocalLimit) {
        m.set(r, R_STOP, 1);
        m.emit(m.rep(r), 'replica.local_buffer_limit');
        return;
      }
      m.readOne(r);
      m.set(r, R_BUF, m.get(r, R_BUF) + 1);
      m.emit(m.rep(r), 'replica.stream_read', { buffered: { op: 'lit', value: true } });
    },
  },
  {
    family: 'ReadStream', params: 'r',
    doc: 'A connected replica reads and applies one write from its main channel.',
    // a connected replica that reads nothing (stoppedReading: only after #804a's half success) does not read it
    guard: (m, r) => m.g(r, R_RS) === RS.CONNECTED && m.g(r, R_INF) > 0 && !m.g(r, R_STOP),
    effect: (m, r) => {
      m.readOne(r);
      m.set(r, R_IO, 0); // last_interaction: now
      m.emit(m.rep(r), 'replica.stream_read', { buffered: { op: 'lit', value: false } });
    },
  },
  {
    family: 'SendStream', params: 'r',
    doc: 'The primary writes the next write of the stream to a streaming main client\'s socket (kernel buffer permitting). Like writeToReplica: once a block is fully sent and a next block exists, the client\'s reference moves to it and the backlog is trimmed.',
    guard: (m, r) => {
      const mc = m.g(r, R_MC);
      return (mc === MC.BG_RDB_LOAD || mc === MC.ONLINE) && m.g(r, R_MREF) <= m.src[G_OFF]! && m.g(r, R_INF) < m.c.kernelBuffer && m.g(r, R_MBLK) >= 2;
    },
    effect: (m, r) => {
      const w = m.get(r, R_MREF);
      // caught up at the end of the old tail when the next block arrived: move on first
      if (w >= m.get(r, R_MBLK) + m.B) moveMain(m, r);
      m.set(r, R_MREF, w + 1);
      m.set(r, R_INF, m.get(r, R_INF) + 1);
      m.pe(r, 'primary.stream_sent');
      // the block is fully sent and a next one exists: move on now
      if (w + 1 >= m.get(r, R_MBLK) + m.B && m.d[G_OFF]! >= m.get(r, R_MBLK) + m.B) moveMain(m, r);
    },
  },
  {
    family: 'RecvAck', params: 'r',
    doc: 'The primary reads the replica\'s first REPLCONF ACK after a full sync: a dual-channel main client goes ONLINE ("Synchronization with replica succeeded"); a classic one, already online since its child succeeded, starts its stream now (classic: the ACK is read once the fork child has finished with it).',
    guard: (m, r) => m.g(r, R_ACK) === 1 && m.g(r, R_MC) !== MC.WAIT_END,
    effect: (m, r) => {
      m.set(r, R_ACK, 0);
      const mc = m.get(r, R_MC);
      if (mc === MC.BG_RDB_LOAD) {
        m.set(r, R_MC, MC.ONLINE);
        m.pe(r, 'primary.replica_online');
      } else {
        if (mc === MC.ONLINE_WAIT_ACK) m.set(r, R_MC, MC.ONLINE);
        m.pe(r, 'primary.ack');
      }
    },
  },
  {
    family: 'ChildExit', params: 'none',
    doc: 'The fork child exits once no transfer is in progress: a socket child succeeds if it delivered to at least one replica, a disk child by saving the file; a dual-channel child whose save fails (#4103) exits with an error at once. rdb clients of a successful child are finished (freed, or postponed while protected); on error they are closed with "SYNC failed" (protection kept in 8.0.1). Classic clients of a failed child are freed; those of a successful disk child are sent the file by the primary.',
    guard: (m) => childExitEnabled(m),
    effect: (m) => {
      childEnds(m, childSucceeds(m), null);
    },
  },
  {
    family: 'ChildExitFork', params: 'none',
    // which fork starts: for the waiting rdb clients (socket, or disk), or for classic replicas (socket or disk)
    variants: (c) => forkVariants(c),
    doc: 'A dual-channel fork child exits while other rdb clients wait for a fork: checkChildrenDone reports the finished clients (freeClientAsync), then replicationStartPendingFork forks for the waiting ones at once (no repl-diskless-sync-delay left), and only then are the finished clients freed, in beforeSleep. So the new fork\'s lines come before the old clients\' "rdb channel disconnected".',
    guard: (m, _r, v) => m.src[G_CHILD] === CHILD.DUAL && childExitEnabled(m) && anyServed(m) && forkWaiting(m, v),
    effect: (m, _r, v) => {
      childEnds(m, childSucceeds(m), forkFor(m, v));
    },
  },
  {
    family: 'HandleAbandonedPsync', params: 'r',
    doc: 'The primary reads a main-channel PSYNC <replid> <ENDOFF+1> the replica wrote before it abandoned the connection, and answers it into the dead socket: "lack of backlog" and +DUALCHANNELSYNC, or the match with its rdb client (unpinned, a lingering one freed) and +CONTINUE; the client, now a replica, is freed when the EOF is read.',
    guard: (m, r) => m.g(r, R_ORPH) === 1,
    effect: (m, r) => {
      const o = m.get(r, R_OE) + 1;
      const assoc = m.get(r, R_OASSOC);
      m.set(r, R_ORPH, 0);
      m.set(r, R_OE, 0);
      m.set(r, R_OASSOC, 0);
      m.pe(r, 'primary.sync_request');
      // the offset names an ENDOFF the replica has since dropped: no register holds it any more
      if (!m.inBacklog(o)) {
        m.pe(r, 'primary.psync_refused', { reason: { op: 'lit', value: 'backlog' }, offset: anyInt, primaryOffset: PRIMARY_OFFSET });
        m.pe(r, 'primary.dualchannel_offered');
        return;
      }
      let lingering = -1;
      if (assoc && m.getS(r, assoc - 1, S_RAX)) {
        m.pe(r, 'primary.main_matched', { cid: { op: 'eq', reg: m.regCid(r, assoc - 1) } });
        m.unpin(r, assoc - 1);
        if (m.getS(r, assoc - 1, S_RC) === RC.LINGER) lingering = assoc - 1;
      }
      m.pe(r, 'primary.psync_accepted', acceptedFields(anyInt), ACCEPTED_SCRATCH);
      if (lingering >= 0) m.setS(r, lingering, S_RC, RC.CLOSING);
      // a replica-class client now: its loss is logged when the primary reads the EOF
      if (m.get(r, R_LOSTLOG)) m.pe(r, 'primary.replica_lost', {}, [m.regMainCid(r)]);
      m.set(r, R_LOSTLOG, 1);
    },
  },
  {
    family: 'MainPeerClosed', params: 'r',
    doc: 'The primary reads the EOF of a main channel the replica has closed and logs "Connection with replica … lost" (the model released the client\'s state when the replica closed it).',
    guard: (m, r) => m.g(r, R_LOSTLOG) === 1,
    effect: (m, r) => {
      m.set(r, R_LOSTLOG, 0);
      m.pe(r, 'primary.replica_lost', {}, [m.regMainCid(r)]);
    },
  },
  {
    family: 'RdbPeerClosed', params: 'rs',
    doc: 'The primary reads the EOF of an rdb channel the replica has closed (after its load, on abort, crash or REPLICAOF NO ONE): the client is freed, or postponed for the grace period while protected; one already lingering stays as it is.',
    guard: (m, r, s) => m.gs(r, s, S_PEER) === 1,
    effect: (m, r, s) => {
      m.setS(r, s, S_PEER, 0);
      m.pe(r, 'primary.rdb_eof');
      if (m.getS(r, s, S_RC) !== RC.LINGER) m.closeRdb(r, s);
    },
  },
  {
    family: 'AsyncFreeRdb', params: 'rs',
    doc: 'beforeSleep frees an rdb client its main channel\'s PSYNC unprotected while it lingered (freeClientsInAsyncFreeQueue): "rdb channel disconnected", pin already released. Other clients\' handlers of the same event-loop iteration may log first.',
    guard: (m, r, s) => m.gs(r, s, S_RC) === RC.CLOSING,
    effect: (m, r, s) => m.freeRdb(r, s),
  },
  {
    family: 'GraceExpire', params: 'rs',
    doc: 'A lingering protected rdb client has waited longer than the grace period for its main channel\'s PSYNC: protection cleared, client freed (its pin released).',
    guard: (m, r, s) => m.gs(r, s, S_RC) === RC.LINGER && m.gs(r, s, S_GT) > m.c.grace,
    effect: (m, r, s) => {
      m.pe(r, 'primary.grace_expired', { cid: { op: 'eq', reg: m.regCid(r, s) } });
      m.setS(r, s, S_PROT, 0);
      m.freeRdb(r, s);
    },
  },
  // ---- the replica notices a closed channel, times out ---------------------------------------------
  {
    family: 'MainEOF', params: 'r',
    doc: 'The replica reads EOF on a main channel the primary closed, when it is reading it: connected → "Connection with primary lost" (cached primary kept); buffering → abort; waiting for a reply → abort. A replica that stopped reading, or is in the rdb handshake, does not notice.',
    // a classic sync's EOF before any RDB data: with a bio thread, whether it is created (disk
    // load) depends on the load mode, a free setting: variants, as in RdbEOF
    variants: (c) => (c.bioDiskDownload && freeSetting(c, 'ToggleDisklessLoad') ? ['disk', 'socket'] : undefined),
    guard: (m, r, v) => {
      if (!m.g(r, R_MEOF) || m.g(r, R_INF) > 0 || m.g(r, R_MQ) >= MQ.DUAL) return false;
      if (v !== 0 && !(m.g(r, R_RS) === RS.CLASSIC && m.g(r, R_DS) === DS.DOWNLOAD && m.g(r, R_PROG) === 0 && !m.g(r, R_BIO))) return false;
      const rs = m.g(r, R_RS);
      const ds = m.g(r, R_DS);
      if (rs === RS.CONNECTED) return !m.g(r, R_STOP);
      if (rs === RS.TRANSFER) return !m.g(r, R_STOP) && readsMainWhileSyncing(ds, m.g(r, R_TOK));
      // a classic load from the socket reads the main channel itself
      if (rs === RS.CLASSIC) return ds === DS.DOWNLOAD || (ds === DS.LOADING && m.g(r, R_DLOAD) === 1);
      return rs === RS.PSYNC_WAIT || rs === RS.SETID_WAIT || rs === RS.MAIN_PSYNC_WAIT;
    },
    effect: (m, r, v) => {
      const rs = m.get(r, R_RS);
      if (rs === RS.CONNECTED) {
        // history: the replica notices the drop only now, after its load (F8)
        if (m.history && m.get(r, R_HIST) === 1) m.set(r, R_HIST, 2);
        m.emit(m.rep(r), 'replica.primary_lost');
        m.closeReplicaConnections(r);
        m.resetReplica(r, RS.IDLE);
        return;
      }
      // what the replica logs depends on where it reads the EOF (Valkey 8.0.1 replication.c):
      if (rs === RS.SETID_WAIT) { m.abort(r, -1); return; } // no reply to set-rdb-client-id: "psync result -1"
      if (rs === RS.MAIN_PSYNC_WAIT) { m.emit(m.rep(r), 'replica.handshake_failed'); m.abort(r, 5); return; } // "Primary did not reply to PSYNC" → PSYNC_TRY_LATER
      if (rs === RS.PSYNC_WAIT) { m.emit(m.rep(r), 'replica.handshake_failed'); m.abort(r, null); return; } // plain handshake error: back to CONNECT
      if (rs === RS.CLASSIC) {
        // "I/O error trying to sync"; with bioDiskDownload the bio thread reads the main channel and fails,
        // created at the first readable event, the EOF too ("Replica main thread creating Bio thread"),
        // unless a keep-alive created it already (KeepAliveBio)
        const first = m.get(r, R_DS) === DS.DOWNLOAD && m.get(r, R_PROG) === 0 && !m.get(r, R_BIO);
        const diskLoad = freeSetting(m.c, 'ToggleDisklessLoad') ? v === 0 : m.get(r, R_DLCFG) === 0;
        if (m.c.bioDiskDownload && first && diskLoad) m.emit(m.rep(r), 'replica.rdb_receiving', { to: { op: 'lit', value: 'disk' } });
        m.emit(m.rep(r), 'replica.rdb_failed');
        if (m.c.bioDiskDownload && m.get(r, R_DS) === DS.DOWNLOAD) downloadFails(m, r); else m.abort(r, null);
        return;
      }
      m.emit(m.rep(r), 'replica.main_closed'); // "Provisional primary closed connection"
      // bioDiskDownload: the abort drains the bio thread first (drainBio)
      const socketLoad = m.get(r, R_DS) === DS.LOADING && m.get(r, R_DLOAD) === 1;
      m.abort(r, null);
      if (socketLoad) {
        // noticed at a yield of a load from the socket: the abort reconnects at once, then the
        // interrupted load fails ("Failed trying to load … from socket") and aborts that reconnection
        m.emit(m.rep(r), 'replica.connect');
        m.emit(m.rep(r), 'replica.rdb_failed');
      }
    },
  },
  {
    family: 'RdbEOF', params: 'r',
    doc: 'The replica reads EOF or an error on its rdb channel before the download is complete: abort the dual-channel sync (bioDiskDownload: during a disk download the bio thread fails, and the abort waits for DownloadNoticed; the bio thread is created even for an EOF before any data).',
    // with a bio thread, an EOF before any data depends on the load mode (a free setting): variants
    variants: (c) => (c.bioDiskDownload && freeSetting(c, 'ToggleDisklessLoad') ? ['disk', 'socket'] : undefined),
    guard: (m, r, v) => {
      if (!m.g(r, R_REOF)) return false;
      // the mode is the variant's only before the first data; afterwards one instance (variant 0) fires
      if (m.c.bioDiskDownload && freeSetting(m.c, 'ToggleDisklessLoad') && !(m.g(r, R_DS) === DS.DOWNLOAD && m.g(r, R_PROG) === 0) && v !== 0) return false;
      const ds = m.g(r, R_DS);
      // a load from the socket reads the rdb channel until the load ends
      return (ds === DS.SYNC_SENT || ds === DS.DOWNLOAD || (ds === DS.LOADING && m.g(r, R_DLOAD) === 1)) && m.g(r, R_RS) !== RS.CLASSIC;
    },
    effect: (m, r, v) => {
      const ds = m.get(r, R_DS);
      const first = ds === DS.DOWNLOAD && m.get(r, R_PROG) === 0;
      const disk = first ? (freeSetting(m.c, 'ToggleDisklessLoad') ? v === 0 : m.get(r, R_DLCFG) === 0) : ds === DS.DOWNLOAD;
      if (m.c.bioDiskDownload && disk && ds === DS.DOWNLOAD) {
        // "Replica main thread creating Bio thread" at the first readable event, the EOF included
        if (first) m.emit(m.rep(r), 'replica.rdb_receiving', { to: { op: 'lit', value: 'disk' } });
        m.emit(m.rep(r), 'replica.rdb_failed');
        downloadFails(m, r);
        return;
      }
      // waiting for $ENDOFF (the REPLCONF was answered when the SYNC was taken) the failed read logs
      // only "Failed to read response from the server" before the abort (replication.c, 8.0.1–9.1)
      if (ds !== DS.SYNC_SENT) m.emit(m.rep(r), 'replica.rdb_failed');
      // still in the rdb channel's handshake (fullSyncWithPrimary): #1097's error path
      if (ds === DS.SYNC_SENT) m.leakMainOnHandshakeError(r);
      m.abort(r, null);
    },
  },
  {
    family: 'RdbBadEndoff', params: 'r',
    doc: 'The replica, waiting for $ENDOFF on its rdb channel, reads the "$<size>" preamble of a saved RDB file that a disk-target fork left the primary to send: "Received unexpected $ENDOFF response: $<size>", then it aborts the dual-channel sync (closing both channels; 8.0.1 leaves the main connection open, #1097) and reconnects.',
    guard: (m, r) => m.g(r, R_DS) === DS.BULK_PREAMBLE,
    effect: (m, r) => {
      m.emit(m.rep(r), 'replica.rdb_failed');
      m.leakMainOnHandshakeError(r);
      m.abort(r, null);
    },
  },
  {
    family: 'Timeout', params: 'r',
    doc: 'repl-timeout: no reply during the handshake, or no RDB data during the download, for replTimeout ticks: abort and reconnect. Connected: no data nor PING from the primary for repl-timeout (a silent primary, no clock): the replica frees its primary client, caches it and reconnects, as after an EOF.',
    guard: (m, r) => (m.ioClockRuns(r) && m.g(r, R_IO) >= m.c.replTimeout) || m.primarySilent(r),
    effect: (m, r) => {
      m.emit(m.rep(r), 'replica.timeout');
      if (m.get(r, R_RS) === RS.CONNECTED) {
        // replicationCron: "PRIMARY timeout: no data nor PING received...", freeClient(server.primary):
        // "Connection with primary lost.", replicationCachePrimary ("Caching the disconnected primary
        // state."), replicationHandlePrimaryDisconnection reconnects (Connect: "Reconnecting to PRIMARY");
        // the primary logs the loss when it reads the EOF (MainPeerClosed)
        m.emit(m.rep(r), 'replica.primary_lost');
        m.closeReplicaConnections(r);
        m.resetReplica(r, RS.IDLE);
        return;
      }
      m.abort(r, null);
    },
  },
  // ---- faults (each uses one unit of the fault budget) ----------------------------------------------
  {
    family: 'KillMain', params: 'r', fault: true,
    doc: 'CLIENT KILL (or a network drop) of the primary\'s main-channel client: freed at once; the replica notices only when it reads the channel.',
    guard: (m, r) => canFault(m) && m.g(r, R_MC) !== MC.NONE,
    effect: (m, r) => {
      spendFault(m);
      const mc = m.get(r, R_MC);
      m.pe(r, 'primary.client_killed', { cid: { op: 'eq', reg: m.regMainCid(r), unlike: m.rdbCidRegs(r) } });
      m.freeMain(r, mc !== MC.NORMAL);
      m.set(r, R_MEOF, 1);
    },
  },
  {
    family: 'KillRdb', params: 'rs', fault: true,
    doc: 'CLIENT KILL of the primary\'s rdb client of the current attempt: freed (its socket shut down) if unprotected; if protected, postponed for the grace period with its socket still open.',
    guard: (m, r, s) => canFault(m) && (m.gs(r, s, S_RC) === RC.WAIT_START || m.gs(r, s, S_RC) === RC.WAIT_END || m.gs(r, s, S_RC) === RC.SEND_BULK),
    effect: (m, r, s) => {
      spendFault(m);
      m.pe(r, 'primary.client_killed', { cid: { op: 'eq', reg: m.regCid(r, s) } });
      if (m.mut.killUnprotects) m.unpin(r, s);
      m.closeRdb(r, s);
    },
  },
  {
    family: 'KillChild', params: 'none', fault: true,
    // `only`: the child's clients are freed before anything else; `fork-*`: a fork for waiting
    // clients starts first (checkChildrenDone forks at once, the async frees come in beforeSleep)
    variants: (c) => ['only', ...forkVariants(c).map((v) => `fork-${v}`)],
    doc: 'The fork child is killed: it exits by signal, handled like a child error (unprotected rdb clients are freed and their replicas see EOF; protected ones linger with their sockets open). Variants fork-*: as ChildExitFork, the fork for clients waiting in WAIT_BGSAVE_START starts before the killed child\'s clients are freed.',
    guard: (m, _r, v) => canFault(m) && m.src[G_CHILD] !== 0 && (v === 0 || (killFreesLater(m) && forkWaiting(m, v - 1))),
    effect: (m, _r, v) => {
      spendFault(m);
      // the transfers just stop; a replica sees EOF only when its rdb client is really freed
      // (a protected one lingers with its socket open: the replica may time out instead)
      childEnds(m, false, v === 0 ? null : forkFor(m, v - 1));
    },
  },
  {
    family: 'ForkFail', params: 'none', fault: true,
    doc: 'The fork for waiting dual-channel rdb clients fails after $ENDOFF was sent: each client stays pinned and protected but is answered -ERR and closed (postponed for the grace period); the replica sees the error on its rdb channel. (A failed disk-target fork for rdb clients is not modelled: spec/model.md §11.)',
    guard: (m) => canFault(m) && m.src[G_CHILD] === 0 && anyWaitStart(m) && (freeSetting(m.c, 'ToggleDisklessSync') || m.src[G_PDISKLESS] === 1),
    effect: (m) => {
      spendFault(m);
      m.emit('primary', 'primary.bgsave_start', { mode: { op: 'lit', value: 'dual-channel' }, target: { op: 'lit', value: 'socket' } });
      const sent: [number, number][] = [];
      forEachWaitStart(m, (r, s) => { sendEndoff(m, r, s); m.setS(r, s, S_CHILD, 0); sent.push([r, s]); });
      // rdbSaveToReplicasSockets puts every WAIT_BGSAVE_END client back to WAIT_BGSAVE_START, and
      // startBgsaveForReplication drops those from server.replicas: a client a failed child left
      // in WAIT_BGSAVE_END (8.0.1) is never reported to again
      // startBgsaveForReplication's failure branch: flag.replica = 0 and out of server.replicas (H2:
      // class normal, no COB check sees its pin unless forkFailedRdbChecksCob)
      for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (m.getS(r, s, S_CHILD) === 2) { m.setS(r, s, S_CHILD, 0); m.leaveReplicas(r, s); }
      for (const [r, s] of sent) m.leaveReplicas(r, s);
      m.emit('primary', 'primary.fork_failed');
      for (const [r, s] of sent) {
        // the replica of the current attempt reads the -ERR on its rdb channel
        if (m.get(r, R_SLOT) === s + 1 && m.get(r, R_CS) === CS.STREAMING) {
          m.set(r, R_CS, CS.NONE);
          m.set(r, R_REOF, 1);
        }
        m.closeRdb(r, s);
      }
    },
  },
  {
    family: 'RdbSetupFail', params: 'r', fault: true,
    doc: 'The replica cannot set up its rdb channel (connect error, or the temp file of an earlier attempt still exists): the main channel is closed and the replica retries later. Without rdbHandshakeErrorClosesMain (8.0.1, #1097) two outcomes: an error syncWithPrimary sees (temp file, immediate connect error) closes the main channel, an asynchronous connect error, seen by fullSyncWithPrimary, leaves it open (mainClient.leaked).',
    variants: (c) => (c.rdbHandshakeErrorClosesMain ? undefined : ['connect', 'handshake']),
    guard: (m, r) => canFault(m) && m.g(r, R_RS) === RS.RDB_HANDSHAKE && m.g(r, R_DS) === DS.NONE,
    effect: (m, r, v) => {
      spendFault(m);
      m.emit(m.rep(r), 'replica.rdb_failed');
      if (v === 1) m.leakMainOnHandshakeError(r);
      m.abort(r, null);
    },
  },
  {
    family: 'CrashReplica', params: 'r', fault: true,
    doc: 'The replica process dies (kill -9): the primary sees both channels close; a dump.rdb it had renamed into place survives.',
    guard: (m, r) => canFault(m) && m.g(r, R_RS) !== RS.DOWN,
    effect: (m, r) => {
      spendFault(m);
      crashReplica(m, r);
    },
  },
  {
    family: 'CrashAfterRename', params: 'r', fault: true, faultKind: 'CrashReplica',
    doc: 'The replica process dies (kill -9) between the rename of its completed download into dump.rdb and the log of the load\'s start: readSyncBulkPayload (8.x) or replicaLoadPrimaryRDBFromDisk (9.x, after DownloadNoticed\'s log) fsyncs the file, renames it, fsyncs the directory, discards the cached primary and flushes the old data before "Loading DB in memory". The file survives: the restart loads it. The main thread reads and logs nothing the model observes in that window, so it is the last chunk (or DownloadNoticed) and the crash in one step rather than a state of its own.',
    guard: (m, r) => canFault(m) && (m.c.bioDiskDownload ? m.g(r, R_DS) === DS.DOWNLOADED : lastChunkToDisk(m, r)),
    effect: (m, r) => {
      spendFault(m);
      m.set(r, R_PERS, m.get(r, R_E) + 1);
      crashReplica(m, r);
    },
  },
  {
    family: 'RestartReplica', params: 'r',
    doc: 'The crashed replica restarts; if a dump.rdb exists it loads it, which restores the replication id and offset (a cached primary).',
    guard: (m, r) => m.g(r, R_RS) === RS.DOWN,
    effect: (m, r) => {
      const pers = m.get(r, R_PERS);
      m.set(r, R_RS, RS.IDLE);
      if (pers > 0) { m.set(r, R_CACHE, 1); m.set(r, R_APP, m.mut.restartOffsetOffByOne ? pers : pers - 1); }
      m.emit(m.rep(r), 'replica.start', { persisted: { op: 'lit', value: pers > 0 } });
    },
  },
  {
    family: 'RestartReplicaDetached', params: 'r',
    doc: 'The crashed replica restarts without replicaof in its configuration: it runs as a primary until told REPLICAOF (its dump.rdb, if any, is loaded as with RestartReplica).',
    guard: (m, r) => m.g(r, R_RS) === RS.DOWN,
    effect: (m, r) => {
      const pers = m.get(r, R_PERS);
      m.set(r, R_RS, RS.NONE);
      if (pers > 0) { m.set(r, R_CACHE, 1); m.set(r, R_APP, m.mut.restartOffsetOffByOne ? pers : pers - 1); }
      m.emit(m.rep(r), 'replica.start', { persisted: { op: 'lit', value: pers > 0 } });
    },
  },
  {
    family: 'RestartReplicaNoRdb', params: 'r',
    doc: 'The crashed replica restarts without its dump.rdb (lost with the disk or never renamed into place): no cached primary.',
    guard: (m, r) => m.g(r, R_RS) === RS.DOWN && m.g(r, R_PERS) > 0,
    effect: (m, r) => {
      m.set(r, R_RS, RS.IDLE);
      m.set(r, R_PERS, 0);
      m.emit(m.rep(r), 'replica.start', { persisted: { op: 'lit', value: false } });
    },
  },
];

/** The slot of replica r's rdb client that its main channel's PSYNC unprotected and beforeSleep has yet to free, or -1. */
export function closingSlot(m: Step, r: number): number {
  for (let s = 0; s < SLOTS; s++) if (m.gs(r, s, S_RC) === RC.CLOSING) return s;
  return -1;
}
/**
 * Steps of replica r that may come before its `closing` rdb client is freed: beforeSleep writes the
 * replies and the stream (handleClientsWithPendingWrites: SendStream) before it frees the client
 * (freeClientsInAsyncFreeQueue), and the replica, another process, may read them (+CONTINUE, the
 * stream, RDB data) and go on loading meanwhile. Real 9.1.2 (Valkey's own suite, "primary reject
 * set-rdb-client after client killed"): the replica's "Primary accepted a Partial
 * Resynchronization" and its bio thread 7 ms before the primary's "rdb channel disconnected", the
 * 5.5 MB of backlog written in between.
 */
const BEFORE_ASYNC_FREE = new Set(['SendStream', 'RecvReply', 'RdbChunk', 'KeepAliveBio', 'BufferRead', 'ReadStream', 'LoadStep', 'LoadDone', 'StreamDone', 'DownloadNoticed']);
/** Steps that wait while their replica has a `closing` rdb client: every other r and rs family but AsyncFreeRdb. */
export function waitsForClosing(def: ActionDef): boolean {
  return def.params !== 'none' && def.family !== 'AsyncFreeRdb' && !BEFORE_ASYNC_FREE.has(def.family);
}
/**
 * The free of a `closing` rdb client (AsyncFreeRdb) comes in beforeSleep of the event-loop iteration
 * that accepted the PSYNC: other replicas' clients, writes, timers and the child may be handled first,
 * and r's own writes and what its replica does with them (BEFORE_ASYNC_FREE), but nothing the
 * primary reads from or does to r in a later iteration. So while r has such a client, those wait.
 */
export const ACTIONS: readonly ActionDef[] = STEPS.map((def) => {
  if (!waitsForClosing(def)) return def;
  const g = def.guard;
  return { ...def, guard: (m: Step, r: number, s: number) => g(m, r, s) && closingSlot(m, r) < 0 }; // the plain guard first: it is false far more often (both read only)
});
const rdbChunkGuard = ACTIONS.find((d) => d.family === 'RdbChunk')!.guard;

/**
 * E7's maximal progress: every step but a write, time and the timers it fires (Timeout,
 * GraceExpire), a fault and the operator's takes no time (an RDB chunk or load step takes its
 * replica's tick: tickFree), so while one is enabled Tick is not. bug-zoo.md §20.3 names only the
 * network and handler steps (SendStream, BufferRead, ReadStream, RecvReply, HandleSetId,
 * HandleMainPsync, RecvAck); with the others delayable across ticks (a chunk, ChildFlush,
 * LoadDone, Connect) the endless loop exists at every rate: measured, small with writeRate=1 has a
 * lasso whose download waits a tick for nothing.
 */
export function takesNoTime(def: ActionDef): boolean {
  return !def.fault && !/^(Write|Tick|Timeout|GraceExpire|Toggle|Replicaof)/.test(def.family);
}
function urgentDue(m: Step): boolean {
  const u = m.urgent;
  for (let k = 0; k < u.length; k++) { const i = u[k]!; if (i.def.guard(m, i.r, i.s)) return true; }
  return false;
}

// ---- helpers shared by several actions ------------------------------------------------------------------
/**
 * The replica still reads what the child wrote: it downloads, loads from the socket, or has not yet
 * read +FULLRESYNC (replicaProcessPsyncReply reads the reply line a byte at a time, syncReadLine, so
 * the whole RDB behind it waits in the socket for the read handler it installs).
 */
function readsTransfer(m: Step, r: number): boolean {
  const ds = m.get(r, R_DS);
  return ds === DS.DOWNLOAD || (ds === DS.LOADING && m.get(r, R_DLOAD) === 1) || (m.get(r, R_RS) === RS.PSYNC_WAIT && m.get(r, R_MQ) === MQ.FULL);
}
/** The fork child has written this replica's whole RDB into its socket (it may still be running). */
function wroteAll(cs: number): boolean {
  return cs === CS.DELIVERED || cs === CS.FLUSHED;
}
/** bioDiskDownload: the bio thread's download has failed; the main thread aborts once it notices (DownloadNoticed). */
function downloadFails(m: Step, r: number): void {
  m.set(r, R_DS, DS.DOWNLOAD_FAILED);
  m.set(r, R_PROG, 0);
  m.set(r, R_BIO, 0);
}

/** The replica process dies: it logs nothing more (what it still owed of an earlier step is dropped), its connections close. */
function crashReplica(m: Step, r: number): void {
  m.emit(m.rep(r), 'replica.crash', {}, [pendingRegister(m.rep(r))]);
  m.closeReplicaConnections(r);
  m.resetReplica(r, RS.DOWN);
  // its connections close with it, a leaked main connection (#1097) too: the primary frees that
  // normal client when it reads the EOF ("Client closed connection", verbose level only)
  m.set(r, R_LEAK, 0);
  m.set(r, R_CACHE, 0);
  m.set(r, R_APP, 0);
  m.set(r, R_BAD, 0);
}
/** Without a bio thread: RdbChunk can read the last chunk of a download to disk now (it then renames the file and starts the load). */
function lastChunkToDisk(m: Step, r: number): boolean {
  if (m.g(r, R_PROG) + 1 !== m.c.rdbChunks) return false;
  // a first chunk that is also the last goes to disk only with the setting off (or free: its disk variant)
  if (m.g(r, R_PROG) === 0 && !freeSetting(m.c, 'ToggleDisklessLoad') && m.g(r, R_DLCFG) !== 0) return false;
  return rdbChunkGuard(m, r, 0);
}

/** The download is complete: the file is renamed to dump.rdb, the cached primary discarded, the blocking load starts. */
function startLoad(m: Step, r: number): void {
  m.set(r, R_DS, DS.LOADING);
  m.set(r, R_PROG, 0);
  m.set(r, R_TOK, 0);
  m.set(r, R_CACHE, 0);
  m.set(r, R_PERS, m.get(r, R_E) + 1);
  m.emit(m.rep(r), 'replica.load_start');
}

/** The main channel is read as usual meanwhile: a download, a bio download waiting to be noticed, or a load at a yield point. */
function readsMainWhileSyncing(ds: number, tok: number): boolean {
  return ds === DS.DOWNLOAD || ds === DS.DOWNLOADED || ds === DS.DOWNLOAD_FAILED || (ds === DS.LOADING && tok === 1);
}
/** Is the setting of this toggle family free (freeConfig and listed in operatorKinds)? */
function freeSetting(c: ModelConfig, family: string): boolean {
  return c.freeConfig && c.operatorKinds.includes(family);
}

type CapaOutcome = 'no-capa' | 'capa' | 'capa-ignored';
/** What the primary makes of the handshake's capa dual-channel, given the three settings. */
function capaOutcome(replicaDual: boolean, primaryDual: boolean, diskless: boolean, c: ModelConfig): CapaOutcome {
  if (replicaDual && primaryDual && diskless) return 'capa';
  return replicaDual && primaryDual && c.logsDualCapaIgnored ? 'capa-ignored' : 'no-capa';
}
const CAPA_SETTINGS = ['ToggleReplicaDual', 'ToggleDualChannel', 'ToggleDisklessSync'] as const;
/** The outcomes some values of the free settings give; fixed settings at their values in the state. */
function capaOutcomes(c: ModelConfig, replicaDual: boolean, primaryDual: boolean, diskless: boolean): Set<CapaOutcome> {
  const vals = (f: string, fixed: boolean) => (freeSetting(c, f) ? [false, true] : [fixed]);
  const set = new Set<CapaOutcome>();
  for (const rd of vals(CAPA_SETTINGS[0], replicaDual)) for (const pd of vals(CAPA_SETTINGS[1], primaryDual)) for (const dl of vals(CAPA_SETTINGS[2], diskless)) set.add(capaOutcome(rd, pd, dl, c));
  return set;
}
const capaCache = new WeakMap<ModelConfig, readonly CapaOutcome[] | undefined>();
/** With free settings: one variant per outcome any replica could get (the guard keeps those replica r can). */
function capaVariants(c: ModelConfig): readonly CapaOutcome[] | undefined {
  if (capaCache.has(c)) return capaCache.get(c);
  let out: CapaOutcome[] | undefined;
  if (CAPA_SETTINGS.some((f) => freeSetting(c, f))) {
    const set = new Set<CapaOutcome>();
    for (const rd of new Set(c.replicaDual)) for (const o of capaOutcomes(c, rd, c.primaryDual, c.disklessSync)) set.add(o);
    out = (['no-capa', 'capa', 'capa-ignored'] as const).filter((o) => set.has(o));
  }
  capaCache.set(c, out);
  return out;
}
/** Can replica r's handshake have the outcome of variant v? (Always true without variants.) */
function capaVariantFits(m: Step, r: number, v: number): boolean {
  const vs = capaVariants(m.c);
  if (!vs) return true;
  return capaOutcomes(m.c, m.g(r, R_RDUAL) === 1, m.src[G_PDUAL] === 1, m.src[G_PDISKLESS] === 1).has(vs[v]!);
}
/** A fault is possible: unlimited (freeFaults), or budget left. */
function canFault(m: Step): boolean {
  return m.c.freeFaults || m.src[G_FAULTS]! > 0;
}
function spendFault(m: Step): void {
  if (!m.c.freeFaults) m.d[G_FAULTS]!--;
}

/** A CONFIG SET toggle is possible: unlimited, or budget left. */
function canToggle(m: Step): boolean {
  return m.c.freeConfig || m.src[G_CFG]! > 0;
}
function spendToggle(m: Step): void {
  if (!m.c.freeConfig) m.d[G_CFG]!--;
}

/**
 * connectWithPrimary and the handshake up to PSYNC. Valkey logs "Connecting to PRIMARY" first, then
 * (for a REPLICAOF command) "REPLICAOF … enabled", then the PSYNC line. The primary reads REPLCONF
 * capa before the PSYNC: the dual-channel capability is fixed here.
 */
function startHandshake(m: Step, r: number, replicaof: boolean, variant: number): void {
  const outcome = capaVariants(m.c)?.[variant] ?? capaOutcome(m.get(r, R_RDUAL) === 1, m.d[G_PDUAL] === 1, m.d[G_PDISKLESS] === 1, m.c);
  connectWithPrimary(m, r, replicaof, outcome);
  if (outcome === 'capa-ignored') m.pe(r, 'primary.dual_capa_ignored');
  // without a cached primary Valkey sends PSYNC ? -1, or (after REPLICAOF) its own replid and
  // offset, which the primary refuses as a replid mismatch. The offset is kept in a register: the
  // primary's acceptance or "lack of backlog" line repeats it. 'eq', not 'set': the primary's line
  // may be matched first (the PSYNC line is a pending obligation of this action), and then binds it.
  // A cached primary is this primary as the replica last synced with it, and the primary's ids
  // change only when it creates its backlog, before any replica can have synced: the id asked for
  // is its current one (primaryTryPartialResynchronization accepts, or refuses for lack of backlog,
  // only a request for it). Without one, the replica asks for its own id (shiftReplicationId made it
  // afresh at REPLICAOF NO ONE, a restart without dump.rdb a random one): never the primary's current id
  const asked: FieldSpec = m.get(r, R_CACHE) === 1 ? { op: 'eq', reg: REG_REPLID } : m.notPrimaryId(r);
  m.emit(m.rep(r), 'replica.psync', { offset: { op: 'eq', reg: m.regPsync(r) }, replid: asked });
}

/**
 * The handshake's state up to PSYNC, and its first lines: "Connecting to PRIMARY" (connectWithPrimary,
 * or replicationSetPrimary), then "REPLICAOF … enabled" for a REPLICAOF command (replicaofCommand).
 */
function connectWithPrimary(m: Step, r: number, replicaof: boolean, outcome: CapaOutcome): void {
  const me = m.rep(r);
  m.set(r, R_RS, RS.PSYNC_WAIT);
  m.set(r, R_MQ, MQ.REQ);
  m.set(r, R_IO, 0);
  m.set(r, R_MC, MC.NORMAL);
  m.set(r, R_CAPA, outcome === 'capa' ? 1 : 0);
  // a new attempt: the offset of the last one's PSYNC is forgotten
  m.emit(me, 'replica.connect', {}, [m.regPsync(r), m.regPsyncReplid(r)]);
  if (replicaof) m.emit(me, 'replica.replicaof');
}

/** REPLICAOF NO ONE: replicaofCommand → replicationUnsetPrimary, then "PRIMARY MODE enabled". */
function unsetPrimary(m: Step, r: number): void {
  const me = m.rep(r);
  const streaming = m.get(r, R_DS) === DS.STREAMING;
  // server.primary exists when connected, and while the local buffer is applied
  if (m.get(r, R_RS) === RS.CONNECTED || streaming) m.emit(me, 'replica.primary_lost');
  // replicationUnsetPrimary → cancelReplicationHandshake: the bio drain, then the abort's line
  m.drainBio(r);
  if (m.dualInProgress(r)) m.emit(me, 'replica.abort');
  m.closeReplicaConnections(r);
  m.resetReplica(r, RS.NONE);
  // shiftReplicationId: a later PSYNC names the new id, which the primary never had
  m.set(r, R_CACHE, 0);
  m.emit(me, 'replica.primary_mode');
  if (streaming) { m.emit(me, 'replica.stream_failed'); m.emit(me, 'replica.sync_finished'); }
}

/**
 * How far the handshake cut by REPLICAOF NO ONE got, where the primary's log shows it: only on
 * versions that log "Dual channel capability ignored" (replconfCommand, 9.1+), whether the primary
 * had read the REPLCONF capa the replica sends after "Primary replied to PING" (syncWithPrimary,
 * REPL_STATE_SEND_HANDSHAKE). Elsewhere one instance.
 */
function handshakeCutVariants(c: ModelConfig): readonly string[] | undefined {
  return c.logsDualCapaIgnored ? ['capa-unread', 'capa-read'] : undefined;
}

function softOver(m: Step, start: number): boolean {
  // read on the source state: used() reads m.d, which equals src before the effect runs
  const d = m.src;
  if (d[G_NB] === 0) return false;
  const tail = d[G_HS]! + (d[G_NB]! - 1) * m.B;
  const used = tail + m.B - start;
  return used >= m.soft;
}

function anyWaitStart(m: Step): boolean {
  for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (m.gs(r, s, S_RC) === RC.WAIT_START) return true;
  return false;
}

function forEachWaitStart(m: Step, f: (r: number, s: number) => void): void {
  for (const [r, s] of slotsInOrder(m, (r, s) => m.getS(r, s, S_RC) === RC.WAIT_START)) f(r, s);
}

/**
 * The rdb clients that satisfy `pick`, in their order in server.replicas (the order of their SYNC):
 * the fork sends $ENDOFF, and the exiting child reports, client by client in that order.
 */
function slotsInOrder(m: Step, pick: (r: number, s: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (pick(r, s)) out.push([r, s]);
  return out.sort((a, b) => m.getS(a[0], a[1], S_ORD) - m.getS(b[0], b[1], S_ORD));
}

/** $ENDOFF to the rdb client in slot s, pin the tail, protect; the replica starts its main handshake. */
function sendEndoff(m: Step, r: number, s: number): void {
  const off = m.d[G_OFF]!;
  // a client whose replica has closed the channel (the primary has not read the EOF yet) gets it in vain
  const vain = m.get(r, R_SLOT) !== s + 1 || m.getS(r, s, S_PEER) !== 0;
  // 'eq', not 'set': this line is a pending obligation of the fork, and the replica's main-channel
  // PSYNC (ENDOFF + 1) may be matched before it; the register is forgotten at each
  // "PSYNC is not possible, initialize RDB channel" (one $ENDOFF per rdb channel). A $ENDOFF sent
  // in vain names an offset no later line repeats.
  m.pe(r, 'primary.endoff_sent', { endoff: vain ? anyInt : { op: 'eq', reg: m.regEndoff(r) }, cid: { op: 'set', reg: m.regCid(r, s) }, primaryOffset: PRIMARY_OFFSET });
  const tracking = m.d[G_NB]! > 0;
  if (tracking) { m.setS(r, s, S_PIN, m.tailStart()); m.addRef(m.tailStart()); } else m.setS(r, s, S_PIN, PIN_NULL);
  m.setS(r, s, S_PROT, 1);
  m.setS(r, s, S_RAX, 1);
  m.setS(r, s, S_RC, RC.WAIT_END);
  m.setS(r, s, S_CHILD, 1);
  m.pe(r, 'primary.rdb_pinned', { cid: { op: 'eq', reg: m.regCid(r, s) }, tracking: { op: 'lit', value: tracking } });
  if (vain) return;
  // the replica reads $ENDOFF, starts loading into the rdb channel, sends set-rdb-client-id
  m.set(r, R_E, off);
  m.set(r, R_RS, RS.SETID_WAIT);
  m.set(r, R_MQ, MQ.REQ);
  m.set(r, R_DS, DS.DOWNLOAD);
  m.set(r, R_PROG, 0);
  m.set(r, R_IO, 0);
  m.set(r, R_CS, CS.STREAMING);
}

/** writeToReplica: the main client's reference moves to the next block; the backlog is trimmed. */
function moveMain(m: Step, r: number): void {
  const blk = m.get(r, R_MBLK);
  m.decRef(blk);
  m.set(r, R_MBLK, blk + m.B);
  m.addRef(blk + m.B);
  m.trim();
  if (m.get(r, R_OVER) && !m.mainOverBound(r)) m.set(r, R_OVER, 0);
}

/** addReplyReplicationBacklog: the main client references the block holding offset o (or the tail). */
function attachMain(m: Step, r: number, o: number): void {
  if (m.d[G_NB] === 0) { m.set(r, R_MBLK, 0); return; }
  const tail = m.tailStart();
  const start = o > m.d[G_OFF]! ? tail : m.d[G_HS]! + Math.floor((o - m.d[G_HS]!) / m.B) * m.B;
  m.set(r, R_MBLK, start);
  m.addRef(start);
  // H2: an escaped pin kept more of the backlog than a checked one could; PSYNC does no limit check
  if (m.mainOverBound(r)) m.set(r, R_OVER, 1);
}

/** A fork child runs and no transfer of it is still in progress (ChildExit, ChildExitFork). */
function childExitEnabled(m: Step): boolean {
  if (m.src[G_CHILD] === 0) return false;
  // #4103: the save stops at the first key RDB 11 cannot hold, whatever the transfers have received
  if (m.src[G_CHILD] === CHILD.DUAL && dualSaveFails(m.c)) return true;
  for (let r = 0; r < m.c.replicas; r++) if (m.g(r, R_CS) === CS.STREAMING && m.g(r, R_MC) !== MC.SEND_BULK) return false;
  return true;
}

/** A disk child (classic or for rdb clients) succeeds by saving the file; a socket child if it delivered to some replica. */
function childSucceeds(m: Step): boolean {
  return childSucceedsIn(m.L, m.d, dualSaveFails(m.c));
}

/** Some rdb client is served by the running child. */
function anyServed(m: Step): boolean {
  for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (m.gs(r, s, S_CHILD) === 1) return true;
  return false;
}

/** Some rdb client is in WAIT_BGSAVE_END of the running (disk-target) child: syncCommand CASE 1 finds it (read on the successor). */
function anyDiskServed(m: Step): boolean {
  for (let r = 0; r < m.c.replicas; r++) for (let s = 0; s < SLOTS; s++) if (m.getS(r, s, S_CHILD) === 1 && m.getS(r, s, S_RC) === RC.WAIT_END) return true;
  return false;
}

/** The forks a child's exit can start at once (ChildExitFork, KillChild's fork-* variants): for rdb clients or for classic replicas, by target under the free setting. */
function forkVariants(c: ModelConfig): string[] {
  return freeSetting(c, 'ToggleDisklessSync') ? ['dual', 'dual-disk', 'socket', 'disk'] : ['dual', 'classic'];
}

/** Fork variant v forks for rdb clients (else for classic replicas). */
function forkFamilyDual(c: ModelConfig, v: number): boolean {
  return freeSetting(c, 'ToggleDisklessSync') ? v <= 1 : v === 0;
}

/** Someone waits for fork variant v: an rdb client (dual) or a classic replica (otherwise). */
function forkWaiting(m: Step, v: number): boolean {
  return forkFamilyDual(m.c, v) ? anyWaitStart(m) : anyClassicWait(m);
}

/** The fork variant v starts, run by childEnds before the ended child's clients are freed. */
function forkFor(m: Step, v: number): () => void {
  const disk = freeSetting(m.c, 'ToggleDisklessSync') ? v === 1 || v === 3 : m.d[G_PDISKLESS] === 0;
  return forkFamilyDual(m.c, v) ? () => forkDual(m, disk) : () => forkClassic(m, disk);
}

/** A killed socket child leaves clients to free asynchronously: rdb clients it served (dual), or classic ones waiting for its end. */
function killFreesLater(m: Step): boolean {
  if (m.src[G_CHILD] === CHILD.DUAL) return anyServed(m);
  if (m.src[G_CHILD] === CHILD.SOCKET) for (let r = 0; r < m.c.replicas; r++) if (m.g(r, R_MC) === MC.WAIT_END) return true;
  return false;
}

/** A classic main client waits for a fork (WAIT_BGSAVE_START). */
function anyClassicWait(m: Step): boolean {
  for (let r = 0; r < m.c.replicas; r++) if (m.g(r, R_MC) === MC.WAIT_BGSAVE) return true;
  return false;
}

/** startBgsaveForReplication for the classic replicas waiting: +FULLRESYNC, fed from the fork offset. */
function forkClassic(m: Step, disk: boolean): void {
  m.emit('primary', 'primary.bgsave_start', { mode: { op: 'lit', value: 'normal' }, target: { op: 'lit', value: disk ? 'disk' : 'socket' } });
  const off = m.d[G_OFF]!;
  for (let r = 0; r < m.c.replicas; r++) {
    if (m.get(r, R_MC) !== MC.WAIT_BGSAVE) continue;
    m.set(r, R_MC, MC.WAIT_END);
    m.set(r, R_MREF, off + 1);
    if (m.d[G_NB]! > 0) { m.set(r, R_MBLK, m.tailStart()); m.addRef(m.tailStart()); }
    m.set(r, R_E, off);
    m.set(r, R_MQ, MQ.FULL);
    // a disk child writes nothing to the replica: the primary sends the file after the save
    m.set(r, R_CS, disk ? CS.NONE : CS.STREAMING);
    m.pe(r, 'primary.fullresync');
  }
  m.d[G_CHILD] = disk ? CHILD.DISK : CHILD.SOCKET;
  m.emit('primary', 'primary.child_started');
}

/**
 * syncCommand, CASE 1 (a disk-target BGSAVE is in progress): the first client of server.replicas in
 * WAIT_BGSAVE_END that is not rdb-only, i.e. a classic main client the disk child saves for (rdb
 * clients are only ever served by a dual-channel child here). -1 if none: "Can't attach the replica
 * to the current BGSAVE" (its replicas have gone), the new one waits for the next fork.
 */
function diskPeer(m: Step): number {
  for (const r of m.mainListOrder()) if (m.get(r, R_MC) === MC.WAIT_END) return r;
  return -1;
}

/** Classic main clients with a place in the order (R_MORD), i.e. in WAIT_BGSAVE_START/END. */
function classicRanked(m: Step): number {
  let n = 0;
  for (let r = 0; r < m.c.replicas; r++) if (m.get(r, R_MORD) > 0) n++;
  return n;
}

/**
 * syncCommand, CASE 1, the attach ("Waiting for end of BGSAVE for SYNC": primary.bgsave_attached): the
 * capability check `(c->replica_capa & replica->replica_capa) == replica->replica_capa` and the
 * equal replica_req always hold between two classic main channels (both "capa eof capa psync2"; a
 * dual-channel capa takes the +DUALCHANNELSYNC path, and skip-rdb-checksum is only announced on
 * a connection with integrity checks, not TCP). copyReplicaOutputBuffer shares the peer's
 * reference into the replication buffer, and replicationSetupReplicaForFullResync sends
 * +FULLRESYNC with the peer's psync_initial_offset: the new client waits for the same child's end
 * (WAIT_BGSAVE_END), like the peer. All classic clients of one disk child share one offset and one
 * block, so which peer is found does not matter.
 */
function attachToDiskChild(m: Step, r: number, peer: number): void {
  m.set(r, R_MC, MC.WAIT_END);
  const next = m.get(peer, R_MREF);
  m.set(r, R_MREF, next);
  const blk = m.get(peer, R_MBLK);
  if (blk >= 2) { m.set(r, R_MBLK, blk); m.addRef(blk); }
  m.set(r, R_E, next - 1);
  m.set(r, R_MQ, MQ.FULL);
  m.set(r, R_CS, CS.NONE);
  m.pe(r, 'primary.fullresync');
  m.pe(r, 'primary.bgsave_attached');
}

/**
 * startBgsaveForReplication for the rdb clients waiting for a fork ($ENDOFF to each, in order).
 * `disk`: repl-diskless-sync is off (turned off after the capa dual-channel was accepted): the
 * target is disk (socket_target needs repl_diskless_sync; replica_req's rdb-channel bit is not in
 * REPLICA_REQ_RDB_MASK), rdbSaveBackground saves the file, and replicationSetupReplicaForFullResync
 * only sets WAIT_BGSAVE_END: the rdb channel asked with SYNC (pre_psync), so nothing is written to
 * it, and no $ENDOFF (sendCurrentOffsetToReplica is called only by rdbSaveToReplicasSockets): no
 * pin, no protection, no rax entry. The replica keeps waiting for $ENDOFF, fed "\n" keep-alives.
 */
function forkDual(m: Step, disk = false): void {
  m.emit('primary', 'primary.bgsave_start', { mode: { op: 'lit', value: 'dual-channel' }, target: { op: 'lit', value: disk ? 'disk' : 'socket' } });
  if (disk) {
    forEachWaitStart(m, (r, s) => { m.setS(r, s, S_RC, RC.WAIT_END); m.setS(r, s, S_CHILD, 1); });
    m.d[G_CHILD] = CHILD.DUAL_DISK;
  } else {
    forEachWaitStart(m, (r, s) => sendEndoff(m, r, s));
    m.d[G_CHILD] = CHILD.DUAL;
  }
  m.emit('primary', 'primary.child_started');
}

/** A failed child's classic client is freed ("Connection with replica … lost"); its replica reads the EOF. */
function failMain(m: Step, r: number): void {
  m.freeMain(r, true);
  m.set(r, R_MEOF, 1);
}

/**
 * The fork child has exited (ok or not): updateReplicasWaitingBgsave. `forkFirst` (ChildExitFork,
 * KillChild's fork-* variants): the next fork starts before the ended child's clients are freed, rdb
 * clients and failed classic ones alike (their R_CS no longer matters to the free: the replicas it
 * served keep the same end-of-file outcome either way).
 */
function childEnds(m: Step, ok: boolean, forkFirst: (() => void) | null): void {
  const dual = m.d[G_CHILD] === CHILD.DUAL;
  m.emit('primary', 'primary.child_done', { ok: { op: 'lit', value: ok } });
  if (m.d[G_CHILD] === CHILD.DISK) {
    // the file is saved: the primary sends it to each waiting replica itself; a failed save frees them
    for (const r of m.mainListOrder()) {
      if (m.get(r, R_MC) !== MC.WAIT_END) continue;
      if (ok) { m.set(r, R_MC, MC.SEND_BULK); m.set(r, R_CS, CS.STREAMING); } else failMain(m, r);
    }
    m.d[G_CHILD] = CHILD.NONE;
    return;
  }
  if (m.d[G_CHILD] === CHILD.DUAL_DISK) {
    // updateReplicasWaitingBgsave, disk branch, for the rdb clients: the saved file is to be sent
    // by the primary (SEND_BULK, "$<size>" preamble, sendBulkToReplica); a failed save frees them
    // (freeClientAsync: unprotected, so "rdb channel disconnected"; the replica reads EOF)
    for (const [r, s] of slotsInOrder(m, (r, s) => m.getS(r, s, S_CHILD) === 1)) {
      m.setS(r, s, S_CHILD, 0);
      if (!ok) { m.closeRdb(r, s); continue; }
      m.setS(r, s, S_RC, RC.SEND_BULK);
      // the replica still holding this channel will read the preamble where it expects $ENDOFF
      if (m.get(r, R_SLOT) === s + 1 && m.getS(r, s, S_PEER) === 0 && m.get(r, R_DS) === DS.SYNC_SENT) m.set(r, R_DS, DS.BULK_PREAMBLE);
    }
    m.d[G_CHILD] = CHILD.NONE;
    return;
  }
  let served: [number, number][] = [];
  if (dual) {
    // every rdb client this child serves is still in server.replicas as WAIT_BGSAVE_END, also a
    // postponed (lingering) one whose replica has gone: updateReplicasWaitingBgsave reaches them all.
    // It does not ask which child served a client: a protected client an earlier failed child left
    // in WAIT_BGSAVE_END (S_CHILD 2, 8.0.1) is reported again, in its place in server.replicas.
    // Each client is closed with freeClientAsync: all are reported first, then freed in that order
    // (a lingering one is already queued: freeClientAsync does nothing).
    served = slotsInOrder(m, (r, s) => m.getS(r, s, S_CHILD) !== 0);
    for (const [r, s] of served) {
      if (ok) {
        m.setS(r, s, S_CHILD, 0); // replicaPutOnline: RDB_TRANSMITTED
        m.pe(r, 'primary.rdb_streamed');
        continue;
      }
      // #1297: only the flag is cleared (protected_rdb_channel = 0, then freeClientAsync); the client is
      // still in replicas_waiting_psync and holds its pin until it is freed, which logs both "rdb channel
      // disconnected" and "Remove psync waiting replica … from replicas rax" (real 8.1.1, Valkey's own
      // suite, "primary gets cob overrun before established psync": a postponed client freed so)
      if (m.c.childErrorClearsProtection) m.setS(r, s, S_PROT, 0);
      // a still protected client lingers in WAIT_BGSAVE_END (8.0.1); an unprotected one is freed
      m.setS(r, s, S_CHILD, m.getS(r, s, S_PROT) ? 2 : 0);
    }
    // the child has exited: a transfer it delivered is flushed before its client is freed, so the
    // replica reads it to its end (freeRdb resets only a channel whose child still runs)
    if (ok) for (const [r, s] of served) if (m.get(r, R_SLOT) === s + 1 && m.get(r, R_CS) === CS.DELIVERED && readsTransfer(m, r)) m.set(r, R_CS, CS.FLUSHED);
    if (!forkFirst) for (const [r, s] of served) m.closeRdb(r, s);
  }
  // updateReplicasWaitingBgsave walks server.replicas: the classic clients in their list order
  const freeLater: number[] = [];
  for (const r of m.mainListOrder()) {
    const cs = m.get(r, R_CS);
    if (cs === CS.NONE || cs === CS.FLUSHED || m.get(r, R_MC) === MC.SEND_BULK) continue; // not served by this child
    if (dual) {
      // the rdb clients are done above
    } else if (!ok && m.get(r, R_MC) === MC.WAIT_END) {
      if (forkFirst) freeLater.push(r);
      else failMain(m, r);
    } else if (ok && m.get(r, R_MC) === MC.WAIT_END) {
      // replicaPutOnline right away; the stream waits for the first ACK
      m.pe(r, 'primary.rdb_streamed');
      m.pe(r, 'primary.replica_online');
      m.set(r, R_MC, MC.ONLINE_WAIT_ACK);
    }
    // a replica still reading what the child wrote keeps reading after the child is gone; so does one
    // that has not yet read +FULLRESYNC: replicaProcessPsyncReply reads the reply line a byte at a time
    // (syncReadLine), so the whole RDB behind it waits in the socket for the read handler it installs
    m.set(r, R_CS, m.get(r, R_CS) === CS.DELIVERED && readsTransfer(m, r) ? CS.FLUSHED : CS.NONE);
  }
  m.d[G_CHILD] = CHILD.NONE;
  if (forkFirst) {
    forkFirst();
    for (const [r, s] of served) m.closeRdb(r, s);
    for (const r of freeLater) failMain(m, r);
  }
}
