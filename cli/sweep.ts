// `replcheck sweep`: `check` (or `check --liveness`) over a grid of settings, one point per job,
// in forked worker processes (cli/sweep-worker.ts), printed as a table per property (rows: the
// first varied setting, columns: the second, one table per value of the others), as CSV or JSON.
// With --liveness each cell also says whether the design notes' loop relation (bug-zoo.md §20.3,
// model/loop-relation.ts) predicts the loop there, so a sweep measures that relation.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { CONFIG_SCHEMA, parseSetting, resolveConfig } from '../model/config.js';
import { buildModel } from '../model/index.js';
import { predictLoop } from '../model/loop-relation.js';
import { parseArgs, UsageError } from './args.js';
import type { SweepJob, SweepPointResult } from './sweep-worker.js';

export const SWEEP_USAGE = `usage: replcheck sweep [--preset P] --set KEY=A..B|KEY=A,B,C|KEY=V ... [--liveness [--property ID]]
                       [--jobs N] [--max-states N] [--csv FILE] [--json]
  checks every point of the grid the ranges span (integer settings: A..B inclusive, or a list A,B,C;
  booleans and enumerations: a list), in N worker processes (default: cores − 1, at least 1)
  --liveness: each point is checked for liveness (spec/model.md §10.1); the table also marks where the
  loop relation of bug-zoo.md §20.3 predicts otherwise (writeRate > 0, one replica, no soft limit)
  exit: 0 every point checked, 1 some point violated or could not be checked, 2 bad input`;

/** One varied setting and its values, in grid order. */
export interface Axis { readonly key: string; readonly values: readonly unknown[] }

/** A `--set` value: a range or list makes an axis, anything else a fixed setting. */
export function parseSweepSetting(kv: string): { fixed: [string, unknown] } | { axis: Axis } {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key=value, key=a..b or key=a,b,c; got "${kv}"`);
  const key = kv.slice(0, eq), raw = kv.slice(eq + 1);
  const prop = (CONFIG_SCHEMA.properties as Record<string, { type?: string }>)[key];
  if (!prop) return { fixed: parseSetting(kv) }; // parseSetting names the known settings
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(raw);
  if (range) {
    if (prop.type !== 'integer') throw new UsageError(`--set ${kv}: a range a..b needs an integer setting; ${key} is not one`);
    const a = Number(range[1]), b = Number(range[2]);
    if (b < a) throw new UsageError(`--set ${kv}: the range is empty (${b} < ${a})`);
    if (b - a > 63) throw new UsageError(`--set ${kv}: ${b - a + 1} values; a sweep axis takes at most 64`);
    return { axis: { key, values: Array.from({ length: b - a + 1 }, (_, i) => a + i) } };
  }
  // an array setting takes a comma-separated value of its own: it is never an axis
  if (raw.includes(',') && prop.type !== 'array') {
    const values = raw.split(',').map((v) => parseSetting(`${key}=${v.trim()}`)[1]);
    if (new Set(values.map(String)).size !== values.length) throw new UsageError(`--set ${kv}: a value is listed twice`);
    return { axis: { key, values } };
  }
  return { fixed: parseSetting(kv) };
}

/** The grid's points in row-major order (the last axis varies fastest). */
export function gridPoints(axes: readonly Axis[]): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  return points;
}

export interface SweepCell {
  readonly settings: Readonly<Record<string, unknown>>;
  readonly result: SweepPointResult;
  /** §20.3's prediction at this point (liveness sweeps only; undefined where it gives none). */
  readonly predicted?: { readonly loop: boolean; readonly relation: string };
}

/** Runs the jobs on `jobs` forked workers; results in job order. */
export async function runJobs(list: readonly SweepJob[], jobs: number, onDone?: (r: SweepPointResult, done: number) => void): Promise<SweepPointResult[]> {
  const results: SweepPointResult[] = new Array(list.length);
  if (list.length === 0) return results;
  const workerFile = fileURLToPath(new URL('./sweep-worker.js', import.meta.url));
  let next = 0, done = 0;
  const workers: ChildProcess[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (w: ChildProcess) => {
        if (next >= list.length) return;
        w.send(list[next++]!);
      };
      for (let k = 0; k < Math.min(jobs, list.length); k++) {
        const w = fork(workerFile, [], { env: { ...process.env, REPLCHECK_SWEEP_WORKER: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        workers.push(w);
        let busy = true;
        w.on('message', (r: SweepPointResult) => {
          results[r.index] = r;
          done++;
          onDone?.(r, done);
          if (done === list.length) resolve();
          else if (next < list.length) feed(w);
          else busy = false;
        });
        w.on('exit', (code) => { if (busy && done < list.length) reject(new Error(`sweep worker ${w.pid} exited (code ${code}) with a job unfinished`)); });
        feed(w);
      }
    });
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill();
  }
  return results;
}

export async function runSweep(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const p = parseArgs(argv, {
    preset: { type: 'string' }, set: { type: 'string', repeat: true }, liveness: { type: 'bool' }, property: { type: 'string', repeat: true },
    jobs: { type: 'int' }, 'max-states': { type: 'int' }, csv: { type: 'string' }, json: { type: 'bool' }, help: { type: 'bool' },
  });
  if (p.flags.help) { out(SWEEP_USAGE); return 0; }
  if (p.positional.length) throw new UsageError(`sweep takes no positional arguments (got "${p.positional[0]}")`);
  const preset = (p.flags.preset as string | undefined) ?? 'small';
  const fixed: Record<string, unknown> = {};
  const axes: Axis[] = [];
  for (const kv of (p.flags.set as string[] | undefined) ?? []) {
    const s = parseSweepSetting(kv);
    const key = 'fixed' in s ? s.fixed[0] : s.axis.key;
    if (key in fixed || axes.some((a) => a.key === key)) throw new UsageError(`--set ${key} is given twice`);
    if ('fixed' in s) fixed[key] = s.fixed[1]; else axes.push(s.axis);
  }
  if (axes.length === 0) throw new UsageError('sweep needs at least one range or list: --set KEY=A..B or --set KEY=A,B,C');
  if (p.flags.property !== undefined && !p.flags.liveness) throw new UsageError('--property goes with --liveness');
  const points = gridPoints(axes);
  if (points.length > 4096) throw new UsageError(`the grid has ${points.length} points; at most 4096`);
  // every point's configuration is resolved here first, so a bad one is reported before any work
  const configs = points.map((pt, k) => resolveConfig(preset, [{ ...fixed, ...pt }], `sweep point ${k + 1} (${settingText(pt)})`));
  const liveIds = buildModel(configs[0]!).liveness.map((l) => l.id);
  const props = p.flags.liveness ? ((p.flags.property as string[] | undefined) ?? liveIds) : undefined;
  for (const id of props ?? []) if (!liveIds.includes(id)) throw new UsageError(`--property ${id}: unknown; known: ${liveIds.join(', ')}`);
  const jobs = Math.max(1, (p.flags.jobs as number | undefined) ?? availableParallelism() - 1);
  const maxStates = (p.flags['max-states'] as number | undefined) ?? 5_000_000;
  const list: SweepJob[] = points.map((pt, index) => ({ index, preset, settings: { ...fixed, ...pt }, maxStates, ...(props ? { liveness: props } : {}) }));
  const t0 = performance.now();
  const tty = process.stderr.isTTY === true;
  const results = await runJobs(list, jobs, (_, done) => { if (tty) err(`\r${done}/${list.length} points`); });
  if (tty) err('\r\x1b[K');
  const cells: SweepCell[] = points.map((pt, k) => {
    const pred = props ? predictLoop(configs[k]!) : undefined;
    return { settings: pt, result: results[k]!, ...(pred ? { predicted: pred } : {}) };
  });
  const seconds = (performance.now() - t0) / 1000;
  if (p.flags.csv !== undefined) {
    writeFileSync(p.flags.csv as string, sweepCsv(axes, cells));
    err(`wrote ${p.flags.csv as string} (${cells.length} points)\n`);
  }
  if (p.flags.json) out(JSON.stringify({ preset, fixed, axes, jobs, seconds: Number(seconds.toFixed(2)), points: cells }, null, 2));
  else out(formatSweep(preset, fixed, axes, cells, props ?? ['safety'], jobs, seconds));
  const bad = cells.some((c) => c.result.error !== undefined || c.result.verdicts.some((v) => v.verdict === 'violated' || v.verdict === 'budget-exhausted'));
  return bad ? 1 : 0;
}

const settingText = (s: Readonly<Record<string, unknown>>) => Object.entries(s).map(([k, v]) => `${k}=${String(v)}`).join(' ');

/** One letter per verdict: V a counterexample (violated), · proved (complete / holds), ? not to the end, ! no result. */
function mark(c: SweepCell, property: string): string {
  if (c.result.error !== undefined) return '!';
  const v = c.result.verdicts.find((x) => x.property === property);
  if (!v) return '!';
  const m = v.verdict === 'violated' ? 'V' : v.verdict === 'complete' || v.verdict === 'holds' ? '·' : '?';
  // a cell where §20.3 predicts otherwise is starred
  if (c.predicted && (m === 'V' || m === '·') && c.predicted.loop !== (m === 'V')) return m + '*';
  return m;
}

export function formatSweep(preset: string, fixed: Readonly<Record<string, unknown>>, axes: readonly Axis[], cells: readonly SweepCell[], props: readonly string[], jobs: number, seconds: number): string {
  const lines = [`sweep: preset ${preset}${Object.keys(fixed).length ? `, ${settingText(fixed)}` : ''}; ${cells.length} points on ${jobs} worker(s), ${seconds.toFixed(1)} s`,
    'V violated (a counterexample; for liveness a fair lasso), · complete / holds, ? budget exhausted, ! not checked' + (cells.some((c) => c.predicted) ? '; * the loop relation of bug-zoo.md §20.3 predicts the other verdict' : '')];
  const [rowAxis, colAxis, ...rest] = axes;
  const col = colAxis ?? { key: '', values: [''] };
  const restPoints = gridPoints(rest);
  const at = (pt: Record<string, unknown>) => cells.find((c) => Object.entries(pt).every(([k, v]) => c.settings[k] === v))!;
  for (const prop of props) {
    for (const rp of restPoints) {
      lines.push('', `${prop}${Object.keys(rp).length ? ` at ${settingText(rp)}` : ''}: rows ${rowAxis!.key}${colAxis ? `, columns ${colAxis.key}` : ''}`);
      const head = [`${rowAxis!.key}${colAxis ? `\\${colAxis.key}` : ''}`, ...col.values.map(String)];
      const rows = rowAxis!.values.map((rv) => [String(rv), ...col.values.map((cv) => mark(at({ ...rp, [rowAxis!.key]: rv, ...(colAxis ? { [colAxis.key]: cv } : {}) }), prop))]);
      const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
      for (const r of [head, ...rows]) lines.push(r.map((x, k) => x.padStart(w[k]!)).join('  '));
    }
  }
  const differ = cells.filter((c) => props.some((pr) => mark(c, pr).endsWith('*')));
  if (cells.some((c) => c.predicted)) lines.push('', `§20.3's relation: ${cells.filter((c) => c.predicted).length - differ.length} of ${cells.filter((c) => c.predicted).length} points agree${differ.length ? `; differs at ${differ.slice(0, 8).map((c) => `[${settingText(c.settings)}] (${c.predicted!.relation})`).join(', ')}${differ.length > 8 ? ', …' : ''}` : ''}`);
  const errs = cells.filter((c) => c.result.error !== undefined);
  for (const c of errs.slice(0, 5)) lines.push(`! [${settingText(c.settings)}]: ${c.result.error!}`);
  return lines.join('\n');
}

export function sweepCsv(axes: readonly Axis[], cells: readonly SweepCell[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [[...axes.map((a) => a.key), 'property', 'verdict', 'states', 'steps', 'what', 'predicted_loop', 'relation', 'ms', 'error'].join(',')];
  for (const c of cells) {
    const vs = c.result.verdicts.length ? c.result.verdicts : [undefined];
    for (const v of vs) {
      rows.push([...axes.map((a) => String(c.settings[a.key])), v?.property ?? '', v?.verdict ?? '', v ? String(v.states) : '', v?.steps !== undefined ? String(v.steps) : '', v?.what ?? '',
        c.predicted ? String(c.predicted.loop) : '', c.predicted?.relation ?? '', String(Math.round(c.result.durationMs)), c.result.error ?? ''].map(q).join(','));
    }
  }
  return rows.join('\n') + '\n';
}
