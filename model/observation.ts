// What a model action shows to an observer: the trace events it emits, and how the concrete
// values in those events relate to each other through named registers. The model decides what
// happens; registers only tie concrete numbers (byte offsets, client ids) seen in one event to
// those seen in another, so the same transition relation judges a toy trace with offsets 1..8 and
// a real log with offsets in the millions.
import type { Model } from '../engine/model.js';
import type { Kind } from './vocabulary.js';

/** How one event field is checked. Registers are per candidate run, keyed by name. */
export type FieldSpec =
  /** The field must equal this literal. */
  | { readonly op: 'lit'; readonly value: number | string | boolean }
  /** Bind register := value - plus, overwriting any earlier binding. */
  | { readonly op: 'set'; readonly reg: string; readonly plus?: number }
  /**
   * value must equal reg + plus; if reg is unbound, bind it (reg := value - plus), but only to a
   * value that differs from every bound register in `unlike` (client ids are unique).
   */
  | { readonly op: 'eq'; readonly reg: string; readonly plus?: number; readonly unlike?: readonly string[] }
  /** The field must be one of these literals. */
  | { readonly op: 'in'; readonly values: readonly (number | string | boolean)[] }
  /** value must be >= reg + plus when reg is bound (no binding otherwise). */
  | { readonly op: 'ge'; readonly reg: string; readonly plus?: number }
  /**
   * value must be >= reg + plus when reg is bound; then reg := value - plus. A quantity that never
   * decreases (the primary's replication offset, as its own lines name it in log order).
   */
  | { readonly op: 'mono'; readonly reg: string; readonly plus?: number }
  /** value must differ from reg when reg is bound (e.g. a new client id). */
  | { readonly op: 'ne'; readonly reg: string }
  /** Any value is fine. */
  | { readonly op: 'any' };

export interface Observation {
  readonly kind: Kind;
  /** "primary", "replica1", "replica2", … or "env". */
  readonly node: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Registers to forget after this event (a connection or sync attempt ended). */
  readonly clear?: readonly string[];
}

export interface ObservableModel extends Model {
  /** Events emitted by firing `action` from `s` (reaching `next`), in log order; [] = silent. */
  observe(s: Uint8Array, action: number, next: Uint8Array): readonly Observation[];
  /** Node names of this configuration, e.g. ["primary", "replica1"]. */
  readonly nodes: readonly string[];
  /**
   * Optional: successors() and observe() in one pass — emit(action, next, observations) once per
   * enabled action, each action fired once. The validator's fast engine learns every reached
   * state's transitions with their observations; without this it fires each action twice (once in
   * successors, once in observe). `next` and the list are only valid during the call.
   */
  successorsObserved?(s: Uint8Array, emit: (action: number, next: Uint8Array, obs: readonly Observation[]) => void): void;
  /**
   * Optional: the successor of `s` by `action` alone (the one successors() would emit for it), or
   * null when the action is disabled there. The fast engine learns a loud transition's successor
   * only once an event needs it; without this it runs successors() again for that one action.
   * The result is only valid until the next call into the model.
   */
  successor?(s: Uint8Array, action: number): Uint8Array | null;
}

/**
 * A pseudo-register per node: an observation that clears it (the node's process was killed) also
 * drops whatever the node still owed of earlier actions' events. A killed process never logs the
 * rest of a multi-line step (a replica killed between "Connecting to PRIMARY" and its PSYNC line).
 * It is never bound; only its clearing matters.
 */
export const PENDING_PREFIX = '!pending:';
export function pendingRegister(node: string): string {
  return PENDING_PREFIX + node;
}

/**
 * Registers an observer who misses `o` no longer knows: its clears, and every register it sets
 * (the new value was never seen, so keeping the old binding would judge later events against a
 * stale number; forgetting it lets the next seen event bind it afresh).
 */
export function forgottenIfUnseen(o: Observation): readonly string[] {
  let out: string[] | null = null;
  for (const k in o.fields) {
    const f = o.fields[k]!;
    if (f.op === 'set') (out ??= [...(o.clear ?? [])]).push(f.reg);
  }
  return out ?? o.clear ?? [];
}
