// Genuine two-replica Valkey 8.0.1 runs (bench/logs, made by bench/capture-replicas.sh) conform
// with validate()'s default caps, at debug level and reduced to notice level. Their candidate sets
// reach 45,756 (debug) and 97,903 (notice) states: the fast engine keeps them as sorted id arrays.
// (The three-replica run, whose sets reach 1.56 million, takes about a minute: see npm run bench.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceFromLogs } from '../../conformance/fromlogs.js';
import { logFilesOf } from '../../conformance/logdir.js';
import { dropEvent } from '../../conformance/mutate.js';
import { validate } from '../../conformance/validate.js';
import { readValkeyLogTexts } from '../../conformance/valkeylog/index.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/logs/valkey-8.0.1/two-replicas');
const LINE = /^\d+:[MSCX] \d{2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /;
const atNotice = (content: string) => content.split('\n').filter((l) => { const m = LINE.exec(l); return !m || (m[1] !== '.' && m[1] !== '-'); }).join('\n');

function read(level: 'debug' | 'notice') {
  const files = logFilesOf(DIR).map((f) => ({ file: f, content: level === 'notice' ? atNotice(readFileSync(f, 'utf8')) : readFileSync(f, 'utf8') }));
  return traceFromLogs(readValkeyLogTexts(files));
}

describe('a genuine two-replica run', () => {
  for (const level of ['debug', 'notice'] as const) {
    it(`conforms at ${level} level with the default caps`, async () => {
      await new Promise<void>((r) => setImmediate(r));
      const conv = read(level);
      expect(conv.trace.header.nodes.map((n) => n.name)).toEqual(['primary', 'replica1', 'replica2']);
      const h = conv.trace.header.model;
      const r = validate(buildModel(resolveConfig(h.preset, [h.set ?? {}])), conv.trace, { toleranceMs: conv.toleranceMs });
      console.log(`two replicas, ${level}: ${r.verdict}, ${r.events} events, max ${r.stats.maxCandidates} candidates, ${Math.round(r.stats.elapsedMs)} ms`);
      expect(r.verdict, r.failure?.message ?? r.gaveUp?.reason).toBe('conforms');
      expect(r.gaveUp).toBeUndefined();
    }, 120_000);
  }

  it('with a line removed where tens of thousands of candidates survive: violates, diagnosed from a sample', async () => {
    await new Promise<void>((r) => setImmediate(r));
    const conv = read('notice');
    const h = conv.trace.header.model;
    const model = buildModel(resolveConfig(h.preset, [h.set ?? {}]));
    // the replica's main-channel PSYNC after the second sync's fork (47,607 candidates before it)
    const i = conv.trace.events.findIndex((e, k) => k > 30 && e.kind === 'replica.main_psync');
    expect(i).toBeGreaterThan(30);
    const r = validate(model, dropEvent(conv.trace, i).trace, { toleranceMs: conv.toleranceMs });
    expect(r.verdict).toBe('violates');
    const d = r.failure!;
    expect(d.candidates.total).toBeGreaterThan(20_000);
    expect(d.candidates.truncated).toBe(true);
    expect(d.before.length).toBeGreaterThan(0);
    expect(d.candidates.groups.length).toBeGreaterThan(0);
  }, 120_000);
});
