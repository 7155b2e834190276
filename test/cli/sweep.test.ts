// `replcheck sweep`: the grid's verdicts, from worker processes, are those of each point checked
// on its own in this process; the table, CSV and JSON say the same; bad grids are refused before
// any work with what was wrong.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runPoint } from '../../cli/sweep-worker.js';
import { gridPoints, parseSweepSetting } from '../../cli/sweep.js';
import { schemaErrors } from '../json-schemas.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [MAIN, ...args], { maxBuffer: 1 << 26 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
}

interface SweepJson { axes: { key: string; values: number[] }[]; jobs: number; points: { settings: Record<string, number>; predicted?: { loop: boolean }; result: { verdicts: { property: string; verdict: string; states: number }[] } }[] }

describe('replcheck sweep', () => {
  it('ranges and lists become axes; arrays and single values stay fixed settings', () => {
    expect(parseSweepSetting('writeRate=1..3')).toEqual({ axis: { key: 'writeRate', values: [1, 2, 3] } });
    expect(parseSweepSetting('cobHard=0,4,2')).toEqual({ axis: { key: 'cobHard', values: [0, 4, 2] } });
    expect(parseSweepSetting('disklessLoad=true,false')).toEqual({ axis: { key: 'disklessLoad', values: [true, false] } });
    expect(parseSweepSetting('replicaDual=true,false')).toEqual({ fixed: ['replicaDual', [true, false]] });
    expect(parseSweepSetting('faults=0')).toEqual({ fixed: ['faults', 0] });
    expect(() => parseSweepSetting('cobHard=5..2')).toThrow(/range is empty/);
    expect(() => parseSweepSetting('disklessLoad=0..1')).toThrow(/needs an integer setting/);
    expect(() => parseSweepSetting('cobHard=1,x')).toThrow(/expected an integer/);
    expect(gridPoints([{ key: 'a', values: [1, 2] }, { key: 'b', values: [3, 4] }])).toEqual([{ a: 1, b: 3 }, { a: 1, b: 4 }, { a: 2, b: 3 }, { a: 2, b: 4 }]);
  });

  it('a liveness grid on two workers: each point as checked alone; table, CSV and JSON agree', async () => {
    const grid = ['--set', 'faults=0', '--set', 'maxOffset=20', '--set', 'writeRate=1..3', '--set', 'cobHard=3..6'];
    const csv = path.join(tmp, 'grid.csv');
    const j = await cli(['sweep', '--liveness', '--property', 'L-loop', ...grid, '--jobs', '2', '--json', '--csv', csv]);
    expect(j.code, j.stderr).toBe(1); // some point has the loop
    const out = JSON.parse(j.stdout) as SweepJson;
    expect(schemaErrors('sweep', out)).toBeNull();
    expect(out.jobs).toBe(2);
    expect(out.points.map((p) => [p.settings.writeRate, p.settings.cobHard])).toEqual([1, 2, 3].flatMap((w) => [3, 4, 5, 6].map((h) => [w, h])));
    const verdicts = out.points.map((p) => p.result.verdicts[0]!.verdict);
    expect(new Set(verdicts)).toEqual(new Set(['violated', 'holds']));
    for (const p of out.points) {
      const alone = runPoint({ index: 0, preset: 'small', settings: { faults: 0, maxOffset: 20, ...p.settings }, liveness: ['L-loop'], maxStates: 5_000_000 });
      expect(p.result.verdicts[0]!.verdict).toBe(alone.verdicts[0]!.verdict);
      expect(p.result.verdicts[0]!.states).toBe(alone.verdicts[0]!.states);
      expect(p.predicted).toBeDefined();
    }
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('writeRate,cobHard,property,verdict,states,steps,what,predicted_loop,relation,ms,error');
    expect(rows.slice(1).map((r) => r.split(',')[3])).toEqual(verdicts);

    const t = await cli(['sweep', '--liveness', '--property', 'L-loop', ...grid, '--jobs', '2']);
    expect(t.code).toBe(1);
    const table = t.stdout.split('\n');
    const head = table.findIndex((l) => /writeRate\\cobHard/.test(l));
    expect(table[head]!.trim().split(/\s+/)).toEqual(['writeRate\\cobHard', '3', '4', '5', '6']);
    for (const [k, w] of [1, 2, 3].entries()) {
      const cells = table[head + 1 + k]!.trim().split(/\s+/);
      expect(cells[0]).toBe(String(w));
      expect(cells.slice(1).map((c) => c.replace('*', ''))).toEqual(verdicts.slice(4 * k, 4 * k + 4).map((v) => (v === 'violated' ? 'V' : '·')));
    }
    expect(t.stdout).toMatch(/§20\.3's relation: \d+ of 12 points agree/);
  }, 120_000);

  it('a safety grid: exit 0 when every point is complete', async () => {
    const r = await cli(['sweep', '--set', 'faults=0', '--set', 'cobHard=0,2', '--set', 'localLimit=0..1', '--jobs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as SweepJson;
    expect(schemaErrors('sweep', out)).toBeNull();
    expect(out.points).toHaveLength(4);
    for (const p of out.points) {
      expect(p.result.verdicts).toEqual([expect.objectContaining({ property: 'safety', verdict: 'complete' })]);
      expect(p.predicted).toBeUndefined();
    }
  }, 120_000);

  it('refuses bad grids before any work, saying what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['sweep', '--set', 'faults=0'], /at least one range or list/],
      [['sweep', '--set', 'nope=1..2'], /nope: unknown setting/],
      [['sweep', '--set', 'cobHard=4..2'], /range is empty/],
      [['sweep', '--set', 'cobHard=1..2', '--set', 'cobHard=3'], /given twice/],
      [['sweep', '--set', 'backlog=3..6', '--set', 'maxOffset=5'], /sweep point 3 \(backlog=5\).*backlog/],
      [['sweep', '--set', 'cobHard=1..2', '--property', 'L-loop'], /--property goes with --liveness/],
      [['sweep', '--liveness', '--property', 'L9', '--set', 'cobHard=1..2'], /--property L9: unknown; known: L1-sync-completes/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
  }, 60_000);
});
