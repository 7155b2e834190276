// `npm run bench`: measured throughput of the checker and the conformance checker.
// Prints one table per part; every number is measured in this run (nothing is a target or a
// constant). Usage: npm run bench [-- --presets small,default,large] [--events N]
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { check } from '../engine/bfs.js';
import { buildModel } from '../model/index.js';
import { resolveConfig } from '../model/config.js';
import { simulateTrace } from '../conformance/simtrace.js';
import { formatTrace } from '../conformance/trace/write.js';
import { parseTrace } from '../conformance/trace/read.js';
import { validate } from '../conformance/validate.js';
import { logFilesOf, validateLogs } from '../conformance/logdir.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

console.log(`replcheck bench — node ${process.version}, ${new Date().toISOString()}\n`);

// ---- 1. model checking --------------------------------------------------------------------------
const presets = arg('presets', 'small,default,large').split(',').filter(Boolean);
const rows: string[][] = [];
for (const p of presets) {
  const model = buildModel(resolveConfig(p));
  process.stderr.write(`checking preset ${p} …\n`);
  const r = check(model, { deadlock: true });
  const s = r.durationMs / 1000;
  rows.push([p, r.verdict, fmt(r.distinctStates), fmt(r.generatedStates), fmt(s, 2), fmt(r.generatedStates / s), fmt(r.distinctStates / s), fmt(r.bytesPerState, 1), fmt(r.peakQueueBytes / 2 ** 20, 1)]);
}
console.log('## Model checking (one core, breadth-first; fingerprint table + discovery tree)\n');
table(['preset', 'verdict', 'distinct', 'generated', 'seconds', 'generated/s', 'distinct/s', 'bytes/state', 'peak queue MiB'], rows);

// ---- 2. conformance on a simulated trace ----------------------------------------------------------
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
t0 = performance.now();
const v = validate(model, parsed);
const tVal = (performance.now() - t0) / 1000;
const n = parsed.events.length;
console.log(`\n## Conformance: simulated trace (preset ${simPreset}, seed 11, ${fmt(n)} events, ${fmt(text.length / 2 ** 20, 1)} MiB)\n`);
table(['stage', 'seconds', 'events/s', 'note'], [
  ['simulate', fmt(tSim, 2), fmt(n / tSim), 'random walk + observations'],
  ['parse + schema', fmt(tParse, 2), fmt(n / tParse), 'JSON Lines, ajv per event'],
  ['validate', fmt(tVal, 2), fmt(n / tVal), `verdict ${v.verdict}, max candidates ${v.stats.maxCandidates}`],
]);

// ---- 3. conformance on the committed real Valkey logs ---------------------------------------------
const root = path.join(process.cwd(), 'traces', 'valkey-8.0.1');
const realRows: string[][] = [];
let totalEvents = 0;
let totalSec = 0;
for (const d of readdirSync(root).sort()) {
  const dir = path.join(root, d);
  if (!statSync(dir).isDirectory()) continue;
  const files = logFilesOf(dir);
  if (files.length < 2) continue;
  t0 = performance.now();
  const { result } = validateLogs(files);
  const s = (performance.now() - t0) / 1000;
  totalEvents += result.events;
  totalSec += s;
  realRows.push([d, result.verdict, fmt(result.events), fmt(result.stats.maxCandidates), fmt(s, 2), fmt(result.events / s)]);
}
console.log(`\n## Conformance: real Valkey 8.0.1 logs (traces/valkey-8.0.1, read + convert + validate)\n`);
table(['scenario', 'verdict', 'events', 'max candidates', 'seconds', 'events/s'], realRows);
console.log(`\ntotal: ${fmt(totalEvents)} events in ${fmt(totalSec, 2)} s (${fmt(totalEvents / totalSec)} events/s)`);
