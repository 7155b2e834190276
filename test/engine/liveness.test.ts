// Liveness under weak fairness (engine/liveness.ts): textbook models whose fair and unfair cycles
// are known from first principles, and a differential test against a brute-force oracle on random
// small graphs (every closed walk's edge set enumerated, fairness checked directly).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLiveness, type LivenessResult } from '../../engine/liveness.js';
import type { Model } from '../../engine/model.js';

/** A model from an explicit graph: state k is the 4-byte word k; edges [from, action, to]. */
function graphModel(n: number, actions: string[], edges: [number, number, number][], inits: number[] = [0]): Model {
  const next = new Uint8Array(4);
  const w = new Uint32Array(next.buffer);
  const out: [number, number][][] = Array.from({ length: n }, () => []);
  for (const [f, a, t] of edges) out[f]!.push([a, t]);
  return {
    name: 'graph', stateBytes: 4, actionNames: actions, actionFamilies: actions, families: [...new Set(actions)], invariants: [], goals: [],
    initStates: (emit) => { for (const i of inits) { w[0] = i; emit(next); } },
    successors: (s, emit) => {
      const k = new Uint32Array(s.buffer, s.byteOffset, 1)[0]!;
      for (const [a, t] of out[k]!) { w[0] = t; emit(a, next); }
    },
    describe: (s) => ({ x: new Uint32Array(s.buffer, s.byteOffset, 1)[0]! }),
  };
}
const id = (s: Uint8Array) => new Uint32Array(s.buffer, s.byteOffset, 1)[0]!;

/** The lasso really is one: a path from an initial state, a cycle of bad states back to its start, weakly fair. */
function checkLasso(r: LivenessResult, edges: [number, number, number][], good: Set<number>, fair: Set<number>, inits: number[] = [0]): void {
  const l = r.lasso!;
  const x = (st: Record<string, unknown>) => st['x'] as number;
  expect(inits).toContain(x(l.prefix[0]!.state));
  const has = (f: number, a: number, t: number) => edges.some(([p, q, u]) => p === f && q === a && u === t);
  for (let i = 1; i < l.prefix.length; i++) expect(has(x(l.prefix[i - 1]!.state), l.prefixActions[i - 1]!, x(l.prefix[i]!.state))).toBe(true);
  expect(x(l.cycle[0]!.state)).toBe(x(l.prefix[l.prefix.length - 1]!.state));
  expect(x(l.cycle[l.cycle.length - 1]!.state)).toBe(x(l.cycle[0]!.state));
  expect(l.cycleActions.length).toBeGreaterThan(0);
  for (let i = 1; i < l.cycle.length; i++) expect(has(x(l.cycle[i - 1]!.state), l.cycleActions[i - 1]!, x(l.cycle[i]!.state))).toBe(true);
  const states = l.cycle.map((s) => x(s.state));
  for (const s of states) expect(good.has(s)).toBe(false);
  for (const a of fair) {
    const taken = l.cycleActions.includes(a);
    const disabledSomewhere = states.some((s) => !edges.some(([p, q]) => p === s && q === a));
    expect(taken || disabledSomewhere, `fair action ${a} continuously enabled and never taken`).toBe(true);
  }
}

describe('liveness: textbook models', () => {
  it('a loop that never reaches the goal, fair: violated, lasso 0 -> 1 -> 1', () => {
    // 0 -go-> 1, 1 -spin-> 1, 1 -finish-> 2 (good), 2 -stay-> 2; finish is not fair
    const edges: [number, number, number][] = [[0, 0, 1], [1, 1, 1], [1, 2, 2], [2, 3, 2]];
    const m = graphModel(3, ['go', 'spin', 'finish', 'stay'], edges);
    const r = checkLiveness(m, { id: 'reach-2', description: '', good: (s) => id(s) === 2 }, { fair: (a) => a !== 2 });
    expect(r.verdict).toBe('violated');
    checkLasso(r, edges, new Set([2]), new Set([0, 1, 3]));
    expect(r.lasso!.prefixActions).toEqual([0]);
    expect(r.lasso!.cycleActions).toEqual([1]);
  });

  it('the same loop with finish weakly fair: it holds (finish is continuously enabled on the loop)', () => {
    const edges: [number, number, number][] = [[0, 0, 1], [1, 1, 1], [1, 2, 2], [2, 3, 2]];
    const m = graphModel(3, ['go', 'spin', 'finish', 'stay'], edges);
    const r = checkLiveness(m, { id: 'reach-2', description: '', good: (s) => id(s) === 2 }, { fair: () => true });
    expect(r.verdict).toBe('holds');
    expect(r.badComponents).toBe(1);
    expect(r.fairComponents).toBe(0);
  });

  it('weak, not strong, fairness: an action enabled only now and then on the loop may starve', () => {
    // 1 <-> 3 loop (a: 1->3, b: 3->1); exit (fair) enabled only at 1 -> good 2. Under weak fairness the
    // loop is fair: exit is disabled at 3, so it is not continuously enabled.
    const edges: [number, number, number][] = [[0, 0, 1], [1, 1, 3], [3, 2, 1], [1, 3, 2], [2, 4, 2]];
    const m = graphModel(4, ['go', 'a', 'b', 'exit', 'stay'], edges);
    const r = checkLiveness(m, { id: 'reach-2', description: '', good: (s) => id(s) === 2 }, { fair: () => true });
    expect(r.verdict).toBe('violated');
    checkLasso(r, edges, new Set([2]), new Set([0, 1, 2, 3, 4]));
  });

  it('a counter mod 5 that always returns to 0: holds; with a reachable dead end of bad states and no cycle: holds', () => {
    const edges: [number, number, number][] = [[0, 0, 1], [1, 0, 2], [2, 0, 3], [3, 0, 4], [4, 0, 0]];
    expect(checkLiveness(graphModel(5, ['inc'], edges), { id: 'zero', description: '', good: (s) => id(s) === 0 }, { fair: () => false }).verdict).toBe('holds');
    const dead: [number, number, number][] = [[0, 0, 1], [1, 0, 2]];
    // a deadlock is not a cycle: liveness is about infinite runs (deadlocks are the safety checker's)
    expect(checkLiveness(graphModel(3, ['step'], dead), { id: 'never', description: '', good: () => false }, { fair: () => true }).verdict).toBe('holds');
  });

  it('a state budget stops the graph construction honestly', () => {
    const edges: [number, number, number][] = Array.from({ length: 50 }, (_, k) => [k, 0, k + 1] as [number, number, number]);
    const r = checkLiveness(graphModel(51, ['inc'], edges), { id: 'x', description: '', good: () => true }, { fair: () => true, maxStates: 10 });
    expect(r.verdict).toBe('budget-exhausted');
  });
});

/**
 * Brute force: some reachable non-empty set of edges forms a closed walk of bad states that is
 * weakly fair (and, for a `recurring` property, uses only `allowed` actions and takes a recurring one).
 */
function oracle(n: number, nActions: number, edges: [number, number, number][], good: Set<number>, fair: Set<number>, rec?: { recurring: Set<number>; allowed: Set<number> }): boolean {
  const reach = new Set([0]);
  for (let changed = true; changed;) { changed = false; for (const [f, , t] of edges) if (reach.has(f) && !reach.has(t)) { reach.add(t); changed = true; } }
  const cand = edges.map((e, i) => [e, i] as const).filter(([[f, a, t]]) => reach.has(f) && !good.has(f) && !good.has(t) && (!rec || rec.allowed.has(a)));
  const k = cand.length;
  for (let mask = 1; mask < 1 << k; mask++) {
    const es = cand.filter((_, i) => mask & (1 << i)).map(([e]) => e);
    const vs = new Set(es.flatMap(([f, , t]) => [f, t]));
    // a closed walk using exactly these edges exists iff the edge set is strongly connected over its vertices
    const start = es[0]![0];
    const fwd = new Set([start]), bwd = new Set([start]);
    for (let ch = true; ch;) { ch = false; for (const [f, , t] of es) { if (fwd.has(f) && !fwd.has(t)) { fwd.add(t); ch = true; } if (bwd.has(t) && !bwd.has(f)) { bwd.add(f); ch = true; } } }
    if (fwd.size !== vs.size || bwd.size !== vs.size) continue;
    if (rec && !es.some(([, q]) => rec.recurring.has(q))) continue;
    let ok = true;
    for (const a of fair) {
      if (es.some(([, q]) => q === a)) continue;
      if ([...vs].some((v) => !edges.some(([p, q]) => p === v && q === a))) continue;
      ok = false;
      break;
    }
    if (ok) return true;
  }
  void n; void nActions;
  return false;
}

describe('liveness: the SCC algorithm agrees with a brute-force oracle on random small graphs', () => {
  it('random graphs of up to 6 states and 11 edges, random good sets and fair actions', () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 6 }),
      nActions: fc.integer({ min: 1, max: 3 }),
    }).chain(({ n, nActions }) => fc.record({
      n: fc.constant(n),
      nActions: fc.constant(nActions),
      // at most one successor per (state, action), as in every model
      edges: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: nActions - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: 11, selector: ([f, a]) => `${f},${a}` }),
      good: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
      fair: fc.uniqueArray(fc.integer({ min: 0, max: nActions - 1 }), { maxLength: nActions }),
    }));
    fc.assert(fc.property(arb, ({ n, nActions, edges, good, fair }) => {
      const goodSet = new Set(good), fairSet = new Set(fair);
      const m = graphModel(n, Array.from({ length: nActions }, (_, a) => `a${a}`), edges as [number, number, number][]);
      const r = checkLiveness(m, { id: 'p', description: '', good: (s) => goodSet.has(id(s)) }, { fair: (a) => fairSet.has(a) });
      const expected = oracle(n, nActions, edges as [number, number, number][], goodSet, fairSet);
      expect(r.verdict).toBe(expected ? 'violated' : 'holds');
      if (expected) checkLasso(r, edges as [number, number, number][], goodSet, fairSet);
    }), { numRuns: 3000, seed: 20261207 });
  });

  it('"a recurring step only finitely often" (L-loop\'s form): random graphs, random recurring and allowed actions', () => {
    const arb = fc.record({ n: fc.integer({ min: 1, max: 6 }), nActions: fc.integer({ min: 1, max: 3 }) }).chain(({ n, nActions }) => fc.record({
      n: fc.constant(n),
      nActions: fc.constant(nActions),
      edges: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: nActions - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: 11, selector: ([f, a]) => `${f},${a}` }),
      good: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
      fair: fc.uniqueArray(fc.integer({ min: 0, max: nActions - 1 }), { maxLength: nActions }),
      recurring: fc.uniqueArray(fc.integer({ min: 0, max: nActions - 1 }), { minLength: 1, maxLength: nActions }),
      allowed: fc.uniqueArray(fc.integer({ min: 0, max: nActions - 1 }), { maxLength: nActions }),
    }));
    let violated = 0;
    fc.assert(fc.property(arb, ({ n, nActions, edges, good, fair, recurring, allowed }) => {
      const goodSet = new Set(good), fairSet = new Set(fair), rec = { recurring: new Set(recurring), allowed: new Set(allowed) };
      const m = graphModel(n, Array.from({ length: nActions }, (_, a) => `a${a}`), edges as [number, number, number][]);
      const r = checkLiveness(m, { id: 'p', description: '', good: (s) => goodSet.has(id(s)), recurring: (a) => rec.recurring.has(a), cycleAction: (a) => rec.allowed.has(a) }, { fair: (a) => fairSet.has(a) });
      const expected = oracle(n, nActions, edges as [number, number, number][], goodSet, fairSet, rec);
      expect(r.verdict).toBe(expected ? 'violated' : 'holds');
      if (expected) {
        violated++;
        checkLasso(r, edges as [number, number, number][], goodSet, fairSet);
        expect(r.lasso!.cycleActions.some((a) => rec.recurring.has(a))).toBe(true);
        expect(r.lasso!.cycleActions.every((a) => rec.allowed.has(a))).toBe(true);
      }
    }), { numRuns: 3000, seed: 20261208 });
    // both verdicts occur: the test can fail either way
    expect(violated).toBeGreaterThan(100);
  });
});

describe('check --liveness on the replication model', () => {
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const MAIN = path.join(ROOT, 'dist/cli/main.js');
  const itfSchema = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(path.join(ROOT, 'spec/itf.schema.json'), 'utf8')) as object);

  it('with an output-buffer limit and unbounded writes the endless full-sync loop is a lasso; without limits L1 holds', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-liveness-'));
    try {
      const itf = path.join(tmp, 'lasso.itf.json');
      const loop = spawnSync(process.execPath, [MAIN, 'check', '--preset', 'small', '--set', 'faults=0', '--liveness', '--property', 'L1-sync-completes', '--json', '--itf', itf], { encoding: 'utf8' });
      expect(loop.status, loop.stderr).toBe(1);
      const j = JSON.parse(loop.stdout) as { liveness: { verdict: string; lasso?: { prefix: { action: string | null }[]; cycle: { action: string | null }[]; loop: number } }[] };
      expect(j.liveness).toHaveLength(1);
      const l = j.liveness[0]!;
      expect(l.verdict).toBe('violated');
      const cycle = l.lasso!.cycle.slice(1).map((s) => s.action);
      // the loop goes through a new full sync (ForkDual) and a write that overflows the limit
      expect(cycle).toContain('ForkDual');
      expect(cycle).toContain('Write');
      expect(cycle.some((a) => /^Connect\[/.test(a!))).toBe(true);
      const t = JSON.parse(readFileSync(itf, 'utf8')) as { loop: number; states: unknown[] };
      expect(itfSchema(t)).toBe(true);
      expect(t.loop).toBe(l.lasso!.loop);
      expect(t.states).toHaveLength(l.lasso!.prefix.length + l.lasso!.cycle.length - 1);

      const holds = spawnSync(process.execPath, [MAIN, 'check', '--preset', 'small', '--set', 'faults=0', '--set', 'cobHard=0', '--liveness'], { encoding: 'utf8' });
      expect(holds.status, holds.stderr).toBe(0);
      expect(holds.stdout).toMatch(/L1-sync-completes: holds/);
      expect(holds.stdout).toMatch(/L1b-main-online: holds/);

      const bad = spawnSync(process.execPath, [MAIN, 'check', '--preset', 'small', '--liveness', '--property', 'nope'], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown; known: L1-sync-completes, L1b-main-online/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});
