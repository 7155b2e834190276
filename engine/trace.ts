// Human-readable traces: the states of a path, described variable by variable.

import type { Model } from './model.js';

export type StateView = Record<string, string | number | boolean>;

export interface TraceStep {
  /** Action instance name that led here; null for the initial state (first step). */
  action: string | null;
  state: StateView;
  /** Variables whose describe() value differs from the previous step ([] for the first step). */
  changed: string[];
}

/** `states[0]` is the initial state; `states[i+1]` is reached from `states[i]` by `actions[i]`. */
export function describeTrace(model: Model, states: readonly Uint8Array[], actions: readonly number[]): TraceStep[] {
  if (states.length !== actions.length + 1) {
    throw new Error(`describeTrace: ${states.length} states for ${actions.length} actions`);
  }
  const steps: TraceStep[] = [];
  let prev: StateView | null = null;
  for (let i = 0; i < states.length; i++) {
    const state = model.describe(states[i]!);
    const changed: string[] = [];
    if (prev !== null) {
      for (const k of Object.keys(state)) if (!(k in prev) || prev[k] !== state[k]) changed.push(k);
      for (const k of Object.keys(prev)) if (!(k in state)) changed.push(k);
    }
    const a = i === 0 ? null : actions[i - 1]!;
    steps.push({ action: a === null ? null : (model.actionNames[a] ?? `#${a}`), state, changed });
    prev = state;
  }
  return steps;
}
