// The validator's verdict equals a brute-force oracle's (enumerate runs, compare observation
// sequences) on small random-walk traces and on every single mutation of them.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validate } from '../../conformance/validate.js';
import { allMutations, dropEvent, swapAdjacent, alterField, duplicateEvent, reattributeConn } from '../../conformance/mutate.js';
import { pingPong, randomWalk, oracle, makeTrace } from './trace/toys.js';
import type { Kind } from '../../model/vocabulary.js';

const VIEWS: (Kind[] | undefined)[] = [
  undefined,
  ['replica.connect', 'replica.psync', 'primary.psync_accepted', 'primary.rdb_pinned', 'primary.psync_refused', 'primary.client_killed', 'replica.sync_finished', 'replica.primary_lost', 'primary.replica_lost'],
  ['replica.psync', 'primary.psync_accepted', 'primary.client_killed', 'primary.rdb_unlinked', 'primary.rdb_pinned'],
];

describe('validator = oracle', () => {
  const m = pingPong();
  it('on random walks and all their single mutations', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), fc.constantFrom(0, 1, 2), (steps, seed, view) => {
      const t = randomWalk(m, steps, seed, VIEWS[view]);
      if (t.events.length > 5) return;
      expect(oracle(m, t)).toBe(true);
      expect(validate(m, t).verdict).toBe('conforms');
      for (const mu of allMutations(t)) {
        const want = oracle(m, mu.trace);
        const got = validate(m, mu.trace, { diagnose: false }).verdict;
        expect(got, mu.description).toBe(want ? 'conforms' : 'violates');
        if (want) accepted++;
        else rejected++;
      }
    }), { numRuns: 150 });
    // both outcomes occur, so the comparison means something
    expect(accepted).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });

  it('on arbitrary short event sequences over the toy vocabulary', () => {
    const ev = fc.constantFrom(
      { node: 'replica1', kind: 'replica.connect' as const, fields: {} },
      { node: 'replica1', kind: 'replica.psync' as const, fields: { offset: 11 } },
      { node: 'replica1', kind: 'replica.psync' as const, fields: { offset: 12 } },
      { node: 'primary', kind: 'primary.psync_accepted' as const, fields: { offset: 11 } },
      { node: 'primary', kind: 'primary.psync_accepted' as const, fields: { offset: 12 } },
      { node: 'primary', kind: 'primary.rdb_pinned' as const, fields: { cid: 3, tracking: true } },
      { node: 'primary', kind: 'primary.client_killed' as const, fields: { cid: 3 } },
      { node: 'primary', kind: 'primary.psync_refused' as const, fields: { reason: 'backlog', offset: 13 } },
      { node: 'replica1', kind: 'replica.sync_finished' as const, fields: {} },
      { node: 'replica1', kind: 'replica.primary_lost' as const, fields: {} },
    );
    fc.assert(fc.property(fc.array(ev, { maxLength: 5 }), fc.constantFrom(1, 2), (events, view) => {
      const obs = VIEWS[view]!;
      const t = makeTrace(m, events.filter((e) => obs.includes(e.kind)), obs);
      expect(validate(m, t, { diagnose: false }).verdict).toBe(oracle(m, t) ? 'conforms' : 'violates');
    }), { numRuns: 400 });
  });
});

describe('mutations', () => {
  const m = pingPong();
  const t = makeTrace(m, [
    { node: 'replica1', kind: 'replica.connect', fields: {}, conn: { cid: 4, channel: 'main' } },
    { node: 'replica1', kind: 'replica.psync', fields: { offset: 1001 }, conn: { cid: 4, channel: 'main' } },
    { node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 1001 } },
  ]);
  it('return new traces with descriptions and renumbered seq', () => {
    const d = dropEvent(t, 0);
    expect(d.trace.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(d.description).toContain('drop');
    expect(t.events).toHaveLength(3);
    expect(duplicateEvent(t, 1).trace.events.map((e) => e.kind)).toEqual(['replica.connect', 'replica.psync', 'replica.psync', 'primary.psync_accepted']);
    expect(swapAdjacent(t, 1).trace.events.map((e) => e.kind)).toEqual(['replica.connect', 'primary.psync_accepted', 'replica.psync']);
    expect(alterField(t, 2, 'offset').trace.events[2]!.fields.offset).toBe(1002);
    expect(reattributeConn(t, 0, { cid: 9 }).trace.events[0]!.conn).toEqual({ cid: 9, channel: 'main' });
  });
  it('swapping a pending obligation with another node\'s event is fine (other nodes may interleave)', () => {
    const mu = swapAdjacent(t, 1);
    expect(oracle(m, mu.trace)).toBe(true);
    expect(validate(m, mu.trace).verdict).toBe('conforms');
  });
  it('are rejected when the oracle rejects them', () => {
    for (const mu of [dropEvent(t, 0), swapAdjacent(t, 0), alterField(t, 2, 'offset')]) {
      expect(oracle(m, mu.trace)).toBe(false);
      expect(validate(m, mu.trace).verdict, mu.description).toBe('violates');
    }
  });
});
