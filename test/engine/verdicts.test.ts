// Each verdict and budget reason, reached on purpose; coverage; progress reporting.

import { describe, expect, it } from 'vitest';
import { check, type Progress } from '../../engine/bfs.js';
import type { Model } from '../../engine/model.js';
import { dieHard, endlessCounter, grid, hanoi } from './models.js';

describe('verdicts', () => {
  it('complete', () => {
    expect(check(hanoi(4)).verdict).toBe('complete');
  });

  it('bounded only when the bound actually cuts a state', () => {
    const m = grid(5, 5, true); // diameter 10
    const cut = check(m, { maxDepth: 3 });
    expect(cut.verdict).toBe('bounded');
    expect(cut.distinctStates).toBe(10); // x + y <= 3
    expect(cut.maxDepth).toBe(3);
    expect(check(m, { maxDepth: 9 }).verdict).toBe('bounded');
    const exact = check(m, { maxDepth: 10 });
    expect(exact.verdict).toBe('complete');
    expect(exact.distinctStates).toBe(36);
    const zero = check(m, { maxDepth: 0 });
    expect(zero.verdict).toBe('bounded');
    expect(zero.distinctStates).toBe(1);
  });

  it('violated (invariant on the initial state gives a one-step trace)', () => {
    const m = dieHard();
    const r = check(m, {
      invariants: [{ id: 'never', description: 'fails everywhere', check: () => 'always wrong' }],
    });
    expect(r.verdict).toBe('violated');
    expect(r.violation!.trace).toEqual([{ action: null, state: { small: 0, big: 0 }, changed: [] }]);
    expect(r.distinctStates).toBe(1);
  });

  it('budget-exhausted: maxStates stops at exactly that many distinct states', () => {
    const r = check(endlessCounter(), { maxStates: 1000 });
    expect(r.verdict).toBe('budget-exhausted');
    expect(r.reason).toBe('maxStates');
    expect(r.distinctStates).toBe(1000);
    // A model with exactly maxStates states is still complete.
    const h = check(hanoi(3), { maxStates: 27 });
    expect(h.verdict).toBe('complete');
    expect(check(hanoi(3), { maxStates: 26 }).verdict).toBe('budget-exhausted');
  });

  it('budget-exhausted: maxMs', () => {
    const r = check(endlessCounter(), { maxMs: 30 });
    expect(r.verdict).toBe('budget-exhausted');
    expect(r.reason).toBe('maxMs');
    expect(r.durationMs).toBeGreaterThanOrEqual(30);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('budget-exhausted: maxBytes', () => {
    const r = check(endlessCounter(), { maxBytes: 4 << 20 });
    expect(r.verdict).toBe('budget-exhausted');
    expect(r.reason).toBe('maxBytes');
    expect(r.distinctStates).toBeGreaterThan(1000);
    expect(r.bytesPerState * r.distinctStates).toBeLessThanOrEqual(4 << 20);
  });

  it('budget-exhausted: interrupted via shouldStop', () => {
    let polls = 0;
    const r = check(endlessCounter(), { shouldStop: () => ++polls >= 3 });
    expect(r.verdict).toBe('budget-exhausted');
    expect(r.reason).toBe('interrupted');
    expect(polls).toBe(3);
    expect(r.distinctStates).toBeGreaterThan(0);
    expect(check(hanoi(3), { shouldStop: () => true }).reason).toBe('interrupted');
  });

  it('a violation found within the bound wins over the bound', () => {
    const r = check(grid(3, 3, false), { maxDepth: 6 });
    expect(r.verdict).toBe('violated'); // corner (3,3) at depth 6 has no successor
    expect(r.violation!.invariant).toBe('deadlock');
  });
});

describe('coverage and reporting', () => {
  it('neverFired lists declared families that never fired', () => {
    const base = grid(2, 2, true);
    const m: Model = {
      ...base,
      actionNames: [...base.actionNames, 'Teleport[0]'],
      actionFamilies: [...base.actionFamilies, 'Teleport'],
      families: [...base.families, 'Teleport', 'Undeclared-instances'],
    };
    const r = check(m);
    expect(r.verdict).toBe('complete');
    expect(r.neverFired).toEqual(['Teleport', 'Undeclared-instances']);
    expect(r.actions.Teleport).toBe(0);
    expect(r.actions.Right).toBe(6);
  });

  it('onProgress gets the running counts', () => {
    const seen: Progress[] = [];
    const r = check(endlessCounter(), { maxStates: 50_000, progressMs: 0, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(5);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.generated).toBeGreaterThan(seen[i - 1]!.generated);
    const last = seen.at(-1)!;
    expect(last.distinct).toBeLessThanOrEqual(r.distinctStates);
    expect(last.queue).toBe(1); // a chain: one state waiting
    expect(last.depth).toBe(last.distinct - 1);
    expect(last.statesPerSecond).toBeGreaterThan(0);
  });

  it('reports memory figures', () => {
    const r = check(hanoi(9));
    expect(r.bytesPerState).toBeGreaterThan(6); // >= 8 (fingerprint) + 4 (parent) + 2 (via) in the limit
    expect(r.peakQueueBytes).toBeGreaterThan(0);
    expect(r.statesPerSecond).toBeGreaterThan(0);
  });
});
