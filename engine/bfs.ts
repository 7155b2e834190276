// Breadth-first explicit-state search over a Model.
//
// Memory per distinct state: its 64-bit fingerprint in the visited table (8 bytes at load
// 0.6..0.9, so 8.9..13.3 bytes allocated: fingerprints.ts) and the discovery tree, about 2 bytes
// (the action that discovered the state, plus a child count per expanded state from which parent
// ids are recomputed: discovery-tree.ts). Full states live only in the frontier queue, as raw
// words. Counterexamples are rebuilt by replaying the tree's path (see replay.ts).
//
// State ids are assigned in discovery order and every discovered state is queued, so the
// position of a state in the queue is its id, and BFS levels are contiguous id ranges: depth
// needs no per-state storage.
//
// Counting (TLC-compatible where TLC has the notion):
//  - distinctStates: distinct states discovered, initial states included (TLC "distinct states").
//  - generatedStates: every state emitted by initStates plus every successor emitted by
//    successors, duplicates included (TLC "states generated"). Successors of states at the depth
//    bound are included, since they are computed (to learn whether the bound cut anything).
//  - maxDepth: length in steps of the longest shortest path from an initial state, i.e. the BFS
//    level of the deepest state found; initial states are at depth 0. TLC prints this plus one
//    ("depth of the complete state graph search" counts initial states as depth 1): see tlcDepth.
//  - Invariants and the goal are checked when a state is discovered (initial states too), in
//    discovery order, so the first violation found is at minimal depth: its trace is shortest.
//  - Deadlock (no enabled action) is checked when a state is expanded.
//  - Step invariants (model.transitionInvariants) are checked on every generated step within the
//    depth bound, to new and known states alike; a violation's trace ends with that step.

import { DiscoveryTree } from './discovery-tree.js';
import { FingerprintTable } from './fingerprints.js';
import { fingerprint, WordView } from './hash.js';
import type { Goal, Invariant, Model } from './model.js';
import { NO_PARENT, replayVerified, successorBy, type Path } from './replay.js';
import { StateQueue } from './state-queue.js';
import { describeTrace, type TraceStep } from './trace.js';

export type Verdict = 'complete' | 'bounded' | 'violated' | 'budget-exhausted';

/** Why a run ended with "budget-exhausted": the option that stopped it, or "interrupted". */
export type BudgetReason = 'maxStates' | 'maxMs' | 'maxBytes' | 'interrupted';

export interface Progress {
  distinct: number;
  generated: number;
  /** States waiting in the frontier queue. */
  queue: number;
  /** BFS level being expanded. */
  depth: number;
  /** Generated states per second since the start. */
  statesPerSecond: number;
  elapsedMs: number;
}

export interface CheckOptions {
  /** States at this depth are checked but not expanded (initial states are depth 0). */
  maxDepth?: number;
  /** Stop before discovering more than this many distinct states. */
  maxStates?: number;
  /** Wall-clock budget (polled every few thousand generated states). */
  maxMs?: number;
  /** Approximate budget for fingerprint table + parent/via arrays + queue, in bytes (polled). */
  maxBytes?: number;
  /** Report states with no enabled action as violations of "deadlock" (default true). */
  deadlock?: boolean;
  /** Invariants to check; default model.invariants. */
  invariants?: readonly Invariant[];
  /** Stop at the first (hence nearest) state satisfying the goal. */
  goal?: Goal;
  /** Polled every few thousand generated states; true ends the run ("interrupted"). */
  shouldStop?: () => boolean;
  /** Called about every `progressMs` (default 1000) while the search runs. */
  onProgress?: (p: Progress) => void;
  progressMs?: number;
}

export interface Violation {
  /** Invariant id, or "deadlock". */
  invariant: string;
  message: string;
  /** Shortest path from an initial state to the violating state. */
  trace: TraceStep[];
  /** The same path as indices, for replayPath(model, path.initIndex, path.actions). */
  path: Path;
}

export interface GoalReached {
  goal: string;
  /** Shortest path from an initial state to a goal state. */
  trace: TraceStep[];
  /** The same path as indices, for replayPath(model, path.initIndex, path.actions). */
  path: Path;
}

export interface CheckResult {
  model: string;
  /**
   * complete: every reachable state was explored (or the goal was reached, see goalReached) and
   *   no invariant or deadlock violation exists;
   * bounded: as complete, but some state lies beyond options.maxDepth (it was cut);
   * violated: see `violation`;
   * budget-exhausted: stopped by maxStates/maxMs/maxBytes/shouldStop, see `reason`.
   */
  verdict: Verdict;
  reason?: BudgetReason;
  /** Distinct states discovered, initial states included. */
  distinctStates: number;
  /** Initial states emitted plus successors emitted, duplicates included. */
  generatedStates: number;
  /** BFS level of the deepest state found (initial states: 0). Equals the max shortest-path length. */
  maxDepth: number;
  /** maxDepth + 1: what TLC prints as "the depth of the complete state graph search". */
  tlcDepth: number;
  durationMs: number;
  /** generatedStates per second. */
  statesPerSecond: number;
  /** Action family -> transitions of that family generated (duplicates included). */
  actions: Record<string, number>;
  /** Families in model.families that never fired. */
  neverFired: string[];
  /** Ids of the invariants checked. */
  invariants: string[];
  /** Whether deadlock was checked. */
  deadlockChecked: boolean;
  /** (fingerprint table + discovery tree bytes) / distinctStates, as allocated at the end. */
  bytesPerState: number;
  /** Peak bytes allocated by the frontier queue. */
  peakQueueBytes: number;
  violation?: Violation;
  /** Set when options.goal was given and reached; null otherwise. */
  goalReached: GoalReached | null;
}

const POLL_EVERY_GENERATED = 4096;
const MAX_ACTIONS = 0x10000; // the discovery tree stores actions in at most 2 bytes

// Why the search loop stopped early.
const RUNNING = 0;
const STOP_VIOLATION = 1;
const STOP_GOAL = 2;
const STOP_BUDGET = 3;

export function check(model: Model, options: CheckOptions = {}): CheckResult {
  const startMs = performance.now();
  const stateBytes = model.stateBytes;
  const nWords = stateBytes >>> 2;
  const nActions = model.actionNames.length;
  if (nActions > MAX_ACTIONS) throw new Error(`check: ${nActions} action instances, at most ${MAX_ACTIONS} supported`);
  if (model.actionFamilies.length !== nActions) {
    throw new Error(`check: actionFamilies has ${model.actionFamilies.length} entries, actionNames ${nActions}`);
  }
  const invariants = options.invariants ?? model.invariants;
  const nInvariants = invariants.length;
  const stepInvariants = model.transitionInvariants ?? [];
  const nStepInvariants = stepInvariants.length;
  const checkDeadlock = options.deadlock !== false;
  const depthBound = options.maxDepth ?? Infinity;
  const maxStates = options.maxStates ?? Infinity;
  const maxMs = options.maxMs ?? Infinity;
  const maxBytes = options.maxBytes ?? Infinity;
  const goal = options.goal ?? null;
  const shouldStop = options.shouldStop ?? null;
  const onProgress = options.onProgress ?? null;
  const progressMs = options.progressMs ?? 1000;

  const view = new WordView(stateBytes);
  const table = new FingerprintTable();
  const queue = new StateQueue(stateBytes);
  const fp = new Uint32Array(2);
  const tree = new DiscoveryTree(nActions);
  const fired = new Float64Array(nActions);

  const cur = new Uint8Array(stateBytes);
  const curWords = new Uint32Array(cur.buffer);

  let distinct = 0;
  let generated = 0;
  let depth = 0; // level being expanded
  let deepest = 0;
  let probing = depthBound <= 0; // expanding the last allowed level: look, don't insert
  let cut = false;
  let curId = 0;
  let hasSuccessor = false;

  let stop = RUNNING;
  let reason: BudgetReason | undefined;
  let stopId = -1; // state the violation / goal is about
  let stopH1 = 0;
  let stopH2 = 0;
  let stopInvariant = '';
  let stopMessage = '';
  let stopAction = -1; // a step invariant failed on the step stopId --stopAction-->
  let nextPollAt = POLL_EVERY_GENERATED;
  const pollWindow = POLL_EVERY_GENERATED + nActions;
  let nextProgressMs = startMs + progressMs;

  function heldBytes(): number {
    return table.bytes() + tree.bytes() + queue.bytes;
  }

  // A state just entered the table as `id`: check invariants and goal. fp holds its fingerprint.
  function examine(s: Uint8Array, id: number): void {
    for (let i = 0; i < nInvariants; i++) {
      const msg = invariants[i]!.check(s);
      if (msg !== null) {
        stop = STOP_VIOLATION;
        stopInvariant = invariants[i]!.id;
        stopMessage = msg;
        stopId = id;
        stopH1 = fp[0]!;
        stopH2 = fp[1]!;
        return;
      }
    }
    if (goal !== null && goal.test(s)) {
      stop = STOP_GOAL;
      stopId = id;
      stopH1 = fp[0]!;
      stopH2 = fp[1]!;
    }
  }

  // Inserts the state if new; returns its id, or -1 if known (or the budget forbids it).
  // For an initial state `from` is NO_PARENT and `action` its position in initStates' order.
  function discover(words: Uint32Array, from: number, action: number): number {
    fingerprint(words, 0, nWords, fp);
    if (!table.insertIfAbsent(fp[0]!, fp[1]!)) return -1;
    if (distinct >= maxStates) {
      stop = STOP_BUDGET;
      reason = 'maxStates';
      return -1;
    }
    distinct++;
    const id = from === NO_PARENT ? tree.addRoot(action) : tree.addChild(from, action);
    queue.push(words, 0);
    return id;
  }

  model.initStates((s) => {
    if (stop !== RUNNING) return;
    const index = generated++;
    const id = discover(view.of(s), NO_PARENT, index);
    if (id < 0) return;
    examine(s, id);
  });

  const onSuccessor = (action: number, next: Uint8Array): void => {
    if (stop !== RUNNING) return;
    if (action >>> 0 >= nActions) throw new Error(`${model.name}: successors emitted action ${action}, not an action index`);
    hasSuccessor = true;
    generated++;
    fired[action]++;
    if (probing) {
      // Beyond the depth bound: only learn whether something new was cut off.
      if (!cut) {
        fingerprint(view.of(next), 0, nWords, fp);
        if (!table.contains(fp[0]!, fp[1]!)) cut = true;
      }
      return;
    }
    // step invariants: every step within the depth bound, to a new state or a known one
    for (let i = 0; i < nStepInvariants; i++) {
      const msg = stepInvariants[i]!.check(cur, action, next);
      if (msg !== null) {
        stop = STOP_VIOLATION;
        stopInvariant = stepInvariants[i]!.id;
        stopMessage = msg;
        stopId = curId;
        stopAction = action;
        fingerprint(curWords, 0, nWords, fp);
        stopH1 = fp[0]!;
        stopH2 = fp[1]!;
        return;
      }
    }
    const id = discover(view.of(next), curId, action);
    if (id < 0) return;
    deepest = depth + 1;
    examine(next, id);
  };

  function poll(): void {
    const now = performance.now();
    const elapsed = now - startMs;
    if (shouldStop !== null && shouldStop()) {
      stop = STOP_BUDGET;
      reason = 'interrupted';
    } else if (elapsed >= maxMs) {
      stop = STOP_BUDGET;
      reason = 'maxMs';
    } else if (
      maxBytes !== Infinity &&
      // Held bytes plus what the table and tree may allocate before the next poll (polls come
      // between expansions, so at most POLL_EVERY_GENERATED + nActions new states away).
      heldBytes() + table.growthBytesWithin(pollWindow) + tree.growthBytesWithin(pollWindow) > maxBytes
    ) {
      stop = STOP_BUDGET;
      reason = 'maxBytes';
    }
    if (onProgress !== null && now >= nextProgressMs) {
      nextProgressMs = now + progressMs;
      onProgress({
        distinct,
        generated,
        queue: queue.length,
        depth,
        statesPerSecond: elapsed > 0 ? (generated * 1000) / elapsed : 0,
        elapsedMs: elapsed,
      });
    }
  }

  if (stop === RUNNING) poll();
  let levelEnd = distinct; // first id of the next level
  while (stop === RUNNING && curId < distinct) {
    if (curId === levelEnd) {
      depth++;
      levelEnd = distinct;
      probing = depth >= depthBound;
    }
    if (generated >= nextPollAt) {
      nextPollAt = generated + POLL_EVERY_GENERATED;
      poll();
      if (stop !== RUNNING) break;
    }
    queue.shift(curWords);
    hasSuccessor = false;
    model.successors(cur, onSuccessor);
    if (stop !== RUNNING) break;
    if (!hasSuccessor && checkDeadlock) {
      stop = STOP_VIOLATION;
      stopInvariant = 'deadlock';
      stopMessage = 'no action is enabled';
      stopId = curId;
      fingerprint(curWords, 0, nWords, fp);
      stopH1 = fp[0]!;
      stopH2 = fp[1]!;
      break;
    }
    curId++;
  }

  // ---- result (off the hot path: allocation is fine from here on) ----
  const durationMs = performance.now() - startMs;
  const traceTo = (id: number): { trace: TraceStep[]; path: Path } => {
    const path = tree.pathTo(id);
    const states = replayVerified(model, path, table, [stopH1, stopH2]);
    return { trace: describeTrace(model, states, path.actions), path };
  };

  const actions: Record<string, number> = {};
  for (const f of model.families) actions[f] = 0;
  for (let a = 0; a < nActions; a++) {
    const f = model.actionFamilies[a]!;
    actions[f] = (actions[f] ?? 0) + fired[a]!;
  }

  let verdict: Verdict;
  let violation: Violation | undefined;
  let goalReached: GoalReached | null = null;
  if (stop === STOP_VIOLATION) {
    verdict = 'violated';
    if (stopAction >= 0) {
      // the offending step itself ends the counterexample
      const path = tree.pathTo(stopId);
      const states = replayVerified(model, path, table, [stopH1, stopH2]);
      const last = successorBy(model, states[states.length - 1]!, stopAction);
      if (last === null) throw new Error('the model is not deterministic: the violating step is not enabled on replay');
      const full = { initIndex: path.initIndex, actions: [...path.actions, stopAction] };
      violation = { invariant: stopInvariant, message: stopMessage, trace: describeTrace(model, [...states, last], full.actions), path: full };
    } else {
      violation = { invariant: stopInvariant, message: stopMessage, ...traceTo(stopId) };
    }
  } else if (stop === STOP_BUDGET) {
    verdict = 'budget-exhausted';
  } else if (stop === STOP_GOAL) {
    verdict = 'complete';
    goalReached = { goal: goal!.id, ...traceTo(stopId) };
  } else {
    verdict = cut ? 'bounded' : 'complete';
  }

  const result: CheckResult = {
    model: model.name,
    verdict,
    distinctStates: distinct,
    generatedStates: generated,
    maxDepth: deepest,
    tlcDepth: deepest + 1,
    durationMs,
    statesPerSecond: durationMs > 0 ? (generated * 1000) / durationMs : 0,
    actions,
    neverFired: model.families.filter((f) => actions[f] === 0),
    invariants: [...invariants.map((i) => i.id), ...stepInvariants.map((i) => i.id)],
    deadlockChecked: checkDeadlock,
    bytesPerState: distinct > 0 ? (table.bytes() + tree.bytes()) / distinct : 0,
    peakQueueBytes: queue.peakBytes,
    goalReached,
  };
  if (reason !== undefined) result.reason = reason;
  if (violation !== undefined) result.violation = violation;
  return result;
}
