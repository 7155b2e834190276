// The Informal Trace Format (ITF, Apalache ADR-015): a path of states as JSON that Apalache's and
// Quint's trace viewers read. Integers are written as {"#bigint": "..."} (as Apalache writes them, so
// no reader has to guess about precision), booleans and strings as themselves; the action that led to
// each state goes into the state's "#meta" (ITF allows any "#meta"), and a lasso's cycle start into
// "loop". Variable names are the model's own (spec/model.md §4), e.g. "r1.replica.state".
import type { TraceStep } from './trace.js';

export type ItfValue = boolean | string | { '#bigint': string };

export interface ItfTrace {
  '#meta': Record<string, unknown>;
  vars: string[];
  states: ({ '#meta': { index: number; action: string | null } } & Record<string, ItfValue | { index: number; action: string | null }>)[];
  loop?: number;
}

function value(v: string | number | boolean, name: string): ItfValue {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ITF: variable ${name} holds a non-integer ${v}`);
    return { '#bigint': String(v) };
  }
  return v;
}

/**
 * `steps[0]` is the initial state. `loop`, for a lasso, is the index of the state the last step
 * returns to. Every state carries every variable (ITF requires it); a variable missing from some
 * state is an error here rather than a silently partial trace.
 */
export function toItf(steps: readonly TraceStep[], meta: Record<string, unknown>, loop?: number): ItfTrace {
  if (steps.length === 0) throw new Error('ITF: a trace has at least one state');
  if (loop !== undefined && (!Number.isInteger(loop) || loop < 0 || loop >= steps.length)) throw new Error(`ITF: loop index ${loop} outside 0..${steps.length - 1}`);
  const vars = Object.keys(steps[0]!.state);
  const states = steps.map((s, index) => {
    const out: Record<string, unknown> = { '#meta': { index, action: s.action } };
    for (const k of vars) {
      if (!(k in s.state)) throw new Error(`ITF: state ${index} has no variable ${k}`);
      out[k] = value(s.state[k]!, k);
    }
    for (const k of Object.keys(s.state)) if (!vars.includes(k)) throw new Error(`ITF: state ${index} has a variable ${k} the initial state lacks`);
    return out as ItfTrace['states'][number];
  });
  return { '#meta': { format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', ...meta }, vars, states, ...(loop !== undefined ? { loop } : {}) };
}
