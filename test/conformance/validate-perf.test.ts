// Throughput on a long deterministic trace (printed, not asserted: machines differ).
import { describe, it, expect } from 'vitest';
import { validate } from '../../conformance/validate.js';
import { counter, header } from './trace/toys.js';
import type { Trace, TraceEvent } from '../../conformance/trace/types.js';

describe('validate: performance', () => {
  it('validates a 1,000,000-event deterministic trace', () => {
    const m = counter();
    const n = 1_000_000;
    const events: TraceEvent[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const round = Math.floor(i / 2) & 0xffff; // the toy's counter is 16 bits
      events[i] = i % 2 === 0
        ? { seq: i + 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 5000 + round } }
        : { seq: i + 1, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 5000 + round } };
    }
    const t: Trace = { header: header(m), events };
    const r = validate(m, t);
    expect(r.verdict).toBe('conforms');
    expect(r.stats.maxCandidates).toBe(1);
    // eslint-disable-next-line no-console
    console.log(`validate: ${n} events in ${r.stats.elapsedMs.toFixed(0)} ms = ${r.stats.eventsPerSecond} events/s`);
  }, 120_000);
});
