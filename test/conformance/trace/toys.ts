// Toy ObservableModels for the conformance tests, plus a random-walk trace generator and a
// brute-force oracle that is independent of the validator's candidate search.
import type { ObservableModel, Observation, FieldSpec } from '../../../model/observation.js';
import { KINDS, type Kind } from '../../../model/vocabulary.js';
import type { Trace, TraceEvent, TraceHeader, FieldValue } from '../../../conformance/trace/types.js';

interface ToyAction {
  readonly name: string;
  /** Returns the next state (a fresh array) or null when disabled. */
  readonly step: (s: Uint8Array) => Uint8Array | null;
  readonly obs: (s: Uint8Array, next: Uint8Array) => readonly Observation[];
}

export interface ToyModel extends ObservableModel {
  explain?(s: Uint8Array, action: number): string;
}

function toy(name: string, nodes: string[], init: number[][], actions: ToyAction[], describe: (s: Uint8Array) => Record<string, number | string | boolean>, explain?: (s: Uint8Array, a: number) => string): ToyModel {
  const stateBytes = 4;
  const m: ToyModel = {
    name,
    stateBytes,
    nodes,
    actionNames: actions.map((a) => a.name),
    actionFamilies: actions.map((a) => a.name.replace(/\[.*$/, '')),
    families: [...new Set(actions.map((a) => a.name.replace(/\[.*$/, '')))],
    invariants: [],
    goals: [],
    initStates(emit) {
      for (const i of init) emit(Uint8Array.from([...i, 0, 0, 0, 0].slice(0, stateBytes)));
    },
    successors(s, emit) {
      actions.forEach((a, i) => {
        const n = a.step(s);
        if (n) emit(i, n);
      });
    },
    observe(s, action, next) {
      return actions[action]!.obs(s, next);
    },
    describe,
  };
  if (explain) m.explain = explain;
  return m;
}

const o = (kind: Kind, node: string, fields: Record<string, FieldSpec> = {}, clear?: string[]): Observation =>
  clear ? { kind, node, fields, clear } : { kind, node, fields };
const set = (s: Uint8Array, patch: Record<number, number>): Uint8Array => {
  const n = s.slice();
  for (const [k, v] of Object.entries(patch)) n[Number(k)] = v;
  return n;
};

/**
 * Ping/pong sync toy. State [phase, off, ticks]. phase 0 idle, 1 psync sent, 2 accepted, 3 online.
 * Uses every FieldSpec op, multi-observation actions (pending obligations) and register clears.
 */
export function pingPong(): ToyModel {
  const PH = ['idle', 'psync-sent', 'accepted', 'online'];
  const actions: ToyAction[] = [
    {
      name: 'Connect[replica1]',
      step: (s) => (s[0] === 0 ? set(s, { 0: 1 }) : null),
      obs: (s) => [o('replica.connect', 'replica1'), o('replica.psync', 'replica1', { offset: { op: 'eq', reg: 'base', plus: s[1]! + 1 } })],
    },
    {
      name: 'Accept[replica1]',
      step: (s) => (s[0] === 1 ? set(s, { 0: 2 }) : null),
      obs: (s) => [
        o('primary.psync_accepted', 'primary', { offset: { op: 'eq', reg: 'base', plus: s[1]! + 1 }, primaryOffset: { op: 'mono', reg: 'poff' } }),
        o('primary.rdb_pinned', 'primary', { cid: { op: 'ne', reg: 'dead' }, tracking: { op: 'any' } }),
        o('primary.rdb_attached', 'primary', { cid: { op: 'set', reg: 'cid' } }),
      ],
    },
    {
      name: 'Refuse[replica1]',
      step: (s) => (s[0] === 1 ? set(s, { 0: 0 }) : null),
      obs: (s) => [o('primary.psync_refused', 'primary', { reason: { op: 'lit', value: 'backlog' }, offset: { op: 'ge', reg: 'base', plus: s[1]! + 2 }, primaryOffset: { op: 'mono', reg: 'poff', plus: 1 } })],
    },
    {
      name: 'Write',
      step: (s) => (s[0] === 2 && s[1]! < 2 ? set(s, { 1: s[1]! + 1 }) : null),
      obs: () => [o('primary.write', 'primary')],
    },
    {
      name: 'Kill[replica1]',
      step: (s) => (s[0] === 2 ? set(s, { 0: 0 }) : null),
      obs: () => [o('primary.client_killed', 'primary', { cid: { op: 'eq', reg: 'cid' } }), o('primary.rdb_unlinked', 'primary', { cid: { op: 'set', reg: 'dead' } }, ['cid'])],
    },
    {
      name: 'Online[replica1]',
      step: (s) => (s[0] === 2 ? set(s, { 0: 3 }) : null),
      obs: () => [o('replica.sync_finished', 'replica1')],
    },
    {
      name: 'Lose[replica1]',
      step: (s) => (s[0] === 3 ? set(s, { 0: 0 }) : null),
      obs: () => [o('replica.primary_lost', 'replica1', {}, ['cid']), o('primary.replica_lost', 'primary')],
    },
    {
      name: 'Tick',
      step: (s) => set(s, { 2: (s[2]! + 1) % 2 }),
      obs: () => [o('env.tick', 'env')],
    },
  ];
  return toy('pingpong', ['primary', 'replica1'], [[0, 0, 0]], actions, (s) => ({ phase: PH[s[0]!] ?? '?', off: s[1]!, ticks: s[2]! }), (s, a) => {
    const name = actions[a]!.name;
    if (name.startsWith('Connect')) return `replica1 is not idle (phase ${PH[s[0]!]})`;
    if (name.startsWith('Accept') || name.startsWith('Refuse')) return `no PSYNC is outstanding (phase ${PH[s[0]!]})`;
    if (name.startsWith('Lose')) return `replica1 is not online (phase ${PH[s[0]!]})`;
    return `phase ${PH[s[0]!]}`;
  });
}

/** Deterministic counter: replica1 asks, primary answers, offsets grow by one each round. */
export function counter(): ToyModel {
  // state: u16 count in bytes 0-1, byte 2 = turn (0 replica asks, 1 primary answers)
  const cnt = (s: Uint8Array) => s[0]! | (s[1]! << 8);
  const actions: ToyAction[] = [
    {
      name: 'Ask',
      step: (s) => (s[2] === 0 ? set(s, { 2: 1 }) : null),
      obs: (s) => [o('replica.psync', 'replica1', { offset: { op: 'eq', reg: 'base', plus: cnt(s) } })],
    },
    {
      name: 'Answer',
      step: (s) => {
        if (s[2] !== 1) return null;
        const c = (cnt(s) + 1) & 0xffff;
        return set(s, { 0: c & 0xff, 1: c >> 8, 2: 0 });
      },
      obs: (s) => [o('primary.psync_accepted', 'primary', { offset: { op: 'eq', reg: 'base', plus: cnt(s) } })],
    },
  ];
  return toy('counter', ['primary', 'replica1'], [[0, 0, 0]], actions, (s) => ({ count: cnt(s), turn: s[2] === 0 ? 'replica' : 'primary' }));
}

/** A silent counter c in 0..limit-1 (Inc is silent) and an always-enabled env.tick: after one tick,
 * every c is a candidate. */
export function fanout(limit: number): ToyModel {
  const actions: ToyAction[] = [
    { name: 'Inc', step: (s) => { const c = s[0]! | (s[1]! << 8); return c + 1 < limit ? set(s, { 0: (c + 1) & 0xff, 1: (c + 1) >> 8 }) : null; }, obs: () => [] },
    { name: 'Tick', step: (s) => s.slice(), obs: () => [o('env.tick', 'env')] },
  ];
  return toy('fanout', [], [[0, 0]], actions, (s) => ({ c: s[0]! | (s[1]! << 8) }));
}

// ---- traces ---------------------------------------------------------------------------------------

export function header(model: ObservableModel, observes?: Kind[]): TraceHeader {
  return {
    format: 'replcheck-trace',
    version: 1,
    source: 'simulated',
    nodes: [
      ...model.nodes.map((n) => ({ name: n, role: (n.startsWith('primary') ? 'primary' : 'replica') as 'primary' | 'replica' })),
      { name: 'env', role: 'env' as const },
    ],
    model: { preset: model.name },
    ...(observes ? { observes } : {}),
  };
}

export function makeTrace(model: ObservableModel, events: Omit<TraceEvent, 'seq'>[], observes?: Kind[]): Trace {
  return { header: header(model, observes), events: events.map((e, i) => ({ ...e, seq: i + 1 }) as TraceEvent) };
}

/** Simple seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random run of `model` with `steps` actions, rendered as a trace: observations filtered to
 * `observes` and given concrete values that satisfy their field specs.
 */
export function randomWalk(model: ObservableModel, steps: number, seed: number, observes?: Kind[]): Trace {
  const r = rng(seed);
  const seen = (k: Kind) => !observes || observes.includes(k);
  let s: Uint8Array | null = null;
  model.initStates((x) => (s ??= x.slice()));
  const regs = new Map<string, FieldValue>();
  const events: Omit<TraceEvent, 'seq'>[] = [];
  for (let i = 0; i < steps; i++) {
    const succ: [number, Uint8Array][] = [];
    model.successors(s!, (a, n) => succ.push([a, n.slice()]));
    if (succ.length === 0) break;
    const [a, n] = succ[Math.floor(r() * succ.length)]!;
    for (const ob of model.observe(s!, a, n)) {
      if (seen(ob.kind)) events.push({ node: ob.node, kind: ob.kind, fields: concrete(ob, regs, r) });
      for (const c of ob.clear ?? []) regs.delete(c);
    }
    s = n;
  }
  return makeTrace(model, events, observes);
}

function concrete(ob: Observation, regs: Map<string, FieldValue>, r: () => number): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const def = KINDS[ob.kind].fields as Record<string, { type: string }>;
  const fresh = (f: string): FieldValue => {
    const t = def[f]?.type;
    return t === 'bool' ? r() < 0.5 : t === 'string' ? `s${Math.floor(r() * 3)}` : 100 + Math.floor(r() * 900);
  };
  for (const f of Object.keys(def)) {
    const sp = ob.fields[f];
    let v: FieldValue;
    if (!sp || sp.op === 'any') v = fresh(f);
    else if (sp.op === 'lit') v = sp.value;
    else if (sp.op === 'set') {
      v = fresh(f);
      regs.set(sp.reg, typeof v === 'number' ? v - (sp.plus ?? 0) : v);
    } else if (sp.op === 'eq') {
      const b = regs.get(sp.reg);
      if (b === undefined) {
        v = fresh(f);
        regs.set(sp.reg, typeof v === 'number' ? v - (sp.plus ?? 0) : v);
      } else v = typeof b === 'number' ? b + (sp.plus ?? 0) : b;
    } else if (sp.op === 'ge') {
      const b = regs.get(sp.reg);
      v = typeof b === 'number' ? b + (sp.plus ?? 0) + Math.floor(r() * 3) : fresh(f);
    } else if (sp.op === 'mono') {
      const b = regs.get(sp.reg);
      v = typeof b === 'number' ? b + (sp.plus ?? 0) + Math.floor(r() * 3) : fresh(f);
      regs.set(sp.reg, (v as number) - (sp.plus ?? 0));
    } else {
      const b = regs.get(sp.reg);
      v = fresh(f);
      if (v === b) v = typeof b === 'number' ? b + 1 : `${String(b)}x`;
    }
    out[f] = v;
  }
  return out;
}

// ---- brute-force oracle ----------------------------------------------------------------------------

/**
 * Does some run of `model` (at most trace.length loud actions and `maxSilent` silent ones that
 * change the state) produce `trace` in strict file order? Independent of the validator: enumerate
 * runs, flatten their observation lists, assign each node's events to that node's observations in
 * order, check the ordering rules and the field specs with a fresh register implementation.
 * (Assumes the toy never puts a `clear` on an unobserved first observation.)
 */
export function oracle(model: ObservableModel, trace: Trace, maxSilent = 6): boolean {
  const observes = trace.header.observes;
  const nodes = new Set([...trace.header.nodes.map((n) => n.name), 'env']);
  const seen = (ob: Observation) => nodes.has(ob.node) && (!observes || observes.includes(ob.kind));
  const evs = trace.events;
  type Item = { action: number; idx: number; ob: Observation };
  // 'ok': the run explains the trace; 'dead': no extension of it can; 'open': an extension might
  const fitsRun = (run: Item[][]): 'ok' | 'dead' | 'open' => {
    // per node: the j-th event of node n is the j-th observation of node n
    const perNode = new Map<string, Item[]>();
    for (const list of run) for (const it of list) {
      const l = perNode.get(it.ob.node) ?? [];
      l.push(it);
      perNode.set(it.ob.node, l);
    }
    const used = new Map<string, number>();
    const posOf = new Map<Item, number>();
    const assigned: (Item | undefined)[] = [];
    for (let t = 0; t < evs.length; t++) {
      const e = evs[t]!;
      const j = used.get(e.node) ?? 0;
      used.set(e.node, j + 1);
      const it = perNode.get(e.node)?.[j];
      assigned.push(it);
      if (!it) continue;
      if (it.ob.kind !== e.kind) return 'dead';
      posOf.set(it, t);
    }
    // every loud action's first observation is in the trace, in firing order; the rest after it
    let lastFirst = -1;
    for (const list of run) {
      const p = posOf.get(list[0]!);
      if (p === undefined || p < lastFirst) return 'dead';
      lastFirst = p;
      for (const it of list.slice(1)) {
        const q = posOf.get(it);
        if (q !== undefined && q < p) return 'dead';
      }
    }
    // field specs, in trace order
    const regs = new Map<string, FieldValue>();
    for (let t = 0; t < evs.length; t++) {
      if (assigned[t] === undefined) return 'open';
      const ob = assigned[t]!.ob;
      const f = evs[t]!.fields;
      for (const [name, sp] of Object.entries(ob.fields)) {
        const v = f[name];
        if (v === undefined || sp.op === 'any') {
          if (v === undefined && sp.op === 'set') regs.delete(sp.reg);
          continue;
        }
        const plus = 'plus' in sp && sp.plus ? sp.plus : 0;
        const b = 'reg' in sp ? regs.get(sp.reg) : undefined;
        if (sp.op === 'lit' && v !== sp.value) return 'dead';
        if (sp.op === 'set') regs.set(sp.reg, typeof v === 'number' ? v - plus : v);
        if (sp.op === 'eq') {
          if (b === undefined) regs.set(sp.reg, typeof v === 'number' ? v - plus : v);
          else if (v !== (typeof b === 'number' ? b + plus : b)) return 'dead';
        }
        if (sp.op === 'ge' && b !== undefined && !(typeof b === 'number' && typeof v === 'number' && v >= b + plus)) return 'dead';
        if (sp.op === 'ne' && b !== undefined && b === v) return 'dead';
        if (sp.op === 'mono') {
          if (typeof v !== 'number' || (b !== undefined && !(typeof b === 'number' && v >= b + plus))) return 'dead';
          regs.set(sp.reg, v - plus);
        }
      }
      for (const c of ob.clear ?? []) regs.delete(c);
    }
    return 'ok';
  };
  let found = false;
  const dfs = (s: Uint8Array, run: Item[][], silent: number): void => {
    if (found) return;
    const fit = fitsRun(run);
    if (fit === 'ok') {
      found = true;
      return;
    }
    if (fit === 'dead') return;
    if (run.length >= evs.length) return;
    const succ: [number, Uint8Array][] = [];
    model.successors(s, (a, n) => succ.push([a, n.slice()]));
    for (const [a, n] of succ) {
      // observations filtered as the trace sees them; unseen ones' clears move to the previous seen one
      const list: Item[] = [];
      for (const ob of model.observe(s, a, n)) {
        if (seen(ob)) list.push({ action: run.length, idx: list.length, ob });
        else if (ob.clear?.length && list.length > 0) {
          const last = list[list.length - 1]!;
          list[list.length - 1] = { ...last, ob: { ...last.ob, clear: [...(last.ob.clear ?? []), ...ob.clear] } };
        }
      }
      if (list.length === 0) {
        if (silent < maxSilent && !sameBytes(s, n)) dfs(n, run, silent + 1);
      } else dfs(n, [...run, list], silent);
      if (found) return;
    }
  };
  model.initStates((s) => dfs(s.slice(), [], 0));
  return found;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
