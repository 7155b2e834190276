// 64-bit state fingerprints, computed as two 32-bit hashes over the state's Uint32 words.
//
// The two halves use different mixing functions (a murmur3-style chain and an xxhash32-style
// chain, each with its own seed and finalizer), so a collision of one half tells nothing about
// the other: two distinct states are merged only if both collide, ~2^-64 per pair.
// Everything is Math.imul / shifts on int32 values: no allocation, no BigInt.

const M3_C1 = 0xcc9e2d51;
const M3_C2 = 0x1b873593;
const XX_P2 = 0x85ebca77;
const XX_P3 = 0xc2b2ae3d;
const XX_P4 = 0x27d4eb2f;
const XX_P5 = 0x165667b1;
const SEED_A = 0x2f6b8e1d;
const SEED_B = 0x71c3a6e5;

/**
 * Writes the fingerprint of `words[offset .. offset+count)` to `out[0]` (h1) and `out[1]` (h2).
 * Never produces the pair (0, 0): fingerprint tables reserve it for "empty slot".
 */
export function fingerprint(words: Uint32Array, offset: number, count: number, out: Uint32Array): void {
  let a = SEED_A | 0;
  let b = (SEED_B + XX_P5) | 0;
  const end = offset + count;
  for (let i = offset; i < end; i++) {
    const w = words[i]!;
    // murmur3 block step
    let k = Math.imul(w, M3_C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, M3_C2);
    a ^= k;
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    // xxhash32 4-byte step
    b = (b + Math.imul(w, XX_P3)) | 0;
    b = (b << 17) | (b >>> 15);
    b = Math.imul(b, XX_P4);
  }
  const len = count << 2;
  // murmur3 fmix32
  a ^= len;
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  // xxhash32 avalanche
  b = (b + len) | 0;
  b ^= b >>> 15;
  b = Math.imul(b, XX_P2);
  b ^= b >>> 13;
  b = Math.imul(b, XX_P3);
  b ^= b >>> 16;
  if ((a | b) === 0) b = 1; // (0,0) means "empty slot"
  out[0] = a;
  out[1] = b;
}

/**
 * Gives Uint32 access to state byte arrays without allocating per call: a state buffer that is
 * 4-byte aligned is viewed in place (the view is cached per buffer object, since models reuse
 * their scratch buffer); an unaligned one is copied into an owned aligned buffer.
 */
export class WordView {
  private lastBytes: Uint8Array | null = null;
  private lastWords: Uint32Array;
  private lastIsCopy = false;
  private readonly copyBytes: Uint8Array;
  private readonly copyWords: Uint32Array;

  constructor(readonly stateBytes: number) {
    if (stateBytes <= 0 || stateBytes % 4 !== 0) {
      throw new Error(`stateBytes must be a positive multiple of 4, got ${stateBytes}`);
    }
    this.copyBytes = new Uint8Array(stateBytes);
    this.copyWords = new Uint32Array(this.copyBytes.buffer);
    this.lastWords = this.copyWords;
  }

  /** Words of `s` (valid until the next call); only the first stateBytes bytes are used. */
  of(s: Uint8Array): Uint32Array {
    if (s !== this.lastBytes) this.rebind(s);
    if (this.lastIsCopy) this.copyBytes.set(s.subarray(0, this.stateBytes));
    return this.lastWords;
  }

  private rebind(s: Uint8Array): void {
    if (s.length < this.stateBytes) {
      throw new Error(`state buffer has ${s.length} bytes, the model declares stateBytes=${this.stateBytes}`);
    }
    this.lastBytes = s;
    if (s.byteOffset % 4 === 0) {
      this.lastWords = new Uint32Array(s.buffer, s.byteOffset, this.stateBytes >>> 2);
      this.lastIsCopy = false;
    } else {
      this.lastWords = this.copyWords;
      this.lastIsCopy = true;
    }
  }
}

/** Convenience (allocates): fingerprint of one state as [h1, h2]. Not for hot loops. */
export function fingerprintOf(s: Uint8Array, stateBytes: number = s.length): [number, number] {
  const words = new WordView(stateBytes).of(s);
  const out = new Uint32Array(2);
  fingerprint(words, 0, stateBytes >>> 2, out);
  return [out[0]!, out[1]!];
}
