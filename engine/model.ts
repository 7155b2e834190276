// The one seam between the generic engine (search, replay, simulation, conformance) and a
// protocol model. The engine knows nothing of Valkey; a model knows nothing of search.
//
// States are fixed-length byte arrays (`stateBytes`, a multiple of 4) so the hot loop can hash,
// compare and copy them as Uint32 words. Actions are identified by a stable index into
// `actionNames`; an action instance carries all its parameters in its name (e.g.
// "BufferRead[r1]"), and each action instance has at most one successor from a given state,
// so a path is a list of action indices that replays deterministically.

export interface Invariant {
  /** Stable id printed in results, e.g. "I1-no-gap-while-pinned". */
  readonly id: string;
  /** One sentence, in protocol words. */
  readonly description: string;
  /** Returns null when the invariant holds, else a message naming what is wrong. */
  check(s: Uint8Array): string | null;
}

/** A property of single steps: checked on every generated transition (s --action--> next). */
export interface TransitionInvariant {
  readonly id: string;
  readonly description: string;
  /** Returns null when the step is allowed, else a message naming what is wrong. */
  check(s: Uint8Array, action: number, next: Uint8Array): string | null;
}

export interface Goal {
  readonly id: string;
  readonly description: string;
  /** True when `s` is a state the user asked to reach. */
  test(s: Uint8Array): boolean;
}

export interface Model {
  readonly name: string;
  /** Encoded state length in bytes; a multiple of 4. */
  readonly stateBytes: number;
  /** Action instance names; the index is the action id used in paths. */
  readonly actionNames: readonly string[];
  /** Action family of each instance (the name without parameters), for coverage. */
  readonly actionFamilies: readonly string[];
  /** Every family the model declares, fired or not (coverage reports the never-fired ones). */
  readonly families: readonly string[];
  readonly invariants: readonly Invariant[];
  /** Optional step properties (checked on every generated transition, duplicates included). */
  readonly transitionInvariants?: readonly TransitionInvariant[];
  readonly goals: readonly Goal[];
  /** Calls emit once per initial state. `s` may be reused after emit returns. */
  initStates(emit: (s: Uint8Array) => void): void;
  /**
   * Calls emit(action, next) once for each enabled action instance of `s`. `next` is a scratch
   * buffer owned by the model and valid only during the call: copy it to keep it.
   */
  successors(s: Uint8Array, emit: (action: number, next: Uint8Array) => void): void;
  /** Human-readable view of a state: variable name -> value. */
  describe(s: Uint8Array): Record<string, string | number | boolean>;
}
