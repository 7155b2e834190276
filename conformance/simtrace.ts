// Simulated runs as traces: a seeded random walk of the model (engine/simulate.ts), each step's
// observations turned into trace events with concrete values. Concrete values are made the way a
// real server would make them: offsets count bytes of the stream (here one per write), client ids
// come from one counter, and every value a register ties to an earlier one is taken from it.
import { simulate } from '../engine/simulate.js';
import type { FieldSpec, ObservableModel } from '../model/observation.js';
import { TRACE_FORMAT, TRACE_VERSION, type FieldValue, type Trace, type TraceEvent } from './trace/types.js';
import { KINDS, fieldsOf, type Kind } from '../model/vocabulary.js';

/** A value a real server could log where the model leaves a string field open. */
const ANY_STRING: Record<string, string> = { reason: 'replid', cmd: 'psync', class: 'replica' };

export interface SimTraceOptions {
  readonly seed: number;
  readonly steps: number;
  /** Weight of each enabled fault action relative to 1 for every other action. */
  readonly faultWeight: number;
  /** Is action i a fault? */
  readonly isFault: (action: number) => boolean;
  readonly preset: string;
  readonly set: Record<string, unknown>;
}

/** `initIndex` and `actions`: the model path itself (engine/replay.ts replays it, e.g. for `simulate --itf`). */
export function simulateTrace(model: ObservableModel, o: SimTraceOptions): { trace: Trace; end: string; steps: number; initIndex: number; actions: readonly number[] } {
  const regs = new Map<string, FieldValue>();
  let written = 1000; // the concrete replication offset: the stream starts somewhere real
  let nextId = 3; // client ids: a few are taken by the server itself
  const events: TraceEvent[] = [];
  let nextReplid = 1;
  const concrete = (kind: Kind, field: string, spec: FieldSpec): FieldValue => {
    // replication ids are 40 hex digits; a fresh one per binding
    const fresh = (): FieldValue => (fieldsOf(kind)[field]?.type === 'string' ? (nextReplid++).toString(16).padStart(40, '0') : /offset|endoff/.test(field) ? written : nextId++);
    switch (spec.op) {
      case 'lit': return spec.value;
      case 'in': return spec.values[0]!;
      case 'any': {
        const type = fieldsOf(kind)[field]?.type;
        if (type === 'string') return ANY_STRING[field] ?? 'unknown';
        if (type === 'bool') return false;
        return /offset|endoff/.test(field) ? written + 1 : nextId++;
      }
      case 'set': { const v = fresh(); regs.set(spec.reg, typeof v === 'number' ? v - (spec.plus ?? 0) : v); return v; }
      case 'eq': case 'ge': {
        const r = regs.get(spec.reg);
        if (typeof r === 'number') return r + (spec.plus ?? 0);
        if (typeof r === 'string') return r;
        const v = fresh();
        if (spec.op === 'eq') regs.set(spec.reg, typeof v === 'number' ? v - (spec.plus ?? 0) : v);
        return v;
      }
      case 'ne': return fresh();
      case 'mono': {
        // the primary's offset: the writes so far, never below what an earlier line named
        const r = regs.get(spec.reg);
        const v = Math.max(written, typeof r === 'number' ? r + (spec.plus ?? 0) : written);
        regs.set(spec.reg, v - (spec.plus ?? 0));
        return v;
      }
    }
  };
  const res = simulate(model, {
    seed: o.seed,
    steps: o.steps,
    weight: (a) => (o.isFault(a) ? o.faultWeight : 1),
    onStep: (action, prev, next) => {
      for (const ob of model.observe(prev, action, next)) {
        if (ob.kind === 'primary.write') written++;
        const fields: Record<string, FieldValue> = {};
        for (const [k, spec] of Object.entries(ob.fields)) fields[k] = concrete(ob.kind, k, spec);
        for (const r of ob.clear ?? []) regs.delete(r);
        const def = KINDS[ob.kind];
        const conn = 'conn' in def ? { channel: def.conn } : undefined;
        events.push({ seq: events.length + 1, node: ob.node, kind: ob.kind, ...(conn ? { conn } : {}), fields });
      }
    },
  });
  const trace: Trace = {
    header: {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      source: 'simulated',
      nodes: model.nodes.map((name) => ({ name, role: name === 'primary' ? 'primary' : 'replica' })),
      // trace headers carry scalar settings: lists as comma-separated strings (resolveConfig reads them back)
      model: { preset: o.preset, set: Object.fromEntries(Object.entries(o.set).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])) as Record<string, FieldValue> },
      meta: { tool: 'replcheck simulate', seed: o.seed, steps: o.steps, faultWeight: o.faultWeight, end: res.end, modelSteps: res.actions.length },
    },
    events,
  };
  return { trace, end: res.end, steps: res.actions.length, initIndex: res.initIndex, actions: res.actions };
}
