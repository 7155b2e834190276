// `replcheck chaos`: a campaign of seeded chaos runs (capture/chaos.ts) against one Valkey version,
// each genuine run judged by `replcheck validate` in a child process (so judging run k overlaps
// capturing run k+1), then a table: runs, genuine, in sync, verdicts, events/s, failing seeds.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chaosProgram } from '../capture/chaos-program.js';
import { runChaos, type ChaosResult } from '../capture/chaos.js';
import { logFilesOf } from '../conformance/logdir.js';
import { UsageError } from './args.js';

export const CHAOS_USAGE = `usage: replcheck chaos --runs N [--version 8.0.1|8.1.1|9.1.2 | --valkey-server BIN] [--seed-from S] [--seeds A,B,...]
                       [--out DIR] [--duration S] [--max-replicas N] [--jobs J] [--json]
  runs N chaos programs (seeds S, S+1, ...; default S = 1) on real servers, judges each genuine run, prints a
  table; --version V uses .valkey/V/bin/valkey-server (.ci/fetch-valkey.sh V) except for the installed
  8.0.1; --jobs J judges up to J runs at once (default 1) while the next run is captured
  exit: 0 every genuine run conforms, 1 some genuine run violates or gave up, 2 bad input`;

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const ROOT = path.resolve(path.dirname(MAIN), '../..');

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

function judge(dir: string): Promise<{ verdict: CampaignRow['verdict']; events: number; ms: number; detail: string }> {
  const files = logFilesOf(dir);
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--max-old-space-size=8192', MAIN, 'validate', ...files, '--json'], { maxBuffer: 256 << 20, timeout: 20 * 60_000 }, (err, stdout, stderr) => {
      const ms = Date.now() - t0;
      try {
        const r = JSON.parse(stdout) as { verdict: CampaignRow['verdict']; events: number; failure?: { message?: string; event?: { line?: number; file?: string } }; gaveUp?: { reason?: string } };
        writeFileSync(path.join(dir, 'verdict.json'), stdout);
        const detail = r.failure ? `${r.failure.message ?? ''}` : r.gaveUp ? `gave up: ${r.gaveUp.reason ?? ''}` : '';
        resolve({ verdict: r.verdict, events: r.events, ms, detail: detail.split('\n')[0]!.slice(0, 300) });
      } catch {
        resolve({ verdict: 'error', events: 0, ms, detail: `validate failed: ${(err?.message ?? '') + stderr.slice(0, 300)}` });
      }
    });
  });
}

export async function runChaosCampaign(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let runs: number | undefined;
  let seeds: number[] | undefined;
  let from = 1;
  let version: string | undefined;
  let bin: string | undefined;
  let outDir: string | undefined;
  let durationS: number | undefined;
  let maxReplicas: number | undefined;
  let jobs = 1;
  let json = false;
  const int = (a: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${a} expects an integer in [${min}, ${max}], got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') runs = int(a, argv[++i], 1, 100_000);
    else if (a === '--seed-from') from = int(a, argv[++i], 0, 2 ** 31 - 1);
    else if (a === '--seeds') seeds = (argv[++i] ?? '').split(',').map((x) => int('--seeds', x, 0, 2 ** 31 - 1));
    else if (a === '--version') version = argv[++i];
    else if (a === '--valkey-server') bin = argv[++i];
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--duration') durationS = int(a, argv[++i], 1, 600);
    else if (a === '--max-replicas') maxReplicas = int(a, argv[++i], 1, 3);
    else if (a === '--jobs') jobs = int(a, argv[++i], 1, 16);
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') { out(CHAOS_USAGE); return 0; }
    else throw new UsageError(`unknown argument ${a}\n${CHAOS_USAGE}`);
  }
  const list = seeds ?? (runs !== undefined ? Array.from({ length: runs }, (_, k) => from + k) : undefined);
  if (!list || list.length === 0) throw new UsageError(`--runs N or --seeds A,B,... is required\n${CHAOS_USAGE}`);
  if (version !== undefined && bin === undefined) bin = binaryForVersion(version);
  const label = version ?? 'default';
  const root = path.resolve(outDir ?? path.join('.chaos', label));
  mkdirSync(root, { recursive: true });
  const rowsFile = path.join(root, 'campaign.jsonl');
  const rows: CampaignRow[] = [];
  const pending = new Set<Promise<void>>();
  for (const seed of list) {
    const program = chaosProgram(seed, { ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}), ...(maxReplicas !== undefined ? { maxReplicas } : {}) });
    const dir = path.join(root, `seed-${seed}`);
    let r: ChaosResult;
    try {
      r = await runChaos(program, dir, bin !== undefined ? { valkeyServer: bin } : {});
    } catch (e) {
      throw new UsageError(`cannot run the chaos program: ${(e as Error).message}`);
    }
    const row: CampaignRow = { seed, replicas: program.setup.replicas, genuine: r.genuine, inSync: r.inSync, verdict: 'not judged', events: 0, validateMs: 0, captureMs: r.durationMs, detail: r.notes.join('; '), dir };
    const finish = () => {
      rows.push(row);
      appendFileSync(rowsFile, JSON.stringify(row) + '\n');
      err(`[chaos ${label}] seed ${seed}: ${row.replicas} replica(s), ${r.genuine ? 'genuine' : 'not genuine'}, ${r.inSync ? 'in sync' : 'NOT in sync'}, ${row.verdict}${row.events ? ` (${row.events} events, ${(row.validateMs / 1000).toFixed(1)} s)` : ''}${row.verdict !== 'conforms' && row.detail ? `: ${row.detail}` : ''}\n`);
    };
    if (!r.genuine) { finish(); continue; }
    const p = judge(dir).then((j) => {
      row.verdict = j.verdict; row.events = j.events; row.validateMs = j.ms;
      if (j.detail) row.detail = row.detail ? `${j.detail} (${row.detail})` : j.detail;
      finish();
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
    while (pending.size >= jobs) await Promise.race(pending);
  }
  await Promise.all(pending);
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
