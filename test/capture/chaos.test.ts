// Chaos programs (capture/chaos-program.ts): the same seed gives the same program, every drawn
// program is well formed, a recorded program reads back, and bad input is refused with the field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chaosProgram, chaosProgramArb, describeStep, parseChaosProgram } from '../../capture/chaos-program.js';
import { captureMain } from '../../capture/cli.js';

describe('chaos programs', () => {
  it('the same seed gives the same program; different seeds differ', () => {
    expect(chaosProgram(42)).toEqual(chaosProgram(42));
    const distinct = new Set(Array.from({ length: 20 }, (_, k) => JSON.stringify({ ...chaosProgram(k), seed: 0 })));
    expect(distinct.size).toBeGreaterThan(15);
  });

  it('every drawn program is well formed and reads back from its JSON', () => {
    fc.assert(fc.property(chaosProgramArb({ durationMs: 5000, maxReplicas: 2 }), (p) => {
      const n = p.setup.replicas;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(2);
      expect(p.setup.replicaDual).toHaveLength(n);
      expect(p.setup.replicaStartMs).toHaveLength(n);
      for (let i = 0; i < p.steps.length; i++) {
        const s = p.steps[i]!;
        expect(s.at).toBeGreaterThanOrEqual(0);
        expect(s.at).toBeLessThanOrEqual(5000);
        if (i > 0) expect(s.at).toBeGreaterThanOrEqual(p.steps[i - 1]!.at);
        if ('replica' in s) expect(s.replica).toBeLessThan(n);
        expect(describeStep(s).length).toBeGreaterThan(5);
      }
      expect(parseChaosProgram(JSON.stringify(p))).toEqual(p);
    }), { numRuns: 200 });
  });

  it('a malformed program is refused, naming the field', () => {
    const p = chaosProgram(7, { maxReplicas: 1 });
    expect(() => parseChaosProgram('{')).toThrow(/not JSON/);
    expect(() => parseChaosProgram(JSON.stringify({ ...p, setup: { ...p.setup, replicas: 4 } }))).toThrow(/setup\.replicas/);
    expect(() => parseChaosProgram(JSON.stringify({ ...p, setup: { ...p.setup, loglevel: 'loud' } }))).toThrow(/setup\.loglevel/);
    expect(() => parseChaosProgram(JSON.stringify({ ...p, steps: [{ at: 5, op: 'explode' }] }))).toThrow(/steps\[0\]\.op/);
    expect(() => parseChaosProgram(JSON.stringify({ ...p, steps: [{ at: 5, op: 'kill9', replica: 3, keepRdb: true, downMs: 0 }] }))).toThrow(/steps\[0\]\.replica/);
  });

  it('capture --chaos refuses a missing or bad seed with exit 2', async () => {
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => { errors.push(String(m)); };
    try {
      expect(await captureMain(['--chaos', '--out', '/nonexistent'])).toBe(2);
      expect(await captureMain(['--chaos', '--seed', 'x', '--out', '/nonexistent'])).toBe(2);
      expect(await captureMain(['--chaos', '--seed', '1', '--max-replicas', '4', '--out', '/nonexistent'])).toBe(2);
    } finally {
      console.error = orig;
    }
    expect(errors.join('\n')).toMatch(/--seed expects an integer/);
    expect(errors.join('\n')).toMatch(/--max-replicas expects an integer in \[1, 3\]/);
  });
});
