// The discovery tree of a breadth-first search, in about 2 bytes per state.
//
// A BFS assigns state ids in discovery order and expands states in id order, so the children of
// each expanded state get consecutive ids, and the parent ids, read in child id order, never
// decrease. The tree is therefore fully described by:
//  - the number of initial states (ids 0 .. roots-1, no parent);
//  - for each expanded state, how many new states its expansion discovered (`kids`, one byte,
//    saturating at 255; the rare larger counts live in a Map);
//  - for each state, the action that discovered it (`via`, one byte when the model has at most
//    256 action instances, two otherwise).
// A parent id costs 1 byte instead of 4. Finding the path to a state is one backward scan over
// `kids` (each ancestor's parent is found further down in the same scan): O(states), done once
// per counterexample, ~tens of milliseconds at 20M states.
//
// Both columns grow by fixed chunks of CHUNK entries: no copying, no doubling, and at most one
// partly filled chunk per column as spare capacity.

import { NO_PARENT, type Path } from './replay.js';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const KIDS_SATURATED = 255;

type Column = Uint8Array | Uint16Array;

export class DiscoveryTree {
  /** True when via entries are 2 bytes (more than 256 action instances). */
  readonly wideVia: boolean;
  private readonly viaChunks: Column[] = [];
  private readonly kidsChunks: Uint8Array[] = [];
  private readonly kidsOverflow = new Map<number, number>();
  private readonly rootInit: number[] = [];
  private count = 0;
  private lastParent = -1;
  private viaTail: Column;
  private kidsTail: Uint8Array;
  private kidsTailBase = 0; // id of kidsTail[0]

  constructor(nActions: number) {
    if (nActions > 0x10000) throw new Error(`DiscoveryTree: ${nActions} action instances, at most 65536 supported`);
    this.wideVia = nActions > 256;
    this.viaTail = this.newViaChunk();
    this.kidsTail = new Uint8Array(CHUNK);
    this.kidsChunks.push(this.kidsTail);
  }

  /** Number of states recorded. */
  get size(): number {
    return this.count;
  }

  /** Number of initial states recorded. */
  get roots(): number {
    return this.rootInit.length;
  }

  /** Bytes allocated (chunk granularity). */
  bytes(): number {
    const viaBytes = this.viaChunks.length * CHUNK * (this.wideVia ? 2 : 1);
    return viaBytes + this.kidsChunks.length * CHUNK + this.kidsOverflow.size * 16;
  }

  /** Bytes the tree would allocate while `n` more states are added (an upper bound). */
  growthBytesWithin(n: number): number {
    const chunksFor = (ids: number) => Math.max(0, Math.ceil(ids / CHUNK));
    const via = chunksFor(this.count + n) - this.viaChunks.length;
    const kids = chunksFor(this.count + n) - this.kidsChunks.length;
    return Math.max(0, via) * CHUNK * (this.wideVia ? 2 : 1) + Math.max(0, kids) * CHUNK;
  }

  /**
   * Records an initial state; `initIndex` is its position in model.initStates' emission order.
   * Returns its id. All initial states come before any other state.
   */
  addRoot(initIndex: number): number {
    if (this.count !== this.rootInit.length) throw new Error('DiscoveryTree: initial states must come first');
    this.rootInit.push(initIndex);
    return this.push(0);
  }

  /**
   * Records a state discovered from `parent` by `action`; returns its id. Parents must come in
   * non-decreasing order (BFS expansion order), each an id already recorded.
   */
  addChild(parent: number, action: number): number {
    if (parent !== this.lastParent) {
      if (parent < this.lastParent || parent >= this.count) {
        throw new Error(`DiscoveryTree: parent ${parent} out of BFS order (last ${this.lastParent}, size ${this.count})`);
      }
      this.lastParent = parent;
      while (parent - this.kidsTailBase >= CHUNK) {
        this.kidsTail = new Uint8Array(CHUNK);
        this.kidsChunks.push(this.kidsTail);
        this.kidsTailBase += CHUNK;
      }
    }
    const k = parent - this.kidsTailBase;
    const c = this.kidsTail[k]!;
    if (c < KIDS_SATURATED) this.kidsTail[k] = c + 1;
    else this.kidsOverflow.set(parent, (this.kidsOverflow.get(parent) ?? 0) + 1);
    return this.push(action);
  }

  /** Action that discovered `id` (0 for initial states). */
  via(id: number): number {
    return this.viaChunks[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }

  /** Parent of `id`, NO_PARENT for initial states (O(states): for tests and diagnostics). */
  parent(id: number): number {
    const chain = this.ancestors(id);
    return chain.length > 1 ? chain[chain.length - 2]! : NO_PARENT;
  }

  /** Shortest-path tree path from an initial state to `id`. */
  pathTo(id: number): Path {
    const chain = this.ancestors(id);
    const actions: number[] = [];
    for (let i = 1; i < chain.length; i++) actions.push(this.via(chain[i]!));
    return { initIndex: this.rootInit[chain[0]!]!, actions };
  }

  /** Ids from the initial state down to `id` (inclusive). */
  private ancestors(id: number): number[] {
    if (!(id >= 0 && id < this.count)) throw new Error(`DiscoveryTree: no state ${id}`);
    const roots = this.rootInit.length;
    const chain = [id];
    let want = id;
    // Invariant: the children of parents 0..e are exactly the ids roots .. end-1, and want < end.
    let end = this.count;
    for (let e = this.lastParent; want >= roots && e >= 0; e--) {
      const start = end - this.kids(e);
      if (want >= start) {
        want = e;
        chain.push(e);
      }
      end = start;
    }
    if (want >= roots) throw new Error(`DiscoveryTree: state ${want} has no parent but is not an initial state`);
    return chain.reverse();
  }

  private kids(e: number): number {
    const c = this.kidsChunks[e >>> CHUNK_BITS]![e & CHUNK_MASK]!;
    return c < KIDS_SATURATED ? c : c + (this.kidsOverflow.get(e) ?? 0);
  }

  private push(action: number): number {
    const id = this.count;
    const k = id & CHUNK_MASK;
    if (k === 0 && id !== 0) this.viaTail = this.newViaChunk();
    this.viaTail[k] = action;
    this.count = id + 1;
    return id;
  }

  private newViaChunk(): Column {
    const c = this.wideVia ? new Uint16Array(CHUNK) : new Uint8Array(CHUNK);
    this.viaChunks.push(c);
    return c;
  }
}
