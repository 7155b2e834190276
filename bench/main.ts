// `npm run bench`: measured throughput of the checker and the conformance checker.
// Prints one table per part; every number is measured in this run (nothing is a target or a
// constant). Usage:
//   npm run bench [-- --parts check,sim,real,length] [--presets small,default,large] [--large-seconds S] [--events N]
//                 [--lengths 10000,100000,1000000] [--replicas 1,2,3] [--levels debug,notice]
//                 [--engines fast,reference] [--reference-lengths 10000] [--budget SECONDS]
// The real-log and length parts run every validation in a child process of its own (one line of
// JSON back), so that each row's peak memory (max RSS) is its own and a run that does not finish
// within --budget seconds is stopped: its row then says how far it got.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../engine/bfs.js';
import { buildModel } from '../model/index.js';
import { resolveConfig } from '../model/config.js';
import { simulateTrace } from '../conformance/simtrace.js';
import { formatTrace } from '../conformance/trace/write.js';
import { parseTrace } from '../conformance/trace/read.js';
import { validate } from '../conformance/validate.js';
import { logFilesOf } from '../conformance/logdir.js';
import { runJob, type EngineName, type Job, type JobResult } from './jobs.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const list = (name: string, def: string) => arg(name, def).split(',').filter(Boolean);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

// ---- child mode: one validation job -------------------------------------------------------------
const jobArg = arg('job', '');
if (jobArg !== '') {
  process.stdout.write(JSON.stringify(runJob(JSON.parse(jobArg) as Job)) + '\n');
  process.exit(0);
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const budget = Number(arg('budget', '90'));
const engines = list('engines', 'fast,reference') as EngineName[];

/** Runs a job in a child process; a child past the budget (plus set-up slack) is killed. */
function spawnJob(job: Job): JobResult {
  const slack = 120 + (job.kind !== 'real' ? job.events / 2_000 : 0);
  const r = spawnSync(process.execPath, ['--max-old-space-size=16384', path.join(HERE, 'main.js'), '--job', JSON.stringify(job)], {
    encoding: 'utf8', timeout: ((job.kind === 'generate' ? 0 : job.budgetSeconds) + slack) * 1000, maxBuffer: 1 << 26,
  });
  const last = r.stdout?.trim().split('\n').pop();
  if (r.status === 0 && last) return JSON.parse(last) as JobResult;
  return { verdict: r.error ? `killed (${r.error.message.split(' ').slice(-1)[0]})` : `crashed (${r.status ?? r.signal})`, events: 0, consumed: 0, seconds: 0, maxCandidates: 0, meanCandidates: 0, maxRssMiB: 0, finished: false, note: (r.stderr ?? '').trim().split('\n').slice(-3).join(' / ') };
}

function resultCells(r: JobResult, steady = false): string[] {
  const done = r.finished ? r.verdict : `${r.verdict} (budget)`;
  const cells = [done, `${fmt(r.consumed)}/${fmt(r.events)}`, fmt(r.maxCandidates), fmt(r.meanCandidates), fmt(r.seconds, 2), r.seconds > 0 ? fmt(r.consumed / r.seconds) : '-'];
  // events/s after the first tenth of the log (what a longer log costs per event)
  if (steady) cells.push(r.firstTenthSeconds !== undefined && r.consumed === r.events && r.seconds > r.firstTenthSeconds ? fmt((r.consumed * 0.9) / (r.seconds - r.firstTenthSeconds)) : '-');
  cells.push(fmt(r.maxRssMiB));
  return cells;
}

const parts = new Set(list('parts', 'check,sim,real,length'));
console.log(`replcheck bench — node ${process.version}, ${new Date().toISOString()}\n`);

// ---- 1. model checking --------------------------------------------------------------------------
if (parts.has('check')) {
  const presets = list('presets', 'small,default,large');
  const rows: string[][] = [];
  for (const p of presets) {
    const model = buildModel(resolveConfig(p));
    process.stderr.write(`checking preset ${p} …\n`);
    // large no longer closes (spec/model.md §12): a time budget, its row then says budget-exhausted
    const r = check(model, { deadlock: true, ...(p === 'large' ? { maxMs: Number(arg('large-seconds', '120')) * 1000 } : {}) });
    const s = r.durationMs / 1000;
    rows.push([p, r.verdict, fmt(r.distinctStates), fmt(r.generatedStates), fmt(s, 2), fmt(r.generatedStates / s), fmt(r.distinctStates / s), fmt(r.bytesPerState, 1), fmt(r.peakQueueBytes / 2 ** 20, 1)]);
  }
  console.log('## Model checking (one core, breadth-first; fingerprint table + discovery tree)\n');
  table(['preset', 'verdict', 'distinct', 'generated', 'seconds', 'generated/s', 'distinct/s', 'bytes/state', 'peak queue MiB'], rows);
  console.log();
}

// ---- 2. conformance on a simulated trace ----------------------------------------------------------
if (parts.has('sim')) {
  const wantEvents = Number(arg('events', '1000000'));
  const simPreset = 'default';
  const model = buildModel(resolveConfig(simPreset));
  let t0 = performance.now();
  const { trace } = simulateTrace(model, { seed: 11, steps: Math.ceil(wantEvents / 1.35), faultWeight: 0.05, isFault: (a) => model.instances[a]!.def.fault === true, preset: simPreset, set: {} });
  const tSim = (performance.now() - t0) / 1000;
  const text = formatTrace(trace);
  t0 = performance.now();
  const parsed = parseTrace(text, { file: '<bench>' });
  const tParse = (performance.now() - t0) / 1000;
  const vals: string[][] = [];
  for (const engine of engines) {
    t0 = performance.now();
    const v = validate(model, parsed, { engine });
    const tVal = (performance.now() - t0) / 1000;
    vals.push([`validate (${engine})`, fmt(tVal, 2), fmt(parsed.events.length / tVal), `verdict ${v.verdict}, max candidates ${v.stats.maxCandidates}`]);
  }
  const n = parsed.events.length;
  console.log(`## Conformance: simulated trace (preset ${simPreset}, seed 11, ${fmt(n)} events, ${fmt(text.length / 2 ** 20, 1)} MiB)\n`);
  table(['stage', 'seconds', 'events/s', 'note'], [
    ['simulate', fmt(tSim, 2), fmt(n / tSim), 'random walk + observations'],
    ['parse + schema', fmt(tParse, 2), fmt(n / tParse), 'JSON Lines, ajv per event'],
    ...vals,
  ]);
  console.log();
}

// ---- 3. conformance on real Valkey logs -----------------------------------------------------------
if (parts.has('real')) {
  const dirs: string[] = [];
  // the committed captures, the multi-replica runs, the chaos runs once rejected (three versions),
  // and the soak runs of `npm run soak` when there are any (.soak/<level>-<M>m/run, generated)
  const soak = path.join(process.cwd(), '.soak');
  const soakRoots = existsSync(soak) ? readdirSync(soak).sort().map((d) => path.join(soak, d)).filter((d) => existsSync(path.join(d, 'run'))) : [];
  for (const root of [path.join(process.cwd(), 'traces', 'valkey-8.0.1'), path.join(process.cwd(), 'bench', 'logs', 'valkey-8.0.1'), path.join(process.cwd(), 'traces', 'chaos'), ...soakRoots]) {
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root).sort()) {
      const dir = path.join(root, d);
      if (statSync(dir).isDirectory() && logFilesOf(dir).length >= 2) dirs.push(dir);
    }
  }
  const levels = list('levels', 'debug,notice') as ('debug' | 'notice')[];
  const rows: string[][] = [];
  const totals = new Map<string, { events: number; seconds: number }>();
  for (const level of levels) {
    for (const dir of dirs) {
      // the reference engine (the oracle, ~1 kB per candidate) only on the small committed captures
      const big = dir.includes(`${path.sep}traces${path.sep}chaos${path.sep}`) || dir.startsWith(soak);
      for (const engine of engines) {
        if (big && engine === 'reference') continue;
        process.stderr.write(`real log ${path.basename(dir)} (${level}, ${engine}) …\n`);
        const files = logFilesOf(dir);
        const r = spawnJob({ kind: 'real', files, level, engine, budgetSeconds: budget });
        const tot = totals.get(`${level} ${engine}`) ?? { events: 0, seconds: 0 };
        tot.events += r.consumed;
        tot.seconds += r.seconds;
        totals.set(`${level} ${engine}`, tot);
        const where = path.relative(process.cwd(), dir).replace(/^traces\/valkey-8\.0\.1\//, '').replace(/^\.soak\/([^/]+)\/run$/, 'soak $1');
        rows.push([where, level, String(files.length - 1), engine, ...resultCells(r)]);
      }
    }
  }
  console.log('## Conformance: real Valkey logs (traces/valkey-8.0.1, the multi-replica runs in bench/logs, the chaos runs in traces/chaos on 8.0.1/8.1.1/9.1.2, and `npm run soak` runs in .soak/ if any; read + convert + validate)\n');
  console.log('notice = the same files with their debug (.) and verbose (-) lines removed, as `loglevel notice` writes them; seconds = validation only (not reading and converting)\n');
  table(['scenario', 'level', 'replicas', 'engine', 'verdict', 'events judged', 'max candidates', 'mean candidates', 'seconds', 'events/s', 'max RSS MiB'], rows);
  console.log();
  for (const [k, t] of totals) console.log(`total ${k}: ${fmt(t.events)} events in ${fmt(t.seconds, 2)} s (${fmt(t.events / t.seconds)} events/s)`);
  console.log();
}

// ---- 4. per-event cost against log length ---------------------------------------------------------
if (parts.has('length')) {
  const lengths = list('lengths', '10000,100000,1000000').map(Number);
  const refLengths = new Set(list('reference-lengths', '10000').map(Number));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-bench-'));
  const rows: string[][] = [];
  for (const level of list('levels', 'debug,notice') as ('debug' | 'notice')[]) {
    for (const replicas of list('replicas', '1,2,3').map(Number)) {
      for (const events of lengths) {
        const file = path.join(tmp, `${replicas}-${level}-${events}.jsonl`);
        process.stderr.write(`log view: ${replicas} replica(s), ${level}, ${events} events: generating …\n`);
        const g = spawnJob({ kind: 'generate', replicas, level, events, file });
        if (g.verdict !== 'written') throw new Error(`generating ${file}: ${g.verdict} ${g.note ?? ''}`);
        for (const engine of engines) {
          if (engine === 'reference' && !refLengths.has(events)) continue;
          process.stderr.write(`log view: ${replicas} replica(s), ${level}, ${events} events (${engine}) …\n`);
          const r = spawnJob({ kind: 'length', replicas, level, events, engine, budgetSeconds: budget, file });
          rows.push([`${replicas} replica${replicas > 1 ? 's' : ''}`, level, fmt(events), engine, ...resultCells(r, true)]);
        }
        rmSync(file, { force: true });
      }
    }
  }
  console.log(`## Conformance: per-event cost against log length (simulated runs of the valkey preset seen as a log at that level; bench/logview.ts)\n`);
  console.log(`the reference engine only at ${[...refLengths].join(', ')} events (--reference-lengths)\n`);
  console.log(`each run reads its trace from a file (written by another process) and stops after ${budget} s of validation (--budget): its events/s is then over the events it got through; steady events/s = over the last nine tenths of the log; max RSS = the validating process (trace included)\n`);
  table(['replicas', 'level', 'events', 'engine', 'verdict', 'events judged', 'max candidates', 'mean candidates', 'seconds', 'events/s', 'steady events/s', 'max RSS MiB'], rows);
  console.log();
}

// (read a file so the bench fails loudly when run from elsewhere than the repository root)
readFileSync(path.join(process.cwd(), 'package.json'));
