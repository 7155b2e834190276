// FIFO of fixed-size states kept as raw words in fixed-size chunks (the BFS frontier).
//
// Chunks avoid both per-state objects and the copy-everything cost of one big growable array;
// a fully consumed chunk is kept as a spare for the next allocation, so steady-state BFS
// allocates nothing.

const TARGET_CHUNK_BYTES = 256 * 1024;

export class StateQueue {
  private readonly wordsPerState: number;
  private readonly chunkWords: number;
  private readonly chunks: (Uint32Array | null)[] = [];
  private headIndex = 0;
  private head: Uint32Array;
  private headOff = 0;
  private tail: Uint32Array;
  private tailOff = 0;
  private spare: Uint32Array | null = null;
  private count = 0;
  private allocated = 0;
  private peak = 0;

  constructor(stateBytes: number) {
    this.wordsPerState = stateBytes >>> 2;
    const chunkStates = Math.max(64, Math.floor(TARGET_CHUNK_BYTES / stateBytes));
    this.chunkWords = chunkStates * this.wordsPerState;
    const first = this.allocate();
    this.chunks.push(first);
    this.head = first;
    this.tail = first;
  }

  /** States queued. */
  get length(): number {
    return this.count;
  }

  /** Bytes currently allocated (chunk granularity, spare included). */
  get bytes(): number {
    return this.allocated;
  }

  /** Highest value `bytes` has reached. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Appends the state at `src[offset .. offset+wordsPerState)`. */
  push(src: Uint32Array, offset: number): void {
    if (this.tailOff === this.chunkWords) this.addTailChunk();
    const t = this.tail;
    const o = this.tailOff;
    const n = this.wordsPerState;
    for (let i = 0; i < n; i++) t[o + i] = src[offset + i]!;
    this.tailOff = o + n;
    this.count++;
  }

  /** Removes the oldest state into `dst[0 .. wordsPerState)`. Caller checks `length > 0`. */
  shift(dst: Uint32Array): void {
    if (this.count === 0) throw new Error('StateQueue.shift on empty queue');
    if (this.headOff === this.chunkWords) this.advanceHead();
    const h = this.head;
    const o = this.headOff;
    const n = this.wordsPerState;
    for (let i = 0; i < n; i++) dst[i] = h[o + i]!;
    this.headOff = o + n;
    this.count--;
  }

  private allocate(): Uint32Array {
    if (this.spare !== null) {
      const c = this.spare;
      this.spare = null;
      return c;
    }
    this.allocated += this.chunkWords * 4;
    if (this.allocated > this.peak) this.peak = this.allocated;
    return new Uint32Array(this.chunkWords);
  }

  private addTailChunk(): void {
    const c = this.allocate();
    this.chunks.push(c);
    this.tail = c;
    this.tailOff = 0;
  }

  private advanceHead(): void {
    const done = this.chunks[this.headIndex]!;
    this.chunks[this.headIndex] = null;
    if (this.spare === null) this.spare = done;
    else this.allocated -= this.chunkWords * 4;
    this.headIndex++;
    this.head = this.chunks[this.headIndex]!;
    this.headOff = 0;
  }
}
