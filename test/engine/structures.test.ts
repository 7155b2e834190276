// Hash, fingerprint table and state queue against simple oracles.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintTable, SPILL } from '../../engine/fingerprints.js';
import { fingerprint, fingerprintOf, WordView } from '../../engine/hash.js';
import { StateQueue } from '../../engine/state-queue.js';

describe('fingerprint', () => {
  it('has no 64-bit collision over 200k small states, and both halves vary', () => {
    const words = new Uint32Array(4);
    const out = new Uint32Array(2);
    const pairs = new Set<string>();
    const lows = new Set<number>();
    const highs = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      words[0] = i & 63;
      words[1] = i >>> 6;
      words[3] = i % 7;
      fingerprint(words, 0, 4, out);
      pairs.add(`${out[0]},${out[1]}`);
      lows.add(out[0]!);
      highs.add(out[1]!);
    }
    expect(pairs.size).toBe(200_000);
    // 32-bit halves: a handful of birthday collisions at most (~4.7 expected each).
    expect(lows.size).toBeGreaterThan(200_000 - 30);
    expect(highs.size).toBeGreaterThan(200_000 - 30);
  });

  it('depends on position and length, and is never (0, 0)', () => {
    expect(fingerprintOf(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0))).not.toEqual(
      fingerprintOf(Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0)),
    );
    expect(fingerprintOf(new Uint8Array(4))).not.toEqual(fingerprintOf(new Uint8Array(8)));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        const [h1, h2] = fingerprintOf(b);
        expect(h1 === 0 && h2 === 0).toBe(false);
      }),
    );
  });

  it('WordView reads unaligned buffers correctly', () => {
    const backing = new Uint8Array(13);
    backing.set([1, 2, 3, 4, 5, 6, 7, 8], 1);
    const unaligned = backing.subarray(1, 9);
    const aligned = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(fingerprintOf(unaligned)).toEqual(fingerprintOf(aligned));
    const v = new WordView(8);
    expect(Array.from(v.of(unaligned))).toEqual(Array.from(v.of(aligned)));
  });
});

describe('FingerprintTable', () => {
  it('behaves like a Set of pairs through growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 3 })), { maxLength: 400 }),
        (ops) => {
          const t = new FingerprintTable(16);
          const oracle = new Set<string>();
          for (const [a, b] of ops) {
            // Same h1 with different h2 must stay distinct; h1 collides heavily on purpose.
            const h1 = (a * 0x9e3779b1) >>> 0;
            const h2 = b;
            expect(t.insertIfAbsent(h1, h2)).toBe(!oracle.has(`${h1},${h2}`));
            oracle.add(`${h1},${h2}`);
            expect(t.contains(h1, h2)).toBe(true);
          }
          expect(t.size).toBe(oracle.size);
          expect(t.size).toBeLessThanOrEqual(t.capacity * 0.9);
          expect(t.contains(12345, 4)).toBe(false);
        },
      ),
    );
  });

  it('accepts int32 and uint32 spellings of the same hash', () => {
    const t = new FingerprintTable();
    expect(t.insertIfAbsent(0xffffffff, 0x80000000)).toBe(true);
    expect(t.insertIfAbsent(-1, -0x80000000)).toBe(false);
    expect(t.bytes()).toBe((t.capacity + SPILL) * 8);
  });
});

describe('StateQueue', () => {
  it('is FIFO across chunks and reuses consumed chunks', () => {
    const q = new StateQueue(8);
    const w = new Uint32Array(2);
    const out = new Uint32Array(2);
    let pushed = 0;
    let popped = 0;
    let wrong = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100_000; i++) {
        w[0] = pushed;
        w[1] = ~pushed;
        q.push(w, 0);
        pushed++;
      }
      while (q.length > 1000) {
        q.shift(out);
        if (out[0] !== popped || out[1] !== ~popped >>> 0) wrong++;
        popped++;
      }
    }
    expect(wrong).toBe(0);
    expect(popped).toBe(499_000);
    expect(q.length).toBe(1000);
    // At most ~101k states held at once: 101k * 8 bytes plus a chunk or two of slack.
    expect(q.peakBytes).toBeLessThan(101_000 * 8 + 3 * 256 * 1024);
    expect(() => {
      while (true) q.shift(out);
    }).toThrow(/empty/);
  });
});
