// A line of a kind the logs' level shows only in part is reported, not judged. 8.0.1 logs a
// main-channel read error during a dual-channel sync as "Error reading from primary: …" at notice
// but the same kind's EOF ("Provisional primary closed connection") at verbose, so a notice-level
// log does not observe replica.main_closed: the model's steps that emit it are silent there, and
// no run could explain the line if it were kept (it was: a sure false alarm). The 8.0.1 capture
// kill-main-channel seen at notice, its EOF line written as a read error, shows both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceFromLogs } from '../../conformance/fromlogs.js';
import { readValkeyLogTexts } from '../../conformance/valkeylog/index.js';
import { validate } from '../../conformance/validate.js';
import { buildModel } from '../../model/index.js';
import { resolveConfig } from '../../model/config.js';
import { atNotice } from '../../bench/jobs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUN = path.join(ROOT, 'traces/valkey-8.0.1/kill-main-channel');

describe('lines of a kind the level does not observe', () => {
  const primary = atNotice(readFileSync(path.join(RUN, 'primary.log'), 'utf8'));
  const replica = readFileSync(path.join(RUN, 'replica.log'), 'utf8').replace(' - Provisional primary closed connection', ' * Error reading from primary: Connection reset by peer');
  const logs = readValkeyLogTexts([{ file: 'primary.log', content: primary }, { file: 'replica.log', content: atNotice(replica) }]);

  it('are reported with their file and line, and left out of the trace', () => {
    expect(logs.events.some((e) => e.kind === 'replica.main_closed')).toBe(true);
    expect(logs.observedKinds).not.toContain('replica.main_closed');
    const conv = traceFromLogs(logs);
    expect(conv.trace.events.some((e) => e.kind === 'replica.main_closed')).toBe(false);
    const w = conv.warnings.find((x) => /replica\.main_closed is not observed at this log level/.test(x.message));
    expect(w?.file).toBe('replica.log');
    expect(atNotice(replica).split('\n')[w!.line - 1]).toMatch(/Error reading from primary: Connection reset by peer/);
    const h = conv.trace.header.model;
    const r = validate(buildModel(resolveConfig(h.preset, [h.set ?? {}])), conv.trace, { toleranceMs: conv.toleranceMs });
    expect(r.verdict, r.failure?.message).toBe('conforms');
  }, 120_000);

  it('at debug level the same line is judged', () => {
    const debug = traceFromLogs(readValkeyLogTexts([{ file: 'primary.log', content: readFileSync(path.join(RUN, 'primary.log'), 'utf8') }, { file: 'replica.log', content: replica }]));
    expect(debug.trace.events.some((e) => e.kind === 'replica.main_closed')).toBe(true);
    expect(debug.warnings.some((x) => /not observed at this log level/.test(x.message))).toBe(false);
  });
});
