// Counterexamples without stored states: the search keeps only its discovery tree
// (engine/discovery-tree.ts: the action that discovered each state, and how many children each
// expanded state had, from which parent links follow). A path is rebuilt from it and re-executed
// through the model, which is only sound if the model is deterministic; replay checks that.

import { fingerprint, WordView } from './hash.js';
import type { Model } from './model.js';

/** parent[] value of an initial state. */
export const NO_PARENT = 0xffffffff;

const NOT_DETERMINISTIC = 'the model is not deterministic';

export interface Path {
  /** Position of the initial state in model.initStates' emission order. */
  initIndex: number;
  /** Action indices from the initial state to the target. */
  actions: number[];
}

/** The `initIndex`-th state emitted by model.initStates (a copy). */
export function initialState(model: Model, initIndex: number): Uint8Array {
  let found = null as Uint8Array | null; // assigned in the callback
  let n = 0;
  model.initStates((s) => {
    if (n++ === initIndex) found = s.slice(0, model.stateBytes);
  });
  if (found === null) {
    throw new Error(`initial state #${initIndex} does not exist: initStates emitted ${n} states`);
  }
  return found;
}

/** The successor of `s` by action `action` (a copy), or null if that action is not enabled. */
export function successorBy(model: Model, s: Uint8Array, action: number): Uint8Array | null {
  let found = null as Uint8Array | null; // assigned in the callback
  let seen = 0;
  model.successors(s, (a, next) => {
    if (a !== action) return;
    seen++;
    if (seen === 1) found = next.slice(0, model.stateBytes);
  });
  if (seen > 1) {
    throw new Error(
      `${NOT_DETERMINISTIC}: action ${model.actionNames[action] ?? action} emitted ${seen} successors from one state`,
    );
  }
  return found;
}

/**
 * Replays `actions` from the `initIndex`-th initial state; returns every state of the path
 * (actions.length + 1 of them, the initial state first). Throws "the model is not
 * deterministic: ..." if an action of the path is not enabled where the path needs it.
 */
export function replayPath(model: Model, initIndex: number, actions: readonly number[]): Uint8Array[] {
  const states = [initialState(model, initIndex)];
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const next = successorBy(model, states[i]!, a);
    if (next === null) {
      throw new Error(
        `${NOT_DETERMINISTIC}: action ${model.actionNames[a] ?? a} is not enabled at step ${i + 1} of the replayed path`,
      );
    }
    states.push(next);
  }
  return states;
}

/** What the search remembers of visited states: their fingerprints. */
export interface FingerprintSet {
  contains(h1: number, h2: number): boolean;
}

/**
 * Replays a path found by a search and checks it reaches what the search reached: every
 * intermediate state's fingerprint must be in the search's table, and the last state's
 * fingerprint must equal `target` (known to the caller, who just examined that state).
 */
export function replayVerified(
  model: Model,
  path: Path,
  visited: FingerprintSet,
  target: readonly [number, number],
): Uint8Array[] {
  const states = replayPath(model, path.initIndex, path.actions);
  const view = new WordView(model.stateBytes);
  const fp = new Uint32Array(2);
  const last = states.length - 1;
  for (let i = 0; i <= last; i++) {
    fingerprint(view.of(states[i]!), 0, model.stateBytes >>> 2, fp);
    const where = i === 0 ? 'the initial state' : `step ${i} (${model.actionNames[path.actions[i - 1]!]})`;
    if (i === last) {
      if (fp[0] !== target[0] >>> 0 || fp[1] !== target[1] >>> 0) {
        throw new Error(`${NOT_DETERMINISTIC}: replaying the path, ${where} reached a different state than the search did`);
      }
    } else if (!visited.contains(fp[0]!, fp[1]!)) {
      throw new Error(`${NOT_DETERMINISTIC}: replaying the path, ${where} reached a state the search never visited`);
    }
  }
  return states;
}
