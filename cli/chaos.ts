// `replcheck chaos`: a campaign of seeded chaos runs (capture/chaos.ts) against one Valkey version,
// each genuine run judged by `replcheck validate` in a child process (so judging run k overlaps
// capturing run k+1), then a table: runs, genuine, in sync, verdicts, events/s, failing seeds.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chaosProgram } from '../capture/chaos-program.js';
import { runChaos, type ChaosResult } from '../capture/chaos.js';
import { logFilesOf } from '../conformance/logdir.js';
import { parseArgs, UsageError } from './args.js';

export const CHAOS_USAGE = `usage: replcheck chaos --runs N [--version 8.0.1|8.1.1|9.1.2 | --valkey-server BIN] [--seed-from S] [--seeds A,B,...]
                       [--out DIR] [--duration S] [--max-replicas N] [--jobs J] [--json]
       replcheck chaos --rejudge DIR [--jobs J] [--json]
  runs N chaos programs (seeds S, S+1, ...; default S = 1) on real servers, judges each genuine run, prints a
  table; --version V uses .valkey/V/bin/valkey-server (.ci/fetch-valkey.sh V) except for the installed
  8.0.1; --jobs J judges up to J runs at once (default 1) while the next run is captured
  --rejudge DIR judges the runs of an earlier campaign again (DIR/seed-*/, each with its meta.json) with this
  model, without running Valkey, and writes DIR/campaign.json anew
  exit: 0 every genuine run conforms, 1 some genuine run violates or gave up, 2 bad input`;

/** The package's root (its package.json), from dist/cli/ or, under the tests, cli/. */
function packageRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('replcheck: no package.json above ' + fileURLToPath(import.meta.url));
    d = up;
  }
  return d;
}
const ROOT = packageRoot();
/** The compiled CLI, run by validateInChild. */
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

export interface CampaignRow {
  seed: number;
  replicas: number;
  genuine: boolean;
  inSync: boolean;
  verdict: 'conforms' | 'violates' | 'gave-up' | 'error' | 'not judged';
  events: number;
  validateMs: number;
  captureMs: number;
  detail: string;
  dir: string;
}

/** The binary of a version: the installed one for 8.0.1 when it is that version, else the fetched wrapper. */
export function binaryForVersion(v: string): string {
  const fetched = path.join(ROOT, '.valkey', v, 'bin', 'valkey-server');
  if (existsSync(fetched)) return fetched;
  if (v === '8.0.1') return 'valkey-server';
  throw new UsageError(`no Valkey ${v} at ${fetched}: run bash .ci/fetch-valkey.sh ${v}`);
}

/** What `replcheck validate FILE... --json` printed, parsed, with its text. */
export interface ChildVerdict {
  verdict: CampaignRow['verdict'];
  events: number;
  matched: number;
  failure?: { message?: string };
  gaveUp?: { reason?: string };
  /** The preset's own sizes rejected the run and its wider sizes judged it (conformance/judge.ts). */
  widened?: { set: Record<string, number>; rejectedAt: { seq: number; src?: string } };
  stdout: string;
}

/**
 * Judge log files with `replcheck validate --json` in a child process: a long validation holds
 * neither this process's event loop nor its heap. Rejects when validate prints no JSON.
 */
export function validateInChild(files: readonly string[], timeoutMs = 20 * 60_000): Promise<ChildVerdict> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--max-old-space-size=8192', MAIN, 'validate', ...files, '--json'], { maxBuffer: 256 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      try {
        resolve({ ...(JSON.parse(stdout) as Omit<ChildVerdict, 'stdout'>), stdout });
      } catch {
        reject(new Error(`validate failed: ${(err?.message ?? '') + stderr.slice(0, 300)}`));
      }
    });
  });
}

async function judge(dir: string): Promise<{ verdict: CampaignRow['verdict']; events: number; ms: number; detail: string }> {
  const t0 = Date.now();
  try {
    const r = await validateInChild(logFilesOf(dir));
    writeFileSync(path.join(dir, 'verdict.json'), r.stdout);
    const detail = r.failure ? `${r.failure.message ?? ''}` : r.gaveUp ? `gave up: ${r.gaveUp.reason ?? ''}` : '';
    return { verdict: r.verdict, events: r.events, ms: Date.now() - t0, detail: detail.split('\n')[0]!.slice(0, 300) };
  } catch (e) {
    return { verdict: 'error', events: 0, ms: Date.now() - t0, detail: (e as Error).message };
  }
}

export async function runChaosCampaign(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) { out(CHAOS_USAGE); return 0; }
  const p = parseArgs(argv, {
    runs: { type: 'int' }, 'seed-from': { type: 'int' }, seeds: { type: 'string' }, version: { type: 'string' },
    'valkey-server': { type: 'string' }, out: { type: 'string' }, duration: { type: 'int' }, 'max-replicas': { type: 'int' },
    jobs: { type: 'int' }, json: { type: 'bool' }, rejudge: { type: 'string' },
  });
  if (p.positional.length > 0) throw new UsageError(`unexpected argument ${p.positional[0]}\n${CHAOS_USAGE}`);
  /** An int flag within [min, max] (parseArgs has checked it is a whole number). */
  const within = (name: string, min: number, max: number): number | undefined => {
    const v = p.flags[name] as number | undefined;
    if (v !== undefined && (v < min || v > max)) throw new UsageError(`--${name} expects an integer in [${min}, ${max}], got ${v}`);
    return v;
  };
  const MAX_SEED = 2 ** 31 - 1;
  const runs = within('runs', 1, 100_000);
  const from = within('seed-from', 0, MAX_SEED) ?? 1;
  const seeds = p.flags.seeds === undefined ? undefined : String(p.flags.seeds).split(',').map((x) => {
    if (!/^\d+$/.test(x) || Number(x) > MAX_SEED) throw new UsageError(`--seeds expects integers in [0, ${MAX_SEED}] separated by commas, got ${JSON.stringify(x)}`);
    return Number(x);
  });
  if (p.flags.rejudge !== undefined) {
    for (const f of ['runs', 'seeds', 'seed-from', 'version', 'valkey-server', 'out', 'duration', 'max-replicas']) {
      if (p.flags[f] !== undefined) throw new UsageError(`--rejudge judges recorded runs: --${f} does not apply`);
    }
    return rejudge(String(p.flags.rejudge), within('jobs', 1, 16) ?? 1, p.flags.json === true, out, err);
  }
  const version = p.flags.version as string | undefined;
  let bin = p.flags['valkey-server'] as string | undefined;
  const outDir = p.flags.out as string | undefined;
  const durationS = within('duration', 1, 600);
  const maxReplicas = within('max-replicas', 1, 3);
  const jobs = within('jobs', 1, 16) ?? 1;
  const json = p.flags.json === true;
  const list = seeds ?? (runs !== undefined ? Array.from({ length: runs }, (_, k) => from + k) : undefined);
  if (!list || list.length === 0) throw new UsageError(`--runs N or --seeds A,B,... is required\n${CHAOS_USAGE}`);
  if (version !== undefined && bin === undefined) bin = binaryForVersion(version);
  const label = version ?? 'default';
  const root = path.resolve(outDir ?? path.join('.chaos', label));
  mkdirSync(root, { recursive: true });
  const rowsFile = path.join(root, 'campaign.jsonl');
  const judging = new Judging(rowsFile, jobs, (row) => err(`[chaos ${label}] ${rowLine(row, true)}\n`));
  for (const seed of list) {
    const program = chaosProgram(seed, { ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}), ...(maxReplicas !== undefined ? { maxReplicas } : {}) });
    const dir = path.join(root, `seed-${seed}`);
    let r: ChaosResult;
    try {
      r = await runChaos(program, dir, bin !== undefined ? { valkeyServer: bin } : {});
    } catch (e) {
      throw new UsageError(`cannot run the chaos program: ${(e as Error).message}`);
    }
    await judging.add({ seed, replicas: program.setup.replicas, genuine: r.genuine, inSync: r.inSync, verdict: 'not judged', events: 0, validateMs: 0, captureMs: r.durationMs, detail: r.notes.join('; '), dir });
  }
  return report(await judging.done(), label, root, rowsFile, json, out);
}

/** The campaign's table (or JSON summary), campaign.json beside the runs, and the exit code. */
function report(rows: CampaignRow[], label: string, root: string, rowsFile: string, json: boolean, out: (s: string) => void): number {
  rows.sort((a, b) => a.seed - b.seed);
  const genuine = rows.filter((r) => r.genuine);
  const count = (v: CampaignRow['verdict']) => genuine.filter((r) => r.verdict === v).length;
  const rates = genuine.filter((r) => r.events > 0 && r.validateMs > 0).map((r) => r.events / (r.validateMs / 1000)).sort((a, b) => a - b);
  const median = rates.length ? rates[Math.floor(rates.length / 2)]! : 0;
  const summary = {
    version: label, runs: rows.length, genuine: genuine.length, inSync: genuine.filter((r) => r.inSync).length,
    conforms: count('conforms'), violates: count('violates'), gaveUp: count('gave-up'), errors: count('error'),
    events: genuine.reduce((s, r) => s + r.events, 0), medianEventsPerSecond: Math.round(median),
    failures: genuine.filter((r) => r.verdict !== 'conforms').map((r) => ({ seed: r.seed, verdict: r.verdict, replicas: r.replicas, detail: r.detail, dir: r.dir })),
    notGenuine: rows.filter((r) => !r.genuine).map((r) => ({ seed: r.seed, why: r.detail })),
  };
  writeFileSync(path.join(root, 'campaign.json'), JSON.stringify({ summary, rows }, null, 2) + '\n');
  if (json) out(JSON.stringify(summary, null, 2));
  else {
    out(`chaos campaign, Valkey ${label}: ${summary.runs} runs, ${summary.genuine} genuine (${summary.inSync} with every replica in sync), ` +
      `${summary.conforms} conform, ${summary.violates} violate, ${summary.gaveUp} gave up, ${summary.errors} errors; ${summary.events} events, median ${summary.medianEventsPerSecond} events/s of validation`);
    for (const f of summary.failures) out(`  seed ${f.seed} (${f.replicas} replica(s)): ${f.verdict}: ${f.detail}  [${f.dir}]`);
    for (const f of summary.notGenuine) out(`  seed ${f.seed}: not genuine: ${f.why}`);
    out(`rows: ${rowsFile}`);
  }
  return summary.violates + summary.gaveUp + summary.errors > 0 ? 1 : 0;
}

/** The recorded run of a campaign folder: its meta.json (written by capture/chaos.ts). */
interface RecordedRun { seed: number; replicas: number; genuine: boolean; inSync: boolean; durationMs: number; notes: string[] }

function recordedRun(dir: string): RecordedRun | null {
  const metaFile = path.join(dir, 'meta.json');
  if (!existsSync(metaFile)) return null;
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${metaFile}: not JSON (${(e as Error).message})`);
  }
  if (meta.chaos !== true || !Number.isInteger(meta.seed) || typeof meta.genuine !== 'boolean') throw new UsageError(`${metaFile}: not the record of a chaos run (expected chaos, seed, genuine)`);
  const replicas = Object.keys((meta.servers ?? {}) as object).filter((k) => k !== 'primary').length;
  return { seed: meta.seed as number, replicas, genuine: meta.genuine, inSync: meta.inSync === true, durationMs: Number(meta.durationMs ?? 0), notes: Array.isArray(meta.notes) ? (meta.notes as string[]) : [] };
}

/** `--rejudge DIR`: every recorded run of DIR (its seed-N folders with a meta.json) judged again by this model. */
async function rejudge(dirArg: string, jobs: number, json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const root = path.resolve(dirArg);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--rejudge ${dirArg}: not a folder`);
  const runs = readdirSync(root).filter((d) => /^seed-\d+$/.test(d)).map((d) => path.join(root, d)).filter((d) => statSync(d).isDirectory());
  const recorded: [string, RecordedRun][] = [];
  for (const d of runs) {
    const r = recordedRun(d);
    if (r) recorded.push([d, r]);
  }
  if (recorded.length === 0) throw new UsageError(`--rejudge ${dirArg}: no recorded chaos runs here (expected seed-N/ folders with a meta.json)`);
  const label = `${path.basename(root)} (rejudged)`;
  const rowsFile = path.join(root, 'campaign.jsonl');
  writeFileSync(rowsFile, '');
  const judging = new Judging(rowsFile, jobs, (row) => err(`[rejudge] ${rowLine(row, false)}\n`));
  for (const [dir, r] of recorded.sort((a, b) => a[1].seed - b[1].seed)) {
    await judging.add({ seed: r.seed, replicas: r.replicas, genuine: r.genuine, inSync: r.inSync, verdict: 'not judged', events: 0, validateMs: 0, captureMs: r.durationMs, detail: r.notes.join('; '), dir });
  }
  return report(await judging.done(), label, root, rowsFile, json, out);
}

/** One progress line about a judged (or not genuine) run. */
function rowLine(row: CampaignRow, withSync: boolean): string {
  return `seed ${row.seed}: ${row.replicas} replica(s), ${row.genuine ? 'genuine' : 'not genuine'}, ${withSync ? `${row.inSync ? 'in sync' : 'NOT in sync'}, ` : ''}${row.verdict}` +
    `${row.events ? ` (${row.events} events, ${(row.validateMs / 1000).toFixed(1)} s)` : ''}${row.verdict !== 'conforms' && row.detail ? `: ${row.detail}` : ''}`;
}

/**
 * A campaign's rows as they are judged (a campaign's and --rejudge's): each genuine run judged in a
 * child process, up to `jobs` at once; each row, when finished, appended to campaign.jsonl and
 * logged. `add` waits while `jobs` judgings run, so capturing the next run overlaps the judging.
 */
class Judging {
  private readonly rows: CampaignRow[] = [];
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly rowsFile: string, private readonly jobs: number, private readonly log: (row: CampaignRow) => void) {}

  async add(row: CampaignRow): Promise<void> {
    const finish = () => {
      this.rows.push(row);
      appendFileSync(this.rowsFile, JSON.stringify(row) + '\n');
      this.log(row);
    };
    if (!row.genuine) { finish(); return; }
    const p = judge(row.dir).then((j) => {
      row.verdict = j.verdict; row.events = j.events; row.validateMs = j.ms;
      if (j.detail) row.detail = row.detail ? `${j.detail} (${row.detail})` : j.detail;
      finish();
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    while (this.pending.size >= this.jobs) await Promise.race(this.pending);
  }

  /** Every row, once every judging has finished. */
  async done(): Promise<CampaignRow[]> {
    await Promise.all(this.pending);
    return this.rows;
  }
}
