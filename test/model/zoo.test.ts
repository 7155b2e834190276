// The bug zoo (model/zoo.ts, `replcheck zoo`): every bug re-found — a counterexample under its
// buggy switch, the property proved under the fixed one — checked row by row from the CLI's JSON
// (which must match spec/json/zoo.schema.json). The check can fail: a row whose "fixed" run keeps
// the bug is reported as not re-found, and a fix property that the fixed model broke is caught.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { zooRow, type ZooRow } from '../../cli/zoo.js';
import { ZOO } from '../../model/zoo.js';
import { buildModel } from '../../model/index.js';
import { resolveConfig } from '../../model/config.js';
import { PROFILE_NAMES, PROFILES, SWITCH_NAMES, type Switches } from '../../model/profiles.js';
import { REPLICA_SIZE } from '../../model/state.js';
import { schemaErrors } from '../json-schemas.js';
import { checkOffThread } from './offthread.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `replcheck zoo ARGS` in a child process, without blocking this worker: the whole zoo runs for a
 * minute or two, and a worker blocked for 60 s times out vitest's RPC.
 */
function zoo(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'zoo', ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('replcheck zoo', () => {
  let r: Awaited<ReturnType<typeof zoo>>;
  let rows: ZooRow[] = [];
  beforeAll(async () => {
    r = await zoo(['--json']);
    rows = JSON.parse(r.stdout || '[]') as ZooRow[];
  }, 900_000);

  it('prints a row per bug, valid against its schema, and exits 0', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(schemaErrors('zoo', rows)).toBeNull();
    expect(rows.map((x) => x.id)).toEqual(ZOO.map((b) => b.id));
  });

  for (const b of ZOO) {
    it(`${b.id}: ${b.property} fails under the bug and holds under the fix`, () => {
      const row = rows.find((x) => x.id === b.id)!;
      expect(row.buggy.verdict).toBe('violated');
      expect(row.buggy.steps).toBeGreaterThan(0);
      expect(row.fixed.verdict).toBe(b.kind === 'safety' ? 'complete' : 'holds');
      if (b.kind === 'safety') expect(row.buggy.message).toMatch(new RegExp(`^${b.property}: `));
      expect(row.reFound).toBe(true);
    });
  }

  it('each row names the profiles that have its bug: those whose switches take its buggy values', () => {
    for (const b of ZOO) {
      const keys = Object.keys(b.buggy).filter((k) => (SWITCH_NAMES as string[]).includes(k)) as (keyof Switches)[];
      if (!keys.length) continue; // #1649: no switch, no fix
      const having = PROFILE_NAMES.filter((p) => keys.every((k) => PROFILES[p].switches[k] === b.buggy[k]));
      expect(having, b.id).toEqual([...b.inProfiles]);
      for (const k of keys) expect(b.fixed[k], `${b.id} ${k}`).toBe(!b.buggy[k]);
    }
  });

  it('a row whose fixed run keeps the bug is not re-found', () => {
    const b = ZOO.find((x) => x.id === '#989')!;
    const row = zooRow({ ...b, fixed: b.buggy });
    expect(row.fixed.verdict).toBe('violated');
    expect(row.reFound).toBe(false);
  });

  it('the fix properties are not checked unless asked: the 8.0.1 profile has #1297 (and #1097, #1149, #5417, #2866) and its check is complete', async () => {
    // millions of states: off this worker's thread
    expect((await checkOffThread('small', { childErrorClearsProtection: false })).verdict).toBe('complete');
    const c = resolveConfig('small', [{ childErrorClearsProtection: false }]);
    expect(() => buildModel(c, {}, { fixProperties: ['I99-nothing'] })).toThrow(/unknown fix property/);
  });

  it('#1149\'s ghost rN.replica.downSince exists only when I13-down-since is asked for: the plain model\'s layout and states are as before', () => {
    const c = resolveConfig('small', []);
    const plain = buildModel(c), ghost = buildModel(c, {}, { fixProperties: ['I13-down-since'] });
    expect(plain.layout.downSinceAt).toBeUndefined();
    expect(plain.layout.fields.some((f) => f.name.endsWith('downSince'))).toBe(false);
    expect(ghost.layout.fields.map((f) => f.name)).toEqual([...plain.layout.fields.map((f) => f.name), 'r1.replica.downSince']);
    // after the replica records: every other field keeps its place
    expect(ghost.layout.downSinceAt).toEqual([plain.layout.replicaBase[0]! + REPLICA_SIZE]);
    expect(ghost.layout.replicaBase).toEqual(plain.layout.replicaBase);
  });

  it('--bug picks one row; an unknown one is bad input', async () => {
    const one = await zoo(['--bug', '989']);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toContain('1 of 1 bugs re-found');
    const bad = await zoo(['--bug', '4242']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`not in the zoo; known: ${ZOO.map((b) => b.id).join(", ")}`));
  });
});
