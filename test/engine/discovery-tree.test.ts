// The discovery tree against explicit parent/via arrays, and the bytes per state it gives.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import { DiscoveryTree } from '../../engine/discovery-tree.js';
import { NO_PARENT } from '../../engine/replay.js';
import { counterLattice } from './models.js';

/** A random BFS-shaped tree: roots first, then each expanded state's children in id order. */
interface Shape {
  roots: number;
  /** Children count of expanded states 0, 1, 2, ... (may run past the ids: truncated). */
  kids: number[];
  actions: number;
}

function build(shape: Shape, seed: number) {
  const tree = new DiscoveryTree(shape.actions);
  const parent: number[] = [];
  const via: number[] = [];
  const rootInit: number[] = [];
  for (let r = 0; r < shape.roots; r++) {
    const initIndex = r * 2 + (seed & 1); // emission positions need not be the ids
    expect(tree.addRoot(initIndex)).toBe(r);
    parent.push(NO_PARENT);
    via.push(0);
    rootInit.push(initIndex);
  }
  for (let e = 0; e < shape.kids.length && e < parent.length; e++) {
    for (let c = 0; c < shape.kids[e]!; c++) {
      const action = (seed + e * 7 + c * 13) % shape.actions;
      expect(tree.addChild(e, action)).toBe(parent.length);
      parent.push(e);
      via.push(action);
    }
  }
  return { tree, parent, via, rootInit };
}

function naivePath(o: { parent: number[]; via: number[]; rootInit: number[] }, id: number) {
  const actions: number[] = [];
  let cur = id;
  while (o.parent[cur] !== NO_PARENT) {
    actions.push(o.via[cur]!);
    cur = o.parent[cur]!;
  }
  return { initIndex: o.rootInit[cur]!, actions: actions.reverse() };
}

describe('DiscoveryTree', () => {
  it('gives the same paths and parents as explicit parent/via arrays', () => {
    const shapeArb = fc.record({
      roots: fc.integer({ min: 1, max: 5 }),
      kids: fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(0), fc.integer({ min: 250, max: 300 })), {
        maxLength: 60,
      }),
      actions: fc.constantFrom(1, 5, 256, 257, 65536),
    });
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), (shape, seed) => {
        const o = build(shape, seed);
        expect(o.tree.size).toBe(o.parent.length);
        expect(o.tree.roots).toBe(shape.roots);
        for (let id = 0; id < o.parent.length; id += 1 + (id >> 4)) {
          expect(o.tree.pathTo(id)).toEqual(naivePath(o, id));
          expect(o.tree.parent(id)).toBe(o.parent[id]);
          if (o.parent[id] !== NO_PARENT) expect(o.tree.via(id)).toBe(o.via[id]);
        }
        expect(() => o.tree.pathTo(o.parent.length)).toThrow(/no state/);
      }),
      { numRuns: 200 },
    );
  });

  it('crosses chunk boundaries, including long runs of childless states', () => {
    // 1 root -> 70k children; the first 69k of those are childless, the rest have 3 each.
    const kids = [70_000, ...new Array<number>(69_000).fill(0), ...new Array<number>(1_001).fill(3)];
    const o = build({ roots: 1, kids, actions: 300 }, 3);
    expect(o.tree.size).toBe(1 + 70_000 + 3_003);
    for (const id of [0, 1, 65_535, 65_536, 65_537, 69_999, 70_000, 70_001, 73_003]) {
      expect(o.tree.pathTo(id)).toEqual(naivePath(o, id));
    }
    // 2-byte via (300 actions) for 73,004 ids and a 1-byte child count for 70,001 parents, in
    // chunks of 65,536 entries: two of each.
    // (the root has 70k children: its count overflows into the Map, ~16 bytes).
    expect(o.tree.bytes()).toBe(2 * 65_536 * 2 + 2 * 65_536 + 16);
    expect(o.tree.wideVia).toBe(true);
  });

  it('rejects children out of BFS order', () => {
    const t = new DiscoveryTree(4);
    t.addRoot(0);
    t.addRoot(1);
    t.addChild(1, 0);
    expect(() => t.addChild(0, 0)).toThrow(/out of BFS order/);
    expect(() => t.addChild(5, 0)).toThrow(/out of BFS order/);
    expect(() => t.addRoot(2)).toThrow(/initial states must come first/);
  });
});

describe('bytes per state', () => {
  it('stays at most 16 on a lattice of a million states', () => {
    const r = check(counterLattice(32, 4), { deadlock: false }); // 32^4 = 1,048,576 states
    expect(r.verdict).toBe('complete');
    expect(r.distinctStates).toBe(32 ** 4);
    expect(r.bytesPerState).toBeLessThanOrEqual(16);
  });
});
