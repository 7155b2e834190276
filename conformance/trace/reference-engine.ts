// The candidate-run engine shared by conformance/validate.ts and conformance/diagnose.ts.
//
// A candidate is one way the model could have produced the events consumed so far: a model state,
// the registers bound by field checks, the pending obligations (later observations of an already
// fired action, per node FIFO) and, when interleaving is on, how many events of each node it has
// consumed. One step consumes one trace event: take the closure of every candidate under silent
// actions, then keep each (closure member × way to explain an eligible event) result.
import type { ObservableModel, Observation, FieldSpec } from '../../model/observation.js';
import { forgottenIfUnseen, PENDING_PREFIX } from '../../model/observation.js';
import type { Kind } from '../../model/vocabulary.js';
import type { Trace, TraceEvent, FieldValue } from './types.js';

export type Val = FieldValue;

// ---- registers -----------------------------------------------------------------------------------

/** Immutable register file; `key` is computed once when it is built. */
export class Regs {
  constructor(readonly names: readonly string[], readonly vals: readonly Val[], readonly key: string) {}
  static readonly EMPTY = new Regs([], [], '');
  get(name: string): Val | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.vals[i];
  }
  toObject(): Record<string, Val> {
    const o: Record<string, Val> = {};
    this.names.forEach((n, i) => (o[n] = this.vals[i]!));
    return o;
  }
  static build(names: string[], vals: Val[]): Regs {
    if (names.length === 0) return Regs.EMPTY;
    // keep sorted by name so equal register files have equal keys
    const idx = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    const n2: string[] = [];
    const v2: Val[] = [];
    let key = '';
    for (const i of idx) {
      const v = vals[i]!;
      n2.push(names[i]!);
      v2.push(v);
      key += names[i] + (typeof v === 'number' ? '#' + v : typeof v === 'string' ? '$' + JSON.stringify(v) : v ? '!t' : '!f') + '\u0001';
    }
    return new Regs(n2, v2, key);
  }
}

/** Why one field of one observation does not fit an event. */
export interface FieldMismatch {
  readonly field: string;
  /** The FieldSpec, e.g. "eq offset+1". */
  readonly spec: string;
  /** What the model expects, in words, e.g. "= 18 (register offset = 17, +1)". */
  readonly expected: string;
  /** The value in the trace (undefined = absent). */
  readonly actual: Val | undefined;
}

export function specText(s: FieldSpec): string {
  switch (s.op) {
    case 'lit': return `lit ${JSON.stringify(s.value)}`;
    case 'any': return 'any';
    case 'ne': return `ne ${s.reg}`;
    case 'in': return `in ${JSON.stringify(s.values)}`;
    default: return `${s.op} ${s.reg}${s.plus ? (s.plus > 0 ? '+' : '') + s.plus : ''}`;
  }
}

function plusOf(s: { plus?: number }): number {
  return s.plus ?? 0;
}

/**
 * Check the fields of `obs` against event fields under `regs`. Returns the new register file (the
 * same object when nothing changed) or null. When `why` is given, every mismatching field is
 * recorded there and checking continues.
 */
export function applyObs(obs: Observation, fields: Readonly<Record<string, Val>>, regs: Regs, why?: FieldMismatch[]): Regs | null {
  let names: string[] | null = null;
  let vals: Val[] | null = null;
  const getReg = (r: string): Val | undefined => {
    if (names === null) return regs.get(r);
    const i = names.indexOf(r);
    return i < 0 ? undefined : vals![i];
  };
  const setReg = (r: string, v: Val | undefined): void => {
    if (names === null) {
      names = regs.names.slice();
      vals = regs.vals.slice();
    }
    const i = names.indexOf(r);
    if (v === undefined) {
      if (i >= 0) {
        names.splice(i, 1);
        vals!.splice(i, 1);
      }
    } else if (i >= 0) vals![i] = v;
    else {
      names.push(r);
      vals!.push(v);
    }
  };
  let ok = true;
  const spec = obs.fields;
  for (const f in spec) {
    const s = spec[f]!;
    if (s.op === 'any') continue;
    const v = fields[f];
    if (v === undefined) {
      // optional field absent from the source: nothing known; `set` forgets the old binding
      if (s.op === 'set') setReg(s.reg, undefined);
      continue;
    }
    let bad: string | null = null;
    switch (s.op) {
      case 'lit':
        if (v !== s.value) bad = `= ${JSON.stringify(s.value)}`;
        break;
      case 'set':
        setReg(s.reg, typeof v === 'number' ? v - plusOf(s) : v);
        break;
      case 'in':
        if (!s.values.includes(v)) bad = `one of ${JSON.stringify(s.values)}`;
        break;
      case 'eq': {
        const r = getReg(s.reg);
        if (r === undefined) {
          const clash = s.unlike?.find((u) => getReg(u) === v);
          if (clash !== undefined) bad = `a value other than ${JSON.stringify(v)} (register ${clash} already names it)`;
          else setReg(s.reg, typeof v === 'number' ? v - plusOf(s) : v);
        } else {
          const want = typeof r === 'number' ? r + plusOf(s) : r;
          if (v !== want) bad = `= ${JSON.stringify(want)} (register ${s.reg} = ${JSON.stringify(r)}${s.plus ? `, ${s.plus > 0 ? '+' : ''}${s.plus}` : ''})`;
        }
        break;
      }
      case 'ge': {
        const r = getReg(s.reg);
        if (r !== undefined) {
          if (typeof r !== 'number' || typeof v !== 'number' || v < r + plusOf(s)) {
            bad = `>= ${typeof r === 'number' ? r + plusOf(s) : JSON.stringify(r)} (register ${s.reg} = ${JSON.stringify(r)}${s.plus ? `, ${s.plus > 0 ? '+' : ''}${s.plus}` : ''})`;
          }
        }
        break;
      }
      case 'ne': {
        const r = getReg(s.reg);
        if (r !== undefined && r === v) bad = `!= ${JSON.stringify(r)} (register ${s.reg})`;
        break;
      }
      case 'mono': {
        const r = getReg(s.reg);
        if (typeof v !== 'number' || (r !== undefined && (typeof r !== 'number' || v < r + plusOf(s)))) {
          bad = `a number >= ${typeof r === 'number' ? r + plusOf(s) : JSON.stringify(r)} (register ${s.reg} = ${JSON.stringify(r)}: it never decreases)`;
        } else if (r !== v - plusOf(s)) setReg(s.reg, v - plusOf(s));
        break;
      }
    }
    if (bad !== null) {
      if (!why) return null;
      ok = false;
      why.push({ field: f, spec: specText(s), expected: bad, actual: v });
    }
  }
  if (!ok) return null;
  if (obs.clear) for (const r of obs.clear) if (getReg(r) !== undefined) setReg(r, undefined);
  if (names === null) return regs;
  return Regs.build(names, vals!);
}

export function clearRegs(regs: Regs, clear: readonly string[]): Regs {
  let names: string[] | null = null;
  let vals: Val[] | null = null;
  for (const r of clear) {
    const src = names ?? regs.names;
    const i = src.indexOf(r);
    if (i < 0) continue;
    if (names === null) {
      names = regs.names.slice();
      vals = regs.vals.slice();
    }
    names.splice(i, 1);
    vals!.splice(i, 1);
  }
  return names === null ? regs : Regs.build(names, vals!);
}

// ---- pending obligations ---------------------------------------------------------------------------

export interface PendItem {
  readonly node: number;
  /** Action that emitted it (for diagnosis). */
  readonly action: number;
  readonly obs: Observation;
  readonly key: string;
}
/** Pending obligations in firing order; the head for node n is the first item with node n. */
export type Pend = readonly PendItem[];

export function pendKey(p: Pend | null): string {
  if (p === null || p.length === 0) return '';
  let k = '';
  for (const it of p) k += it.key + '\u0002';
  return k;
}

export function obsKey(o: Observation): string {
  return JSON.stringify([o.kind, o.node, o.fields, o.clear ?? null]);
}

export function obsText(o: Observation): string {
  const fs = Object.entries(o.fields).map(([f, s]) => `${f}:${specText(s)}`).join(', ');
  return `${o.kind}@${o.node}${fs ? ` {${fs}}` : ''}`;
}

// ---- candidates -----------------------------------------------------------------------------------

export interface Cand {
  readonly s: Uint8Array;
  readonly sk: string;
  readonly regs: Regs;
  readonly pend: Pend | null;
  /** Events consumed per node (interleaving only). */
  readonly pos: Int32Array | null;
  readonly key: string;
  /** Provenance, only when tracking (diagnosis). */
  readonly via?: Via;
}

export interface Via {
  readonly parent: Cand | null;
  /** Actions fired since the parent: silent ones, then (if any) the one whose observation matched. */
  readonly actions: readonly number[];
  /** Event consumed by the step that produced this candidate (-1 for closure members). */
  readonly event: number;
}

export function stateKey(s: Uint8Array): string {
  if (s.length <= 8192) return String.fromCharCode.apply(null, s as unknown as number[]);
  let k = '';
  for (let i = 0; i < s.length; i += 8192) k += String.fromCharCode.apply(null, s.subarray(i, i + 8192) as unknown as number[]);
  return k;
}

function posKey(pos: Int32Array | null): string {
  return pos === null ? '' : pos.join(',');
}

export function candKey(sk: string, regs: Regs, pend: Pend | null, pos: Int32Array | null): string {
  return sk + '\u0003' + regs.key + '\u0003' + pendKey(pend) + '\u0003' + posKey(pos);
}

// ---- the engine -----------------------------------------------------------------------------------

export interface EngineOptions {
  readonly toleranceMs: number;
  readonly maxCandidates: number;
  readonly maxClosure: number;
  /** Overrides the header's `observes`. */
  readonly observes?: readonly Kind[];
}

export interface Filtered {
  readonly observed: readonly Observation[];
  /** Clears of unobserved observations that precede the first observed one. */
  readonly preClear: readonly string[] | null;
  /** Nodes whose pending pseudo-register preClear names (killed: their obligations drop). */
  readonly killed: readonly number[] | null;
}

export type StepOutcome =
  | { readonly kind: 'ok'; readonly next: Cand[]; readonly closure: number }
  | { readonly kind: 'empty'; readonly closure: number }
  | { readonly kind: 'closure-cap'; readonly closure: number }
  | { readonly kind: 'candidate-cap'; readonly count: number; readonly closure: number };

export class Engine {
  readonly nodeIndex = new Map<string, number>();
  readonly nodeNames: string[] = [];
  /** Per node, the file indices of its events. */
  readonly nodeEvents: number[][] = [];
  readonly eventNode: Int32Array;
  readonly observed: Set<string> | null;
  /** True when some events of different nodes may be consumed out of file order. */
  readonly interleaving: boolean;
  private readonly silentCache = new WeakMap<readonly Observation[], Filtered>();

  constructor(readonly model: ObservableModel, readonly trace: Trace, readonly opts: EngineOptions) {
    for (const n of trace.header.nodes) this.addNode(n.name);
    this.addNode('env');
    const obs = opts.observes ?? trace.header.observes;
    this.observed = obs === undefined ? null : new Set(obs);
    const ev = trace.events;
    this.eventNode = new Int32Array(ev.length);
    for (let i = 0; i < ev.length; i++) {
      const n = this.nodeIndex.get(ev[i]!.node);
      if (n === undefined) throw new Error(`event ${i} is on undeclared node ${ev[i]!.node}`);
      this.eventNode[i] = n;
      this.nodeEvents[n]!.push(i);
    }
    let inter = false;
    for (let i = 1; i < ev.length && !inter; i++) {
      if (this.eventNode[i] !== this.eventNode[i - 1] && this.withinTolerance(i - 1, i)) inter = true;
    }
    this.interleaving = inter;
  }

  private addNode(name: string): void {
    if (this.nodeIndex.has(name)) return;
    this.nodeIndex.set(name, this.nodeNames.length);
    this.nodeNames.push(name);
    this.nodeEvents.push([]);
  }

  withinTolerance(i: number, j: number): boolean {
    const a = this.trace.events[i]!.ts;
    const b = this.trace.events[j]!.ts;
    return a !== undefined && b !== undefined && Math.abs(a - b) <= this.opts.toleranceMs;
  }

  /** Observations of a fired action that this trace can see. */
  /**
   * model.observe re-runs an action to collect its events; the same (state, action) pairs come up
   * again at every event while a candidate waits, so their filtered observations are memoised.
   */
  private readonly transCache = new Map<string, (Filtered | undefined)[]>();
  private transCached = 0;
  /** The memo row of one state: filtered observations by action index. */
  observedRow(sk: string): (Filtered | undefined)[] {
    let row = this.transCache.get(sk);
    if (row === undefined) {
      if (this.transCached >= 1_000_000) { this.transCache.clear(); this.transCached = 0; }
      row = [];
      this.transCache.set(sk, row);
    }
    return row;
  }
  observeFiltered(sk: string, s: Uint8Array, a: number, nx: Uint8Array, row?: (Filtered | undefined)[]): Filtered {
    const r = row ?? this.observedRow(sk);
    let f = r[a];
    if (f === undefined) {
      f = this.filter(this.model.observe(s, a, nx));
      r[a] = f;
      this.transCached++;
    }
    return f;
  }

  filter(list: readonly Observation[]): Filtered {
    if (list.length === 0) return EMPTY_FILTERED;
    let allSeen = true;
    for (const o of list) {
      if (!this.sees(o)) {
        allSeen = false;
        break;
      }
    }
    if (allSeen) return { observed: list, preClear: null, killed: null };
    const cached = this.silentCache.get(list);
    if (cached) return cached;
    const observed: Observation[] = [];
    let preClear: string[] | null = null;
    for (const o of list) {
      if (this.sees(o)) {
        observed.push(o);
      } else {
        // what an unseen observation forgets happens after the preceding seen one
        const gone = forgottenIfUnseen(o);
        if (gone.length === 0) continue;
        const last = observed.length - 1;
        if (last < 0) preClear = [...(preClear ?? []), ...gone];
        else observed[last] = { ...observed[last]!, clear: [...(observed[last]!.clear ?? []), ...gone] };
      }
    }
    const r = { observed, preClear, killed: preClear ? killedNodes(preClear, this.nodeIndex) : null };
    this.silentCache.set(list, r);
    return r;
  }

  sees(o: Observation): boolean {
    return this.nodeIndex.has(o.node) && (this.observed === null || this.observed.has(o.kind));
  }

  initial(track = false): Cand[] {
    return this.initialFrom((emit) => this.model.initStates(emit), track);
  }

  /**
   * Candidates with empty registers and no obligations, one per state `enumerate` emits (e.g.
   * every reachable state, for a log that starts mid-run).
   */
  initialFrom(enumerate: (emit: (s: Uint8Array) => void) => void, track = false): Cand[] {
    const out = new Map<string, Cand>();
    const n = this.nodeNames.length;
    enumerate((s) => {
      const sk = stateKey(s);
      const pos = this.interleaving ? new Int32Array(n) : null;
      const key = candKey(sk, Regs.EMPTY, null, pos);
      if (!out.has(key)) out.set(key, { s: s.slice(), sk, regs: Regs.EMPTY, pend: null, pos, key, ...(track ? { via: { parent: null, actions: [], event: -1 } } : {}) });
    });
    return [...out.values()];
  }

  /** File indices of the events candidate `c` may consume next (strict mode: just `step`). */
  eligible(c: Cand, step: number): number[] {
    if (c.pos === null) return step < this.trace.events.length ? [step] : [];
    const out: number[] = [];
    const pos = c.pos;
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

  /** The earliest (file order) event not consumed by any of `cands`. */
  firstUnconsumed(cands: readonly Cand[], step: number): number {
    if (cands.length === 0 || cands[0]!.pos === null) return step;
    let best = Infinity;
    for (const c of cands) {
      for (let n = 0; n < c.pos!.length; n++) {
        const evs = this.nodeEvents[n]!;
        if (c.pos![n]! < evs.length) best = Math.min(best, evs[c.pos![n]!]!);
      }
    }
    return best === Infinity ? step : best;
  }

  private advance(pos: Int32Array | null, node: number): Int32Array | null {
    if (pos === null) return null;
    const p = pos.slice();
    p[node]!++;
    return p;
  }

  /**
   * Consume one event from every candidate. `onClosure` (diagnosis) sees every closure member.
   */
  step(cands: readonly Cand[], step: number, track = false, onClosure?: (c: Cand) => void): StepOutcome {
    const model = this.model;
    const events = this.trace.events;
    const next = new Map<string, Cand>();
    const visited = new Set<string>();
    const queue: Cand[] = [];
    for (const c of cands) {
      if (!visited.has(c.key)) {
        visited.add(c.key);
        queue.push(c);
      }
    }
    const maxClosure = this.opts.maxClosure;
    let capHit = false;
    const add = (c: Cand) => {
      if (!next.has(c.key)) next.set(c.key, c);
    };
    let eligCacheKey: Int32Array | null | undefined;
    let eligCache: number[] = [];
    for (let qi = 0; qi < queue.length && !capHit; qi++) {
      const c = queue[qi]!;
      if (onClosure) onClosure(c);
      let elig: number[];
      if (c.pos === null) elig = step < events.length ? [step] : [];
      else {
        if (eligCacheKey === undefined || eligCacheKey === null || !samePos(eligCacheKey, c.pos)) {
          eligCache = this.eligible(c, step);
          eligCacheKey = c.pos;
        }
        elig = eligCache;
      }
      // events whose node owes a pending observation: only that observation can explain them
      let blocked = 0; // bitmask over elig entries (up to 31 eligible events)
      for (let e = 0; e < elig.length; e++) {
        const j = elig[e]!;
        const node = this.eventNode[j]!;
        const head = pendHead(c.pend, node);
        if (head < 0) continue;
        blocked |= 1 << e;
        const ev = events[j]!;
        const item = c.pend![head]!;
        if (item.obs.kind !== ev.kind) continue;
        const r = applyObs(item.obs, ev.fields, c.regs);
        if (r === null) continue;
        const pend = pendRemove(c.pend!, head);
        const pos = this.advance(c.pos, node);
        add({ s: c.s, sk: c.sk, regs: r, pend, pos, key: candKey(c.sk, r, pend, pos), ...(track ? { via: { parent: c, actions: [], event: j } } : {}) });
      }
      const row = this.observedRow(c.sk);
      model.successors(c.s, (a, nx) => {
        if (capHit) return;
        const f = this.observeFiltered(c.sk, c.s, a, nx, row);
        if (f.observed.length === 0) {
          const regs = f.preClear ? clearRegs(c.regs, f.preClear) : c.regs;
          const pend0 = f.killed ? pendDrop(c.pend, f.killed) : c.pend;
          const sk = stateKey(nx);
          const key = candKey(sk, regs, pend0, c.pos);
          if (visited.has(key)) return;
          visited.add(key);
          if (visited.size > maxClosure) {
            capHit = true;
            return;
          }
          queue.push({ s: nx.slice(), sk, regs, pend: pend0, pos: c.pos, key, ...(track ? { via: { parent: c, actions: [a], event: -1 } } : {}) });
          return;
        }
        const first = f.observed[0]!;
        for (let e = 0; e < elig.length; e++) {
          if (blocked & (1 << e)) continue;
          const j = elig[e]!;
          const ev = events[j]!;
          if (first.kind !== ev.kind || first.node !== ev.node) continue;
          const regs0 = f.preClear ? clearRegs(c.regs, f.preClear) : c.regs;
          const r = applyObs(first, ev.fields, regs0);
          if (r === null) continue;
          const pend0 = f.killed ? pendDrop(c.pend, f.killed) : c.pend;
          const pend = f.observed.length > 1 ? pendAppend(pend0, f.observed, this.nodeIndex, a) : pend0;
          const sk = stateKey(nx);
          const pos = this.advance(c.pos, this.eventNode[j]!);
          const key = candKey(sk, r, pend, pos);
          if (next.has(key)) continue;
          next.set(key, { s: nx.slice(), sk, regs: r, pend, pos, key, ...(track ? { via: { parent: c, actions: [a], event: j } } : {}) });
        }
      });
    }
    if (capHit) return { kind: 'closure-cap', closure: visited.size };
    if (next.size === 0) return { kind: 'empty', closure: visited.size };
    if (next.size > this.opts.maxCandidates) return { kind: 'candidate-cap', count: next.size, closure: visited.size };
    return { kind: 'ok', next: [...next.values()], closure: visited.size };
  }
}

const EMPTY_FILTERED: Filtered = { observed: [], preClear: null, killed: null };

function samePos(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function pendHead(p: Pend | null, node: number): number {
  if (p === null) return -1;
  for (let i = 0; i < p.length; i++) if (p[i]!.node === node) return i;
  return -1;
}

/** The nodes whose pending pseudo-register `clear` names (killed), or null. */
function killedNodes(clear: readonly string[], nodeIndex: Map<string, number>): number[] | null {
  let killed: number[] | null = null;
  for (const r of clear) if (r.startsWith(PENDING_PREFIX)) (killed ??= []).push(nodeIndex.get(r.slice(PENDING_PREFIX.length)) ?? -1);
  return killed;
}

/** `p` without the obligations of the `killed` nodes. */
export function pendDrop(p: Pend | null, killed: readonly number[]): Pend | null {
  if (p === null) return null;
  const out = p.filter((it) => !killed.includes(it.node));
  return out.length === p.length ? p : out.length === 0 ? null : out;
}

function pendRemove(p: Pend, i: number): Pend | null {
  if (p.length === 1) return null;
  return [...p.slice(0, i), ...p.slice(i + 1)];
}

function pendAppend(p: Pend | null, observed: readonly Observation[], nodeIndex: Map<string, number>, action: number): Pend {
  const out: PendItem[] = p === null ? [] : [...p];
  for (let i = 1; i < observed.length; i++) {
    const o = observed[i]!;
    out.push({ node: nodeIndex.get(o.node)!, action, obs: o, key: obsKey(o) });
  }
  return out;
}

/**
 * For a tracked candidate: per consumed event (oldest first), the actions fired to explain it
 * (silent ones first). A final entry with event -1 holds silent actions fired after the last event.
 */
export function provenance(c: Cand): { event: number; actions: number[] }[] {
  const out: { event: number; actions: number[] }[] = [];
  let current: { event: number; actions: number[] } | null = null;
  let tail: { event: number; actions: number[] } | null = null;
  for (let cur: Cand | null = c; cur !== null && cur.via !== undefined; cur = cur.via.parent) {
    const via: Via = cur.via;
    if (via.event >= 0) {
      current = { event: via.event, actions: [...via.actions] };
      out.unshift(current);
    } else if (current !== null) {
      current.actions.unshift(...via.actions);
    } else {
      tail ??= { event: -1, actions: [] };
      tail.actions.unshift(...via.actions);
    }
  }
  if (tail !== null && tail.actions.length > 0) out.push(tail);
  return out;
}

export type { TraceEvent };
