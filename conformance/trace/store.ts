// Interning tables for the fast candidate engine (fast-engine.ts): model states, sets of states and
// sets of registers become small integers or shared objects, so that candidate sets are sorted
// integer arrays and the work done for one set is done once, whatever the event.
//
// Nothing here knows the model: a state is `stateBytes` opaque bytes.

// ---- states -------------------------------------------------------------------------------------

/**
 * Model states interned to ids 0, 1, 2 … in order of first sight. The bytes live in one growing
 * arena (a Uint32Array: states are a multiple of 4 bytes long), the ids in an open-addressing table
 * (linear probing, power-of-two size, load <= 1/2) of (hash, id + 1) pairs (id + 1 = 0: empty slot),
 * so that a probe reads the arena only when the hashes agree.
 */
export class StateStore {
  readonly words: number;
  private arena: Uint32Array;
  private hashes: Int32Array;
  private table: Int32Array;
  private mask: number;
  private n = 0;
  /** Uint32 view of the last buffer hashed (models hand out the same scratch buffer every time). */
  private lastBuf: ArrayBufferLike | null = null;
  private lastOff = -1;
  private lastView: Uint32Array | null = null;

  constructor(readonly stateBytes: number, initial = 1 << 12) {
    if (stateBytes % 4 !== 0) throw new Error(`stateBytes must be a multiple of 4, got ${stateBytes}`);
    this.words = stateBytes >> 2;
    this.arena = new Uint32Array(Math.max(1, initial * this.words));
    this.hashes = new Int32Array(initial);
    let cap = 16;
    while (cap < initial * 2) cap <<= 1;
    this.table = new Int32Array(2 * cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Bytes held (arena, hashes, table). */
  bytes(): number {
    return this.arena.byteLength + this.hashes.byteLength + this.table.byteLength;
  }

  private view(s: Uint8Array): Uint32Array {
    if (s.buffer === this.lastBuf && s.byteOffset === this.lastOff) return this.lastView!;
    let v: Uint32Array;
    if ((s.byteOffset & 3) === 0) v = new Uint32Array(s.buffer, s.byteOffset, this.words);
    else v = new Uint32Array(s.slice(0, this.stateBytes).buffer);
    this.lastBuf = s.buffer;
    this.lastOff = s.byteOffset;
    this.lastView = v;
    return v;
  }

  private static hash(w: Uint32Array, off: number, count: number): number {
    let h = 0x2f6b8e1d ^ count;
    for (let i = off; i < off + count; i++) {
      let k = Math.imul(w[i]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The id of state `s` (a copy of its bytes is kept on first sight). */
  intern(s: Uint8Array): number {
    const w = this.view(s);
    const W = this.words;
    const h = StateStore.hash(w, 0, W);
    const arena = this.arena;
    const table = this.table;
    let i = h & this.mask;
    for (;;) {
      const e = table[2 * i + 1]!;
      if (e === 0) break;
      if (table[2 * i] === h) {
        const id = e - 1;
        const o = id * W;
        let eq = true;
        for (let k = 0; k < W; k++) {
          if (arena[o + k] !== w[k]) {
            eq = false;
            break;
          }
        }
        if (eq) return id;
      }
      i = (i + 1) & this.mask;
    }
    const id = this.n++;
    if (id >= this.hashes.length) this.growArena();
    this.arena.set(w, id * W);
    this.hashes[id] = h;
    table[2 * i] = h;
    table[2 * i + 1] = id + 1;
    // load at most 3/4 (the probes compare stored hashes first)
    if (this.n * 8 > this.table.length * 3) this.growTable();
    return id;
  }

  /** The bytes of state `id` (a view into the arena: valid until the next intern). */
  get(id: number): Uint8Array {
    const W = this.words;
    return new Uint8Array(this.arena.buffer, id * W * 4, this.stateBytes);
  }

  /** A copy of the bytes of state `id`. */
  copy(id: number): Uint8Array {
    return this.get(id).slice();
  }

  private growArena(): void {
    // by half: the arena is most of the engine's memory, a doubling would leave half of it unused
    const cap = Math.ceil(this.hashes.length * 1.5) + 16;
    const a = new Uint32Array(cap * this.words);
    a.set(this.arena);
    this.arena = a;
    const h = new Int32Array(cap);
    h.set(this.hashes);
    this.hashes = h;
  }

  private growTable(): void {
    const cap = this.table.length; // slots: twice the old number
    const t = new Int32Array(2 * cap);
    const m = cap - 1;
    for (let id = 0; id < this.n; id++) {
      const h = this.hashes[id]!;
      let i = h & m;
      while (t[2 * i + 1] !== 0) i = (i + 1) & m;
      t[2 * i] = h;
      t[2 * i + 1] = id + 1;
    }
    this.table = t;
    this.mask = m;
  }
}

// ---- sets of states -------------------------------------------------------------------------------

/**
 * An interned set of state ids (sorted, no duplicates). Equal sets are the same object, so per-set
 * results (its silent closure, which of its members explain an event) are computed once and kept
 * on the object.
 */
export class SSet {
  /** Results memoised on this set by the engine. */
  memo: Map<number, unknown> | null = null;
  constructor(readonly ids: Int32Array, readonly hash: number, readonly serial: number) {}
  get size(): number {
    return this.ids.length;
  }
}

function hashIds(ids: Int32Array): number {
  let h = 0x71c3a6e5 ^ ids.length;
  for (let i = 0; i < ids.length; i++) {
    let k = Math.imul(ids[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h ^ (h >>> 16);
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SetStore {
  private readonly byHash = new Map<number, SSet | SSet[]>();
  private serials = 0;
  /** Ints held by the interned sets (for memory accounting). */
  ints = 0;
  private readonly unions = new Map<number, Map<number, SSet>>();
  /** Memoised unions (for memory accounting). */
  unionCount = 0;
  readonly empty: SSet;

  constructor() {
    this.empty = this.internSorted(new Int32Array(0));
  }

  get count(): number {
    return this.serials;
  }

  /** Interns a sorted, duplicate-free id array (which the set then owns). */
  internSorted(ids: Int32Array): SSet {
    const h = hashIds(ids);
    const cur = this.byHash.get(h);
    if (cur !== undefined) {
      if (!Array.isArray(cur)) {
        if (sameIds(cur.ids, ids)) return cur;
      } else {
        for (const s of cur) if (sameIds(s.ids, ids)) return s;
      }
    }
    const s = new SSet(ids, h, this.serials++);
    this.ints += ids.length;
    if (cur === undefined) this.byHash.set(h, s);
    else if (Array.isArray(cur)) cur.push(s);
    else this.byHash.set(h, [cur, s]);
    return s;
  }

  /** Interns the set of the first `n` ids of `buf` (any order, duplicates allowed). */
  internUnsorted(buf: Int32Array, n: number): SSet {
    if (n === 0) return this.empty;
    const a = buf.slice(0, n).sort();
    let k = 1;
    for (let i = 1; i < n; i++) if (a[i] !== a[k - 1]) a[k++] = a[i]!;
    return this.internSorted(k === n ? a : a.slice(0, k));
  }

  union(a: SSet, b: SSet): SSet {
    if (a === b || b.size === 0) return a;
    if (a.size === 0) return b;
    if (a.serial > b.serial) [a, b] = [b, a];
    let m = this.unions.get(a.serial);
    if (m === undefined) this.unions.set(a.serial, (m = new Map()));
    let u = m.get(b.serial);
    if (u === undefined) {
      const x = a.ids;
      const y = b.ids;
      const out = new Int32Array(x.length + y.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < x.length && j < y.length) {
        const p = x[i]!;
        const q = y[j]!;
        if (p < q) { out[k++] = p; i++; } else if (q < p) { out[k++] = q; j++; } else { out[k++] = p; i++; j++; }
      }
      while (i < x.length) out[k++] = x[i++]!;
      while (j < y.length) out[k++] = y[j++]!;
      u = this.internSorted(k === out.length ? out : out.slice(0, k));
      m.set(b.serial, u);
      this.unionCount++;
    }
    return u;
  }
}

// ---- register masks ---------------------------------------------------------------------------------

/**
 * Sets of register indices interned to small ids (0 = the empty set), with memoised union and
 * intersection. Registers themselves are interned to indices by the engine.
 */
export class MaskStore {
  private readonly byKey = new Map<string, number>();
  readonly members: (readonly number[])[] = [];
  private readonly unions = new Map<number, number>();
  private readonly inters = new Map<number, number>();

  constructor() {
    this.intern([]);
  }

  /** Id of the set of these register indices (any order, duplicates allowed). */
  intern(regs: readonly number[]): number {
    const sorted = [...new Set(regs)].sort((a, b) => a - b);
    const key = sorted.join(',');
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.members.length;
      // the engine packs mask ids into 13 bits of numeric keys
      if (id >= 0x2000) throw new Error('fast engine: more than 8192 distinct sets of cleared registers');
      this.members.push(sorted);
      this.byKey.set(key, id);
    }
    return id;
  }

  union(a: number, b: number): number {
    if (a === b || b === 0) return a;
    if (a === 0) return b;
    const k = a < b ? a * 0x100000 + b : b * 0x100000 + a;
    let u = this.unions.get(k);
    if (u === undefined) {
      u = this.intern([...this.members[a]!, ...this.members[b]!]);
      this.unions.set(k, u);
    }
    return u;
  }

  intersect(a: number, b: number): number {
    if (a === 0 || b === 0) return 0;
    if (a === b) return a;
    const k = a < b ? a * 0x100000 + b : b * 0x100000 + a;
    let u = this.inters.get(k);
    if (u === undefined) {
      const bs = new Set(this.members[b]!);
      u = this.intern(this.members[a]!.filter((r) => bs.has(r)));
      this.inters.set(k, u);
    }
    return u;
  }
}
