// check() against a naive Set-based BFS on random small directed graphs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import type { Goal, Invariant } from '../../engine/model.js';
import { graphModel } from './models.js';

interface Graph {
  nodes: number;
  edges: [number, number][];
  inits: number[];
}

const graphArb: fc.Arbitrary<Graph> = fc.integer({ min: 1, max: 12 }).chain((nodes) =>
  fc.record({
    nodes: fc.constant(nodes),
    edges: fc.array(fc.tuple(fc.nat(nodes - 1), fc.nat(nodes - 1)), { maxLength: nodes * 3 }),
    inits: fc.array(fc.nat(nodes - 1), { minLength: 1, maxLength: 4 }),
  }),
);

/** The obvious BFS: distances, generated count, sinks. */
function oracle(g: Graph) {
  const succ: Set<number>[] = Array.from({ length: g.nodes }, () => new Set<number>());
  for (const [i, j] of g.edges) succ[i]!.add(j);
  const dist = new Map<number, number>();
  let frontier: number[] = [];
  for (const i of g.inits)
    if (!dist.has(i)) {
      dist.set(i, 0);
      frontier.push(i);
    }
  let d = 0;
  while (frontier.length > 0) {
    const nextFrontier: number[] = [];
    for (const i of frontier)
      for (const j of succ[i]!)
        if (!dist.has(j)) {
          dist.set(j, d + 1);
          nextFrontier.push(j);
        }
    frontier = nextFrontier;
    d++;
  }
  let generated = g.inits.length;
  for (const i of dist.keys()) generated += succ[i]!.size;
  const sinks = [...dist.keys()].filter((i) => succ[i]!.size === 0);
  return { succ, dist, generated, sinks, maxDepth: Math.max(...dist.values()) };
}

const nodeOf = (step: { state: Record<string, unknown> }) => step.state.node as number;

/** The trace starts at an initial node and follows edges. */
function expectValidPath(g: Graph, trace: { action: string | null; state: Record<string, unknown> }[]) {
  const { succ } = oracle(g);
  expect(g.inits).toContain(nodeOf(trace[0]!));
  for (let i = 1; i < trace.length; i++) {
    expect(succ[nodeOf(trace[i - 1]!)]!.has(nodeOf(trace[i]!))).toBe(true);
    expect(trace[i]!.action).toBe(`Go[${nodeOf(trace[i]!)}]`);
  }
}

describe('check() equals a naive BFS oracle on random graphs', () => {
  it('distinct, generated and depth', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const o = oracle(g);
        const r = check(graphModel(g.nodes, g.edges, g.inits), { deadlock: false });
        expect(r.verdict).toBe('complete');
        expect(r.distinctStates).toBe(o.dist.size);
        expect(r.generatedStates).toBe(o.generated);
        expect(r.maxDepth).toBe(o.maxDepth);
      }),
      { numRuns: 300 },
    );
  });

  it('invariant violations come with a shortest trace', () => {
    fc.assert(
      fc.property(graphArb, fc.nat(11), (g, badRaw) => {
        const bad = badRaw % g.nodes;
        const o = oracle(g);
        const inv: Invariant = {
          id: 'not-bad',
          description: 'never at the bad node',
          check: (s) => (s[0] === bad ? `at ${bad}` : null),
        };
        const r = check(graphModel(g.nodes, g.edges, g.inits), { deadlock: false, invariants: [inv] });
        if (!o.dist.has(bad)) {
          expect(r.verdict).toBe('complete');
          return;
        }
        expect(r.verdict).toBe('violated');
        expect(r.violation!.invariant).toBe('not-bad');
        expect(r.violation!.trace.length).toBe(o.dist.get(bad)! + 1);
        expect(nodeOf(r.violation!.trace.at(-1)!)).toBe(bad);
        expectValidPath(g, r.violation!.trace);
      }),
      { numRuns: 300 },
    );
  });

  it('goals are reached by a shortest trace, or reported unreached', () => {
    fc.assert(
      fc.property(graphArb, fc.nat(11), (g, targetRaw) => {
        const target = targetRaw % g.nodes;
        const o = oracle(g);
        const goal: Goal = { id: 'target', description: 'at the target node', test: (s) => s[0] === target };
        const r = check(graphModel(g.nodes, g.edges, g.inits), { deadlock: false, goal });
        if (!o.dist.has(target)) {
          expect(r.goalReached).toBeNull();
          expect(r.verdict).toBe('complete');
          expect(r.distinctStates).toBe(o.dist.size);
          return;
        }
        expect(r.goalReached!.goal).toBe('target');
        expect(r.goalReached!.trace.length).toBe(o.dist.get(target)! + 1);
        expect(nodeOf(r.goalReached!.trace.at(-1)!)).toBe(target);
        expectValidPath(g, r.goalReached!.trace);
      }),
      { numRuns: 300 },
    );
  });

  it('deadlock is reported iff a reachable sink exists, at a nearest sink', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const o = oracle(g);
        const r = check(graphModel(g.nodes, g.edges, g.inits));
        if (o.sinks.length === 0) {
          expect(r.verdict).toBe('complete');
          return;
        }
        expect(r.verdict).toBe('violated');
        expect(r.violation!.invariant).toBe('deadlock');
        const at = nodeOf(r.violation!.trace.at(-1)!);
        expect(o.sinks).toContain(at);
        const nearest = Math.min(...o.sinks.map((i) => o.dist.get(i)!));
        expect(r.violation!.trace.length).toBe(nearest + 1);
        expectValidPath(g, r.violation!.trace);
      }),
      { numRuns: 300 },
    );
  });

  it('a depth bound keeps exactly the states within it, and says whether it cut', () => {
    fc.assert(
      fc.property(graphArb, fc.nat(6), (g, bound) => {
        const o = oracle(g);
        const r = check(graphModel(g.nodes, g.edges, g.inits), { deadlock: false, maxDepth: bound });
        const within = [...o.dist.values()].filter((d) => d <= bound).length;
        expect(r.distinctStates).toBe(within);
        expect(r.verdict).toBe(o.maxDepth > bound ? 'bounded' : 'complete');
        expect(r.maxDepth).toBe(Math.min(bound, o.maxDepth));
      }),
      { numRuns: 300 },
    );
  });
});
