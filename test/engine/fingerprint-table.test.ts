// The ordered fingerprint table against a Set oracle.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintTable, MAX_LOAD_FACTOR, SPILL } from '../../engine/fingerprints.js';

/** The table's slots, in order, must hold strictly increasing (h1, h2) pairs (gaps aside). */
function expectSorted(t: FingerprintTable): void {
  const slots = (t as unknown as { slots: Uint32Array }).slots;
  let prevA = -1;
  let prevB = -1;
  let bad = 0;
  for (let j = 0; j < slots.length; j += 2) {
    const a = slots[j]!;
    const b = slots[j + 1]!;
    if ((a | b) === 0) continue;
    if (a < prevA || (a === prevA && b <= prevB)) bad++;
    prevA = a;
    prevB = b;
  }
  expect(bad).toBe(0);
}

const key = (h1: number, h2: number) => `${h1 >>> 0},${h2 >>> 0}`;

describe('FingerprintTable (ordered linear probing)', () => {
  // h1 from a small pool (heavy h1 collisions), including 0 and 0xffffffff (homes at both ends).
  const h1Arb = fc.oneof(
    fc.constantFrom(0, 1, 0xffffffff, 0xfffffffe, 0x80000000, 0x7fffffff),
    fc.integer({ min: 0, max: 60 }).map((a) => (a * 0x9e3779b1) >>> 0),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  const h2Arb = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffffffff }));
  const opArb = fc.tuple(fc.boolean(), h1Arb, h2Arb).filter(([, a, b]) => (a | b) !== 0);

  it('behaves like a Set of pairs through growth, for several loads and growth factors', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 600 }),
        fc.constantFrom([MAX_LOAD_FACTOR, 1.5], [0.5, 1.1], [0.97, 1.25], [0.75, 2]),
        ([...ops], [load, growth]) => {
          const t = new FingerprintTable(16, load, growth);
          const oracle = new Set<string>();
          for (const [insert, h1, h2] of ops) {
            if (insert) {
              expect(t.insertIfAbsent(h1, h2)).toBe(!oracle.has(key(h1, h2)));
              oracle.add(key(h1, h2));
              expect(t.contains(h1, h2)).toBe(true);
            } else {
              expect(t.contains(h1, h2)).toBe(oracle.has(key(h1, h2)));
            }
          }
          expect(t.size).toBe(oracle.size);
          expect(t.size).toBeLessThanOrEqual(Math.max(16, t.capacity * load));
          for (const k of oracle) {
            const [a, b] = k.split(',').map(Number);
            expect(t.contains(a!, b!)).toBe(true);
          }
          expectSorted(t);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random 64-bit fingerprints: no false hits, load stays within [max/growth, max]', () => {
    const t = new FingerprintTable(16);
    const oracle = new Set<string>();
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) ^ (x >>> 13);
    let minLoad = 1;
    for (let i = 0; i < 300_000; i++) {
      const h1 = rnd() >>> 0;
      const h2 = rnd() >>> 0;
      const fresh = !oracle.has(key(h1, h2));
      expect(t.insertIfAbsent(h1, h2)).toBe(fresh);
      oracle.add(key(h1, h2));
      if (i > 100_000) minLoad = Math.min(minLoad, t.size / t.capacity);
    }
    expect(t.size).toBe(oracle.size);
    expect(minLoad).toBeGreaterThanOrEqual(MAX_LOAD_FACTOR / 1.5 - 0.01);
    // Absent keys (h2 changed) are absent.
    let falseHits = 0;
    for (const k of [...oracle].slice(0, 20_000)) {
      const [a, b] = k.split(',').map(Number);
      if (!t.contains(a!, b!)) falseHits += 1000; // a stored key missing counts as a failure too
      if (!oracle.has(key(a!, b! ^ 0x5a5a5a5a)) && t.contains(a!, b! ^ 0x5a5a5a5a)) falseHits++;
    }
    expect(falseHits).toBe(0);
    expectSorted(t);
  });

  it('grows early when a run would pass the end of the spill area', () => {
    // 1500 fingerprints whose homes are all in the last 1/256 of the table.
    const t = new FingerprintTable(16);
    const n = SPILL + 500;
    for (let i = 0; i < n; i++) expect(t.insertIfAbsent(0xff000000 + i * 0x2000, 7)).toBe(true);
    for (let i = 0; i < n; i++) expect(t.insertIfAbsent(0xff000000 + i * 0x2000, 7)).toBe(false);
    expect(t.size).toBe(n);
    expect(t.capacity).toBeGreaterThan(n / MAX_LOAD_FACTOR);
    expect(t.contains(0xff000000 + n * 0x2000, 7)).toBe(false);
    expectSorted(t);
  });

  it('reports the bytes a growth will allocate', () => {
    const t = new FingerprintTable(1000);
    expect(t.bytes()).toBe((1000 + SPILL) * 8);
    expect(t.bytesAfterGrowth()).toBe((1500 + SPILL) * 8);
    expect(t.growthBytesWithin(10)).toBe(0);
    expect(t.growthBytesWithin(900)).toBe(t.bytesAfterGrowth());
    for (let i = 1; i <= 900; i++) t.insertIfAbsent(i * 0x400000, 1);
    expect(t.fullBeforeGrowth).toBe(true);
    t.insertIfAbsent(5, 5);
    expect(t.capacity).toBe(1500);
  });
});
