// The fast candidate engine: the same candidate sets as the reference engine (reference-engine.ts),
// represented so that the work for one set of model states is done once.
//
// A candidate of the reference engine is (model state, registers, pending obligations, position).
// The reference keeps one object (and one string key) per candidate and recomputes the silent
// closure and the matching successors of every candidate at every event. On real logs thousands of
// candidates share their registers, obligations and position and differ only in the unobserved
// parts of the model state (writes, time, kills, the fork child). So here a candidate set is a
// list of *contexts* (registers, obligations, position), each with an interned set of state ids
// (conformance/trace/store.ts): equal sets are one object. Everything that depends only on the
// states is computed once per set and kept on it:
//
//  * its silent closure: pairs (state, registers cleared on the way), a breadth-first search over
//    each state's silent edges;
//  * per (node, kind) of an event: the states the closure's loud edges whose first observed event
//    has that node and kind lead to, grouped by (registers cleared before, first observation,
//    later observations): one interned target set per group;
//  * per set of bound registers: the closure's states grouped by which of those it clears.
//
// An event then costs, per context, a few map look-ups and one register check per group, however
// many states the sets hold; only the first time a set meets a (node, kind) costs work in the size
// of its closure. Each state's outgoing edges (action, interned filtered observations, successor
// id — for a loud edge only once an event needs it) are computed once, when a closure first
// reaches the state. The registers, obligations and positions are exactly those of the reference
// engine, and the silent-closure count is computed as the reference counts it, so each step gives
// the same outcome, closure count and candidate set (toCands() converts back;
// test/conformance/validate-diff.test.ts compares every step).
//
// What costs: learning a new state (the model's successors and observations, ~10 µs with the
// replication model), once per state; then per event a few look-ups per context. A long log whose
// candidate sets recur (one replica: a few thousand distinct sets in a million events) runs at a
// few hundred thousand events per second; sets that keep meeting new states (several replicas,
// whose unobserved parts multiply) cost the states they meet. memoryBytes() / compact() bound the
// memory: the driver (validate()) forgets everything but the live sets past a budget.
//
// Nothing here is specific to a model: only the ObservableModel interface is used (and its
// optional successorsObserved(), one pass for transitions and observations, and successor(), one
// action's successor when an event needs a loud edge's target). The sets are sorted
// id arrays, so an initial set may hold every reachable state of a model (a log that starts
// mid-run): see FastEngine.initialFromStates.
import type { ObservableModel, Observation, FieldSpec } from '../../model/observation.js';
import { forgottenIfUnseen, PENDING_PREFIX } from '../../model/observation.js';
import type { Kind } from '../../model/vocabulary.js';
import type { Trace, FieldValue } from './types.js';
import { Regs, candKey, obsKey, stateKey, type Cand, type EngineOptions, type PendItem } from './reference-engine.js';
import { MaskStore, SetStore, StateStore, type SSet } from './store.js';

type Val = FieldValue;

// ---- compiled observations ----------------------------------------------------------------------

const OP_LIT = 0;
const OP_SET = 1;
const OP_EQ = 2;
const OP_IN = 3;
const OP_GE = 4;
const OP_NE = 5;
const OP_MONO = 6;

interface CField {
  readonly name: string;
  readonly op: number;
  readonly reg: number;
  readonly plus: number;
  readonly value: Val | undefined;
  readonly values: readonly Val[] | undefined;
  readonly unlike: readonly number[] | undefined;
}

/** An observation the trace can see, compiled: registers as indices, fields as an array. */
export interface CObs {
  readonly id: number;
  readonly obs: Observation;
  /** obsKey(obs) of the reference engine. */
  readonly key: string;
  readonly node: number;
  readonly kind: Kind;
  /** node * KIND_SLOTS + kind index: what an event must have to be explained by it. */
  readonly evKey: number;
  readonly fields: readonly CField[];
  readonly clear: readonly number[];
}

/** Observations of one transition as the trace sees them. */
interface Filt {
  readonly id: number;
  readonly silent: boolean;
  /** Clears of unseen observations before the first seen one (mask id). */
  readonly preClear: number;
  readonly first: CObs | null;
  readonly rest: Rest | null;
}

/** The later observations of a transition (they become pending obligations). */
interface Rest {
  readonly id: number;
  readonly items: readonly CObs[];
}

const KIND_SLOTS = 1024;

// ---- registers ----------------------------------------------------------------------------------------

/** An immutable register file: values by register index (undefined = unbound). */
export class RegFile {
  constructor(readonly vals: readonly (Val | undefined)[], readonly key: string, readonly bound: number) {}
}

// ---- pending obligations -------------------------------------------------------------------------------

export interface PendEntry {
  readonly node: number;
  readonly action: number;
  readonly c: CObs;
}

/** An interned list of pending obligations (id 0 = none). */
export class PendList {
  readonly heads: Int32Array;
  readonly removed = new Map<number, PendList>();
  readonly appended = new Map<number, PendList>();
  constructor(readonly id: number, readonly items: readonly PendEntry[], nodes: number) {
    this.heads = new Int32Array(nodes).fill(-1);
    for (let i = items.length - 1; i >= 0; i--) this.heads[items[i]!.node] = i;
  }
}

// ---- candidate sets ------------------------------------------------------------------------------------

/**
 * Events consumed per node (interleaving only); equal positions reached along different paths are
 * different objects, compared element by element. (No link to the next position is kept: an old
 * position pointing at a young one would keep every later position alive through the young-
 * generation collections, which then cost more than the whole step.)
 */
export class PosRef {
  /** Eligible events (file indices) from here, once computed. */
  elig: number[] | null = null;
  private k: string | null = null;
  constructor(readonly pos: Int32Array) {}
  get key(): string {
    return (this.k ??= this.pos.join(','));
  }
  equals(o: PosRef): boolean {
    if (o === this) return true;
    const a = this.pos;
    const b = o.pos;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/** Candidates that share registers, obligations and position: one per state of `set`. */
export interface Ctx {
  readonly regs: RegFile;
  readonly pend: PendList;
  /** Events consumed per node (interleaving only). */
  readonly pos: PosRef | null;
  readonly set: SSet;
}

export type FastOutcome =
  | { readonly kind: 'ok'; readonly next: Ctx[]; readonly count: number; readonly closure: number }
  | { readonly kind: 'empty'; readonly closure: number }
  | { readonly kind: 'closure-cap'; readonly closure: number }
  | { readonly kind: 'candidate-cap'; readonly count: number; readonly closure: number };

/** The silent closure of a set: (state, cleared-register mask) pairs. */
interface Closure {
  readonly states: Int32Array;
  /** null: no pair clears anything. */
  readonly masks: Int32Array | null;
  readonly n: number;
  /** No pair clears anything: the closure is just `stateSet`. */
  readonly allZero: boolean;
  readonly stateSet: SSet;
  /** Set when the search stopped at `limit` distinct states (the closure is larger). */
  readonly truncatedAt: number | null;
}

/** The closure's states by which of the bound registers they have cleared. */
interface Part {
  readonly k: number;
  readonly set: SSet;
}

/** States reachable by explaining an event of one (node, kind), grouped. */
interface Group {
  readonly mask: number;
  readonly first: CObs;
  readonly rest: Rest | null;
  readonly action: number;
  readonly set: SSet;
}

interface SetMemo {
  closure?: Closure;
  parts?: Map<number, readonly Part[]>;
  steps?: Map<number, readonly Group[]>;
}

function memoOf(s: SSet): SetMemo {
  let m = s.memo as unknown as SetMemo | null;
  if (m === null) {
    m = {};
    (s as { memo: unknown }).memo = m;
  }
  return m;
}

export interface FastStats {
  /** States interned (reached by some edge). */
  readonly states: number;
  /** States whose edges were computed (members of some closure). */
  readonly expanded: number;
  readonly edges: number;
  readonly sets: number;
  readonly setInts: number;
  readonly observations: number;
  readonly memoryBytes: number;
  readonly compactions: number;
}

export class FastEngine {
  readonly nodeIndex = new Map<string, number>();
  readonly nodeNames: string[] = [];
  readonly nodeEvents: number[][] = [];
  readonly eventNode: Int32Array;
  /** Per event: node * KIND_SLOTS + kind index (kinds no observation has get fresh indices). */
  private readonly eventKey: Int32Array;
  readonly observed: Set<string> | null;
  readonly interleaving: boolean;

  private st: StateStore;
  private ss = new SetStore();
  /** Ints held by memoised closures (for the memory estimate). */
  private closureInts = 0;
  /** Compactions so far (see compact()). */
  compactions = 0;
  readonly masks = new MaskStore();

  // registers
  private readonly regIndex = new Map<string, number>();
  readonly regNames: string[] = [];
  private readonly regFiles = new Map<string, RegFile>();
  readonly emptyRegs: RegFile;

  // observations
  private readonly kindIndex = new Map<string, number>();
  private readonly cobs = new Map<string, CObs>();
  private readonly cobList: CObs[] = [];
  private readonly filts = new Map<string, Filt>();
  private readonly filtList: Filt[] = [];
  private readonly rests = new Map<string, Rest>();
  private readonly restList: Rest[] = [];

  // obligations
  private readonly pends = new Map<string, PendList>();
  readonly emptyPend: PendList;

  // edges of each state: [start, silentEnd) silent, [silentEnd, end) loud; start -1 = not yet known
  private eStart = new Int32Array(1 << 12).fill(-1);
  private eSilentEnd = new Int32Array(1 << 12);
  private eEnd = new Int32Array(1 << 12);
  private eTarget = new Int32Array(1 << 14);
  private eFilt = new Int32Array(1 << 14);
  private eAction = new Int32Array(1 << 14);
  private eCount = 0;
  private expanded = 0;

  // closure search scratch: per state, the last search that reached it (with mask 0, with any)
  private stamp0 = new Int32Array(1 << 12);
  private stampAny = new Int32Array(1 << 12);
  private epoch = 0;

  constructor(readonly model: ObservableModel, readonly trace: Trace, readonly opts: EngineOptions) {
    for (const n of trace.header.nodes) this.addNode(n.name);
    this.addNode('env');
    const obs = opts.observes ?? trace.header.observes;
    this.observed = obs === undefined ? null : new Set(obs);
    const ev = trace.events;
    this.eventNode = new Int32Array(ev.length);
    this.eventKey = new Int32Array(ev.length);
    for (let i = 0; i < ev.length; i++) {
      const n = this.nodeIndex.get(ev[i]!.node);
      if (n === undefined) throw new Error(`event ${i} is on undeclared node ${ev[i]!.node}`);
      this.eventNode[i] = n;
      this.eventKey[i] = n * KIND_SLOTS + this.kindOf(ev[i]!.kind);
      this.nodeEvents[n]!.push(i);
    }
    let inter = false;
    for (let i = 1; i < ev.length && !inter; i++) {
      if (this.eventNode[i] !== this.eventNode[i - 1] && this.withinTolerance(i - 1, i)) inter = true;
    }
    this.interleaving = inter;
    this.st = new StateStore(model.stateBytes);
    this.emptyRegs = this.regFile([]);
    this.emptyPend = new PendList(0, [], this.nodeNames.length);
    this.pends.set('', this.emptyPend);
  }

  private addNode(name: string): void {
    if (this.nodeIndex.has(name)) return;
    this.nodeIndex.set(name, this.nodeNames.length);
    this.nodeNames.push(name);
    this.nodeEvents.push([]);
  }

  private kindOf(kind: string): number {
    let k = this.kindIndex.get(kind);
    if (k === undefined) {
      k = this.kindIndex.size;
      if (k >= KIND_SLOTS) throw new Error('too many event kinds');
      this.kindIndex.set(kind, k);
    }
    return k;
  }

  withinTolerance(i: number, j: number): boolean {
    const a = this.trace.events[i]!.ts;
    const b = this.trace.events[j]!.ts;
    return a !== undefined && b !== undefined && Math.abs(a - b) <= this.opts.toleranceMs;
  }

  /** The interned model states (replaced by compact()). */
  get states(): StateStore {
    return this.st;
  }

  /** The interned state sets (replaced by compact()). */
  get sets(): SetStore {
    return this.ss;
  }

  /**
   * Bytes held by what this engine has learnt about the model and the trace's candidate sets
   * (states, their edges, the sets and what is memoised on them), estimated from array sizes.
   */
  memoryBytes(): number {
    return this.st.bytes() + 5 * 4 * this.eStart.length + 3 * 4 * this.eTarget.length + 4 * this.ss.ints + 160 * this.ss.count + 4 * this.closureInts + 48 * this.ss.unionCount;
  }

  /** Memory after the last compaction: the next one waits until twice that (no thrashing). */
  private floorBytes = 0;

  /** True when the learnt memory exceeds `budget` (and twice what the last compaction kept). */
  overBudget(budget: number): boolean {
    const m = this.memoryBytes();
    return m > budget && m > 2 * this.floorBytes;
  }

  /**
   * Forgets every state, edge, set and memo except the candidate sets in `live` (which come back
   * re-interned, in the same order) and what the next step needs of the first of them (the
   * current candidates): the states of their silent closures, with their learnt edges. Memory use drops to that; whatever is needed again
   * is recomputed. The registers, observations and obligations are kept. Candidate sets held
   * elsewhere are no longer valid afterwards.
   */
  compact(live: readonly (readonly Ctx[])[]): Ctx[][] {
    // the closures the next step needs (of the first list: the current candidates), while the
    // edges that make them are still known
    if (live.length > 0) for (const c of live[0]!) this.closureOf(c.set, this.opts.maxClosure);
    const old = this.st;
    const oldStart = this.eStart;
    const oldSilentEnd = this.eSilentEnd;
    const oldEnd = this.eEnd;
    const oldTarget = this.eTarget;
    const oldFilt = this.eFilt;
    const oldAction = this.eAction;
    const ns = new StateStore(this.model.stateBytes);
    const map = new Int32Array(old.size).fill(-1);
    const keep = (id: number) => {
      if (map[id] === -1) map[id] = ns.intern(old.get(id));
    };
    // the live sets' members, then the rest of their closures (when known and complete)
    const liveSets = new Set<SSet>();
    for (const cs of live) for (const c of cs) liveSets.add(c.set);
    for (const x of liveSets) for (const id of x.ids) keep(id);
    for (const x of liveSets) {
      const cl = (x.memo as SetMemo | null)?.closure;
      if (cl !== undefined && cl.truncatedAt === null) for (let i = 0; i < cl.n; i++) keep(cl.states[i]!);
    }
    // the kept states' edges, silent successors remapped (a state whose silent successor was not
    // kept is left unexpanded), loud successors remapped or forgotten (-1)
    const n = ns.size;
    const back = new Int32Array(n);
    for (let id = 0; id < map.length; id++) if (map[id]! >= 0) back[map[id]!] = id;
    this.eStart = new Int32Array(Math.max(n, 1 << 12)).fill(-1);
    this.eSilentEnd = new Int32Array(this.eStart.length);
    this.eEnd = new Int32Array(this.eStart.length);
    this.stamp0 = new Int32Array(this.eStart.length);
    this.stampAny = new Int32Array(this.eStart.length);
    this.epoch = 0;
    let edges = 0;
    for (let k = 0; k < n; k++) if (oldStart[back[k]!]! >= 0) edges += oldEnd[back[k]!]! - oldStart[back[k]!]!;
    this.eTarget = new Int32Array(Math.max(edges, 1 << 14));
    this.eFilt = new Int32Array(this.eTarget.length);
    this.eAction = new Int32Array(this.eTarget.length);
    let e = 0;
    let expanded = 0;
    for (let k = 0; k < n; k++) {
      const o = back[k]!;
      const start = oldStart[o]!;
      if (start < 0) continue;
      let ok = true;
      for (let x = start; x < oldSilentEnd[o]!; x++) if (map[oldTarget[x]!] === -1) ok = false;
      if (!ok) continue;
      this.eStart[k] = e;
      this.eSilentEnd[k] = e + (oldSilentEnd[o]! - start);
      for (let x = start; x < oldEnd[o]!; x++) {
        const t = oldTarget[x]!;
        this.eTarget[e] = t < 0 ? -1 : map[t]!;
        this.eFilt[e] = oldFilt[x]!;
        this.eAction[e] = oldAction[x]!;
        e++;
      }
      this.eEnd[k] = e;
      expanded++;
    }
    this.eCount = e;
    this.expanded = expanded;
    this.st = ns;
    const sets = new SetStore();
    this.ss = sets;
    this.closureInts = 0;
    const done = new Map<SSet, SSet>();
    const conv = (x: SSet): SSet => {
      let y = done.get(x);
      if (y === undefined) {
        const ids = new Int32Array(x.size);
        for (let i = 0; i < ids.length; i++) ids[i] = map[x.ids[i]!]!;
        y = sets.internUnsorted(ids, ids.length);
        done.set(x, y);
      }
      return y;
    };
    const out = live.map((cs) => cs.map((c) => ({ ...c, set: conv(c.set) })));
    this.compactions++;
    this.floorBytes = this.memoryBytes();
    return out;
  }

  stats(): FastStats {
    return { states: this.st.size, expanded: this.expanded, edges: this.eCount, sets: this.ss.count, setInts: this.ss.ints, observations: this.cobList.length, memoryBytes: this.memoryBytes(), compactions: this.compactions };
  }

  // ---- registers --------------------------------------------------------------------------------------

  private reg(name: string): number {
    let r = this.regIndex.get(name);
    if (r === undefined) {
      r = this.regNames.length;
      this.regNames.push(name);
      this.regIndex.set(name, r);
      if (name.startsWith(PENDING_PREFIX)) {
        this.pendingRegs.set(r, this.nodeIndex.get(name.slice(PENDING_PREFIX.length)) ?? -1);
        this.pendingMask = this.masks.intern([...this.pendingRegs.keys()]);
      }
    }
    return r;
  }

  /** Pending pseudo-registers (model/observation.ts pendingRegister) → their node's index. */
  private readonly pendingRegs = new Map<number, number>();
  /** The mask of every pending pseudo-register seen so far. */
  private pendingMask = 0;
  private readonly dropped = new Map<string, PendList>();

  /** `p` without the obligations of the nodes killed along a path with clear mask `m`. */
  private dropPend(p: PendList, m: number): PendList {
    if (m === 0 || p.items.length === 0 || this.pendingMask === 0 || this.masks.intersect(m, this.pendingMask) === 0) return p;
    const key = p.id + ':' + m;
    let q = this.dropped.get(key);
    if (q === undefined) {
      const killed = this.masks.members[this.masks.intersect(m, this.pendingMask)]!.map((r) => this.pendingRegs.get(r)!);
      const items = p.items.filter((it) => !killed.includes(it.node));
      q = items.length === p.items.length ? p : this.pendOf(items);
      this.dropped.set(key, q);
    }
    return q;
  }

  /** The node is killed along a path with clear mask `m` (its obligations are gone there). */
  private kills(m: number, node: number): boolean {
    if (m === 0 || this.pendingMask === 0) return false;
    const k = this.masks.intersect(m, this.pendingMask);
    if (k === 0) return false;
    for (const r of this.masks.members[k]!) if (this.pendingRegs.get(r) === node) return true;
    return false;
  }

  /** The interned register file with these values (by index; undefined = unbound). */
  private regFile(vals: readonly (Val | undefined)[]): RegFile {
    let key = '';
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v === undefined) continue;
      key += i + (typeof v === 'number' ? '#' + v : typeof v === 'string' ? '$' + JSON.stringify(v) : v ? '!t' : '!f') + '\u0001';
    }
    let f = this.regFiles.get(key);
    if (f === undefined) {
      const bound: number[] = [];
      for (let i = 0; i < vals.length; i++) if (vals[i] !== undefined) bound.push(i);
      let n = vals.length;
      while (n > 0 && vals[n - 1] === undefined) n--;
      f = new RegFile(vals.slice(0, n), key, this.masks.intern(bound));
      if (this.regFiles.size >= 200_000) this.regFiles.clear();
      this.regFiles.set(key, f);
    }
    return f;
  }

  /** `r` with the registers of mask `m` unbound. */
  private clearRegs(r: RegFile, m: number): RegFile {
    if (m === 0 || this.masks.intersect(m, r.bound) === 0) return r;
    const vals = r.vals.slice();
    for (const i of this.masks.members[m]!) if (i < vals.length) vals[i] = undefined;
    return this.regFile(vals);
  }

  /** The reference engine's applyObs on compiled observations: new registers, or null. */
  private apply(c: CObs, fields: Readonly<Record<string, Val>>, r: RegFile): RegFile | null {
    let vals: (Val | undefined)[] | null = null;
    const cur = r.vals;
    for (let i = 0; i < c.fields.length; i++) {
      const f = c.fields[i]!;
      const v = fields[f.name];
      if (v === undefined) {
        if (f.op === OP_SET && (vals ?? cur)[f.reg] !== undefined) {
          vals ??= cur.slice();
          vals[f.reg] = undefined;
        }
        continue;
      }
      switch (f.op) {
        case OP_LIT:
          if (v !== f.value) return null;
          break;
        case OP_SET:
          vals ??= cur.slice();
          vals[f.reg] = typeof v === 'number' ? v - f.plus : v;
          break;
        case OP_IN:
          if (!f.values!.includes(v)) return null;
          break;
        case OP_EQ: {
          const g = (vals ?? cur)[f.reg];
          if (g === undefined) {
            if (f.unlike !== undefined) {
              const src = vals ?? cur;
              for (const u of f.unlike) if (src[u] === v) return null;
            }
            vals ??= cur.slice();
            vals[f.reg] = typeof v === 'number' ? v - f.plus : v;
          } else if (v !== (typeof g === 'number' ? g + f.plus : g)) return null;
          break;
        }
        case OP_GE: {
          const g = (vals ?? cur)[f.reg];
          if (g !== undefined && (typeof g !== 'number' || typeof v !== 'number' || v < g + f.plus)) return null;
          break;
        }
        case OP_NE: {
          const g = (vals ?? cur)[f.reg];
          if (g !== undefined && g === v) return null;
          break;
        }
        case OP_MONO: {
          const g = (vals ?? cur)[f.reg];
          if (typeof v !== 'number' || (g !== undefined && (typeof g !== 'number' || v < g + f.plus))) return null;
          if (g !== v - f.plus) {
            vals ??= cur.slice();
            vals[f.reg] = v - f.plus;
          }
          break;
        }
      }
    }
    for (let i = 0; i < c.clear.length; i++) {
      const x = c.clear[i]!;
      if ((vals ?? cur)[x] !== undefined) {
        vals ??= cur.slice();
        vals[x] = undefined;
      }
    }
    return vals === null ? r : this.regFile(vals);
  }

  /** A RegFile as the reference engine's Regs. */
  toRegs(r: RegFile): Regs {
    const names: string[] = [];
    const vals: Val[] = [];
    r.vals.forEach((v, i) => {
      if (v !== undefined) {
        names.push(this.regNames[i]!);
        vals.push(v);
      }
    });
    return Regs.build(names, vals);
  }

  /** A reference Regs as a RegFile. */
  fromRegs(r: Regs): RegFile {
    const vals: (Val | undefined)[] = [];
    r.names.forEach((n, i) => (vals[this.reg(n)] = r.vals[i]));
    return this.regFile(vals);
  }

  // ---- observations ---------------------------------------------------------------------------------

  sees(o: Observation): boolean {
    return this.nodeIndex.has(o.node) && (this.observed === null || this.observed.has(o.kind));
  }

  private compile(o: Observation): CObs {
    const key = obsKey(o);
    let c = this.cobs.get(key);
    if (c !== undefined) return c;
    const fields: CField[] = [];
    for (const name in o.fields) {
      const s: FieldSpec = o.fields[name]!;
      if (s.op === 'any') continue;
      const op = s.op === 'lit' ? OP_LIT : s.op === 'set' ? OP_SET : s.op === 'eq' ? OP_EQ : s.op === 'in' ? OP_IN : s.op === 'ge' ? OP_GE : s.op === 'mono' ? OP_MONO : OP_NE;
      fields.push({
        name,
        op,
        reg: 'reg' in s ? this.reg(s.reg) : -1,
        plus: 'plus' in s ? s.plus ?? 0 : 0,
        value: s.op === 'lit' ? s.value : undefined,
        values: s.op === 'in' ? s.values : undefined,
        unlike: s.op === 'eq' && s.unlike !== undefined ? s.unlike.map((u) => this.reg(u)) : undefined,
      });
    }
    const node = this.nodeIndex.get(o.node)!;
    if (this.cobList.length >= 0x100000) throw new Error('fast engine: more than 2^20 distinct observations');
    c = {
      id: this.cobList.length, obs: o, key, node, kind: o.kind, evKey: node * KIND_SLOTS + this.kindOf(o.kind), fields,
      clear: (o.clear ?? []).map((r) => this.reg(r)),
    };
    this.cobs.set(key, c);
    this.cobList.push(c);
    return c;
  }

  private restOf(items: readonly CObs[]): Rest | null {
    if (items.length === 0) return null;
    const key = items.map((c) => c.id).join(',');
    let r = this.rests.get(key);
    if (r === undefined) {
      if (this.restList.length + 1 >= 0x100000) throw new Error('fast engine: more than 2^20 distinct observation lists');
      r = { id: this.restList.length + 1, items };
      this.rests.set(key, r);
      this.restList.push(r);
    }
    return r;
  }

  /** Small ids of the strings met in observations (kinds, nodes, field and register names). */
  private readonly strIds = new Map<string, number>();
  sid(x: string): number {
    let i = this.strIds.get(x);
    if (i === undefined) {
      i = this.strIds.size + 1;
      this.strIds.set(x, i);
    }
    return i;
  }

  /** A hash of an observation list's structure (no strings built: the model's strings are shared). */
  private listHash(list: readonly Observation[]): number {
    let h = list.length | 0;
    const mix = (x: number) => {
      h = Math.imul(h ^ x, 0x9e3779b1);
      h ^= h >>> 15;
    };
    for (const o of list) {
      mix(this.sid(o.kind));
      mix(this.sid(o.node));
      const fs = o.fields;
      for (const f in fs) {
        const sp = fs[f]!;
        mix(this.sid(f));
        switch (sp.op) {
          case 'lit': mix(1); mix(valHash(sp.value, this)); break;
          case 'in': mix(2); for (const v of sp.values) mix(valHash(v, this)); break;
          case 'any': mix(3); break;
          case 'ne': mix(4); mix(this.sid(sp.reg)); break;
          case 'eq': mix(5); mix(this.sid(sp.reg)); mix(sp.plus ?? 0); if (sp.unlike) for (const u of sp.unlike) mix(this.sid(u)); break;
          case 'set': mix(6); mix(this.sid(sp.reg)); mix(sp.plus ?? 0); break;
          case 'ge': mix(7); mix(this.sid(sp.reg)); mix(sp.plus ?? 0); break;
          case 'mono': mix(8); mix(this.sid(sp.reg)); mix(sp.plus ?? 0); break;
        }
      }
      mix(0x51ed);
      if (o.clear) for (const r of o.clear) mix(this.sid(r));
      mix(0x7f4a);
    }
    return h;
  }

  /** Filtered forms by list hash; each with the raw list it was made from (for the equality test). */
  private readonly filtsByHash = new Map<number, RawEntry[]>();
  /** Per action, the last raw lists it showed, most recent first (an action shows few lists). */
  private readonly lastOfAction: (RawEntry[] | undefined)[] = [];

  /** The interned filtered form of an action's observation list (the reference engine's filter()). */
  private filtOf(list: readonly Observation[], action: number): Filt {
    if (list.length === 0) return this.silentFilt;
    let recent = this.lastOfAction[action];
    if (recent === undefined) this.lastOfAction[action] = recent = [];
    for (let i = 0; i < recent.length; i++) {
      const r = recent[i]!;
      if (sameRaw(r, list)) {
        if (i > 0) {
          recent.splice(i, 1);
          recent.unshift(r);
        }
        return r.f;
      }
    }
    const h = this.listHash(list);
    let bucket = this.filtsByHash.get(h);
    let e: RawEntry | undefined;
    if (bucket !== undefined) {
      for (const b of bucket) {
        if (sameRaw(b, list)) {
          e = b;
          break;
        }
      }
    } else this.filtsByHash.set(h, (bucket = []));
    if (e === undefined) {
      e = { raw: list, keys: list.map((o) => Object.keys(o.fields)), specs: list.map((o) => Object.keys(o.fields).map((k) => o.fields[k]!)), f: this.makeFilt(list) };
      bucket.push(e);
    }
    recent.unshift(e);
    if (recent.length > 4) recent.pop();
    return e.f;
  }

  private makeFilt(list: readonly Observation[]): Filt {
    let key = '';
    for (const o of list) key += rawKey(o) + '\u0002';
    let f = this.filts.get(key);
    if (f !== undefined) return f;
    const observed: Observation[] = [];
    let pre: string[] = [];
    for (const o of list) {
      if (this.sees(o)) observed.push(o);
      else {
        const gone = forgottenIfUnseen(o);
        if (gone.length === 0) continue;
        const last = observed.length - 1;
        if (last < 0) pre = [...pre, ...gone];
        else observed[last] = { ...observed[last]!, clear: [...(observed[last]!.clear ?? []), ...gone] };
      }
    }
    const preClear = this.masks.intern(pre.map((r) => this.reg(r)));
    const cs = observed.map((o) => this.compile(o));
    f = { id: this.filtList.length, silent: cs.length === 0, preClear, first: cs[0] ?? null, rest: this.restOf(cs.slice(1)) };
    this.filts.set(key, f);
    this.filtList.push(f);
    return f;
  }

  private readonly silentFilt: Filt = this.internSilent();
  private internSilent(): Filt {
    const f: Filt = { id: 0, silent: true, preClear: 0, first: null, rest: null };
    this.filtList.push(f);
    return f;
  }

  // ---- obligations --------------------------------------------------------------------------------------

  private pendOf(items: readonly PendEntry[]): PendList {
    if (items.length === 0) return this.emptyPend;
    const key = items.map((e) => e.c.id).join(',');
    let p = this.pends.get(key);
    if (p === undefined) {
      p = new PendList(this.pends.size, items, this.nodeNames.length);
      this.pends.set(key, p);
    }
    return p;
  }

  private pendRemove(p: PendList, i: number): PendList {
    let q = p.removed.get(i);
    if (q === undefined) {
      q = this.pendOf([...p.items.slice(0, i), ...p.items.slice(i + 1)]);
      p.removed.set(i, q);
    }
    return q;
  }

  private pendAppend(p: PendList, rest: Rest, action: number): PendList {
    let q = p.appended.get(rest.id);
    if (q === undefined) {
      q = this.pendOf([...p.items, ...rest.items.map((c) => ({ node: c.node, action, c }))]);
      p.appended.set(rest.id, q);
    }
    return q;
  }

  // ---- edges ---------------------------------------------------------------------------------------------

  private ensureStateArrays(n: number): void {
    if (n <= this.eStart.length) return;
    let cap = this.eStart.length;
    while (cap < n) cap = Math.ceil(cap * 1.5);
    const grow = (a: Int32Array, fill?: number) => {
      const b = new Int32Array(cap);
      if (fill !== undefined) b.fill(fill, a.length);
      b.set(a);
      return b;
    };
    this.eStart = grow(this.eStart, -1);
    this.eSilentEnd = grow(this.eSilentEnd);
    this.eEnd = grow(this.eEnd);
    this.stamp0 = grow(this.stamp0);
    this.stampAny = grow(this.stampAny);
  }

  private ensureEdgeArrays(n: number): void {
    if (n <= this.eTarget.length) return;
    let cap = this.eTarget.length;
    while (cap < n) cap = Math.ceil(cap * 1.5);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.eTarget = grow(this.eTarget);
    this.eFilt = grow(this.eFilt);
    this.eAction = grow(this.eAction);
  }

  // edges() writes a state's silent edges straight into the edge arrays and keeps its loud ones
  // here until they follow (no per-state closure or list)
  private edgeK = 0;
  private loudN = 0;
  private loudF = new Int32Array(256);
  private loudA = new Int32Array(256);
  private readonly addEdge = (a: number, nx: Uint8Array, obs: readonly Observation[]): void => {
    const f = this.filtOf(obs, a);
    if (f.silent) {
      const k = this.edgeK++;
      if (k >= this.eTarget.length) this.ensureEdgeArrays(k + 1);
      this.eTarget[k] = this.states.intern(nx);
      this.eFilt[k] = f.id;
      this.eAction[k] = a;
    } else {
      const j = this.loudN++;
      if (j >= this.loudF.length) {
        const f2 = new Int32Array(j * 2);
        f2.set(this.loudF);
        this.loudF = f2;
        const a2 = new Int32Array(j * 2);
        a2.set(this.loudA);
        this.loudA = a2;
      }
      this.loudF[j] = f.id;
      this.loudA[j] = a;
    }
  };

  /** Computes the outgoing edges of state `s` (once). */
  private edges(s: number): void {
    if (this.eStart[s]! >= 0) return;
    const model = this.model;
    // a view into the arena: if interning a successor grows the arena, the view keeps the old copy
    const bytes = this.states.get(s);
    const start = this.eCount;
    this.edgeK = start;
    this.loudN = 0;
    // the successor of a loud transition is interned only when an event needs it (most never
    // are: interning them all took half of the interning and of the arena)
    if (model.successorsObserved !== undefined) model.successorsObserved(bytes, this.addEdge);
    else model.successors(bytes, (a, nx) => this.addEdge(a, nx, model.observe(bytes, a, nx)));
    this.ensureStateArrays(this.states.size);
    const silentEnd = this.edgeK;
    const nl = this.loudN;
    this.ensureEdgeArrays(silentEnd + nl);
    let k = silentEnd;
    for (let i = 0; i < nl; i++) {
      this.eTarget[k] = -1;
      this.eFilt[k] = this.loudF[i]!;
      this.eAction[k] = this.loudA[i]!;
      k++;
    }
    this.eCount = k;
    this.expanded++;
    this.eStart[s] = start;
    this.eSilentEnd[s] = silentEnd;
    this.eEnd[s] = k;
  }

  /** Interns the successors of `s`'s loud edges whose first seen event has this evKey. */
  private resolveLoud(s: number, evKey: number): void {
    const start = this.eSilentEnd[s]!;
    const end = this.eEnd[s]!;
    const filts = this.filtList;
    const model = this.model;
    if (model.successor !== undefined) {
      // one action fired per edge to resolve, in edge (= action) order: the states are interned
      // in the order the pass over every successor below interns them
      for (let e = start; e < end; e++) {
        if (this.eTarget[e] !== -1 || filts[this.eFilt[e]!]!.first!.evKey !== evKey) continue;
        const nx = model.successor(this.states.get(s), this.eAction[e]!);
        if (nx === null) throw new Error(`fast engine: ${model.actionNames[this.eAction[e]!]} is no longer enabled in a state where it was`);
        this.eTarget[e] = this.states.intern(nx);
      }
    } else {
      model.successors(this.states.get(s), (a, nx) => {
        for (let e = start; e < end; e++) {
          if (this.eAction[e] !== a) continue;
          if (this.eTarget[e] === -1 && filts[this.eFilt[e]!]!.first!.evKey === evKey) this.eTarget[e] = this.states.intern(nx);
          break;
        }
      });
    }
    this.ensureStateArrays(this.states.size);
  }

  // ---- per-set work (memoised) -------------------------------------------------------------------------

  /**
   * The silent closure of `x`. Stops (truncatedAt = limit) once it holds more than `limit` distinct
   * states: the caller then gives up anyway.
   */
  closureOf(x: SSet, limit: number): Closure {
    const memo = memoOf(x);
    const old = memo.closure;
    if (old !== undefined && (old.truncatedAt === null || old.truncatedAt >= limit)) return old;
    let states = new Int32Array(Math.max(16, x.size * 2));
    let masks = new Int32Array(states.length);
    let n = 0;
    let distinct = 0;
    if (++this.epoch === 0x7fffffff) {
      this.stamp0.fill(0);
      this.stampAny.fill(0);
      this.epoch = 1;
    }
    const ep = this.epoch;
    let seenMasked: Set<number> | null = null;
    let allZero = true;
    // visit (t, m): (t, 0) pairs are marked in stamp0, others in seenMasked; stampAny counts states
    const visit = (t: number, m: number): boolean => {
      if (t >= this.stamp0.length) this.ensureStateArrays(this.states.size);
      if (m === 0) {
        if (this.stamp0[t] === ep) return false;
        this.stamp0[t] = ep;
      } else {
        seenMasked ??= new Set();
        const k = t * 0x100000 + m;
        if (seenMasked.has(k)) return false;
        seenMasked.add(k);
        allZero = false;
      }
      if (this.stampAny[t] !== ep) {
        this.stampAny[t] = ep;
        distinct++;
      }
      if (n === states.length) {
        const s2 = new Int32Array(n * 2);
        s2.set(states);
        states = s2;
        const m2 = new Int32Array(n * 2);
        m2.set(masks);
        masks = m2;
      }
      states[n] = t;
      masks[n] = m;
      n++;
      return true;
    };
    for (let i = 0; i < x.ids.length; i++) visit(x.ids[i]!, 0);
    let truncatedAt: number | null = null;
    const filts = this.filtList;
    const M = this.masks;
    for (let q = 0; q < n && truncatedAt === null; q++) {
      const s = states[q]!;
      const m = masks[q]!;
      this.edges(s);
      const end = this.eSilentEnd[s]!;
      for (let e = this.eStart[s]!; e < end; e++) {
        const pc = filts[this.eFilt[e]!]!.preClear;
        if (visit(this.eTarget[e]!, pc === 0 ? m : M.union(m, pc)) && distinct > limit) {
          truncatedAt = limit;
          break;
        }
      }
    }
    const stateSet = this.sets.internUnsorted(states, n);
    // without clears the closure is just its state set (no second copy, no masks); otherwise the
    // pairs are kept at their exact size
    const c: Closure = allZero
      ? { states: stateSet.ids, masks: null, n: stateSet.size, allZero, stateSet, truncatedAt }
      : { states: states.slice(0, n), masks: masks.slice(0, n), n, allZero, stateSet, truncatedAt };
    if (!allZero) this.closureInts += n * 2;
    memo.closure = c;
    return c;
  }

  /** The closure's states by (cleared mask ∩ bound), given the closure is complete. */
  private partsOf(x: SSet, cl: Closure, bound: number): readonly Part[] {
    if (cl.allZero) return [{ k: 0, set: cl.stateSet }];
    const memo = memoOf(x);
    memo.parts ??= new Map();
    let p = memo.parts.get(bound);
    if (p !== undefined) return p;
    const byK = new Map<number, number[]>();
    for (let i = 0; i < cl.n; i++) {
      const k = this.masks.intersect(cl.masks![i]!, bound);
      let l = byK.get(k);
      if (l === undefined) byK.set(k, (l = []));
      l.push(cl.states[i]!);
    }
    p = [...byK].sort((a, b) => a[0] - b[0]).map(([k, l]) => ({ k, set: this.sets.internUnsorted(Int32Array.from(l), l.length) }));
    memo.parts.set(bound, p);
    return p;
  }

  private groupBuf = new Int32Array(1 << 12);

  /** The closure's loud transitions whose first seen event is (node, kind) = evKey, grouped. */
  private stepOf(x: SSet, cl: Closure, evKey: number): readonly Group[] {
    const memo = memoOf(x);
    memo.steps ??= new Map();
    let g = memo.steps.get(evKey);
    if (g !== undefined) return g;
    const groups = new Map<number, { mask: number; first: CObs; rest: Rest | null; action: number; targets: number[] }>();
    const filts = this.filtList;
    const M = this.masks;
    for (let i = 0; i < cl.n; i++) {
      const s = cl.states[i]!;
      const m = cl.masks === null ? 0 : cl.masks[i]!;
      const end = this.eEnd[s]!;
      for (let e = this.eSilentEnd[s]!; e < end; e++) {
        const f = filts[this.eFilt[e]!]!;
        if (f.first!.evKey !== evKey) continue;
        if (this.eTarget[e] === -1) this.resolveLoud(s, evKey);
        const mk = f.preClear === 0 ? m : M.union(m, f.preClear);
        const rid = f.rest === null ? 0 : f.rest.id;
        // exact as long as masks < 2^13 and observation ids < 2^20 (checked where they are made)
        const key = (mk * 0x100000 + f.first!.id) * 0x100000 + rid;
        let gr = groups.get(key);
        if (gr === undefined) groups.set(key, (gr = { mask: mk, first: f.first!, rest: f.rest, action: this.eAction[e]!, targets: [] }));
        gr.targets.push(this.eTarget[e]!);
      }
    }
    const out: Group[] = [];
    for (const gr of groups.values()) {
      if (this.groupBuf.length < gr.targets.length) this.groupBuf = new Int32Array(gr.targets.length * 2);
      for (let i = 0; i < gr.targets.length; i++) this.groupBuf[i] = gr.targets[i]!;
      out.push({ mask: gr.mask, first: gr.first, rest: gr.rest, action: gr.action, set: this.sets.internUnsorted(this.groupBuf, gr.targets.length) });
    }
    memo.steps.set(evKey, out);
    return out;
  }

  // ---- the engine ---------------------------------------------------------------------------------------

  private advance(p: PosRef, node: number): PosRef {
    const pos = p.pos.slice();
    pos[node]!++;
    return new PosRef(pos);
  }

  initial(): Ctx[] {
    const ids: number[] = [];
    this.model.initStates((s) => ids.push(this.states.intern(s)));
    return this.initialFrom(Int32Array.from(ids));
  }

  /**
   * Candidates with empty registers and no obligations, one per state `enumerate` emits: e.g.
   * every reachable state of the model (engine/bfs.ts enumerates the `valkey` preset's 8.5
   * million in seconds), for a log that starts mid-run. The set is one sorted id array (4 bytes a
   * state); its closure is itself when it is closed under silent steps, but the first event still
   * learns every member's transitions once (about 10 µs a state with the replication model).
   */
  initialFromStates(enumerate: (emit: (s: Uint8Array) => void) => void): Ctx[] {
    let ids = new Int32Array(1024);
    let n = 0;
    enumerate((s) => {
      if (n === ids.length) {
        const b = new Int32Array(n * 2);
        b.set(ids);
        ids = b;
      }
      ids[n++] = this.st.intern(s);
    });
    this.ensureStateArrays(this.st.size);
    return this.initialFrom(ids.subarray(0, n));
  }

  /**
   * The states within `depth` steps of the model's initial states, breadth-first, whole layers
   * only: the deepest layer that fits in `maxStates` (at least the initial states). `complete`:
   * the last layer had no new successor, so this is every reachable state.
   */
  reachableIds(maxStates: number): { ids: Int32Array; depth: number; complete: boolean } {
    const st = this.states;
    const ids: number[] = [];
    const seen = new Set<number>();
    const add = (id: number) => { if (!seen.has(id)) { seen.add(id); ids.push(id); } };
    this.model.initStates((s) => add(st.intern(s)));
    let layerStart = 0;
    let depth = 0;
    for (;;) {
      const layerEnd = ids.length;
      if (layerStart === layerEnd) return { ids: Int32Array.from(ids), depth: depth - 1, complete: true };
      for (let i = layerStart; i < layerEnd; i++) {
        this.model.successors(st.copy(ids[i]!), (_a, nx) => add(st.intern(nx)));
        if (ids.length > maxStates) {
          this.ensureStateArrays(st.size);
          return { ids: Int32Array.from(ids.slice(0, layerEnd)), depth, complete: false };
        }
      }
      layerStart = layerEnd;
      depth++;
    }
  }

  /**
   * Candidates for a log that starts mid-run, from the states `ids` (standing for every reachable
   * state): those with a transition that shows one of the nodes' first events, nothing pending;
   * and those just after one action whose first seen events fell before the log's first line (the
   * rest of that action's events pending). Each start set is taken as closed under silent steps
   * (the reachable set is, and its silent closure from a sample is most of the model): the first
   * event is matched straight from it.
   */
  initialMidRun(ids: Int32Array): Ctx[] {
    this.ensureStateArrays(this.st.size);
    const firstKeys = new Set<number>();
    for (const evs of this.nodeEvents) if (evs.length > 0) firstKeys.add(this.eventKey[evs[0]!]!);
    const base: number[] = [];
    const byPend = new Map<PendList, number[]>();
    const filts = this.filtList;
    for (const s of ids) {
      this.edges(s);
      let shows = false;
      for (let e = this.eSilentEnd[s]!; e < this.eEnd[s]!; e++) {
        const f = filts[this.eFilt[e]!]!;
        if (firstKeys.has(f.first!.evKey)) shows = true;
        if (f.rest === null) continue;
        if (this.eTarget[e] === -1) this.resolveLoud(s, f.first!.evKey);
        const t = this.eTarget[e]!;
        const a = this.eAction[e]!;
        const items = f.rest.items;
        for (let j = 0; j < items.length; j++) {
          if (!firstKeys.has(items[j]!.evKey)) continue;
          const p = this.pendOf(items.slice(j).map((c) => ({ node: c.node, action: a, c })));
          let list = byPend.get(p);
          if (list === undefined) byPend.set(p, (list = []));
          list.push(t);
        }
      }
      if (shows) base.push(s);
    }
    const out: Ctx[] = [];
    const closed = (list: number[]): SSet => {
      const set = this.sets.internUnsorted(Int32Array.from(list), list.length);
      for (const x of set.ids) this.edges(x);
      this.ensureStateArrays(this.st.size);
      memoOf(set).closure = { states: set.ids, masks: null, n: set.size, allZero: true, stateSet: set, truncatedAt: null };
      this.declaredClosed.push(set);
      return set;
    };
    const pos = () => (this.interleaving ? new PosRef(new Int32Array(this.nodeNames.length)) : null);
    if (base.length > 0) out.push({ regs: this.emptyRegs, pend: this.emptyPend, pos: pos(), set: closed(base) });
    for (const [pend, list] of byPend) out.push({ regs: this.emptyRegs, pend, pos: pos(), set: closed(list) });
    return out;
  }

  private declaredClosed: SSet[] = [];

  /**
   * After the first event: the start sets of initialMidRun are closed only at the start (a set
   * still pending a cut action's events, or met again later, gets its real silent closure).
   */
  forgetStartClosures(): void {
    for (const set of this.declaredClosed) (set as { memo: unknown }).memo = null;
    this.declaredClosed = [];
  }

  /** The same from state ids (`states.intern`; any order, duplicates allowed). */
  initialFrom(ids: Int32Array): Ctx[] {
    const pos = this.interleaving ? new PosRef(new Int32Array(this.nodeNames.length)) : null;
    return [{ regs: this.emptyRegs, pend: this.emptyPend, pos, set: this.sets.internUnsorted(ids.slice(), ids.length) }];
  }

  /** Number of candidates (state × context) in `cands`. */
  count(cands: readonly Ctx[]): number {
    let n = 0;
    for (const c of cands) n += c.set.size;
    return n;
  }

  eligible(pos: Int32Array | null, step: number): number[] {
    if (pos === null) return step < this.trace.events.length ? [step] : [];
    const out: number[] = [];
    for (let n = 0; n < pos.length; n++) {
      const evs = this.nodeEvents[n]!;
      if (pos[n]! >= evs.length) continue;
      const j = evs[pos[n]!]!;
      let ok = true;
      for (let m = 0; m < pos.length && ok; m++) {
        if (m === n) continue;
        const em = this.nodeEvents[m]!;
        for (let k = pos[m]!; k < em.length && em[k]! < j; k++) {
          if (!this.withinTolerance(em[k]!, j)) {
            ok = false;
            break;
          }
        }
      }
      if (ok) out.push(j);
    }
    return out;
  }

  firstUnconsumed(cands: readonly Ctx[], step: number): number {
    if (cands.length === 0 || cands[0]!.pos === null) return step;
    let best = Infinity;
    for (const c of cands) {
      const pos = c.pos!.pos;
      for (let n = 0; n < pos.length; n++) {
        const evs = this.nodeEvents[n]!;
        if (pos[n]! < evs.length) best = Math.min(best, evs[pos[n]!]!);
      }
    }
    return best === Infinity ? step : best;
  }

  /** Consume one event from every candidate: the reference engine's step(), set by set. */
  step(cands: readonly Ctx[], step: number): FastOutcome {
    const events = this.trace.events;
    let v0 = 0;
    for (const c of cands) v0 += c.set.size;
    const limit = Math.max(this.opts.maxClosure, v0);
    // 1. the silent closure of every context, counted as the reference counts it: distinct
    //    (state, registers after the clears, obligations, position)
    const closures: Closure[] = [];
    const parts: (readonly Part[])[] = [];
    for (const c of cands) {
      const cl = this.closureOf(c.set, limit);
      if (cl.truncatedAt !== null) return { kind: 'closure-cap', closure: limit + 1 };
      closures.push(cl);
      // with obligations pending, a path that kills a node is told apart (its obligations drop)
      parts.push(this.partsOf(c.set, cl, c.pend.items.length > 0 && this.pendingMask !== 0 ? this.masks.union(c.regs.bound, this.pendingMask) : c.regs.bound));
    }
    let total = 0;
    if (cands.length === 1 && parts[0]!.length === 1) total = parts[0]![0]!.set.size;
    else {
      const acc = new CtxAcc(this.sets);
      cands.forEach((c, i) => {
        for (const p of parts[i]!) acc.add(this.clearRegs(c.regs, p.k), this.dropPend(c.pend, p.k), c.pos, p.set);
      });
      total = acc.count();
    }
    if (total > limit) return { kind: 'closure-cap', closure: limit + 1 };
    // 2. explain an eligible event from every closure member
    const next = new CtxAcc(this.sets);
    const one = [step];
    for (let ci = 0; ci < cands.length; ci++) {
      const c = cands[ci]!;
      let elig: number[];
      if (c.pos === null) elig = step < events.length ? one : [];
      else elig = c.pos.elig ??= this.eligible(c.pos.pos, step);
      for (let ei = 0; ei < elig.length; ei++) {
        const j = elig[ei]!;
        const node = this.eventNode[j]!;
        const fields = events[j]!.fields;
        const pos = c.pos === null ? null : this.advance(c.pos, node);
        const head = c.pend.heads[node]!;
        if (head >= 0) {
          // the node owes an obligation: only it can explain the event
          const item = c.pend.items[head]!;
          const ps = parts[ci]!;
          if (item.c.kind === events[j]!.kind) {
            const pend = this.pendRemove(c.pend, head);
            for (let pi = 0; pi < ps.length; pi++) {
              const p = ps[pi]!;
              if (this.kills(p.k, node)) continue; // the node was killed there: it owes nothing
              const r = this.apply(item.c, fields, p.k === 0 ? c.regs : this.clearRegs(c.regs, p.k));
              if (r !== null) next.add(r, this.dropPend(pend, p.k), pos, p.set);
            }
          }
          // from states where the node was killed, its obligations are gone: a new step explains it
          if (this.pendingMask === 0 || !ps.some((p) => this.kills(p.k, node))) continue;
          const killedGroups = this.stepOf(c.set, closures[ci]!, this.eventKey[j]!);
          for (let gi = 0; gi < killedGroups.length; gi++) {
            const g = killedGroups[gi]!;
            if (!this.kills(g.mask, node)) continue;
            const r = this.apply(g.first, fields, this.clearRegs(c.regs, g.mask));
            if (r === null) continue;
            const base = this.dropPend(c.pend, g.mask);
            next.add(r, g.rest === null ? base : this.pendAppend(base, g.rest, g.action), pos, g.set);
          }
          continue;
        }
        const groups = this.stepOf(c.set, closures[ci]!, this.eventKey[j]!);
        for (let gi = 0; gi < groups.length; gi++) {
          const g = groups[gi]!;
          const r = this.apply(g.first, fields, g.mask === 0 ? c.regs : this.clearRegs(c.regs, g.mask));
          if (r === null) continue;
          const base = this.dropPend(c.pend, g.mask);
          next.add(r, g.rest === null ? base : this.pendAppend(base, g.rest, g.action), pos, g.set);
        }
      }
    }
    if (next.size === 0) return { kind: 'empty', closure: total };
    const count = next.count();
    const out = next.contexts();
    if (count > this.opts.maxCandidates) return { kind: 'candidate-cap', count, closure: total };
    return { kind: 'ok', next: out, count, closure: total };
  }

  // ---- conversion to the reference engine's candidates -------------------------------------------------

  /** The reference engine's form of these candidates (contexts in order, states by id; the first `limit`). */
  toCands(cands: readonly Ctx[], limit = Infinity): Cand[] {
    const out: Cand[] = [];
    for (const c of cands) {
      if (out.length >= limit) break;
      const regs = this.toRegs(c.regs);
      const pend: PendItem[] | null = c.pend.items.length === 0 ? null : c.pend.items.map((e) => ({ node: e.node, action: e.action, obs: e.c.obs, key: e.c.key }));
      for (const id of c.set.ids) {
        if (out.length >= limit) break;
        const s = this.states.copy(id);
        const sk = stateKey(s);
        const pos = c.pos === null ? null : c.pos.pos.slice();
        out.push({ s, sk, regs, pend, pos, key: candKey(sk, regs, pend, pos) });
      }
    }
    return out;
  }
}

function valHash(v: Val, e: { sid(x: string): number }): number {
  return typeof v === 'number' ? (v * 31 + 7) | 0 : typeof v === 'string' ? e.sid(v) * 17 + 3 : v ? 11 : 13;
}

function sameSpec(a: FieldSpec, b: FieldSpec): boolean {
  if (a === b) return true;
  if (a.op !== b.op) return false;
  switch (a.op) {
    case 'lit': return a.value === (b as typeof a).value;
    case 'any': return true;
    case 'in': {
      const bv = (b as typeof a).values;
      return a.values.length === bv.length && a.values.every((v, i) => v === bv[i]);
    }
    case 'ne': return a.reg === (b as typeof a).reg;
    case 'eq': {
      const c = b as typeof a;
      if (a.reg !== c.reg || a.plus !== c.plus) return false;
      const ua = a.unlike;
      const ub = c.unlike;
      if (ua === undefined || ub === undefined) return ua === ub;
      return ua.length === ub.length && ua.every((u, i) => u === ub[i]);
    }
    default: return a.reg === (b as typeof a).reg && a.plus === (b as typeof a).plus;
  }
}

/** A raw observation list met before, with its fields' names (in order) and its filtered form. */
interface RawEntry {
  readonly raw: readonly Observation[];
  readonly keys: readonly (readonly string[])[];
  /** The fields' specs in the same order (no keyed look-up into the old list's field objects). */
  readonly specs: readonly (readonly FieldSpec[])[];
  readonly f: Filt;
}

/** Structural equality of a known list and a new one (field order included, as obsKey has it). */
function sameRaw(e: RawEntry, b: readonly Observation[]): boolean {
  const a = e.raw;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind !== y.kind || x.node !== y.node) return false;
    const xk = e.keys[i]!;
    const xs = e.specs[i]!;
    const yf = y.fields;
    let k = 0;
    for (const f in yf) {
      if (xk[k] !== f || !sameSpec(xs[k]!, yf[f]!)) return false;
      k++;
    }
    if (k !== xk.length) return false;
    const xc = x.clear;
    const yc = y.clear;
    if (xc === undefined || yc === undefined) {
      if (xc !== yc) return false;
    } else {
      if (xc.length !== yc.length) return false;
      for (let j = 0; j < xc.length; j++) if (xc[j] !== yc[j]) return false;
    }
  }
  return true;
}

/**
 * The contexts of a candidate set under construction: equal (registers, obligations, position)
 * are merged, their state sets united. Few contexts: a linear scan (registers and positions are
 * compared by identity first, then by key).
 */
class CtxAcc {
  private readonly list: { regs: RegFile; pend: PendList; pos: PosRef | null; set: SSet }[] = [];
  private map: Map<string, { regs: RegFile; pend: PendList; pos: PosRef | null; set: SSet }> | null = null;
  constructor(private readonly sets: SetStore) {}
  get size(): number {
    return this.list.length;
  }
  add(regs: RegFile, pend: PendList, pos: PosRef | null, set: SSet): void {
    if (this.map === null) {
      for (let i = 0; i < this.list.length; i++) {
        const c = this.list[i]!;
        if (c.pend === pend && (c.regs === regs || c.regs.key === regs.key) && (c.pos === pos || c.pos!.equals(pos!))) {
          if (c.set !== set) c.set = this.sets.union(c.set, set);
          return;
        }
      }
      const c = { regs, pend, pos, set };
      this.list.push(c);
      if (this.list.length > 32) {
        this.map = new Map();
        for (const x of this.list) this.map.set(ctxKey(x.regs, x.pend, x.pos), x);
      }
      return;
    }
    const k = ctxKey(regs, pend, pos);
    const c = this.map.get(k);
    if (c === undefined) {
      const x = { regs, pend, pos, set };
      this.list.push(x);
      this.map.set(k, x);
    } else if (c.set !== set) c.set = this.sets.union(c.set, set);
  }
  count(): number {
    let n = 0;
    for (const c of this.list) n += c.set.size;
    return n;
  }
  contexts(): Ctx[] {
    return this.list;
  }
}

function ctxKey(regs: RegFile, pend: PendList, pos: PosRef | null): string {
  return regs.key + '\u0003' + pend.id + '\u0003' + (pos === null ? '' : pos.key);
}

/** A key of one raw observation, cheaper than JSON.stringify (fields are flat FieldSpecs). */
function rawKey(o: Observation): string {
  let k = o.kind + '\u0001' + o.node;
  for (const f in o.fields) {
    const s = o.fields[f]!;
    k += '\u0001' + f + '=' + s.op;
    switch (s.op) {
      case 'lit': k += typeof s.value + ':' + String(s.value); break;
      case 'in': k += JSON.stringify(s.values); break;
      case 'any': break;
      case 'ne': k += s.reg; break;
      case 'eq': k += s.reg + '+' + (s.plus ?? 0) + (s.unlike ? '!' + s.unlike.join('!') : ''); break;
      default: k += s.reg + '+' + (s.plus ?? 0);
    }
  }
  if (o.clear) k += '\u0001clear=' + o.clear.join('\u0001');
  return k;
}
