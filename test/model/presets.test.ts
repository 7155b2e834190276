// The presets the project publishes: `small` and `default` are explored completely with every
// invariant and deadlock checking on, and their counts are the ones spec/model.md §12 publishes
// (the numbers live in the spec only: this test reads them from there).
//
// Cost: `small` is checked fully twice (~3 s each), `default` fully once (a few minutes on 2 vCPUs;
// the same search also takes the lifecycle census, so the default graph is explored once in the
// whole suite) and twice more under a 150,000-state budget for determinism; the full checks run in
// a worker thread on the compiled model (offthread.ts), which keeps vitest's worker responsive.
import { beforeAll, describe, expect, it } from 'vitest';
import { check, type CheckResult } from '../../engine/bfs.js';
import type { Census } from '../../model/lifecycle-census.js';
import { checkOffThread } from './offthread.js';
import { measuredTable, model, settle, SPEC_MODEL, timeless, type MeasuredRow } from './helpers.js';

const spec = measuredTable();

/** The spec's row for a preset, or why there is none (the test is then skipped with that note). */
function specRow(preset: string): MeasuredRow | string {
  if (spec === null) return `${SPEC_MODEL} is absent or has no "preset | distinct states" table`;
  const row = spec.get(preset);
  if (row === undefined) return `spec/model.md's measured table has no row for preset "${preset}"`;
  if (row.distinct === null) return `spec/model.md's measured table has no number for "${preset}" yet`;
  return row;
}

function expectMatchesSpec(preset: string, r: CheckResult, skip: (note: string) => never): void {
  const row = specRow(preset);
  if (typeof row === 'string') skip(row);
  expect(r.distinctStates, `${preset}: distinct states vs spec/model.md`).toBe(row.distinct);
  if (row.generated !== null) expect(r.generatedStates, `${preset}: generated states vs spec/model.md`).toBe(row.generated);
  if (row.depth !== null) expect(r.maxDepth, `${preset}: depth vs spec/model.md`).toBe(row.depth);
  if (row.tlcDepth !== null) expect(r.tlcDepth, `${preset}: TLC depth vs spec/model.md`).toBe(row.tlcDepth);
  if (row.neverFired !== null) expect([...r.neverFired].sort(), `${preset}: never fired vs spec/model.md`).toEqual([...row.neverFired].sort());
}

describe('preset small', () => {
  const m = model('small');
  let first: CheckResult;
  let second: CheckResult;
  beforeAll(async () => {
    await settle();
    first = await checkOffThread('small');
    second = await checkOffThread('small');
  }, 120_000);

  it('is complete: every reachable state explored, no invariant violated, no deadlock', () => {
    expect(first.violation).toBeUndefined();
    expect(first.verdict).toBe('complete');
    expect(first.deadlockChecked).toBe(true);
    expect(first.invariants).toEqual([...m.invariants, ...(m.transitionInvariants ?? [])].map((i) => i.id));
    expect(first.invariants).toHaveLength(10);
  });

  it('fires every action family except ForkClassic', () => {
    // One replica, dual channel on both sides, no CONFIG SET (configChanges 0): the primary never
    // chooses a classic full sync, so no main client ever waits for a classic fork.
    expect(first.neverFired).toEqual(['ForkClassic']);
  });

  it('has the counts spec/model.md publishes', (ctx) => {
    expectMatchesSpec('small', first, (note) => ctx.skip(note));
  });

  it('is deterministic: two runs give identical results', () => {
    expect(timeless(second)).toEqual(timeless(first));
  });
});

describe('preset default', () => {
  const m = model('default');
  let full: CheckResult & { census: Census };
  beforeAll(async () => {
    await settle();
    full = await checkOffThread('default', {}, { census: true });
    // eslint-disable-next-line no-console
    console.log(`default: ${full.distinctStates} states / ${full.census.transitions} transitions, check and census in ${full.census.ms} ms`);
  }, 1_800_000);

  it('is complete: every reachable state explored, no invariant violated, no deadlock', () => {
    expect(full.violation).toBeUndefined();
    expect(full.verdict).toBe('complete');
    expect(full.deadlockChecked).toBe(true);
    expect(full.invariants).toEqual([...m.invariants, ...(m.transitionInvariants ?? [])].map((i) => i.id));
  });

  it('fires every action family', () => {
    expect(full.neverFired).toEqual([]);
    expect(m.families.length).toBeGreaterThan(0);
    for (const f of m.families) expect(full.actions[f], f).toBeGreaterThan(0);
  });

  it('has the counts spec/model.md publishes', (ctx) => {
    expectMatchesSpec('default', full, (note) => ctx.skip(note));
  });

  it('every per-connection step of its complete graph is a row of its lifecycle table (model/lifecycles.ts)', () => {
    // the census saw every transition the search generated (generated = initial states + transitions)
    let initial = 0;
    m.initStates(() => initial++);
    expect(full.census.transitions).toBe(full.generatedStates - initial);
    expect(full.census.states).toBe(full.distinctStates);
    expect(full.census.steps.size).toBeGreaterThan(0);
    expect(full.census.violations.join('\n\n')).toBe('');
  });

  it('is deterministic: two budgeted runs (150,000 states) give identical results', () => {
    // A second full run would double the suite's longest check; the full run's counts are pinned
    // by the spec comparison above, and this compares everything a run reports.
    const a = check(m, { maxStates: 150_000 });
    const b = check(model('default'), { maxStates: 150_000 });
    expect(a.verdict).toBe('budget-exhausted');
    expect(a.reason).toBe('maxStates');
    expect(timeless(b)).toEqual(timeless(a));
  });
});
