// Each invariant catches a deliberate bug. For every invariant id: a model with one bug switched
// on (model/actions.ts `Mutations`), on `small` or `small` with a setting or two changed, is
// checked; the search must report a violation of exactly that invariant, at a state where the
// invariant's own predicate fails; the counterexample must be shortest (nothing is violated one
// level less deep), and the same configuration without the bug must be clean to that depth.
import { describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import type { ModelConfig } from '../../model/config.js';
import type { Mutations } from '../../model/index.js';
import { model, statesOf } from './helpers.js';

interface Variant {
  invariant: string;
  bug: keyof Mutations;
  /** `small` plus these settings. */
  overrides?: Partial<ModelConfig>;
  /** Why `small` alone does not do (when overrides are given). */
  why?: string;
}

const VARIANTS: Variant[] = [
  {
    invariant: 'I1-no-gap-while-pinned',
    bug: 'trimIgnoresRefcount',
    overrides: { cobHard: 0 },
    why:
      "small's hard limit (2 writes) closes the pinned rdb client before the backlog grows past " +
      'the pinned block, so no trim ever reaches it. (The violation found is I1\'s second clause, ENDOFF+1 ' +
      'no longer in the backlog. Its first clause, "pinned block trimmed", shows only in states where ' +
      'another live offset lies below the trimmed pin: normalisation does not count pins when it picks ' +
      'the lowest live offset, so otherwise the stale pin is shifted to 0 or 1, i.e. no/NULL reference.)',
  },
  { invariant: 'I2-psync-soundness', bug: 'psyncAtEndoff' },
  { invariant: 'I3-refcount-conservation', bug: 'unpinLeaksRef' },
  { invariant: 'I4-rax-protection', bug: 'psyncKeepsRax' },
  { invariant: 'I5-replica-phases', bug: 'keepBufferOnSuccess' },
  {
    invariant: 'I6-local-buffer-bound',
    bug: 'ignoreLocalLimit',
    overrides: { backlog: 2, cobHard: 3 },
    why:
      "with small's hard limit of 2 writes and blocks of 1, the primary drops the main client as soon " +
      'as a second block follows the one it sends from, so at most 2 writes ever reach the local ' +
      'buffer: exactly the bound (limit 1 + one block).',
  },
  { invariant: 'I7-replica-prefix', bug: 'restartOffsetOffByOne' },
  { invariant: 'I8-cob-bound', bug: 'noHardLimit' },
  { invariant: 'I9-no-leftover-client', bug: 'keepFinishedRdbClient' },
];

function run(v: Variant) {
  const broken = model('small', v.overrides, { [v.bug]: true });
  const r = check(broken);
  return { broken, r };
}

describe('each invariant catches a deliberate bug', () => {
  it('every invariant of the model has a variant', () => {
    const ids = model('small').invariants.map((i) => i.id);
    expect(VARIANTS.map((v) => v.invariant).sort()).toEqual([...ids].sort());
  });

  for (const v of VARIANTS) {
    const where = v.overrides ? `small + ${JSON.stringify(v.overrides)}` : 'small';
    it(`${v.invariant}: bug ${v.bug} on ${where}`, () => {
      const { broken, r } = run(v);
      expect(r.verdict).toBe('violated');
      const viol = r.violation!;
      expect(viol.invariant).toBe(v.invariant);

      // the counterexample replays, and its last state (only) fails that invariant's predicate
      const states = statesOf(broken, viol.path);
      expect(states).toHaveLength(viol.trace.length);
      const inv = broken.invariants.find((i) => i.id === v.invariant)!;
      expect(inv.check(states[states.length - 1]!)).toBe(viol.message);
      for (const s of states.slice(0, -1)) for (const i of broken.invariants) expect(i.check(s), i.id).toBeNull();

      // shortest: no state one level less deep violates anything
      const depth = viol.trace.length - 1;
      const shallower = check(broken, { maxDepth: viol.trace.length - 2 });
      expect(shallower.violation).toBeUndefined();
      expect(shallower.verdict).toBe('bounded');

      // the bug is the cause: without it the same configuration is clean to the same depth
      const clean = check(model('small', v.overrides), { maxDepth: depth });
      expect(clean.violation).toBeUndefined();
      expect(['bounded', 'complete']).toContain(clean.verdict);
    });
  }

  it('I10-release-reasons (a step invariant): bug killUnprotects on small', () => {
    // CLIENT KILL of a protected rdb client that clears its protection instead of postponing it
    const broken = model('small', {}, { killUnprotects: true });
    const r = check(broken);
    expect(r.verdict).toBe('violated');
    const viol = r.violation!;
    expect(viol.invariant).toBe('I10-release-reasons');
    expect(viol.trace[viol.trace.length - 1]!.action).toMatch(/^KillRdb\[/);
    const states = statesOf(broken, viol.path);
    const step = broken.transitionInvariants!.find((i) => i.id === 'I10-release-reasons')!;
    const last = viol.path.actions[viol.path.actions.length - 1]!;
    expect(step.check(states[states.length - 2]!, last, states[states.length - 1]!)).toBe(viol.message);
    // shortest: nothing is violated one step earlier; without the bug the same depth is clean
    expect(check(broken, { maxDepth: viol.trace.length - 2 }).violation).toBeUndefined();
    expect(check(model('small'), { maxDepth: viol.trace.length - 1 }).violation).toBeUndefined();
    expect(r.invariants).toContain('I10-release-reasons');
  });

  it('applyBufferTwice (a duplicate apply) is caught first by I2, at a state that also fails I7', () => {
    // The doubled offset makes the replica expect a write after the one the primary streams next:
    // I2 (checked before I7) reports it; the state also holds a write the primary has not made.
    const broken = model('small', {}, { applyBufferTwice: true });
    const r = check(broken);
    expect(r.verdict).toBe('violated');
    expect(r.violation!.invariant).toBe('I2-psync-soundness');
    const states = statesOf(broken, r.violation!.path);
    const i7 = broken.invariants.find((i) => i.id === 'I7-replica-prefix')!;
    expect(i7.check(states[states.length - 1]!)).toMatch(/holds write \d+ but the primary is at offset \d+/);
    expect(check(broken, { maxDepth: r.violation!.trace.length - 2 }).violation).toBeUndefined();
  });
});
