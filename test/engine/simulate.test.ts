import { describe, expect, it } from 'vitest';
import { replayPath } from '../../engine/replay.js';
import { mulberry32, simulate } from '../../engine/simulate.js';
import { grid, hanoi } from './models.js';

describe('simulate', () => {
  it('is reproducible from the seed', () => {
    const m = hanoi(5);
    const a = simulate(m, { seed: 42, steps: 500 });
    const b = simulate(m, { seed: 42, steps: 500 });
    expect(a).toEqual(b);
    expect(a.end).toBe('steps');
    expect(a.actions.length).toBe(500);
    const c = simulate(m, { seed: 43, steps: 500 });
    expect(c.actions).not.toEqual(a.actions);
  });

  it('onStep sees the states replayPath rebuilds', () => {
    const m = hanoi(4);
    const seen: string[] = [];
    const r = simulate(m, {
      seed: 7,
      steps: 100,
      onStep: (_a, prev, next) => {
        if (seen.length === 0) seen.push(prev.join());
        seen.push(next.join());
      },
    });
    expect(replayPath(m, r.initIndex, r.actions).map((s) => s.join())).toEqual(seen);
  });

  it('stops at a deadlock', () => {
    const r = simulate(grid(3, 4, false), { seed: 1, steps: 100 });
    expect(r.end).toBe('deadlock');
    expect(r.actions.length).toBe(7); // every step moves one cell towards (3,4)
  });

  it('weights bias the choice; weight 0 excludes an action', () => {
    const m = grid(1_000_000, 1_000_000, false);
    const onlyUp = simulate(m, { seed: 3, steps: 50, weight: (a) => (a === 1 ? 1 : 0) });
    expect(new Set(onlyUp.actions)).toEqual(new Set([1]));
    const mostlyRight = simulate(m, { seed: 3, steps: 2000, weight: (a) => (a === 0 ? 9 : 1) });
    const right = mostlyRight.actions.filter((a) => a === 0).length / 2000;
    expect(right).toBeGreaterThan(0.85);
    expect(right).toBeLessThan(0.95);
    expect(() => simulate(m, { seed: 3, steps: 5, weight: () => -1 })).toThrow(/weight/);
  });

  it('mulberry32 is deterministic and in [0, 1)', () => {
    const r1 = mulberry32(123);
    const r2 = mulberry32(123);
    for (let i = 0; i < 1000; i++) {
      const x = r1();
      expect(x).toBe(r2());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
