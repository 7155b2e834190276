// `replcheck validate DIR` end to end on folders made from the committed real captures: a plain
// folder of *.log files, the seed story (an rdb client of the previous test's sync overflows in the
// next test), the JSON shape, and the input errors (no logs, unreadable files).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidate } from '../../cli/validate.js';
import { SuiteInputError, validateSuite } from '../../conformance/suite/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CAPTURES = path.join(ROOT, 'traces/valkey-8.0.1');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'replcheck-vdir-'));
  dirs.push(d);
  return d;
}
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runValidate(args, (s) => { out += s + '\n'; }, (s) => { err += s; });
  return { code, out, err };
}

/**
 * The seed capture as a two-test suite run: the harness starts test "attempt 1" at 09:45:21.910
 * (both servers up, before the first sync) and "attempt 2" at 09:45:22.172 (before the second).
 */
function seedFolder(): string {
  const dir = tmp();
  for (const f of ['primary.log', 'replica.log']) {
    const lines = readFileSync(path.join(CAPTURES, 'leftover-rdb-client-new-sync', f), 'utf8').split('\n');
    const first = lines.findIndex((l) => / 09:45:(21\.9[1-9]\d|22\.\d{3}) /.test(l));
    const second = lines.findIndex((l) => / 09:45:22\.(1[7-9]\d|[2-9]\d\d) /.test(l));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    lines.splice(second, 0, '### Starting test attempt 2 in tests/integration/seed.tcl');
    lines.splice(first, 0, '### Starting test attempt 1 in tests/integration/seed.tcl');
    writeFileSync(path.join(dir, f), lines.join('\n'));
  }
  return dir;
}

describe('replcheck validate DIR', () => {
  const plain = (): string => {
    const dir = tmp();
    for (const f of ['primary.log', 'replica.log', 'driver.log']) cpSync(path.join(CAPTURES, 'full-sync-with-writes', f), path.join(dir, f));
    return dir;
  };

  it('a folder of plain log files is one group that conforms', async () => {
    const r = await cli([plain()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: conforms — 1 of 1 group(s) conform');
    expect(r.out).toMatch(/G1 {2}primary :\d+ \(primary\.log\) ← replica :\d+ \(replica\.log\)/);
    expect(r.err).toMatch(/^G1 conforms \(1\/1/);
  }, 300_000);

  it('the seed story: the overflow in test 2 is of an rdb client created in test 1', () => {
    const dir = seedFolder();
    const r = validateSuite(dir);
    expect(r.verdict).toBe('conforms');
    expect(r.groups.length).toBe(1);
    const g = r.groups[0]!;
    expect(g.tests.map((t) => t.name)).toEqual(['attempt 1', 'attempt 2']);
    expect(g.overflows?.length).toBe(1);
    const o = g.overflows![0]!;
    expect(o).toMatchObject({
      cid: 6, class: 'replica', cmd: 'sync', connection: 'rdb channel', replica: 'replica1',
      sync: { n: 1, endoff: 0, cid: 6 }, currentSync: false,
      test: { index: 1, name: 'attempt 2' }, createdIn: { index: 0, name: 'attempt 1' }, fromEarlierTest: true, judged: true,
    });
    expect(o.at).toMatch(/^primary\.log:\d+$/);
    expect(o.createdAt).toMatch(/^primary\.log:\d+$/);
    expect(o.attribution).toContain('an EARLIER attempt of replica1');
    expect(o.text).toContain('LEFTOVER from an earlier test');
    expect(r.tests.map((t) => [t.name, t.verdict])).toEqual([['attempt 1', 'conforms'], ['attempt 2', 'conforms']]);
    const events = r.tests.reduce((n, t) => n + t.groups.reduce((m, x) => m + x.events, 0), 0);
    expect(events).toBeLessThanOrEqual(g.events);
  }, 300_000);

  it('--json: one object with the verdict, the groups and the tests; --group judges one group', async () => {
    const r = await cli([plain(), '--json', '--group', 'g1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j.verdict).toBe('conforms');
    const g = (j.groups as Record<string, unknown>[])[0]!;
    for (const k of ['name', 'topology', 'files', 'tests', 'verdict', 'events', 'explained', 'warnings', 'notes', 'timing']) expect(g).toHaveProperty(k);
    expect(g.files).toEqual([
      expect.objectContaining({ file: 'primary.log', node: 'primary', role: 'primary' }),
      expect.objectContaining({ file: 'replica.log', node: 'replica1', role: 'replica' }),
    ]);
    expect(j.tests).toEqual([]);
  }, 300_000);

  it('a violation names its group, line, kind and test', async () => {
    const dir = seedFolder();
    const p = path.join(dir, 'primary.log');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/# Client id=6 addr=/, '# Client id=8 addr='));
    const r = await cli([dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('verdict: violates — 0 of 1 group(s) conform');
    expect(r.out).toMatch(/first unexplained line: primary\.log:\d+ \(event seq \d+, test \[2\] "attempt 2"\): primary\.cob_overflow on primary/);
    expect(r.out).toMatch(/\[2\] attempt 2 — VIOLATES: G1 \d+\/\d+ events explained, \d+ not judged, VIOLATES here/);
  }, 300_000);

  it('a folder with no Valkey logs is an error naming the folder', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
    expect(() => validateSuite(dir)).toThrow(SuiteInputError);
    const r = await cli([dir]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`error: ${dir}: no Valkey server logs here`);
    mkdirSync(path.join(dir, 'server.1.1'));
    writeFileSync(path.join(dir, 'server.1.1', 'stdout'), '### Starting server for test \n');
    const r2 = await cli([dir, '--json']);
    expect(r2.code).toBe(2);
    expect(JSON.parse(r2.out)).toMatchObject({ verdict: 'error', errors: [{ file: dir }] });
    expect(r2.out).toContain('server.1.1/stdout');
  });

  it('an unreadable log is an error naming the file', async () => {
    const dir = tmp();
    cpSync(path.join(CAPTURES, 'full-sync-with-writes', 'primary.log'), path.join(dir, 'primary.log'));
    symlinkSync(path.join(dir, 'gone'), path.join(dir, 'replica.log'));
    const r = await cli([dir]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`error: ${path.join(dir, 'replica.log')}: cannot read`);
    const dir2 = tmp();
    mkdirSync(path.join(dir2, 'server.1.1', 'stdout'), { recursive: true });
    const r2 = await cli([dir2]);
    expect(r2.code).toBe(2);
    expect(r2.out).toContain(path.join(dir2, 'server.1.1', 'stdout'));
  });

  it('an unknown group is an error; --trace-out is refused', async () => {
    const dir = plain();
    const r = await cli([dir, '--group', 'G7']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('no group G7 here (groups: G1)');
    await expect(cli([dir, '--trace-out', path.join(dir, 't.jsonl')])).rejects.toThrow(/--trace-out/);
  });
});
