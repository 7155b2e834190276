// One point of `replcheck sweep`: a configuration checked for safety (`check`) or for liveness
// (`check --liveness`). `runPoint` is the whole job; run as a forked process, this module answers
// each job message with its result, so the sweep's grid runs on several cores.
import { check } from '../engine/bfs.js';
import { checkLiveness } from '../engine/liveness.js';
import { resolveConfig } from '../model/config.js';
import { buildModel, livenessOptions } from '../model/index.js';

export interface SweepJob {
  readonly index: number;
  readonly preset: string;
  /** Every override of this point: the fixed --set values and the grid's coordinates. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Liveness properties to check; undefined = a safety check. */
  readonly liveness?: readonly string[];
  readonly maxStates: number;
}

export interface SweepVerdict {
  /** A liveness property's id, or "safety". */
  readonly property: string;
  /** check's verdict (complete, violated, …) or liveness's (holds, violated, budget-exhausted). */
  readonly verdict: string;
  readonly states: number;
  /** Steps of the counterexample (a lasso: prefix + cycle). */
  readonly steps?: number;
  /** What was violated (safety: the invariant). */
  readonly what?: string;
}

export interface SweepPointResult {
  readonly index: number;
  readonly verdicts: readonly SweepVerdict[];
  readonly durationMs: number;
  /** The point could not be checked (e.g. its configuration is invalid): why. */
  readonly error?: string;
}

export function runPoint(job: SweepJob): SweepPointResult {
  const t0 = performance.now();
  try {
    const config = resolveConfig(job.preset, [{ ...job.settings }], `sweep point ${job.index + 1}`);
    const model = buildModel(config);
    const verdicts: SweepVerdict[] = [];
    if (job.liveness) {
      for (const id of job.liveness) {
        const prop = model.liveness.find((p) => p.id === id);
        if (!prop) throw new Error(`no liveness property ${id}; known: ${model.liveness.map((p) => p.id).join(', ')}`);
        const r = checkLiveness(model, prop, livenessOptions(model, job.maxStates));
        verdicts.push({ property: id, verdict: r.verdict, states: r.states, ...(r.lasso ? { steps: r.lasso.prefix.length - 1 + r.lasso.cycle.length - 1 } : {}) });
      }
    } else {
      const r = check(model, { maxStates: job.maxStates });
      verdicts.push({ property: 'safety', verdict: r.verdict, states: r.distinctStates, ...(r.violation ? { steps: r.violation.trace.length - 1, what: r.violation.invariant } : {}) });
    }
    return { index: job.index, verdicts, durationMs: performance.now() - t0 };
  } catch (e) {
    return { index: job.index, verdicts: [], durationMs: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
  }
}

// forked by the sweep: one job per message, one result per job
if (process.send && process.env.REPLCHECK_SWEEP_WORKER === '1') {
  process.on('message', (job: SweepJob) => { process.send!(runPoint(job)); });
  process.on('disconnect', () => process.exit(0));
}
