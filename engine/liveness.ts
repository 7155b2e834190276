// Liveness under weak fairness: does every fair run visit a "good" state infinitely often
// ([]<>good), or take a "recurring" step only finitely often? A counterexample is a lasso: a
// shortest path from an initial state into a cycle of bad states (taking a recurring step) that is
// weakly fair (every fair action continuously enabled along the cycle is taken in it), printed as a
// prefix and a cycle.
//
// The algorithm is the standard one for weak fairness. The reachable graph is built once
// (states in one byte arena with an open-addressing table over their words; edges as
// (action, target) int pairs); the bad states' subgraph is split into strongly connected
// components (iterative Tarjan). A non-trivial component holds a weakly fair cycle iff, for every
// fair action, the action labels one of its internal edges or is disabled in one of its states: the
// closed walk through every state and every internal edge of the component is then fair, and if
// some fair action is enabled in all its states and taken on none of its edges, no cycle inside it
// is fair. So no refinement into sub-components is needed (that is strong fairness).
import { fingerprint } from './hash.js';
import type { Model } from './model.js';
import { describeTrace, type TraceStep } from './trace.js';

export interface LivenessProperty {
  readonly id: string;
  readonly description: string;
  /** The property is []<>good: a fair run must reach a good state again and again. */
  good(s: Uint8Array): boolean;
  /**
   * Makes the property "a fair run takes a `recurring` step only finitely often" (<>[] no such
   * step) over the cycles among not-good states: a counterexample's cycle takes one. With
   * `good` always false that is the whole graph (L-loop: no endless full syncs).
   */
  readonly recurring?: (action: number) => boolean;
  /** The steps a counterexample's cycle may take (default: all); e.g. not the operator's. */
  readonly cycleAction?: (action: number) => boolean;
}

export interface LivenessOptions {
  /** Weak fairness of each action instance (by id). */
  readonly fair: (action: number) => boolean;
  /** Actions left out of the graph altogether (e.g. faults and timeouts: "faults off"). */
  readonly exclude?: (action: number) => boolean;
  /** Stop building the graph past this many states (verdict budget-exhausted). */
  readonly maxStates?: number;
}

export interface Lasso {
  /** From an initial state to the cycle's first state: `prefix[0]` is the initial state. */
  readonly prefix: TraceStep[];
  /** The cycle: `cycle[0]` is the last state of the prefix; the last step returns to it. */
  readonly cycle: TraceStep[];
  readonly prefixActions: number[];
  readonly cycleActions: number[];
}

export interface LivenessResult {
  readonly property: string;
  readonly verdict: 'holds' | 'violated' | 'budget-exhausted';
  readonly states: number;
  readonly edges: number;
  /** Non-trivial components of bad states examined, and how many of them admit a fair cycle. */
  readonly badComponents: number;
  readonly fairComponents: number;
  readonly durationMs: number;
  readonly lasso?: Lasso;
}

/** The reachable graph: states in an arena, edges in CSR form (built in BFS order). */
class Graph {
  readonly words: number;
  arena: Uint32Array;
  n = 0;
  private table: Int32Array;
  private readonly fp = new Uint32Array(2);
  edgeStart: Int32Array = new Int32Array(1024);
  edgeAction: Int32Array = new Int32Array(4096);
  edgeTarget: Int32Array = new Int32Array(4096);
  m = 0;
  parent: Int32Array = new Int32Array(1024);
  parentAction: Int32Array = new Int32Array(1024);

  constructor(readonly bytes: number) {
    this.words = bytes >>> 2;
    this.arena = new Uint32Array(1024 * this.words);
    this.table = new Int32Array(2048).fill(-1);
  }

  private same(id: number, w: Uint32Array): boolean {
    const base = id * this.words;
    for (let i = 0; i < this.words; i++) if (this.arena[base + i] !== w[i]) return false;
    return true;
  }

  /** The state's id, adding it if new (second value: whether it was added). */
  intern(s: Uint8Array): [number, boolean] {
    const w = new Uint32Array(s.buffer, s.byteOffset, this.words);
    fingerprint(w, 0, this.words, this.fp);
    const mask = this.table.length - 1;
    let h = this.fp[0]! & mask;
    for (;;) {
      const id = this.table[h]!;
      if (id < 0) break;
      if (this.same(id, w)) return [id, false];
      h = (h + 1) & mask;
    }
    const id = this.n++;
    if ((id + 1) * this.words > this.arena.length) {
      const a = new Uint32Array(this.arena.length * 2);
      a.set(this.arena);
      this.arena = a;
    }
    this.arena.set(w, id * this.words);
    if (id + 2 > this.parent.length) {
      const grow = (x: Int32Array) => { const y = new Int32Array(x.length * 2); y.set(x); return y; };
      this.parent = grow(this.parent);
      this.parentAction = grow(this.parentAction);
      this.edgeStart = grow(this.edgeStart);
    }
    this.table[h] = id;
    if (this.n * 2 > this.table.length) this.rehash();
    return [id, true];
  }

  private rehash(): void {
    const t = new Int32Array(this.table.length * 2).fill(-1);
    const mask = t.length - 1;
    for (let id = 0; id < this.n; id++) {
      fingerprint(this.arena, id * this.words, this.words, this.fp);
      let h = this.fp[0]! & mask;
      while (t[h]! >= 0) h = (h + 1) & mask;
      t[h] = id;
    }
    this.table = t;
  }

  addEdge(action: number, target: number): void {
    if (this.m >= this.edgeAction.length) {
      const grow = (x: Int32Array) => { const y = new Int32Array(x.length * 2); y.set(x); return y; };
      this.edgeAction = grow(this.edgeAction);
      this.edgeTarget = grow(this.edgeTarget);
    }
    this.edgeAction[this.m] = action;
    this.edgeTarget[this.m] = target;
    this.m++;
  }

  state(id: number): Uint8Array {
    return new Uint8Array(this.arena.buffer.slice(id * this.bytes, (id + 1) * this.bytes));
  }
}

/** Checks []<>good under weak fairness of the actions `fair` selects. */
export function checkLiveness(model: Model, prop: LivenessProperty, opts: LivenessOptions): LivenessResult {
  const t0 = performance.now();
  const g = new Graph(model.stateBytes);
  const maxStates = opts.maxStates ?? 5_000_000;
  const exclude = opts.exclude;
  const inits: number[] = [];
  model.initStates((s) => {
    const [id, added] = g.intern(s);
    if (added) { g.parent[id] = -1; g.parentAction[id] = -1; inits.push(id); }
  });
  // breadth-first: states are numbered in BFS order, so edges of state k are laid out after k-1's
  let exhausted = false;
  const cur = new Uint8Array(model.stateBytes);
  for (let k = 0; k < g.n; k++) {
    if (g.n > maxStates) { exhausted = true; break; }
    g.edgeStart[k] = g.m;
    cur.set(new Uint8Array(g.arena.buffer, k * g.bytes, g.bytes));
    model.successors(cur, (a, next) => {
      if (exclude && exclude(a)) return;
      const [id, added] = g.intern(next);
      if (added) { g.parent[id] = k; g.parentAction[id] = a; }
      g.addEdge(a, id);
    });
    g.edgeStart[k + 1] = g.m;
  }
  const base = { property: prop.id, states: g.n, edges: g.m };
  if (exhausted) return { ...base, verdict: 'budget-exhausted', badComponents: 0, fairComponents: 0, durationMs: performance.now() - t0 };

  const n = g.n;
  const bad = new Uint8Array(n);
  for (let k = 0; k < n; k++) bad[k] = prop.good(new Uint8Array(g.arena.buffer, k * g.bytes, g.bytes)) ? 0 : 1;
  const cycleAction = prop.cycleAction;
  const edgeOk = new Uint8Array(g.m);
  for (let e = 0; e < g.m; e++) edgeOk[e] = !cycleAction || cycleAction(g.edgeAction[e]!) ? 1 : 0;
  const comp = tarjan(g, bad, edgeOk);
  const recurring = prop.recurring;

  // per component: members, whether non-trivial, and the fairness test
  const nComp = comp.count;
  const members: number[][] = Array.from({ length: nComp }, () => []);
  for (let k = 0; k < n; k++) if (comp.of[k]! >= 0) members[comp.of[k]!]!.push(k);
  const fairActions: number[] = [];
  for (let a = 0; a < model.actionNames.length; a++) if (opts.fair(a)) fairActions.push(a);
  let badComponents = 0;
  const fairComps: number[] = [];
  for (let c = 0; c < nComp; c++) {
    const ms = members[c]!;
    let internal = false, recurs = !recurring;
    const taken = new Set<number>();
    for (const k of ms) for (let e = g.edgeStart[k]!; e < g.edgeStart[k + 1]!; e++) {
      if (!edgeOk[e] || comp.of[g.edgeTarget[e]!] !== c) continue;
      internal = true;
      taken.add(g.edgeAction[e]!);
      if (recurring && recurring(g.edgeAction[e]!)) recurs = true;
    }
    if (!internal || !recurs) continue;
    badComponents++;
    if (fairActions.every((a) => taken.has(a) || ms.some((k) => !enabled(g, k, a)))) fairComps.push(c);
  }
  const done = { ...base, badComponents, fairComponents: fairComps.length, durationMs: 0 };
  if (fairComps.length === 0) return { ...done, verdict: 'holds', durationMs: performance.now() - t0 };

  // the shortest prefix: the fair component state with the least BFS depth (ids are in BFS order)
  let entry = -1;
  for (const c of fairComps) for (const k of members[c]!) if (entry < 0 || k < entry) entry = k;
  const c = comp.of[entry]!;
  const prefixIds: number[] = [];
  const prefixActions: number[] = [];
  for (let k = entry; k >= 0; k = g.parent[k]!) { prefixIds.push(k); if (g.parent[k]! >= 0) prefixActions.push(g.parentAction[k]!); }
  prefixIds.reverse();
  prefixActions.reverse();
  // the cycle: through a witness for each fair action (a state where it is disabled, else an
  // internal edge it labels), back to the entry; at least one step
  const ms = members[c]!;
  const targets: ({ state: number } | { edge: number })[] = [];
  const internalEdge = (pick: (a: number) => boolean): number => {
    for (const k of ms) for (let e = g.edgeStart[k]!; e < g.edgeStart[k + 1]!; e++) if (edgeOk[e] && pick(g.edgeAction[e]!) && comp.of[g.edgeTarget[e]!] === c) return e;
    return -1;
  };
  // the step that must not recur, first
  if (recurring) targets.push({ edge: internalEdge(recurring) });
  for (const a of fairActions) {
    const off = ms.find((k) => !enabled(g, k, a));
    if (off !== undefined) { if (off !== entry) targets.push({ state: off }); continue; }
    targets.push({ edge: internalEdge((x) => x === a) });
  }
  const cycleIds = [entry];
  const cycleActions: number[] = [];
  let at = entry;
  const walk = (to: number) => {
    const path = pathWithin(g, comp.of, edgeOk, c, at, to);
    for (const [a, s] of path) { cycleActions.push(a); cycleIds.push(s); }
    at = to;
  };
  for (const t of targets) {
    if ('state' in t) walk(t.state);
    else {
      const src = sourceOfEdge(g, t.edge);
      walk(src);
      cycleActions.push(g.edgeAction[t.edge]!);
      at = g.edgeTarget[t.edge]!;
      cycleIds.push(at);
    }
  }
  if (at !== entry || cycleActions.length === 0) {
    if (at === entry) {
      // leave the entry by any internal edge first, then come back
      for (let e = g.edgeStart[entry]!; e < g.edgeStart[entry + 1]!; e++) {
        if (edgeOk[e] && comp.of[g.edgeTarget[e]!] === c) { cycleActions.push(g.edgeAction[e]!); at = g.edgeTarget[e]!; cycleIds.push(at); break; }
      }
    }
    if (at !== entry) walk(entry);
  }
  const prefix = describeTrace(model, prefixIds.map((k) => g.state(k)), prefixActions);
  const cycle = describeTrace(model, cycleIds.map((k) => g.state(k)), cycleActions);
  return { ...done, verdict: 'violated', durationMs: performance.now() - t0, lasso: { prefix, cycle, prefixActions, cycleActions } };
}

function enabled(g: Graph, k: number, a: number): boolean {
  for (let e = g.edgeStart[k]!; e < g.edgeStart[k + 1]!; e++) if (g.edgeAction[e] === a) return true;
  return false;
}

function sourceOfEdge(g: Graph, e: number): number {
  // edgeStart is non-decreasing: binary search for the state whose edge range holds e
  let lo = 0, hi = g.n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (g.edgeStart[mid]! <= e) lo = mid; else hi = mid - 1;
  }
  while (g.edgeStart[lo + 1]! <= e) lo++;
  return lo;
}

/** Shortest path from `from` to `to` inside component c: [action, state] pairs (empty if equal). */
function pathWithin(g: Graph, of: Int32Array, edgeOk: Uint8Array, c: number, from: number, to: number): [number, number][] {
  if (from === to) return [];
  const prev = new Map<number, [number, number]>();
  const queue = [from];
  prev.set(from, [-1, -1]);
  for (let i = 0; i < queue.length; i++) {
    const k = queue[i]!;
    for (let e = g.edgeStart[k]!; e < g.edgeStart[k + 1]!; e++) {
      const t = g.edgeTarget[e]!;
      if (!edgeOk[e] || of[t] !== c || prev.has(t)) continue;
      prev.set(t, [k, g.edgeAction[e]!]);
      if (t === to) {
        const out: [number, number][] = [];
        for (let x = to; x !== from; x = prev.get(x)![0]) out.push([prev.get(x)![1], x]);
        return out.reverse();
      }
      queue.push(t);
    }
  }
  throw new Error('liveness: no path inside a strongly connected component (internal error)');
}

/** Iterative Tarjan on the subgraph of bad states and allowed edges: component index per state (-1: not bad). */
function tarjan(g: Graph, bad: Uint8Array, edgeOk: Uint8Array): { of: Int32Array; count: number } {
  const n = g.n;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const of = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const callStack: number[] = [];
  const edgePos = new Int32Array(n);
  let next = 0;
  let count = 0;
  for (let root = 0; root < n; root++) {
    if (!bad[root] || index[root]! >= 0) continue;
    callStack.push(root);
    index[root] = low[root] = next++;
    edgePos[root] = g.edgeStart[root]!;
    stack.push(root);
    onStack[root] = 1;
    while (callStack.length) {
      const v = callStack[callStack.length - 1]!;
      const end = g.edgeStart[v + 1]!;
      let descended = false;
      while (edgePos[v]! < end) {
        const e = edgePos[v]!;
        const w = g.edgeTarget[e]!;
        edgePos[v]!++;
        if (!bad[w] || !edgeOk[e]) continue;
        if (index[w]! < 0) {
          index[w] = low[w] = next++;
          edgePos[w] = g.edgeStart[w]!;
          stack.push(w);
          onStack[w] = 1;
          callStack.push(w);
          descended = true;
          break;
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
      }
      if (descended) continue;
      callStack.pop();
      if (callStack.length) { const u = callStack[callStack.length - 1]!; low[u] = Math.min(low[u]!, low[v]!); }
      if (low[v] === index[v]) {
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = 0;
          of[w] = count;
          if (w === v) break;
        }
        count++;
      }
    }
  }
  return { of, count };
}
