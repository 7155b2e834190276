// The set of visited states, stored as 64-bit fingerprints (see hash.ts) only.
//
// Open addressing with linear probing over one Uint32Array of [h1, h2] pairs: a probe reads
// adjacent memory, so a miss usually costs one or two cache lines. (0, 0) marks an empty slot;
// fingerprint() never yields it.
//
// Max load factor 0.75: with linear probing the expected probe count of a miss (i.e. of every
// insertion of a new state) is about (1 + 1/(1-a)^2)/2, i.e. 8.5 slots (68 bytes, ~1-2 cache
// lines) at 0.75 but 13 at 0.8 and 50 at 0.9, so 0.75 keeps inserts cheap; going lower (0.5:
// 2.5 probes) would cost up to 1.5x the memory for little speed. After doubling the load is
// 0.375, so the table holds 8/0.75..8/0.375 = 10.7..21.3 bytes per state.

export const MAX_LOAD_FACTOR = 0.75;

export class FingerprintTable {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;
  private growAt: number;

  /** `initialCapacity` is rounded up to a power of two (slots, not bytes). */
  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    this.growAt = Math.floor(cap * MAX_LOAD_FACTOR);
  }

  /** Number of fingerprints stored. */
  get size(): number {
    return this.count;
  }

  /** Number of slots. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table. */
  bytes(): number {
    return this.slots.byteLength;
  }

  /** Bytes the table will hold after its next doubling (for memory budgets). */
  bytesAfterGrowth(): number {
    return this.slots.byteLength * 2;
  }

  /** True when the next new fingerprint triggers a doubling. */
  get fullBeforeGrowth(): boolean {
    return this.count >= this.growAt;
  }

  /** Adds (h1, h2) unless present; true if it was added. */
  insertIfAbsent(h1: number, h2: number): boolean {
    h1 >>>= 0; // Uint32Array reads are unsigned; accept int32 inputs too
    h2 >>>= 0;
    if (this.count >= this.growAt) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (;;) {
      const j = i << 1;
      const a = slots[j]!;
      const b = slots[j + 1]!;
      if (a === h1 && b === h2) return false;
      if ((a | b) === 0) {
        slots[j] = h1;
        slots[j + 1] = h2;
        this.count++;
        return true;
      }
      i = (i + 1) & mask;
    }
  }

  contains(h1: number, h2: number): boolean {
    h1 >>>= 0;
    h2 >>>= 0;
    const slots = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (;;) {
      const j = i << 1;
      const a = slots[j]!;
      const b = slots[j + 1]!;
      if (a === h1 && b === h2) return true;
      if ((a | b) === 0) return false;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    if (cap > 2 ** 30) throw new Error(`fingerprint table cannot grow beyond 2^30 slots`);
    const slots = new Uint32Array(cap * 2);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const a = old[j]!;
      const b = old[j + 1]!;
      if ((a | b) === 0) continue;
      let i = a & mask;
      while ((slots[i << 1]! | slots[(i << 1) + 1]!) !== 0) i = (i + 1) & mask;
      slots[i << 1] = a;
      slots[(i << 1) + 1] = b;
    }
    this.slots = slots;
    this.mask = mask;
    this.growAt = Math.floor(cap * MAX_LOAD_FACTOR);
  }
}
