// Textbook models whose state spaces are known from first principles.

import { describe, expect, it } from 'vitest';
import { check, type CheckResult } from '../../engine/bfs.js';
import { replayPath } from '../../engine/replay.js';
import { dieHard, grid, hanoi } from './models.js';

describe('Towers of Hanoi', () => {
  for (const n of [1, 2, 3, 5, 7]) {
    it(`n=${n}: 3^n states, diameter from the start 2^n-1, 3^(n+1)-2 generated`, () => {
      const r = check(hanoi(n));
      expect(r.verdict).toBe('complete');
      expect(r.distinctStates).toBe(3 ** n);
      // The perfect start state's farthest states are the other two perfect states.
      expect(r.maxDepth).toBe(2 ** n - 1);
      expect(r.tlcDepth).toBe(2 ** n);
      // Perfect states (3) allow 2 moves, every other state 3; plus the one initial state.
      expect(r.generatedStates).toBe(3 ** (n + 1) - 2);
      expect(r.actions).toEqual({ Move: 3 ** (n + 1) - 3 });
      expect(r.neverFired).toEqual([]);
      expect(r.goalReached).toBeNull();
      expect(r.violation).toBeUndefined();
    });
  }

  it('shortest path to "all on the last peg" has 2^n-1 moves, and replays', () => {
    const n = 6;
    const m = hanoi(n);
    const r = check(m, { goal: m.allOnLastPeg });
    expect(r.goalReached).not.toBeNull();
    const g = r.goalReached!;
    expect(g.goal).toBe('all-on-last-peg');
    expect(g.trace.length).toBe(2 ** n); // initial state + 2^n-1 moves
    expect(g.trace[0]!.action).toBeNull();
    expect(g.trace[0]!.changed).toEqual([]);
    expect(g.trace.at(-1)!.state).toEqual(Object.fromEntries(Array.from({ length: n }, (_, i) => [`disk${i}`, 2])));
    // Each move changes exactly one disk.
    for (const step of g.trace.slice(1)) expect(step.changed.length).toBe(1);
    const states = replayPath(m, g.path.initIndex, g.path.actions);
    expect(m.allOnLastPeg.test(states.at(-1)!)).toBe(true);
    expect(g.path.actions.map((a) => m.actionNames[a])).toEqual(g.trace.slice(1).map((s) => s.action));
  });
});

describe('DieHard (3 and 5 gallon jugs)', () => {
  it('reaches the 16 states where some jug is empty or full', () => {
    const r = check(dieHard());
    expect(r.verdict).toBe('complete');
    // (s,b) with s in {0,3} or b in {0,5}: 2*6 + 2*2 = 16; all of them reachable.
    expect(r.distinctStates).toBe(16);
    // Every action is always enabled: 1 initial + 16 * 6 successors (TLC: 97 generated).
    expect(r.generatedStates).toBe(97);
    // Farthest states (0,4) and (3,1) need 7 steps; TLC prints depth 8.
    expect(r.maxDepth).toBe(7);
    expect(r.tlcDepth).toBe(8);
    for (const f of ['FillSmall', 'FillBig', 'EmptySmall', 'EmptyBig', 'SmallToBig', 'BigToSmall']) {
      expect(r.actions[f]).toBe(16);
    }
  });

  it('the shortest way to 4 gallons takes 6 steps (invariant NotSolved violated)', () => {
    const m = dieHard();
    const r = check(m, { invariants: [m.notSolved] });
    expect(r.verdict).toBe('violated');
    expect(r.invariants).toEqual(['NotSolved']);
    const v = r.violation!;
    expect(v.invariant).toBe('NotSolved');
    expect(v.message).toBe('big = 4 (small = 3)');
    expect(v.trace.map((s) => s.action)).toEqual([
      null,
      'FillBig',
      'BigToSmall',
      'EmptySmall',
      'BigToSmall',
      'FillBig',
      'BigToSmall',
    ]);
    expect(v.trace.map((s) => [s.state.small, s.state.big])).toEqual([
      [0, 0],
      [0, 5],
      [3, 2],
      [0, 2],
      [2, 0],
      [2, 5],
      [3, 4],
    ]);
    expect(v.trace[1]!.changed).toEqual(['big']);
    expect(v.trace[2]!.changed).toEqual(['small', 'big']);
  });

  it('the goal "big = 4" is reached in 6 steps', () => {
    const m = dieHard();
    const r = check(m, { goal: m.bigIs4 });
    expect(r.goalReached!.trace.length).toBe(7);
    expect(r.goalReached!.trace.at(-1)!.state).toEqual({ small: 3, big: 4 });
  });
});

describe('grid walk', () => {
  it('(n+1)(m+1) states, diameter n+m (four directions, no deadlock)', () => {
    const [n, m] = [7, 4];
    const r = check(grid(n, m, true));
    expect(r.verdict).toBe('complete');
    expect(r.distinctStates).toBe((n + 1) * (m + 1));
    expect(r.maxDepth).toBe(n + m);
    // Out-degree summed over the grid: 2 * (horizontal edges + vertical edges).
    expect(r.generatedStates).toBe(1 + 2 * (n * (m + 1) + m * (n + 1)));
  });

  it('Right/Up only: the corner (n,m) is the one deadlock, n+m steps away', () => {
    const [n, m] = [3, 5];
    const r = check(grid(n, m, false));
    expect(r.verdict).toBe('violated');
    expect(r.violation!.invariant).toBe('deadlock');
    expect(r.violation!.trace.length).toBe(n + m + 1);
    expect(r.violation!.trace.at(-1)!.state).toEqual({ x: n, y: m });
    const free = check(grid(n, m, false), { deadlock: false });
    expect(free.verdict).toBe('complete');
    expect(free.deadlockChecked).toBe(false);
    expect(free.distinctStates).toBe((n + 1) * (m + 1));
    expect(free.generatedStates).toBe(1 + n * (m + 1) + m * (n + 1));
    expect(free.actions).toEqual({ Right: n * (m + 1), Up: m * (n + 1) });
  });
});

describe('determinism', () => {
  const stable = (r: CheckResult) => {
    const { durationMs, statesPerSecond, ...rest } = r;
    void durationMs;
    void statesPerSecond;
    return rest;
  };
  it('two runs give identical results', () => {
    const m = hanoi(6);
    expect(stable(check(m, { goal: m.allOnLastPeg }))).toEqual(stable(check(m, { goal: m.allOnLastPeg })));
    expect(stable(check(dieHard()))).toEqual(stable(check(dieHard())));
    expect(stable(check(grid(3, 5, false)))).toEqual(stable(check(grid(3, 5, false))));
  });
});
