// Mutation helpers for tests: each returns a new trace (the input is not modified) and a
// description. Events keep their positions' seq and ts (seq is renumbered 1..n after drops and
// duplicates; ts stays with the position), so mutants stay well-formed traces as far as possible.
import type { Trace, TraceEvent, FieldValue, TraceConn } from './trace/types.js';

export interface Mutant {
  readonly trace: Trace;
  readonly description: string;
}

function rebuild(t: Trace, events: TraceEvent[], keepTs: readonly (number | undefined)[] | null): Trace {
  const out = events.map((e, i) => {
    const { ts: _ts, src: _src, ...rest } = e;
    const ts = keepTs ? keepTs[i] : e.ts;
    return { ...rest, seq: i + 1, ...(ts !== undefined ? { ts } : {}), ...(e.src !== undefined ? { src: e.src } : {}) } as TraceEvent;
  });
  return { header: t.header, events: out, ...(t.file !== undefined ? { file: t.file } : {}) };
}

function label(t: Trace, i: number): string {
  const e = t.events[i]!;
  return `#${i} (seq ${e.seq}, ${e.kind} on ${e.node})`;
}

function check(t: Trace, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= t.events.length) throw new RangeError(`no event ${i} (trace has ${t.events.length})`);
}

export function dropEvent(t: Trace, i: number): Mutant {
  check(t, i);
  const evs = t.events.filter((_, j) => j !== i);
  return { trace: rebuild(t, evs, null), description: `drop event ${label(t, i)}` };
}

export function duplicateEvent(t: Trace, i: number): Mutant {
  check(t, i);
  const evs = [...t.events.slice(0, i + 1), t.events[i]!, ...t.events.slice(i + 1)];
  return { trace: rebuild(t, evs, null), description: `duplicate event ${label(t, i)}` };
}

/** Swap events i and i+1 (timestamps stay with the positions). */
export function swapAdjacent(t: Trace, i: number): Mutant {
  check(t, i);
  check(t, i + 1);
  const evs = [...t.events];
  [evs[i], evs[i + 1]] = [evs[i + 1]!, evs[i]!];
  return { trace: rebuild(t, evs, t.events.map((e) => e.ts)), description: `swap events ${label(t, i)} and ${label(t, i + 1)}` };
}

/** Set field `field` of event i; without `value`: ints +1, bools flipped, strings get "-x". */
export function alterField(t: Trace, i: number, field: string, value?: FieldValue): Mutant {
  check(t, i);
  const e = t.events[i]!;
  const old = e.fields[field];
  const v: FieldValue = value !== undefined ? value
    : typeof old === 'number' ? old + 1 : typeof old === 'boolean' ? !old : `${old ?? ''}-x`;
  const evs = [...t.events];
  evs[i] = { ...e, fields: { ...e.fields, [field]: v } };
  return { trace: rebuild(t, evs, null), description: `set ${label(t, i)} field ${field}: ${JSON.stringify(old)} -> ${JSON.stringify(v)}` };
}

export function reattributeNode(t: Trace, i: number, node: string): Mutant {
  check(t, i);
  const e = t.events[i]!;
  const evs = [...t.events];
  evs[i] = { ...e, node };
  return { trace: rebuild(t, evs, null), description: `re-attribute ${label(t, i)} to node ${node}` };
}

export function reattributeConn(t: Trace, i: number, conn: TraceConn): Mutant {
  check(t, i);
  const e = t.events[i]!;
  const evs = [...t.events];
  evs[i] = { ...e, conn: { ...e.conn, ...conn } };
  return { trace: rebuild(t, evs, null), description: `re-attribute ${label(t, i)} to connection ${JSON.stringify(evs[i]!.conn)}` };
}

/**
 * Every single mutation of a small trace: drops, duplicates, adjacent swaps, each field altered
 * (+1 / flipped / suffixed, and -1 for ints), each event moved to every other node of the same
 * role, and conn.cid changed where present.
 */
export function* allMutations(t: Trace): Generator<Mutant> {
  const n = t.events.length;
  for (let i = 0; i < n; i++) yield dropEvent(t, i);
  for (let i = 0; i < n; i++) yield duplicateEvent(t, i);
  for (let i = 0; i + 1 < n; i++) yield swapAdjacent(t, i);
  for (let i = 0; i < n; i++) {
    const e = t.events[i]!;
    for (const [f, v] of Object.entries(e.fields)) {
      yield alterField(t, i, f);
      if (typeof v === 'number') yield alterField(t, i, f, v - 1);
    }
    const role = t.header.nodes.find((x) => x.name === e.node)?.role;
    for (const other of t.header.nodes) {
      if (other.name !== e.node && other.role === role) yield reattributeNode(t, i, other.name);
    }
    if (e.conn?.cid !== undefined) yield reattributeConn(t, i, { cid: e.conn.cid + 1 });
  }
}
