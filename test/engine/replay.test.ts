// Replay of recorded paths, and detection of models that do not replay.

import { describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import type { Model } from '../../engine/model.js';
import { replayPath } from '../../engine/replay.js';
import { dieHard, endlessCounter, hanoi } from './models.js';

/** A counter whose Inc changes meaning once `drift` is set (by the invariant, mid-search). */
function drifting(kind: 'jump' | 'disable' | 'wrong-last'): Model {
  const base = endlessCounter();
  let drift = false;
  const next = new Uint8Array(4);
  const limit = kind === 'wrong-last' ? 1 : 5;
  return {
    ...base,
    invariants: [
      {
        id: 'below-limit',
        description: `x < ${limit}`,
        check: (s) => {
          if (s[0]! < limit) return null;
          drift = true;
          return `x = ${s[0]}`;
        },
      },
    ],
    successors(s, emit) {
      if (drift && kind === 'disable') return;
      next[0] = s[0]! + (drift ? 2 : 1);
      emit(0, next);
    },
  };
}

describe('replay', () => {
  it('replayPath returns every state of the path', () => {
    const m = dieHard();
    const states = replayPath(m, 0, [1, 5]); // FillBig, BigToSmall
    expect(states.map((s) => m.describe(s))).toEqual([
      { small: 0, big: 0 },
      { small: 0, big: 5 },
      { small: 3, big: 2 },
    ]);
  });

  it('a path found by check() replays to the same end state', () => {
    const m = hanoi(4);
    const r = check(m, { goal: m.allOnLastPeg });
    const states = replayPath(m, r.goalReached!.path.initIndex, r.goalReached!.path.actions);
    expect(states.length).toBe(16);
    expect(m.describe(states.at(-1)!)).toEqual(r.goalReached!.trace.at(-1)!.state);
  });

  it('replayPath rejects a disabled action', () => {
    const m = hanoi(3);
    // Move[1,0] (index 2) is not enabled from the start: peg 1 is empty.
    expect(() => replayPath(m, 0, [2])).toThrow(/^the model is not deterministic/);
  });

  for (const kind of ['jump', 'disable', 'wrong-last'] as const) {
    it(`a nondeterministic model is caught when its counterexample is rebuilt (${kind})`, () => {
      expect(() => check(drifting(kind))).toThrow(/^the model is not deterministic/);
    });
  }

  it('the same model replays fine when it does not drift', () => {
    const base = endlessCounter();
    const r = check(
      { ...base, invariants: [{ id: 'below-5', description: '', check: (s) => (s[0]! < 5 ? null : 'x = 5') }] },
      {},
    );
    expect(r.violation!.trace.length).toBe(6);
  });
});
