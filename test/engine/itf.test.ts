// ITF export (engine/itf.ts, `check --itf`): counterexamples and --reach paths written in the
// Informal Trace Format validate against spec/itf.schema.json (ajv), carry every variable in every
// state under the model's own names, and say which action led to each state.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import { toItf, type ItfTrace } from '../../engine/itf.js';
import { model } from '../model/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'spec/itf.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-itf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function wellFormed(t: ItfTrace): void {
  expect(validate(t), JSON.stringify(validate.errors)).toBe(true);
  for (const s of t.states) expect(Object.keys(s).filter((k) => k !== '#meta').sort()).toEqual([...t.vars].sort());
  t.states.forEach((s, i) => expect(s['#meta'].index).toBe(i));
}

describe('ITF', () => {
  it('the schema rejects what is not ITF', () => {
    expect(validate({ vars: ['x'], states: [{ x: { '#bigint': '1.5' } }] })).toBe(false);
    expect(validate({ vars: ['x'], states: [{ x: { '#bigint': '2', extra: 1 } }] })).toBe(false);
    expect(validate({ states: [] })).toBe(false);
    expect(validate({ vars: ['x'], states: [{ x: { '#set': [1, { '#tup': ['a', true] }] } }], loop: 0 })).toBe(true);
  });

  it('a counterexample (bug killUnprotects on small) in ITF', () => {
    const r = check(model('small', {}, { killUnprotects: true }));
    expect(r.verdict).toBe('violated');
    const t = toItf(r.violation!.trace, { description: `counterexample: ${r.violation!.invariant}` });
    wellFormed(t);
    expect(t.states).toHaveLength(r.violation!.trace.length);
    expect(t.states[0]!['#meta'].action).toBeNull();
    expect(t.states[t.states.length - 1]!['#meta'].action).toMatch(/^KillRdb\[/);
    expect(t.vars).toContain('r1.rdbClient1.protected');
    // integers as #bigint, enum values as strings
    expect(t.states[0]!['off']).toEqual({ '#bigint': String(r.violation!.trace[0]!.state['off']) });
    expect(typeof t.states[0]!['child']).toBe('string');
  });

  it('a lasso keeps its loop index; a bad one is refused', () => {
    const r = check(model('small', {}, { killUnprotects: true }));
    const steps = r.violation!.trace;
    wellFormed(toItf(steps, {}, 1));
    expect(toItf(steps, {}, 1).loop).toBe(1);
    expect(() => toItf(steps, {}, steps.length)).toThrow(/loop index/);
    expect(() => toItf([], {})).toThrow(/at least one state/);
  });

  it('check --reach GOAL --itf FILE writes the shortest run; without a path it says so', () => {
    const file = path.join(tmp, 'reach.itf.json');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'check', '--preset', 'small', '--reach', 'set-id-rejected', '--itf', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*reach\.itf\.json \(ITF, \d+ states\)/);
    const t = JSON.parse(readFileSync(file, 'utf8')) as ItfTrace;
    wellFormed(t);
    const steps = Number(/shortest run \((\d+) steps\)/.exec(r.stdout)![1]);
    expect(t.states).toHaveLength(steps + 1);
    expect(t['#meta'].description).toBe('shortest run to goal set-id-rejected');
    const none = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'check', '--preset', 'small', '--max-states', '500', '--itf', path.join(tmp, 'none.json')], { encoding: 'utf8' });
    expect(none.status).toBe(0);
    expect(none.stderr).toMatch(/not written: the check found no counterexample/);
  });
  it('simulate --itf FILE writes the simulated run: every state, the action that led to each, the same writes as the trace', () => {
    const file = path.join(tmp, 'sim.itf.json'), traceFile = path.join(tmp, 'sim.jsonl');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'simulate', '--seed', '11', '--steps', '300', '--itf', file, '--out', traceFile], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*sim\.itf\.json \(ITF, 301 states\)/);
    const t = JSON.parse(readFileSync(file, 'utf8')) as ItfTrace;
    wellFormed(t);
    expect(t.states).toHaveLength(301);
    expect(t.states.slice(1).every((s) => typeof s['#meta'].action === 'string')).toBe(true);
    const writes = t.states.filter((s) => /^Write\b/.test(String(s['#meta'].action))).length;
    const events = readFileSync(traceFile, 'utf8').split('\n').filter((l) => l.includes('"primary.write"')).length;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBe(events);
    const big = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'simulate', '--steps', '200000', '--itf', path.join(tmp, 'big.json')], { encoding: 'utf8' });
    expect(big.status).toBe(2);
    expect(big.stderr).toMatch(/at most 100,000 steps/);
  });
});
