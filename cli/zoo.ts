// `replcheck zoo`: every bug of the zoo (model/zoo.ts) checked twice on its configuration — under
// the buggy switch (the checker must find a counterexample: its shortest length and the time) and
// under the fixed one (the property must hold: the states explored). Nothing here is a stored
// result: each row is a fresh check.
import { check } from '../engine/bfs.js';
import { checkLiveness } from '../engine/liveness.js';
import { resolveConfig } from '../model/config.js';
import { buildModel, livenessOptions } from '../model/index.js';
import { FIX_PROPERTY_IDS } from '../model/invariants.js';
import { ZOO, zooBug, type ZooBug } from '../model/zoo.js';
import { parseArgs, UsageError } from './args.js';

export const ZOO_USAGE = `usage: replcheck zoo [--bug ID]... [--json]
  each historical bug of the zoo (spec/model.md §8.1): checked under its buggy switch (a counterexample
  must be found) and under the fixed one (the property must hold); --bug 1297 runs one row
  exit: 0 every bug found under its buggy switch and gone under the fixed one, 1 otherwise, 2 bad input`;

export interface ZooRun {
  readonly settings: Readonly<Record<string, unknown>>;
  /** check's verdict ("violated", "complete", …) or liveness's ("violated", "holds", …). */
  readonly verdict: string;
  /** Length of the counterexample (a lasso: prefix + cycle), when one was found. */
  readonly steps?: number;
  readonly distinctStates: number;
  readonly durationMs: number;
  readonly message?: string;
}

/** A bug of the table (its settings replaced by the runs made with them) and its verdict. */
export interface ZooRow extends Pick<ZooBug, 'id' | 'mechanism' | 'fixedIn' | 'inProfiles' | 'property' | 'kind' | 'preset' | 'note'> {
  readonly buggy: ZooRun;
  readonly fixed: ZooRun;
  /** A counterexample under the buggy switch, and the property proved under the fixed one. */
  readonly reFound: boolean;
}

function runOne(b: ZooBug, settings: Readonly<Record<string, unknown>>): ZooRun {
  const config = resolveConfig(b.preset, [settings as Record<string, unknown>], `zoo ${b.id}`);
  if (b.kind === 'safety') {
    // a fix property is checked only when asked; a bug may also be caught by one of I1–I10 (#804a)
    const m = buildModel(config, {}, { fixProperties: (FIX_PROPERTY_IDS as readonly string[]).includes(b.property) ? [b.property] : [] });
    if (!m.invariants.some((i) => i.id === b.property) && !(m.transitionInvariants ?? []).some((i) => i.id === b.property)) throw new Error(`zoo ${b.id}: no invariant ${b.property}`);
    const r = check(m);
    const v = r.violation;
    return {
      settings, verdict: r.verdict, distinctStates: r.distinctStates, durationMs: Math.round(r.durationMs),
      ...(v ? { steps: v.trace.length - 1, message: `${v.invariant}: ${v.message}` } : {}),
    };
  }
  const m = buildModel(config);
  const prop = m.liveness.find((p) => p.id === b.property);
  if (!prop) throw new Error(`zoo ${b.id}: no liveness property ${b.property}`);
  const r = checkLiveness(m, prop, livenessOptions(m, 5_000_000));
  return {
    settings, verdict: r.verdict, distinctStates: r.states, durationMs: Math.round(r.durationMs),
    ...(r.lasso ? { steps: r.lasso.prefix.length - 1 + r.lasso.cycle.length - 1, message: `lasso: prefix ${r.lasso.prefix.length - 1} steps, cycle ${r.lasso.cycle.length - 1} steps` } : {}),
  };
}

export function zooRow(b: ZooBug): ZooRow {
  const buggy = runOne(b, b.buggy), fixed = runOne(b, b.fixed);
  const proved = b.kind === 'safety' ? fixed.verdict === 'complete' : fixed.verdict === 'holds';
  return {
    id: b.id, mechanism: b.mechanism, fixedIn: b.fixedIn, inProfiles: b.inProfiles, property: b.property, kind: b.kind, preset: b.preset,
    buggy, fixed, reFound: buggy.verdict === 'violated' && proved, ...(b.note ? { note: b.note } : {}),
  };
}

export function runZoo(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const p = parseArgs(argv, { bug: { type: 'string', repeat: true }, json: { type: 'bool' }, help: { type: 'bool' } });
  if (p.flags.help) { out(ZOO_USAGE); return 0; }
  if (p.positional.length) throw new UsageError(`zoo takes no positional arguments (got "${p.positional[0]}")`);
  const wanted = (p.flags.bug as string[] | undefined) ?? [];
  const bugs = wanted.length ? wanted.map((id) => zooBug(id) ?? (() => { throw new UsageError(`--bug ${id}: not in the zoo; known: ${ZOO.map((b) => b.id).join(', ')}`); })()) : [...ZOO];
  const rows: ZooRow[] = [];
  for (const b of bugs) {
    const row = zooRow(b);
    rows.push(row);
    if (!p.flags.json) err(`${b.id}: ${row.reFound ? 're-found' : 'NOT re-found'} (${((row.buggy.durationMs + row.fixed.durationMs) / 1000).toFixed(1)} s)\n`);
  }
  if (p.flags.json) out(JSON.stringify(rows, null, 2));
  else out(formatZoo(rows));
  return rows.every((r) => r.reFound) ? 0 : 1;
}

const setText = (s: Readonly<Record<string, unknown>>): string => Object.entries(s).map(([k, v]) => `${k}=${String(v)}`).join(' ');

export function formatZoo(rows: readonly ZooRow[]): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(`${r.id} (${r.fixedIn === 'open' ? 'open, no fix' : `fixed in ${r.fixedIn}`}; ${r.inProfiles.length ? `in our profiles ${r.inProfiles.join(', ')}` : 'in none of our profiles'}): ${r.mechanism}`);
    lines.push(`  property: ${r.property} (${r.kind}); preset ${r.preset}`);
    lines.push(`  buggy  [${setText(r.buggy.settings)}]: ${r.buggy.verdict}${r.buggy.steps !== undefined ? `, shortest counterexample ${r.buggy.steps} steps` : ''}, ${n(r.buggy.distinctStates)} states, ${(r.buggy.durationMs / 1000).toFixed(2)} s${r.buggy.message ? `\n           ${r.buggy.message}` : ''}`);
    lines.push(`  fixed  [${setText(r.fixed.settings)}]: ${r.fixed.verdict}, ${n(r.fixed.distinctStates)} states, ${(r.fixed.durationMs / 1000).toFixed(2)} s`);
    if (r.note) lines.push(`  note: ${r.note}`);
    lines.push(`  => ${r.reFound ? 're-found: a counterexample under the bug, none under the fix' : 'NOT re-found'}`, '');
  }
  lines.push(`${rows.filter((r) => r.reFound).length} of ${rows.length} bugs re-found`);
  return lines.join('\n');
}
