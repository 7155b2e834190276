import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validate } from '../../conformance/validate.js';
import { formatDiagnosis } from '../../conformance/diagnose.js';
import { TraceInputError, type Trace } from '../../conformance/trace/types.js';
import { pingPong, counter, fanout, randomWalk, makeTrace } from './trace/toys.js';
import type { Kind } from '../../model/vocabulary.js';

const LOG_KINDS: Kind[] = [
  'replica.connect', 'replica.psync', 'primary.psync_accepted', 'primary.rdb_pinned', 'primary.psync_refused',
  'primary.client_killed', 'replica.sync_finished', 'replica.primary_lost', 'primary.replica_lost',
];

describe('validate: random walks conform', () => {
  it('pingpong walks (all kinds observed) conform', () => {
    const m = pingPong();
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.integer(), (steps, seed) => {
      const t = randomWalk(m, steps, seed);
      const r = validate(m, t);
      expect(r.verdict, JSON.stringify(r.failure?.message)).toBe('conforms');
      expect(r.matched).toBe(t.events.length);
    }), { numRuns: 200 });
  });

  it('pingpong walks seen through a log (writes, ticks, rdb_attached, rdb_unlinked unobserved) conform', () => {
    const m = pingPong();
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.integer(), (steps, seed) => {
      const t = randomWalk(m, steps, seed, LOG_KINDS);
      const r = validate(m, t);
      expect(r.verdict, r.failure ? formatDiagnosis(r.failure) : '').toBe('conforms');
    }), { numRuns: 200 });
  });

  it('every prefix of a conforming trace conforms (pending obligations may be cut)', () => {
    const m = pingPong();
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (steps, seed) => {
      const t = randomWalk(m, steps, seed);
      for (let k = 0; k <= t.events.length; k++) {
        expect(validate(m, { header: t.header, events: t.events.slice(0, k) }).verdict).toBe('conforms');
      }
    }), { numRuns: 50 });
  });
});

describe('validate: rejections and diagnosis', () => {
  const m = pingPong();
  const base: Trace = makeTrace(m, [
    { node: 'replica1', kind: 'replica.connect', fields: {} },
    { node: 'replica1', kind: 'replica.psync', fields: { offset: 1001 } },
    { node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 1001 } },
    { node: 'primary', kind: 'primary.rdb_pinned', fields: { cid: 7, tracking: true } },
    { node: 'primary', kind: 'primary.rdb_attached', fields: { cid: 7 } },
    { node: 'primary', kind: 'primary.write', fields: {} },
    { node: 'primary', kind: 'primary.client_killed', fields: { cid: 7 } },
  ]);

  it('accepts the hand-written trace', () => {
    const r = validate(m, base);
    expect(r.verdict).toBe('conforms');
    expect(r.stats.maxCandidates).toBe(1);
  });

  it('names the field, the register value and the actual value on a field mismatch', () => {
    const bad = { ...base, events: base.events.map((e, i) => (i === 2 ? { ...e, fields: { offset: 1005 } } : e)) };
    const r = validate(m, bad);
    expect(r.verdict).toBe('violates');
    const d = r.failure!;
    expect(d.event).toMatchObject({ index: 2, seq: 3 });
    expect(d.before.map((b) => b.seq)).toEqual([1, 2]);
    expect(d.before[0]!.explainedBy).toEqual(['Connect[replica1]']);
    const sk = d.candidates.groups[0]!.why.sameKind.find((x) => x.action === 'Accept[replica1]')!;
    expect(sk.problem).toBe('fields');
    expect(sk.mismatches[0]).toMatchObject({ field: 'offset', actual: 1005 });
    expect(sk.mismatches[0]!.expected).toContain('1001');
    expect(sk.mismatches[0]!.expected).toContain('base = 1000');
    expect(d.message).toContain('offset');
  });

  it('reports a pending obligation of the node', () => {
    // rdb_pinned is owed by Accept before the primary logs anything else
    const bad = { ...base, events: [base.events[0]!, base.events[1]!, base.events[2]!, base.events[6]!].map((e, i) => ({ ...e, seq: i + 1 })) };
    const r = validate(m, bad);
    expect(r.verdict).toBe('violates');
    const g = r.failure!.candidates.groups[0]!;
    expect(g.why.pending?.expected).toContain('primary.rdb_pinned');
    expect(g.pending[0]).toContain('primary.rdb_pinned');
  });

  it('ne: a new rdb client id must differ from the killed one', () => {
    const ev = [...base.events,
      { seq: 8, node: 'primary', kind: 'primary.rdb_unlinked' as const, fields: { cid: 7 } },
      { seq: 9, node: 'replica1', kind: 'replica.connect' as const, fields: {} },
      { seq: 10, node: 'replica1', kind: 'replica.psync' as const, fields: { offset: 1002 } },
      { seq: 11, node: 'primary', kind: 'primary.psync_accepted' as const, fields: { offset: 1002 } },
      { seq: 12, node: 'primary', kind: 'primary.rdb_pinned' as const, fields: { cid: 8, tracking: false } }];
    expect(validate(m, { ...base, events: ev }).verdict).toBe('conforms');
    const bad = ev.map((e) => (e.seq === 12 ? { ...e, fields: { cid: 7, tracking: false } } : e));
    const r = validate(m, { ...base, events: bad });
    expect(r.verdict).toBe('violates');
    expect(r.failure!.event.seq).toBe(12);
    expect(r.failure!.candidates.groups[0]!.why.pending?.mismatches[0]).toMatchObject({ field: 'cid', actual: 7 });
  });

  it('when no enabled action emits the kind, names the emitters and calls explain()', () => {
    const bad = makeTrace(m, [{ node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 5 } }]);
    const r = validate(m, bad);
    expect(r.verdict).toBe('violates');
    const d = r.failure!;
    expect(d.emitters.actions).toEqual(['Accept[replica1]']);
    const dis = d.candidates.groups[0]!.why.disabled!;
    expect(dis[0]).toMatchObject({ action: 'Accept[replica1]', explanation: 'no PSYNC is outstanding (phase idle)' });
    expect(d.candidates.groups[0]!.why.enabled.map((e) => e.action)).toContain('Connect[replica1]');
    expect(formatDiagnosis(d)).toContain('the disabled ones have false guards here');
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({ verdict: 'violates', failure: { event: { seq: 1 } } });
  });

  it('groups candidates by the describe() fields that differ', () => {
    // with writes unobserved, off is 0, 1 or 2 when the kill arrives; the trace then asks for an
    // impossible sync_finished after the kill
    const obs: Kind[] = ['replica.connect', 'replica.psync', 'primary.psync_accepted', 'primary.rdb_pinned', 'primary.rdb_attached', 'primary.client_killed', 'primary.rdb_unlinked', 'replica.sync_finished'];
    const t = makeTrace(m, [
      ...base.events.filter((e) => e.kind !== 'primary.write').map(({ seq: _s, ...e }) => e),
      { node: 'primary', kind: 'primary.rdb_unlinked', fields: { cid: 7 } },
      { node: 'replica1', kind: 'replica.sync_finished', fields: {} },
    ], obs);
    const r = validate(m, t);
    expect(r.verdict).toBe('violates');
    const c = r.failure!.candidates;
    expect(c.common.phase).toBe('idle');
    expect(new Set(c.groups.map((g) => g.state.off))).toEqual(new Set([0, 1, 2]));
    expect(Object.keys(c.groups[0]!.state).sort()).toEqual(['off', 'ticks']);
  });
});

describe('validate: interleaving tolerance', () => {
  const m = counter();
  // primary logged its answer 2 ms "before" the replica's question (clock skew)
  const t = makeTrace(m, [
    { ts: 1000, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 50 } },
    { ts: 1002, node: 'replica1', kind: 'replica.psync', fields: { offset: 50 } },
    { ts: 1010, node: 'replica1', kind: 'replica.psync', fields: { offset: 51 } },
    { ts: 1011, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 51 } },
  ]);
  it('is strict by default', () => {
    const r = validate(m, t);
    expect(r.verdict).toBe('violates');
    expect(r.settings.interleaving).toBe(false);
  });
  it('reorders events of different nodes within the tolerance', () => {
    const r = validate(m, t, { toleranceMs: 5 });
    expect(r.verdict).toBe('conforms');
    expect(r.settings.interleaving).toBe(true);
  });
  it('does not reorder beyond the tolerance, and says what else could have come next', () => {
    const r = validate(m, t, { toleranceMs: 1 });
    expect(r.verdict).toBe('violates');
    expect(r.failure!.event.index).toBe(0);
  });
  it('never reorders events of one node, nor events without ts', () => {
    const noTs: Trace = { ...t, events: t.events.map(({ ts: _ts, ...e }) => e) };
    expect(validate(m, noTs, { toleranceMs: 1e9 }).verdict).toBe('violates');
    const sameNode = makeTrace(m, [
      { ts: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 50 } },
      { ts: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 51 } },
      { ts: 1, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 50 } },
      { ts: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 53 } },
      { ts: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 52 } },
      { ts: 1, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 51 } },
    ]);
    const r = validate(m, sameNode, { toleranceMs: 10 });
    expect(r.verdict).toBe('violates');
    expect(r.matched).toBe(4); // primary 51 may overtake replica 53; then replica 53 before 52 is impossible
    expect(r.failure!.event.index).toBe(3);
  });
  it('interleaved random walks with jittered timestamps conform', () => {
    const pp = pingPong();
    fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.integer(), fc.integer({ min: 0, max: 2 ** 31 }), (steps, seed, jseed) => {
      const w = randomWalk(pp, steps, seed, LOG_KINDS);
      // give every event ts = 10*index, then swap some adjacent events of different nodes
      let evs = w.events.map((e, i) => ({ ...e, ts: 10 * i }));
      let j = jseed;
      for (let i = 0; i + 1 < evs.length; i++) {
        j = (j * 1103515245 + 12345) & 0x7fffffff;
        if (j % 3 === 0 && evs[i]!.node !== evs[i + 1]!.node) {
          const a = evs[i]!, b = evs[i + 1]!;
          evs[i] = b; evs[i + 1] = a;
          i++;
        }
      }
      evs = evs.map((e, i) => ({ ...e, seq: i + 1 }));
      expect(validate(pp, { ...w, events: evs }, { toleranceMs: 10 }).verdict).toBe('conforms');
    }), { numRuns: 100 });
  });
});

describe('validate: caps', () => {
  it('too many candidates -> gave-up with where and why', () => {
    const m = fanout(1000);
    const t = makeTrace(m, [1, 2, 3].map(() => ({ node: 'env', kind: 'env.tick' as const, fields: {} })));
    const r = validate(m, t, { maxCandidates: 100 });
    expect(r.verdict).toBe('gave-up');
    expect(r.gaveUp).toMatchObject({ limit: 'maxCandidates', index: 0, seq: 1 });
    expect(r.gaveUp!.reason).toContain('maxCandidates=100');
    expect(validate(m, t).verdict).toBe('conforms');
    expect(validate(m, t).stats.maxCandidates).toBe(1000);
  });
  it('too large a silent closure -> gave-up', () => {
    const m = fanout(60000);
    const t = makeTrace(m, [{ node: 'env', kind: 'env.tick', fields: {} }]);
    const r = validate(m, t, { maxClosure: 500 });
    expect(r.verdict).toBe('gave-up');
    expect(r.gaveUp!.limit).toBe('maxClosure');
  });
});

describe('validate: nodes', () => {
  it('a trace naming a node the model lacks is an input error', () => {
    const m = counter();
    const t = makeTrace(m, []);
    const bad = { ...t, header: { ...t.header, nodes: [...t.header.nodes, { name: 'replica7', role: 'replica' as const }] } };
    expect(() => validate(m, bad)).toThrow(TraceInputError);
    const badEvent = makeTrace(m, [{ node: 'replica7', kind: 'replica.connect', fields: {} }]);
    expect(() => validate(m, badEvent)).toThrow(/unknown node "replica7"/);
  });
  it('events of nodes the trace does not record are silent', () => {
    const m = counter();
    const t = makeTrace(m, [
      { node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 3 } },
      { node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 4 } },
    ]);
    const primaryOnly = { ...t, header: { ...t.header, nodes: [{ name: 'primary', role: 'primary' as const }] } };
    expect(validate(m, primaryOnly).verdict).toBe('conforms');
    expect(validate(m, t).verdict).toBe('violates');
  });
});
