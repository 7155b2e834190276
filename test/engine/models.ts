// Textbook models with known state spaces, written directly against the Model interface.

import type { Goal, Invariant, Model } from '../../engine/model.js';

const u32 = (s: Uint8Array): Uint32Array => new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);

/** Towers of Hanoi, n disks on pegs 0..2, all on peg 0 initially. Byte i = peg of disk i (0 smallest). */
export function hanoi(n: number): Model & { allOnLastPeg: Goal } {
  const stateBytes = Math.ceil(n / 4) * 4 || 4;
  const actionNames: string[] = [];
  const moves: [number, number][] = [];
  for (let p = 0; p < 3; p++)
    for (let q = 0; q < 3; q++)
      if (p !== q) {
        actionNames.push(`Move[${p},${q}]`);
        moves.push([p, q]);
      }
  const next = new Uint8Array(stateBytes);
  const top = [0, 0, 0];
  const allOnLastPeg: Goal = {
    id: 'all-on-last-peg',
    description: 'every disk is on peg 2',
    test: (s) => {
      for (let i = 0; i < n; i++) if (s[i] !== 2) return false;
      return true;
    },
  };
  return {
    name: `hanoi-${n}`,
    stateBytes,
    actionNames,
    actionFamilies: actionNames.map(() => 'Move'),
    families: ['Move'],
    invariants: [],
    goals: [allOnLastPeg],
    allOnLastPeg,
    initStates: (emit) => emit(new Uint8Array(stateBytes)),
    successors(s, emit) {
      top[0] = top[1] = top[2] = n; // n = empty peg
      for (let i = n - 1; i >= 0; i--) top[s[i]!] = i;
      for (let a = 0; a < moves.length; a++) {
        const [p, q] = moves[a]!;
        if (top[p]! < top[q]!) {
          next.set(s);
          next[top[p]!] = q;
          emit(a, next);
        }
      }
    },
    describe: (s) => {
      const d: Record<string, number> = {};
      for (let i = 0; i < n; i++) d[`disk${i}`] = s[i]!;
      return d;
    },
  };
}

/**
 * DieHard (as in the TLA+ examples): jugs of 3 and 5 gallons, six actions, each always enabled
 * (filling a full jug yields the same state, as in TLA+).
 */
export function dieHard(): Model & { bigIs4: Goal; notSolved: Invariant } {
  const actionNames = ['FillSmall', 'FillBig', 'EmptySmall', 'EmptyBig', 'SmallToBig', 'BigToSmall'];
  const next = new Uint8Array(4);
  const bigIs4: Goal = { id: 'big-is-4', description: 'the big jug holds 4 gallons', test: (s) => s[1] === 4 };
  const notSolved: Invariant = {
    id: 'NotSolved',
    description: 'the big jug never holds 4 gallons',
    check: (s) => (s[1] === 4 ? `big = 4 (small = ${s[0]})` : null),
  };
  return {
    name: 'die-hard',
    stateBytes: 4,
    actionNames,
    actionFamilies: actionNames,
    families: actionNames,
    invariants: [],
    goals: [bigIs4],
    bigIs4,
    notSolved,
    initStates: (emit) => emit(new Uint8Array(4)),
    successors(s, emit) {
      const small = s[0]!;
      const big = s[1]!;
      const put = (a: number, sm: number, bg: number) => {
        next[0] = sm;
        next[1] = bg;
        emit(a, next);
      };
      put(0, 3, big);
      put(1, small, 5);
      put(2, 0, big);
      put(3, small, 0);
      const toBig = Math.min(small, 5 - big);
      put(4, small - toBig, big + toBig);
      const toSmall = Math.min(big, 3 - small);
      put(5, small + toSmall, big - toSmall);
    },
    describe: (s) => ({ small: s[0]!, big: s[1]! }),
  };
}

/** Walk on the grid 0..n x 0..m from (0,0); two-way: Right/Up only; four-way adds Left/Down. */
export function grid(n: number, m: number, fourWay: boolean): Model {
  const actionNames = fourWay ? ['Right', 'Up', 'Left', 'Down'] : ['Right', 'Up'];
  const next = new Uint8Array(8);
  const w = u32(next);
  return {
    name: `grid-${n}x${m}${fourWay ? '-4way' : ''}`,
    stateBytes: 8,
    actionNames,
    actionFamilies: actionNames,
    families: actionNames,
    invariants: [],
    goals: [],
    initStates: (emit) => emit(new Uint8Array(8)),
    successors(s, emit) {
      const v = u32(s);
      const x = v[0]!;
      const y = v[1]!;
      const go = (a: number, nx: number, ny: number) => {
        w[0] = nx;
        w[1] = ny;
        emit(a, next);
      };
      if (x < n) go(0, x + 1, y);
      if (y < m) go(1, x, y + 1);
      if (fourWay && x > 0) go(2, x - 1, y);
      if (fourWay && y > 0) go(3, x, y - 1);
    },
    describe: (s) => ({ x: u32(s)[0]!, y: u32(s)[1]! }),
  };
}

/** Counter 0, 1, 2, ... (practically unbounded): for budgets and interruption. */
export function endlessCounter(): Model {
  const next = new Uint8Array(4);
  const w = u32(next);
  return {
    name: 'endless-counter',
    stateBytes: 4,
    actionNames: ['Inc'],
    actionFamilies: ['Inc'],
    families: ['Inc'],
    invariants: [],
    goals: [],
    initStates: (emit) => emit(new Uint8Array(4)),
    successors(s, emit) {
      w[0] = u32(s)[0]! + 1;
      emit(0, next);
    },
    describe: (s) => ({ x: u32(s)[0]! }),
  };
}

/**
 * A directed graph as a model: state = node id; action Go[j] moves to node j when the edge
 * (i, j) exists. Initial states are emitted in the order given (duplicates included).
 */
export function graphModel(nodes: number, edges: readonly (readonly [number, number])[], inits: readonly number[]): Model {
  const adj: boolean[][] = Array.from({ length: nodes }, () => new Array<boolean>(nodes).fill(false));
  for (const [i, j] of edges) adj[i]![j] = true;
  const actionNames = Array.from({ length: nodes }, (_, j) => `Go[${j}]`);
  const next = new Uint8Array(4);
  const w = u32(next);
  return {
    name: 'graph',
    stateBytes: 4,
    actionNames,
    actionFamilies: actionNames.map(() => 'Go'),
    families: ['Go'],
    invariants: [],
    goals: [],
    initStates(emit) {
      for (const i of inits) {
        const s = new Uint8Array(4);
        u32(s)[0] = i;
        emit(s);
      }
    },
    successors(s, emit) {
      const row = adj[u32(s)[0]!]!;
      for (let j = 0; j < nodes; j++)
        if (row[j]) {
          w[0] = j;
          emit(j, next);
        }
    },
    describe: (s) => ({ node: u32(s)[0]! }),
  };
}

/** `dims` counters, each 0..k-1, state = dims Uint32 words; Inc[i] bumps counter i: k^dims states. */
export function counterLattice(k: number, dims: number): Model {
  const stateBytes = dims * 4;
  const actionNames = Array.from({ length: dims }, (_, i) => `Inc[${i}]`);
  const next = new Uint8Array(stateBytes);
  const w = u32(next);
  return {
    name: `lattice-${k}^${dims}`,
    stateBytes,
    actionNames,
    actionFamilies: actionNames.map(() => 'Inc'),
    families: ['Inc'],
    invariants: [],
    goals: [],
    initStates: (emit) => emit(new Uint8Array(stateBytes)),
    successors(s, emit) {
      const v = u32(s);
      for (let i = 0; i < dims; i++) {
        if (v[i]! + 1 >= k) continue;
        w.set(v);
        w[i] = v[i]! + 1;
        emit(i, next);
      }
    },
    describe: (s) => Object.fromEntries(Array.from(u32(s), (x, i) => [`c${i}`, x])),
  };
}
