// Seeded random walks through a Model. The walk depends only on the seed (and the model), so a
// walk worth keeping is reproduced from its seed, or replayed from the returned action list
// with replayPath(model, initIndex, actions).

import type { Model } from './model.js';

/** mulberry32: 32-bit state, period 2^32, good enough to pick successors; returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulateOptions {
  seed: number;
  /** Maximum number of actions taken. */
  steps: number;
  /** Relative weight of an action instance (default 1); 0 never picks it; must be finite and >= 0. */
  weight?: (action: number) => number;
  /** Start from this initial state (emission order) instead of a random one. */
  initIndex?: number;
  /** Called after each step; `prev` and `next` are only valid during the call. */
  onStep?: (action: number, prev: Uint8Array, next: Uint8Array) => void;
}

export interface SimulateResult {
  /** Actions taken, in order. */
  actions: number[];
  /** 'deadlock': the walk reached a state where no action (of positive weight) is enabled. */
  end: 'steps' | 'deadlock';
  /** Initial state the walk started from (model.initStates emission order). */
  initIndex: number;
}

export function simulate(model: Model, options: SimulateOptions): SimulateResult {
  const random = mulberry32(options.seed);
  const weight = options.weight ?? null;
  const n = model.stateBytes;

  const inits: Uint8Array[] = [];
  model.initStates((s) => inits.push(s.slice(0, n)));
  if (inits.length === 0) throw new Error(`simulate: ${model.name} has no initial state`);
  const initIndex = options.initIndex ?? Math.floor(random() * inits.length);
  const first = inits[initIndex];
  if (first === undefined) throw new Error(`simulate: initial state #${initIndex} does not exist (${inits.length})`);

  let prev = first.slice();
  let next = new Uint8Array(n);
  const actions: number[] = [];
  let chosen = -1;
  let total = 0;

  // Weighted choice in one pass: the k-th candidate replaces the current pick with probability
  // w_k / (w_1 + ... + w_k), which leaves each candidate picked with probability w_k / total.
  const consider = (action: number, s: Uint8Array): void => {
    const w = weight === null ? 1 : weight(action);
    if (!(w >= 0) || w === Infinity) throw new Error(`simulate: weight(${action}) = ${w}, expected a finite number >= 0`);
    if (w === 0) return;
    total += w;
    if (random() * total < w) {
      chosen = action;
      next.set(s.subarray(0, n));
    }
  };

  while (actions.length < options.steps) {
    chosen = -1;
    total = 0;
    model.successors(prev, consider);
    if (chosen < 0) return { actions, end: 'deadlock', initIndex };
    actions.push(chosen);
    options.onStep?.(chosen, prev, next);
    const t = prev;
    prev = next;
    next = t;
  }
  return { actions, end: 'steps', initIndex };
}
