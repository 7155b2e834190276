// Every --json output validates against its published schema (spec/json/*.schema.json), on real
// outputs of the CLI: a check that completes, one stopped by a budget, a --reach path; a conforming
// trace, a tampered one, unreadable input, Valkey logs; a log folder; a chaos campaign's summary
// (built from a campaign row as cli/chaos.ts writes it). The schemas also reject what they must.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { alterField } from '../../conformance/mutate.js';
import { parseTrace } from '../../conformance/trace/read.js';
import { formatTrace } from '../../conformance/trace/write.js';
import { chaosRowErrors, jsonSchema, schemaErrors } from '../json-schemas.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-json-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI's stdout parsed as JSON for exit 0, 1 (a violation) , 2 (bad input: an "error" verdict) and 3 (gave up). */
async function cliJson(args: string[]): Promise<unknown> {
  const r = await run(process.execPath, [MAIN, ...args], { maxBuffer: 1 << 26 }).catch((e: { stdout?: string; code?: number }) => {
    if (e.code === 1 || e.code === 2 || e.code === 3) return { stdout: e.stdout ?? '' };
    throw e;
  });
  return JSON.parse(r.stdout) as unknown;
}

describe('published JSON Schemas of the --json outputs', () => {
  it('check --json: complete, budget-exhausted, --reach', async () => {
    for (const args of [['--preset', 'small'], ['--preset', 'default', '--max-states', '3000'], ['--preset', 'small', '--reach', 'set-id-rejected']]) {
      const out = await cliJson(['check', ...args, '--json']);
      expect(schemaErrors('check', out), args.join(' ')).toBeNull();
    }
    expect(jsonSchema('check')({ preset: 'small' })).toBe(false);
    for (const set of ['cobHard=2', 'cobHard=0']) {
      const live = await cliJson(['check', '--preset', 'small', '--set', 'faults=0', '--set', set, '--liveness', '--json']);
      expect(schemaErrors('liveness', live), set).toBeNull();
    }
  }, 300_000);

  it('validate FILE --json: conforms, violates, error, and Valkey logs', async () => {
    const file = path.join(ROOT, 'traces/simulated/small-seed5.jsonl');
    const ok = await cliJson(['validate', file, '--json']) as { verdict: string };
    expect(ok.verdict).toBe('conforms');
    expect(schemaErrors('validate', ok)).toBeNull();

    const t = parseTrace(readFileSync(file, 'utf8'), file);
    const i = t.events.findIndex((e) => e.kind === 'primary.endoff_sent');
    const bad = path.join(tmp, 'tampered.jsonl');
    writeFileSync(bad, formatTrace(alterField(t, i, 'endoff', 424242).trace));
    const v = await cliJson(['validate', bad, '--json']) as { verdict: string };
    expect(v.verdict).toBe('violates');
    expect(schemaErrors('validate', v)).toBeNull();

    const broken = path.join(tmp, 'broken.jsonl');
    writeFileSync(broken, '{"format": "nonsense"\n');
    const e = await cliJson(['validate', broken, '--json']) as { verdict: string };
    expect(e.verdict).toBe('error');
    expect(schemaErrors('validate', e)).toBeNull();

    const dir = path.join(ROOT, 'traces/valkey-8.0.1/kill-rdb-channel');
    const logs = await cliJson(['validate', path.join(dir, 'primary.log'), path.join(dir, 'replica.log'), '--json']) as { verdict: string; logs?: unknown };
    expect(logs.logs).toBeDefined();
    expect(schemaErrors('validate', logs)).toBeNull();
    expect(jsonSchema('validate')({ ...ok, verdict: 'fine' })).toBe(false);
  }, 300_000);

  it('validate DIR --json: a log folder, and a folder with no logs', async () => {
    const r = await cliJson(['validate', path.join(ROOT, 'traces/chaos/crash-mid-handshake'), '--json']) as { groups: unknown[] };
    expect(r.groups.length).toBeGreaterThan(0);
    expect(schemaErrors('validate-dir', r)).toBeNull();
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const e = await cliJson(['validate', empty, '--json']);
    expect(schemaErrors('validate-dir', e)).toBeNull();
    expect(jsonSchema('validate-dir')({ ...(r as object), groups: [{ name: 'x' }] })).toBe(false);
  }, 300_000);

  it('chaos --rejudge DIR --json: recorded runs judged again; the summary and the rows follow the schema', async () => {
    const camp = mkdtempSync(path.join(tmp, 'campaign-'));
    cpSync(path.join(ROOT, 'traces/chaos/cron-soft-limit-order'), path.join(camp, 'seed-129'), { recursive: true });
    cpSync(path.join(ROOT, 'traces/chaos/bio-download-main-eof'), path.join(camp, 'seed-4'), { recursive: true });
    const summary = await cliJson(['chaos', '--rejudge', camp, '--json']) as { runs: number; conforms: number; version: string };
    expect(schemaErrors('chaos', summary)).toBeNull();
    expect(summary).toMatchObject({ runs: 2, conforms: 2 });
    const rows = readFileSync(path.join(camp, 'campaign.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(chaosRowErrors(r)).toBeNull();
    expect(chaosRowErrors({ ...(rows[0] as object), verdict: 'maybe' })).not.toBeNull();
    const campaign = JSON.parse(readFileSync(path.join(camp, 'campaign.json'), 'utf8')) as { summary: unknown };
    expect(campaign.summary).toEqual(summary);
  }, 600_000);

  it('chaos --json: the summary and the rows of campaign.jsonl', () => {
    const row = { seed: 7, replicas: 2, genuine: true, inSync: true, verdict: 'violates', events: 58, validateMs: 1200, captureMs: 9100, detail: 'event seq 15 …', dir: '/tmp/x/seed-7' };
    const summary = { version: '8.0.1', runs: 1, genuine: 1, inSync: 1, conforms: 0, violates: 1, gaveUp: 0, errors: 0, events: 58, medianEventsPerSecond: 48,
      failures: [{ seed: 7, verdict: 'violates', replicas: 2, detail: row.detail, dir: row.dir }], notGenuine: [] };
    expect(schemaErrors('chaos', summary)).toBeNull();
    expect(jsonSchema('chaos')({ ...summary, runs: -1 })).toBe(false);
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'spec/json/chaos.schema.json'), 'utf8')) as { $defs: { row: { required: string[] } } };
    expect(Object.keys(row).sort()).toEqual([...schema.$defs.row.required].sort());
  });
});
