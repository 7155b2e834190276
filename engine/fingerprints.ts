// The set of visited states, stored as 64-bit fingerprints (see hash.ts) only.
//
// Layout: one Uint32Array of [h1, h2] pairs (8 bytes a slot), (0, 0) marking an empty slot
// (fingerprint() never yields it). Every fingerprint is kept in full, so two distinct states are
// merged only if their 64-bit fingerprints collide (~n^2 / 2^65 for n states), as before.
//
// Memory is what this table is about: it is most of the checker's bytes per state. Three choices
// keep it at 8.9..13.3 bytes per state (spare capacity included) at every size, against
// 10.7..21.3 for a power-of-two linear-probing table doubling at load 0.75:
//
//  1. Any capacity, not just powers of two. The home slot of (h1, h2) is floor(h1 * cap / 2^32)
//     (multiply-shift range reduction, in float math: h1 < 2^32 and cap < 2^31, the product is
//     rounded once, and rounding is monotone), so the table can grow by GROWTH_FACTOR = 1.5.
//
//  2. Ordered linear probing (Amble & Knuth 1974): the non-empty slots hold the fingerprints in
//     increasing (h1, h2) order, and each one sits at or after its home slot with no empty slot
//     in between. Since the home slot is monotone in h1 this is just a sorted array with gaps.
//     A search stops at the first slot holding a larger fingerprint, so a miss (the insertion
//     of every new state) costs about what a hit costs: ~(1 + 1/(1-a))/2 slots, 5.5 at load 0.9
//     (plain linear probing needs (1 + 1/(1-a)^2)/2 = 50 there). Inserting shifts the rest of
//     the run right by one slot up to the next empty one (a short memmove over adjacent memory).
//     This is what lets MAX_LOAD_FACTOR be 0.9; after growth the load is 0.9/1.5 = 0.6.
//
//  3. No wrap-around: SPILL extra slots follow the last home slot, so the whole table is one
//     sorted sequence and growth is a single sequential merge pass (no random access): each
//     fingerprint goes to max(its new home, previous position + 1). If a run ever reaches the
//     end of the spill area, the table grows early.
//
// Measured on a 16-byte-state lattice at 20M states (Node 20, one core): insertion throughput
// about the same as the old table, at 13.3 vs 21.3 bytes per state in the worst case.

export const MAX_LOAD_FACTOR = 0.9;
export const GROWTH_FACTOR = 1.5;
/** Slots past the last home slot (so probes never wrap around). */
export const SPILL = 1024;
const MAX_CAPACITY = 2 ** 30;
const TWO_TO_MINUS_32 = 2 ** -32;

export class FingerprintTable {
  private slots: Uint32Array;
  /** Home slots: homes are 0 .. cap-1; the array has cap + SPILL slots. */
  private cap: number;
  private scale: number;
  private count = 0;
  private growAt: number;
  private readonly maxLoad: number;
  private readonly growth: number;

  /**
   * `initialCapacity` is in slots. `maxLoad` and `growth` are for experiments and tests; the
   * defaults are MAX_LOAD_FACTOR and GROWTH_FACTOR.
   */
  constructor(initialCapacity = 1 << 16, maxLoad = MAX_LOAD_FACTOR, growth = GROWTH_FACTOR) {
    if (!(maxLoad > 0 && maxLoad < 1)) throw new Error(`maxLoad must be in (0, 1), got ${maxLoad}`);
    if (!(growth > 1)) throw new Error(`growth must be > 1, got ${growth}`);
    this.maxLoad = maxLoad;
    this.growth = growth;
    this.cap = Math.max(16, Math.ceil(initialCapacity));
    this.slots = new Uint32Array((this.cap + SPILL) * 2);
    this.scale = this.cap * TWO_TO_MINUS_32;
    this.growAt = Math.floor(this.cap * maxLoad);
  }

  /** Number of fingerprints stored. */
  get size(): number {
    return this.count;
  }

  /** Number of home slots (the table also holds SPILL overflow slots). */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held by the table. */
  bytes(): number {
    return this.slots.byteLength;
  }

  /** Bytes the table will hold after its next growth (for memory budgets). */
  bytesAfterGrowth(): number {
    return (this.nextCapacity(this.cap) + SPILL) * 8;
  }

  /**
   * Bytes the table would allocate while `n` more fingerprints are added (the growth's new
   * array, held next to the old one while it is filled), 0 if no growth is due by then.
   */
  growthBytesWithin(n: number): number {
    return this.count + n >= this.growAt ? this.bytesAfterGrowth() : 0;
  }

  /** True when the next new fingerprint triggers a growth. */
  get fullBeforeGrowth(): boolean {
    return this.count >= this.growAt;
  }

  /** Adds (h1, h2) unless present; true if it was added. */
  insertIfAbsent(h1: number, h2: number): boolean {
    h1 >>>= 0; // Uint32Array reads are unsigned; accept int32 inputs too
    h2 >>>= 0;
    if (this.count >= this.growAt) this.grow();
    for (;;) {
      const slots = this.slots;
      // Find the first slot, from the home slot on, that is empty or holds a larger fingerprint.
      let j = ((h1 * this.scale) | 0) << 1;
      for (;;) {
        const a = slots[j]!;
        if (a === h1) {
          const b = slots[j + 1]!;
          if (b === h2) return false;
          if (b > h2 || (a | b) === 0) break;
        } else if (a > h1 || (a | slots[j + 1]!) === 0) break;
        j += 2;
      }
      if (j === slots.length) {
        this.grow(); // every slot up to the end of the spill area is smaller: rare, grow early
        continue;
      }
      // Insert at j, shifting the run [j, next empty) right by one slot.
      if ((slots[j]! | slots[j + 1]!) !== 0) {
        const end = slots.length;
        let e = j + 2;
        while (e < end && (slots[e]! | slots[e + 1]!) !== 0) e += 2;
        if (e === end) {
          this.grow(); // the run reaches the end of the spill area: rare, grow early
          continue;
        }
        if (e - j <= 16) {
          for (let k = e + 1; k >= j + 2; k--) slots[k] = slots[k - 2]!;
        } else {
          slots.copyWithin(j + 2, j, e);
        }
      }
      slots[j] = h1;
      slots[j + 1] = h2;
      this.count++;
      return true;
    }
  }

  contains(h1: number, h2: number): boolean {
    h1 >>>= 0;
    h2 >>>= 0;
    const slots = this.slots;
    let j = ((h1 * this.scale) | 0) << 1;
    for (;;) {
      const a = slots[j]!;
      if (a === h1) {
        const b = slots[j + 1]!;
        if (b === h2) return true;
        if (b > h2 || (a | b) === 0) return false;
      } else if (a > h1 || (a | slots[j + 1]!) === 0) return false;
      j += 2;
    }
  }

  private nextCapacity(cap: number): number {
    return Math.max(cap + 16, Math.ceil(cap * this.growth));
  }

  private grow(): void {
    const old = this.slots;
    let cap = this.cap;
    for (;;) {
      cap = this.nextCapacity(cap);
      if (cap > MAX_CAPACITY) throw new Error(`fingerprint table cannot grow beyond 2^30 slots`);
      const slots = new Uint32Array((cap + SPILL) * 2);
      const scale = cap * TWO_TO_MINUS_32;
      const end = slots.length;
      // One sequential merge pass: the old table is sorted, so is the new one.
      let next = 0; // first free slot index * 2 in the new table
      let ok = true;
      for (let i = 0; i < old.length; i += 2) {
        const a = old[i]!;
        const b = old[i + 1]!;
        if ((a | b) === 0) continue;
        const home = ((a * scale) | 0) << 1;
        const j = home > next ? home : next;
        if (j >= end) {
          ok = false; // the last run overflows the spill area: try a larger capacity
          break;
        }
        slots[j] = a;
        slots[j + 1] = b;
        next = j + 2;
      }
      if (!ok) continue;
      this.slots = slots;
      this.cap = cap;
      this.scale = scale;
      this.growAt = Math.floor(cap * this.maxLoad);
      return;
    }
  }
}
