// Generic conformance validator: does some run of an ObservableModel explain a trace?
//
// Semantics (spec/trace.md, "Conformance"): each trace event is matched by one observation of one
// fired action. Observations whose kind is not observed by the trace (header `observes`) or whose
// node the trace does not record are dropped; an action left with none is silent and may fire at
// any time. An action with k > 1 observations matches its first to the current event; the rest are
// pending obligations, FIFO per node, that the following events of their node must match before any
// other event of that node. Fields are checked through per-run registers (FieldSpec). The trace may
// stop anywhere (prefix-closed; pending obligations at the end are fine). Events of different nodes
// whose `ts` differ by at most `toleranceMs` may be consumed in either order.
import type { ObservableModel } from '../model/observation.js';
import type { Kind } from '../model/vocabulary.js';
import type { Trace, TraceIssue } from './trace/types.js';
import { TraceInputError } from './trace/types.js';
import { Engine, type Cand } from './trace/reference-engine.js';
import { FastEngine, type Ctx } from './trace/fast-engine.js';
import { diagnose, eventRef, type Diagnosis, type EventRef } from './diagnose.js';

export interface ValidateOptions {
  /** Events of different nodes whose ts differ by at most this may be reordered (default 0). */
  readonly toleranceMs?: number;
  /** Give up when more candidates than this survive an event (default 2,000,000; 100,000 with the reference engine). */
  readonly maxCandidates?: number;
  /** Give up when the silent closure before one event exceeds this many states (default 4,000,000; 1,000,000 with the reference engine). */
  readonly maxClosure?: number;
  /** Overrides the header's `observes`. */
  readonly observes?: readonly Kind[];
  /** Compute a Diagnosis on failure (default true). */
  readonly diagnose?: boolean;
  /** Matched events shown before the failing one (default 5). */
  readonly context?: number;
  /** Candidate groups shown in a diagnosis (default 5). */
  readonly maxGroups?: number;
  /**
   * Candidate engine: "fast" (default; conformance/trace/fast-engine.ts) or "reference" (the
   * one-object-per-candidate engine, conformance/trace/reference-engine.ts). Both compute the same
   * candidate sets, so the same result (test/conformance/validate-diff.test.ts); a diagnosis may
   * show other members of the same candidate set first.
   */
  readonly engine?: 'fast' | 'reference';
  /**
   * The fast engine forgets what it has learnt about the model (states, edges, memoised sets)
   * whenever that exceeds this many MiB, keeping only the live candidate sets (default 1024).
   * Only time changes: the verdict and every candidate set are the same.
   */
  readonly memoryBudgetMB?: number;
  /**
   * The trace starts mid-run (a rotated log, an excerpt): judge it from the model states within
   * the deepest breadth-first layer that fits in `maxStates` (default 100,000) that can show a
   * first event, and those just after an action whose first events fell before the trace's first
   * one; each taken as closed under silent steps. Fast engine only. When
   * no such start explains an event the verdict is "gave-up" (limit "midRunStart"), not
   * "violates": a deeper state, or several actions cut at once, might have.
   */
  readonly midRun?: boolean | { readonly maxStates?: number };
}

/** Where the judgement started, for a trace that starts mid-run. */
export interface MidRunStart {
  /** Model states tried as the state at the trace's first event (before the silent closure). */
  readonly states: number;
  /** Every state within this many steps of the model's start. */
  readonly depth: number;
  /** Every reachable state was tried. */
  readonly complete: boolean;
  /** Start candidates: those of the states that can show a first event, and those just after an action the start cut. */
  readonly candidates: number;
}

export type Verdict = 'conforms' | 'violates' | 'gave-up' | 'error';

export interface CandidateSummary {
  /** Largest candidate set after any event. */
  readonly max: number;
  /** Index of the first event after which `max` candidates survived (-1: none consumed). */
  readonly maxAt: number;
  readonly mean: number;
  /** Events by candidate-set size: "1", "2-3", "4-7", "8-15", … -> count. */
  readonly histogram: Readonly<Record<string, number>>;
  /** Silent-closure states visited, summed over events, and the largest closure. */
  readonly closureTotal: number;
  readonly closureMax: number;
}

export interface GaveUp extends EventRef {
  readonly limit: 'maxCandidates' | 'maxClosure' | 'midRunStart';
  readonly value: number;
  readonly reason: string;
}

export interface ValidationResult {
  readonly verdict: Verdict;
  readonly file?: string;
  /** Events in the trace. */
  readonly events: number;
  /** Events explained before the verdict (all of them when "conforms"). */
  readonly matched: number;
  readonly settings: {
    readonly toleranceMs: number;
    readonly maxCandidates: number;
    readonly maxClosure: number;
    readonly interleaving: boolean;
    readonly observes: readonly Kind[] | 'all';
  };
  readonly stats: {
    /** Largest candidate set seen (same as candidates.max). */
    readonly maxCandidates: number;
    readonly candidates: CandidateSummary;
    readonly elapsedMs: number;
    readonly eventsPerSecond: number;
  };
  /** When "violates". */
  readonly failure?: Diagnosis;
  /** When "gave-up". */
  readonly gaveUp?: GaveUp;
  /** When "error" (see resultFromInputError). */
  readonly errors?: readonly TraceIssue[];
  /** When judged as starting mid-run (options.midRun). */
  readonly midRun?: MidRunStart;
  /**
   * When the preset's own sizes rejected the trace and its wider sizes judged it
   * (conformance/judge.ts): the settings changed, the event the own sizes could not explain, and
   * the time that first judgement took (the stats above are the wider judgement's).
   */
  readonly widened?: {
    readonly set: Readonly<Record<string, number>>;
    readonly rejectedAt: EventRef;
    readonly elapsedMs: number;
  };
}

/**
 * The caps are resource guards, not judgements. The fast engine keeps a candidate set as 4 bytes
 * per candidate and learns about 300-350 bytes per state it explores (measured on the genuine
 * three-replica run in bench/logs, whose largest candidate set holds 1.56 million states and whose
 * largest closure 2.4 million), so a closure of 4 million states stays under 2 GiB; the reference
 * engine needs about a kilobyte per candidate and keeps its old caps.
 */
export const DEFAULTS = {
  toleranceMs: 0, maxCandidates: 2_000_000, maxClosure: 4_000_000, context: 5, maxGroups: 5, memoryBudgetMB: 1024,
  reference: { maxCandidates: 100_000, maxClosure: 1_000_000 },
  midRunStates: 100_000,
} as const;

/** Exit code convention for the CLI: 0 conforms, 1 violates, 2 error, 3 gave-up. */
export function exitCode(v: Verdict): number {
  return v === 'conforms' ? 0 : v === 'violates' ? 1 : v === 'error' ? 2 : 3;
}

function bucket(n: number): string {
  if (n <= 1) return String(n);
  const lo = 2 ** Math.floor(Math.log2(n));
  return `${lo}-${lo * 2 - 1}`;
}

/** A ValidationResult for input that could not be read (verdict "error"). */
export function resultFromInputError(err: TraceInputError): ValidationResult {
  return {
    verdict: 'error',
    file: err.file,
    events: 0,
    matched: 0,
    settings: { toleranceMs: DEFAULTS.toleranceMs, maxCandidates: DEFAULTS.maxCandidates, maxClosure: DEFAULTS.maxClosure, interleaving: false, observes: 'all' },
    stats: { maxCandidates: 0, candidates: { max: 0, maxAt: -1, mean: 0, histogram: {}, closureTotal: 0, closureMax: 0 }, elapsedMs: 0, eventsPerSecond: 0 },
    errors: err.issues,
  };
}

/** Check the trace's nodes against the model's; throws TraceInputError (line 1) on a mismatch. */
function checkNodes(model: ObservableModel, trace: Trace): void {
  const known = new Set([...model.nodes, 'env']);
  const issues: TraceIssue[] = [];
  trace.header.nodes.forEach((n, i) => {
    if (!known.has(n.name)) {
      issues.push({
        file: trace.file ?? '<trace>', line: 1, pointer: `/nodes/${i}/name`,
        message: `node ${JSON.stringify(n.name)} does not exist in model ${model.name} (nodes: ${model.nodes.join(', ')})`,
      });
    }
  });
  const declared = new Set([...trace.header.nodes.map((n) => n.name), 'env']);
  trace.events.forEach((e, i) => {
    if (issues.length < 20 && !declared.has(e.node)) {
      issues.push({ file: trace.file ?? '<trace>', line: trace.lines?.[i] ?? 0, pointer: '/node', message: `unknown node ${JSON.stringify(e.node)} (not in the header)` });
    }
  });
  if (issues.length > 0) throw new TraceInputError(issues);
}

/**
 * Decide whether some run of `model` explains `trace`. Never runs forever: the candidate and
 * closure caps turn into verdict "gave-up". Throws TraceInputError when the trace names nodes the
 * model does not have.
 */
export function validate(model: ObservableModel, trace: Trace, options: ValidateOptions = {}): ValidationResult {
  checkNodes(model, trace);
  const t0 = performance.now();
  const toleranceMs = options.toleranceMs ?? DEFAULTS.toleranceMs;
  const caps = options.engine === 'reference' ? DEFAULTS.reference : DEFAULTS;
  const maxCandidates = options.maxCandidates ?? caps.maxCandidates;
  const maxClosure = options.maxClosure ?? caps.maxClosure;
  const engineOpts = { toleranceMs, maxCandidates, maxClosure, ...(options.observes ? { observes: options.observes } : {}) };
  const n = trace.events.length;
  const context = options.context ?? DEFAULTS.context;
  if (options.midRun && options.engine === 'reference') throw new Error('validate: a mid-run start needs the fast engine');
  let midRun: MidRunStart | undefined;
  let run: Runner;
  if (options.engine === 'reference') run = referenceRunner(new Engine(model, trace, engineOpts));
  else {
    const fast = new FastEngine(model, trace, engineOpts);
    run = fastRunner(fast, (options.memoryBudgetMB ?? DEFAULTS.memoryBudgetMB) * 2 ** 20);
    if (options.midRun) {
      const maxStates = typeof options.midRun === 'object' ? options.midRun.maxStates ?? DEFAULTS.midRunStates : DEFAULTS.midRunStates;
      const reach = fast.reachableIds(maxStates);
      const start = fast.initialMidRun(reach.ids);
      midRun = { states: reach.ids.length, depth: reach.depth, complete: reach.complete, candidates: fast.count(start) };
      const step = run.step;
      run = {
        ...run,
        initial: () => start,
        step: (cands, i) => {
          const out = step(cands, i);
          if (i === 0) fast.forgetStartClosures();
          return out;
        },
      };
    }
  }
  let ring: unknown[] = new Array(context + 1);

  const histogram: Record<string, number> = {};
  let maxC = 0;
  let maxAt = -1;
  let sum = 0;
  let closureTotal = 0;
  let closureMax = 0;
  let cands: unknown = run.initial();
  let step = 0;
  let failure: Diagnosis | undefined;
  let gaveUp: GaveUp | undefined;
  let lastBucketN = -1;
  let lastBucket = '';

  for (; step < n; step++) {
    ring[step % ring.length] = cands;
    const out = run.step(cands, step);
    closureTotal += out.closure;
    if (out.closure > closureMax) closureMax = out.closure;
    if (out.kind === 'ok') {
      cands = out.next;
      if (run.overBudget?.()) {
        const live = run.compact!([cands, ...ring]);
        cands = live[0];
        ring = live.slice(1);
      }
      const c = out.count;
      sum += c;
      if (c > maxC) {
        maxC = c;
        maxAt = step;
      }
      if (c !== lastBucketN) {
        lastBucketN = c;
        lastBucket = bucket(c);
      }
      histogram[lastBucket] = (histogram[lastBucket] ?? 0) + 1;
      continue;
    }
    const at = run.firstUnconsumed(cands, step);
    if (out.kind === 'empty') {
      if (options.diagnose !== false) {
        const from = Math.max(0, step - context);
        // the diagnosis re-runs the last events with the reference engine, which needs about a
        // kilobyte and tens of microseconds per candidate: sets larger than DIAGNOSIS_SAMPLE are
        // diagnosed from a sample (the reference engine's own cap was 100,000)
        const history = ring[from % ring.length];
        const large = run.count(cands) > DIAGNOSIS_SAMPLE || run.count(history) > DIAGNOSIS_SAMPLE;
        failure = diagnose(new Engine(model, trace, engineOpts), {
          step,
          index: at,
          candidates: run.toCands(cands, large ? DIAGNOSIS_SAMPLE : Infinity),
          history: run.toCands(history, large ? DIAGNOSIS_SAMPLE : Infinity),
          historyStep: from,
          ...(large ? { closureTotal: out.closure } : {}),
          maxGroups: options.maxGroups ?? DEFAULTS.maxGroups,
        });
      } else {
        failure = minimalDiagnosis(trace, at);
      }
    } else {
      const ref = eventRef(trace, at);
      gaveUp = out.kind !== 'candidate-cap'
        ? { ...ref, limit: 'maxClosure', value: maxClosure, reason: `the silent closure before event seq ${ref.seq} (index ${at}) exceeded ${maxClosure} states: the model's silent actions reach too many states (raise maxClosure or observe more kinds)` }
        : { ...ref, limit: 'maxCandidates', value: maxCandidates, reason: `${out.count} candidate runs explain the trace up to event seq ${ref.seq} (index ${at}), more than maxCandidates=${maxCandidates}: the trace does not pin the model state down (raise maxCandidates or observe more kinds)` };
    }
    break;
  }
  if (failure && midRun) {
    const ref = failure.event;
    gaveUp = {
      ...ref, limit: 'midRunStart', value: midRun.states,
      reason: `started mid-run: no run from the ${midRun.states} model states tried as the state at the first event (every state within ${midRun.depth} steps of the start${midRun.complete ? ', which is every reachable state' : ''}, each also just after one action cut by the log's start) explains event seq ${ref.seq}${ref.src ? ` [${ref.src}]` : ''}; ${midRun.complete ? 'several actions cut at once' : 'a deeper state, or several actions cut at once,'} might: undetermined, not a violation (${failure.message})`,
    };
    failure = undefined;
  }
  const elapsedMs = performance.now() - t0;
  const verdict: Verdict = failure ? 'violates' : gaveUp ? 'gave-up' : 'conforms';
  const matched = failure || gaveUp ? step : n;
  return {
    verdict,
    ...(trace.file !== undefined ? { file: trace.file } : {}),
    events: n,
    matched,
    settings: { toleranceMs, maxCandidates, maxClosure, interleaving: run.interleaving, observes: run.observed ? [...run.observed] as Kind[] : 'all' },
    stats: {
      maxCandidates: maxC,
      candidates: { max: maxC, maxAt, mean: matched > 0 ? sum / matched : 0, histogram, closureTotal, closureMax },
      elapsedMs,
      eventsPerSecond: elapsedMs > 0 ? Math.round((matched * 1000) / elapsedMs) : 0,
    },
    ...(failure ? { failure } : {}),
    ...(gaveUp ? { gaveUp } : {}),
    ...(midRun ? { midRun } : {}),
  };
}

/** One candidate engine as validate() drives it; candidate sets are opaque to the loop. */
interface Runner {
  readonly interleaving: boolean;
  readonly observed: ReadonlySet<string> | null;
  initial(): unknown;
  step(cands: unknown, step: number):
    | { readonly kind: 'ok'; readonly next: unknown; readonly count: number; readonly closure: number }
    | { readonly kind: 'empty' | 'closure-cap'; readonly closure: number }
    | { readonly kind: 'candidate-cap'; readonly count: number; readonly closure: number };
  firstUnconsumed(cands: unknown, step: number): number;
  /** The candidates (at most `limit`) in the reference engine's form (for the diagnosis). */
  toCands(cands: unknown, limit: number): readonly Cand[];
  /** Number of candidates. */
  count(cands: unknown): number;
  /** True when the engine holds more memory than its budget … */
  overBudget?(): boolean;
  /** … then this re-creates the live candidate sets (in order) in a fresh, empty engine memory. */
  compact?(live: readonly unknown[]): unknown[];
}

function referenceRunner(e: Engine): Runner {
  return {
    interleaving: e.interleaving,
    observed: e.observed,
    initial: () => e.initial(),
    step(cands, step) {
      const out = e.step(cands as readonly Cand[], step);
      return out.kind === 'ok' ? { ...out, count: out.next.length } : out;
    },
    firstUnconsumed: (cands, step) => e.firstUnconsumed(cands as readonly Cand[], step),
    toCands: (cands, limit) => (cands as readonly Cand[]).slice(0, limit),
    count: (cands) => (cands as readonly Cand[]).length,
  };
}

function fastRunner(e: FastEngine, budgetBytes: number): Runner {
  return {
    overBudget: () => e.overBudget(budgetBytes),
    compact: (live) => {
      // ring slots not yet filled stay empty
      const idx = live.map((x, i) => (x === undefined ? -1 : i)).filter((i) => i >= 0);
      const out = e.compact(idx.map((i) => live[i] as readonly Ctx[]));
      const res: unknown[] = new Array(live.length);
      idx.forEach((i, k) => (res[i] = out[k]));
      return res;
    },
    interleaving: e.interleaving,
    observed: e.observed,
    initial: () => e.initial(),
    step: (cands, step) => e.step(cands as readonly Ctx[], step),
    firstUnconsumed: (cands, step) => e.firstUnconsumed(cands as readonly Ctx[], step),
    toCands: (cands, limit) => e.toCands(cands as readonly Ctx[], limit),
    count: (cands) => e.count(cands as readonly Ctx[]),
  };
}

/** Candidate sets larger than this are diagnosed from a sample of this many. */
const DIAGNOSIS_SAMPLE = 20_000;

function minimalDiagnosis(trace: Trace, index: number): Diagnosis {
  const e = trace.events[index]!;
  return {
    event: eventRef(trace, index),
    node: e.node, kind: e.kind, fields: e.fields,
    message: `no run of the model explains event seq ${e.seq} (${e.kind} on ${e.node})`,
    before: [], candidates: { total: 0, shown: 0, common: {}, groups: [] }, emitters: { actions: [], exploredStates: 0, complete: false },
  };
}

export type { Diagnosis, EventRef } from './diagnose.js';
export { eventRef } from './diagnose.js';
