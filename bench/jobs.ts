// One validation run of the benchmark, executed in a child process (bench/main.ts --job JSON):
// a real log (at debug level, or reduced to notice level) or a log view of a simulated run. The
// run stops after `budgetSeconds` of validation; its result says how far it got.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseTrace } from '../conformance/trace/read.js';
import { formatTrace } from '../conformance/trace/write.js';
import { traceFromLogs } from '../conformance/fromlogs.js';
import { readValkeyLogTexts } from '../conformance/valkeylog/index.js';
import { Engine, type Cand } from '../conformance/trace/reference-engine.js';
import { FastEngine, type Ctx } from '../conformance/trace/fast-engine.js';
import type { Trace } from '../conformance/trace/types.js';
import type { ObservableModel } from '../model/observation.js';
import { DEFAULTS } from '../conformance/validate.js';
import { resolveConfig } from '../model/config.js';
import { widerSettings } from '../conformance/judge.js';
import { buildModel } from '../model/index.js';
import { logViewModel, logViewTrace, type LogLevel } from './logview.js';

export type Job =
  | { readonly kind: 'real'; readonly files: readonly string[]; readonly level: LogLevel; readonly engine: EngineName; readonly budgetSeconds: number }
  | { readonly kind: 'length'; readonly replicas: number; readonly level: LogLevel; readonly events: number; readonly engine: EngineName; readonly budgetSeconds: number; readonly file?: string }
  /** Writes the log view of a length job to `file` (a trace file, as `replcheck validate` reads it). */
  | { readonly kind: 'generate'; readonly replicas: number; readonly level: LogLevel; readonly events: number; readonly file: string };

export type EngineName = 'fast' | 'reference';

export interface JobResult {
  readonly verdict: string;
  /** Events in the trace. */
  readonly events: number;
  /** Events consumed before the verdict or the budget. */
  readonly consumed: number;
  readonly seconds: number;
  readonly maxCandidates: number;
  readonly meanCandidates: number;
  readonly maxRssMiB: number;
  /** False when the budget stopped the run. */
  readonly finished: boolean;
  /** Seconds spent on the first tenth of the events consumed (the rest is the steady state). */
  readonly firstTenthSeconds?: number;
  readonly note?: string;
}

const LINE = /^\d+:[MSCX] \d{2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /;

/** A log file as `loglevel notice` would have written it: debug (.) and verbose (-) lines removed. */
export function atNotice(content: string): string {
  return content.split('\n').filter((l) => { const m = LINE.exec(l); return !m || (m[1] !== '.' && m[1] !== '-'); }).join('\n');
}

/** The model of the preset's wider sizes and the settings they change (conformance/judge.ts widerSettings). */
type Wider = () => { model: ObservableModel; set: Record<string, number> };

export function realTrace(files: readonly string[], level: LogLevel): { model: ObservableModel; trace: Trace; toleranceMs: number; wider?: Wider } {
  const texts = files.map((f) => ({ file: f, content: level === 'notice' ? atNotice(readFileSync(f, 'utf8')) : readFileSync(f, 'utf8') }));
  const conv = traceFromLogs(readValkeyLogTexts(texts));
  const h = conv.trace.header.model;
  const config = resolveConfig(h.preset, [h.set ?? {}]);
  const set = widerSettings(config, h.preset);
  // as `replcheck validate` judges a real log (conformance/judge.ts): the preset's wider sizes decide when its own reject it
  const wider = set ? () => ({ model: buildModel(resolveConfig(h.preset, [h.set ?? {}, set])), set }) : undefined;
  return { model: buildModel(config), trace: conv.trace, toleranceMs: conv.toleranceMs, ...(wider ? { wider } : {}) };
}

export function runJob(job: Job): JobResult {
  let model: ObservableModel;
  let trace: Trace;
  let toleranceMs = 5;
  if (job.kind === 'generate') {
    writeFileSync(job.file, formatTrace(logViewTrace(logViewModel(job.replicas), job.replicas, job.level, job.events)));
    return { verdict: 'written', events: job.events, consumed: 0, seconds: 0, maxCandidates: 0, meanCandidates: 0, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), finished: true };
  }
  let wider: Wider | undefined;
  if (job.kind === 'real') ({ model, trace, toleranceMs, wider } = realTrace(job.files, job.level));
  else {
    model = logViewModel(job.replicas);
    // read from the file a generator process wrote (so that the run's memory is what validating
    // that file takes), or made here
    trace = job.file !== undefined ? parseTrace(readFileSync(job.file, 'utf8'), { file: job.file }) : logViewTrace(model as ReturnType<typeof logViewModel>, job.replicas, job.level, job.events);
  }
  const run = (m: ObservableModel, budget: number) => (job.engine === 'fast' ? fastRun(m, trace, toleranceMs, budget) : referenceRun(m, trace, toleranceMs, budget));
  let r = run(model, job.budgetSeconds);
  if (r.verdict === 'violates' && wider) {
    // the verdict a user gets: judged again with the wider sizes; both runs' time is counted
    const w = wider();
    const r2 = run(w.model, Math.max(0, job.budgetSeconds - r.seconds));
    const sizes = Object.entries(w.set).map(([k, v]) => `${k}=${v}`).join(', ');
    r = { ...r2, verdict: `${r2.verdict} (wider sizes)`, seconds: r.seconds + r2.seconds, maxCandidates: Math.max(r.maxCandidates, r2.maxCandidates), note: `own sizes reject event ${r.consumed + 1}; wider sizes (${sizes}) judge it${r2.note ? `; ${r2.note}` : ''}` };
  }
  return { ...r, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

/** validate()'s step loop over an engine, stopped after `budget` seconds. */
function loop<C>(n: number, initial: C, stepFn: (c: C, i: number) => { kind: string; next?: C; count?: number }, budget: number): Omit<JobResult, 'maxRssMiB'> {
  const t0 = performance.now();
  let cands = initial;
  let max = 0;
  let sum = 0;
  let step_ = 0;
  let verdict = 'conforms';
  let tenth: number | undefined;
  for (; step_ < n; step_++) {
    if (step_ === Math.floor(n / 10) && n >= 1000) tenth = (performance.now() - t0) / 1000;
    if (performance.now() - t0 > budget * 1000) break;
    const out = stepFn(cands, step_);
    if (out.kind !== 'ok') {
      verdict = out.kind === 'empty' ? 'violates' : 'gave-up';
      break;
    }
    cands = out.next!;
    sum += out.count!;
    if (out.count! > max) max = out.count!;
  }
  const seconds = (performance.now() - t0) / 1000;
  const finished = step_ === n || verdict !== 'conforms';
  return { verdict: finished ? verdict : 'so far conforms', events: n, consumed: step_, seconds, maxCandidates: max, meanCandidates: step_ > 0 ? sum / step_ : 0, finished, ...(tenth !== undefined ? { firstTenthSeconds: tenth } : {}) };
}

/** validate()'s default caps for that engine. */
const engineOptions = (toleranceMs: number, caps: { maxCandidates: number; maxClosure: number }) => ({ toleranceMs, maxCandidates: caps.maxCandidates, maxClosure: caps.maxClosure });

function referenceRun(model: ObservableModel, trace: Trace, toleranceMs: number, budget: number): Omit<JobResult, 'maxRssMiB'> {
  const e = new Engine(model, trace, engineOptions(toleranceMs, DEFAULTS.reference));
  return loop<readonly Cand[]>(trace.events.length, e.initial(), (c, i) => {
    const out = e.step(c, i);
    return out.kind === 'ok' ? { kind: 'ok', next: out.next, count: out.next.length } : out;
  }, budget);
}

function fastRun(model: ObservableModel, trace: Trace, toleranceMs: number, budget: number): Omit<JobResult, 'maxRssMiB'> {
  const e = new FastEngine(model, trace, engineOptions(toleranceMs, DEFAULTS));
  const memory = DEFAULTS.memoryBudgetMB * 2 ** 20;
  const r = loop<readonly Ctx[]>(trace.events.length, e.initial(), (c, i) => {
    const out = e.step(c, i);
    // as validate() does: forget what was learnt when it exceeds the memory budget
    return out.kind === 'ok' && e.overBudget(memory) ? { ...out, next: e.compact([out.next])[0]! } : out;
  }, budget);
  const st = e.stats();
  return { ...r, note: `${st.states} states (${st.expanded} expanded), ${st.edges} edges, ${st.sets} sets (${st.setInts} ids), ${Math.round(st.memoryBytes / 2 ** 20)} MiB, ${st.compactions} compactions` };
}
