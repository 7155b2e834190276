// A single server's log alone, as a user often has it (the replica's log from a production host,
// the primary's from another): the other servers' events are unobserved. An unobserved event
// still moves the registers it sets (a new offset, a new client id), so the validator forgets
// them instead of judging later lines against a stale binding; before that fix six of the 8.0.1
// replica logs were false alarms at their second sync.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceFromLogs } from '../../conformance/fromlogs.js';
import { readValkeyLogTexts } from '../../conformance/valkeylog/index.js';
import { validate } from '../../conformance/validate.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

function judge(file: string, content: string) {
  const conv = traceFromLogs(readValkeyLogTexts([{ file, content }]));
  const h = conv.trace.header.model;
  const model = buildModel(resolveConfig(h.preset, [h.set ?? {}]));
  return { conv, result: validate(model, conv.trace, { toleranceMs: conv.toleranceMs }) };
}

/** Let vitest's worker answer its RPCs between long synchronous validations. */
const tick = () => new Promise<void>((r) => setImmediate(r));

// Every server log of the 8.0.1 captures; the replica logs of 8.1.1 and 9.1.2 (the replica's side
// is where unseen register updates bit; their primary logs are judged in the same way and conform
// too, but would double this file's minutes)
for (const [version, only] of [['8.0.1', null], ['8.1.1', 'replica'], ['9.1.2', 'replica']] as const) {
  const root = path.join(process.cwd(), 'traces', `valkey-${version}`);
  const runs = readdirSync(root).filter((d) => statSync(path.join(root, d)).isDirectory()).sort();
  describe(`Valkey ${version}: each ${only ?? 'server'}'s log alone`, () => {
    for (const run of runs) {
      const logs = readdirSync(path.join(root, run)).filter((f) => f.endsWith('.log') && f !== 'driver.log' && (only === null || f.startsWith(only))).sort();
      for (const f of logs) {
        it(`${run}/${f} conforms on its own`, { timeout: 300_000 }, async () => {
          await tick();
          const { conv, result } = judge(`${run}/${f}`, readFileSync(path.join(root, run, f), 'utf8'));
          expect(conv.trace.header.model.set?.profile).toBe(version);
          expect(result.verdict, result.failure?.message ?? result.gaveUp?.reason ?? '').toBe('conforms');
          expect(result.events).toBeGreaterThan(5);
        });
      }
    }
  });
}

describe('a tampered single-server log is still rejected', () => {
  const file = 'full-sync-with-writes/replica.log';
  const content = readFileSync(path.join(process.cwd(), 'traces', 'valkey-8.0.1', file), 'utf8');

  it('the replica log without the primary accepting its main-channel PSYNC is rejected where it goes on streaming', async () => {
    await tick();
    const lines = content.split('\n');
    const i = lines.findIndex((l) => l.includes('Primary accepted a Partial Resynchronization'));
    expect(i).toBeGreaterThan(0);
    lines.splice(i, 1);
    const { result } = judge(file, lines.join('\n'));
    expect(result.verdict).toBe('violates');
    expect(result.failure!.kind).toBe('replica.buffer_streamed');
  });

  it('a second sync that opens its rdb channel without being refused a PSYNC first is rejected at the rdb channel', async () => {
    await tick();
    // kill-main-channel's replica syncs twice; drop the second "PSYNC is not possible" line
    const f = 'kill-main-channel/replica.log';
    const text = readFileSync(path.join(process.cwd(), 'traces', 'valkey-8.0.1', f), 'utf8');
    expect(judge(f, text).result.verdict).toBe('conforms');
    const lines = text.split('\n');
    const idx = lines.map((l, k) => (l.includes('PSYNC is not possible, initialize RDB channel') ? k : -1)).filter((k) => k >= 0);
    expect(idx.length).toBeGreaterThanOrEqual(2);
    lines.splice(idx[1]!, 1);
    const { result } = judge(f, lines.join('\n'));
    expect(result.verdict).toBe('violates');
    expect(result.failure!.kind).toBe('replica.rdb_channel_connected');
    expect(result.failure!.event.src).toBe(`${f}:${idx[1]! + 1}`);
  });
});
