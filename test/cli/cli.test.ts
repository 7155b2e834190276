// End-to-end tests of the command line: spawn `node dist/cli/main.js`, check exit codes and output.
// The CLI is run from its build; the beforeAll hook (re)builds it when dist is missing or older
// than a source file (the README's `npm test` runs tsc before vitest anyway).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrace } from '../../conformance/trace/read.js';
import { alterField } from '../../conformance/mutate.js';
import { formatTrace } from '../../conformance/trace/write.js';
import { simulateTrace } from '../../conformance/simtrace.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const SOURCE_DIRS = ['cli', 'conformance', 'model', 'engine', 'capture'];

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

interface Run { code: number | null; stdout: string; stderr: string }

/** Run the CLI with `args`, optionally feeding `input` on stdin. */
function cli(args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

let tmp: string;
const tmpFile = (name: string, text: string): string => {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-cli-'));
  const built = existsSync(MAIN) ? statSync(MAIN).mtimeMs : 0;
  const src = Math.max(...SOURCE_DIRS.filter((d) => existsSync(path.join(ROOT, d))).map((d) => newestSource(path.join(ROOT, d))));
  if (built >= src) return;
  // type errors of work in progress elsewhere do not stop tsc from emitting; only a missing build fails
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) console.warn(`tsc exited ${r.status}:\n${r.stdout}${r.stderr}`);
  expect(existsSync(MAIN), 'dist/cli/main.js after tsc').toBe(true);
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent('replcheck check', () => {
  it('--preset small: exit 0, verdict complete', async () => {
    const r = await cli(['check', '--preset', 'small']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('preset small');
    expect(r.stdout).toMatch(/^verdict: complete/m);
    expect(r.stdout).toMatch(/^states: [\d,]+ distinct, [\d,]+ generated, depth \d+/m);
    expect(r.stdout).toMatch(/^invariants checked \(\d+\): /m);
  });

  it('--preset small --json: one JSON document with the result fields', async () => {
    const r = await cli(['check', '--preset', 'small', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['verdict', 'distinctStates', 'generatedStates', 'maxDepth', 'durationMs', 'statesPerSecond', 'actions', 'invariants', 'neverFired']) {
      expect(j, k).toHaveProperty(k);
    }
    expect(j.verdict).toBe('complete');
    expect(j.preset).toBe('small');
    expect(Number.isInteger(j.distinctStates) && (j.distinctStates as number) > 1000).toBe(true);
    expect(j.generatedStates as number).toBeGreaterThanOrEqual(j.distinctStates as number);
    expect(j.maxDepth as number).toBeGreaterThan(0);
    expect(typeof j.durationMs).toBe('number');
    expect(typeof j.statesPerSecond).toBe('number');
    expect(Object.keys(j.actions as object)).toContain('HandleMainPsync');
    expect(Array.isArray(j.invariants) && (j.invariants as unknown[]).length > 0).toBe(true);
    expect(Array.isArray(j.neverFired)).toBe(true);
    // the text and JSON outputs describe the same run
    const fired = Object.entries(j.actions as Record<string, number>).filter(([, n]) => n === 0).map(([a]) => a);
    expect(j.neverFired).toEqual(fired);
  });

  it('--set foo=1: exit 2 naming foo', async () => {
    const r = await cli(['check', '--set', 'foo=1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/foo/);
    expect(r.stderr).toMatch(/unknown setting/);
  });

  it('--set with a value of the wrong type: exit 2 naming the setting', async () => {
    const r = await cli(['check', '--set', 'backlog=many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/backlog.*integer/);
  });

  it('--config with an unknown field: exit 2 naming the file and the field', async () => {
    const f = tmpFile('unknown-field.json', JSON.stringify({ preset: 'small', bogusField: 3 }));
    const r = await cli(['check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(f);
    expect(r.stderr).toContain('bogusField');
  });

  it('--config with a field of the wrong type: exit 2 naming the file and the field', async () => {
    const f = tmpFile('wrong-type.json', JSON.stringify({ backlog: 'two' }));
    const r = await cli(['check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(f);
    expect(r.stderr).toMatch(/"backlog".*integer/);
  });

  it('--config with a value out of range: exit 2 naming the field', async () => {
    const f = tmpFile('out-of-range.json', JSON.stringify({ replicas: 9 }));
    const r = await cli(['check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"replicas"');
  });

  it('--config with bad JSON: exit 2 naming the file', async () => {
    const f = tmpFile('bad.json', '{"backlog": 2,');
    const r = await cli(['check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(f);
    expect(r.stderr).toMatch(/not valid JSON/);
  });

  it('--config with a missing file: exit 2 naming the file', async () => {
    const f = path.join(tmp, 'does-not-exist.json');
    const r = await cli(['check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(f);
  });

  it('--preset nope: exit 2 listing the presets', async () => {
    const r = await cli(['check', '--preset', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown preset "nope"/);
    expect(r.stderr).toContain('small');
  });

  it('unknown option and unknown goal: exit 2', async () => {
    const a = await cli(['check', '--frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--frobnicate');
    const b = await cli(['check', '--preset', 'small', '--reach', 'no-such-goal']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('no-such-goal');
    expect(b.stderr).toContain('seed-lack-of-backlog');
  });

  it('--reach seed-lack-of-backlog --preset default: exit 0 and prints the shortest run', async () => {
    const r = await cli(['check', '--reach', 'seed-lack-of-backlog', '--preset', 'default']);
    expect(r.code, r.stderr).toBe(0);
    const m = /^goal seed-lack-of-backlog reached; shortest run \((\d+) steps\):$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const steps = Number(m![1]);
    const after = r.stdout.slice(m!.index);
    expect(after).toMatch(/^ {2}0\. initial state: /m);
    // every step is numbered, the last one ends the run where the goal holds
    for (let i = 1; i <= steps; i++) expect(after).toMatch(new RegExp(`^ {2}${i}\\. \\S`, 'm'));
    expect(after).not.toMatch(new RegExp(`^ {2}${steps + 1}\\. `, 'm'));
    // the goal: the replica came back and the primary answered +DUALCHANNELSYNC to its PSYNC
    // the main channel was dropped and noticed (MainEOF), the reconnect's PSYNC gets +DUALCHANNELSYNC
    expect(after).toContain('MainEOF');
    expect(after.lastIndexOf('HandlePsync')).toBeGreaterThan(after.lastIndexOf('MainEOF'));
    expect(after).toContain('+DUALCHANNELSYNC');
  });
});

describe('replcheck simulate | replcheck validate', () => {
  it('simulate --seed 7 --steps 20000 piped into validate: exit 0, conforms', async () => {
    const sim = spawn(process.execPath, [MAIN, 'simulate', '--seed', '7', '--steps', '20000'], { cwd: ROOT });
    const val = spawn(process.execPath, [MAIN, 'validate'], { cwd: ROOT });
    sim.stdout.pipe(val.stdin);
    let out = '';
    let simErr = '';
    let valErr = '';
    val.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    sim.stderr.setEncoding('utf8').on('data', (d: string) => (simErr += d));
    val.stderr.setEncoding('utf8').on('data', (d: string) => (valErr += d));
    const [simCode, valCode] = await Promise.all([
      new Promise<number | null>((r) => sim.on('close', r)),
      new Promise<number | null>((r) => val.on('close', r)),
    ]);
    expect(simCode, simErr).toBe(0);
    expect(simErr).toMatch(/simulated 20000 model steps .*, \d+ events/);
    const events = Number(/, (\d+) events/.exec(simErr)![1]);
    expect(valCode, out + valErr).toBe(0);
    expect(out).toMatch(/^verdict: conforms$/m);
    expect(out).toContain(`events: ${events}, explained: ${events}`);
  });

  it('simulate is reproducible: the same seed gives the same trace', async () => {
    const a = await cli(['simulate', '--preset', 'small', '--seed', '11', '--steps', '300']);
    const b = await cli(['simulate', '--preset', 'small', '--seed', '11', '--steps', '300']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const c = await cli(['simulate', '--preset', 'small', '--seed', '12', '--steps', '300']);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('simulate --out FILE then validate FILE --json', async () => {
    const f = path.join(tmp, 'sim-out.jsonl');
    const s = await cli(['simulate', '--preset', 'default', '--seed', '5', '--steps', '500', '--out', f]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toBe('');
    const v = await cli(['validate', f, '--json']);
    expect(v.code, v.stdout).toBe(0);
    const j = JSON.parse(v.stdout) as { verdict: string; events: number; matched: number };
    expect(j.verdict).toBe('conforms');
    expect(j.matched).toBe(j.events);
    expect(j.events).toBe(readFileSync(f, 'utf8').trim().split('\n').length - 1);
  });

  // Regression (fixed in a3a0b0b): `simulate --set` of a list setting (replicaDual, faultKinds) wrote
  // the list as a JSON array into the header's model.set, which the trace schema (scalars only)
  // rejects, so the CLI could not read its own output.
  it.each([
    ['replicaDual', ['--preset', 'default', '--set', 'replicas=2', '--set', 'replicaDual=true,false']],
    ['faultKinds', ['--preset', 'small', '--set', 'faultKinds=KillMain,KillRdb']],
  ])('simulate --set %s=<list> | validate: the trace validates (exit 0)', async (_name, flags) => {
    const s = await cli(['simulate', ...flags, '--seed', '3', '--steps', '200']);
    expect(s.code, s.stderr).toBe(0);
    const v = await cli(['validate'], s.stdout);
    expect(v.stdout).toMatch(/^verdict: conforms$/m);
    expect(v.code, v.stdout).toBe(0);
  });
});

describe.concurrent('replcheck validate: bad input and violations', () => {
  // traces to spoil are made in-process (the CLI's simulate is tested above)
  const sample = async (seed: number, steps: number, preset = 'small'): Promise<string> => {
    const model = buildModel(resolveConfig(preset));
    const { trace } = simulateTrace(model, { seed, steps, faultWeight: 0.05, isFault: (a) => model.instances[a]!.def.fault === true, preset, set: {} });
    return formatTrace(trace);
  };

  it('a field of the wrong type: exit 2 with file:line and the JSON pointer', async () => {
    const lines = (await sample(3, 60)).trimEnd().split('\n');
    const k = lines.findIndex((l) => l.includes('"replica.psync"'));
    expect(k).toBeGreaterThan(0);
    lines[k] = lines[k]!.replace(/"offset":\d+/, '"offset":"abc"');
    const f = tmpFile('bad-type.jsonl', lines.join('\n') + '\n');
    const r = await cli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^verdict: error$/m);
    expect(r.stdout).toContain(`error: ${f}:${k + 1} at /fields/offset: `);
  });

  it('an unknown field: exit 2 with the pointer to the field', async () => {
    const lines = (await sample(3, 60)).trimEnd().split('\n');
    const k = 4;
    const e = JSON.parse(lines[k]!) as { fields: Record<string, unknown> };
    e.fields.surprise = 1;
    lines[k] = JSON.stringify(e);
    const f = tmpFile('unknown-field.jsonl', lines.join('\n') + '\n');
    const r = await cli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${f}:${k + 1} at /fields/surprise: `);
  });

  it('a line that is not JSON: exit 2 with file:line', async () => {
    const lines = (await sample(3, 60)).trimEnd().split('\n');
    lines[6] = lines[6]!.slice(0, -1);
    const f = tmpFile('bad-json.jsonl', lines.join('\n') + '\n');
    const r = await cli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`error: ${f}:7: `);
    expect(r.stdout).toMatch(/bad JSON/);
  });

  it('a bad line on stdin: exit 2 naming <stdin>:line', async () => {
    const lines = (await sample(3, 60)).trimEnd().split('\n');
    lines[3] = '{"seq": 3, "node": "replica1", "kind": "replica.nonsense", "fields": {}}';
    const r = await cli(['validate', '-'], lines.join('\n') + '\n');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/error: <stdin>:4 at \/kind: /);
  });

  it('a mutated trace: exit 1, the diagnosis names the event\'s seq and the mismatch', async () => {
    // a dual-channel run in which the replica's main-channel PSYNC names ENDOFF+1; make it ENDOFF+2
    let text = '';
    let k = -1;
    for (let seed = 3; k < 0 && seed < 40; seed++) {
      text = await sample(seed, 300);
      k = parseTrace(text).events.findIndex((e) => e.kind === 'replica.main_psync');
    }
    expect(k, 'some small-preset run has a main-channel PSYNC').toBeGreaterThanOrEqual(0);
    const t = parseTrace(text);
    const ev = t.events[k]!;
    const mu = alterField(t, k, 'offset');
    const f = tmpFile('mutated.jsonl', formatTrace(mu.trace));
    const r = await cli(['validate', f]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^verdict: violates$/m);
    expect(r.stdout).toContain(`VIOLATION at event seq ${ev.seq} (line ${k + 2}): replica.main_psync on replica1 ${JSON.stringify({ ...ev.fields, offset: (ev.fields.offset as number) + 1 })}`);
    expect(r.stdout).toContain(`field offset: expected = ${ev.fields.offset as number}`);
    expect(r.stdout).toContain(`explained: ${k}`);
    // --json carries the same failure
    const j = await cli(['validate', f, '--json']);
    expect(j.code).toBe(1);
    const res = JSON.parse(j.stdout) as { verdict: string; failure: { event: { seq: number; line: number; index: number }; kind: string } };
    expect(res.verdict).toBe('violates');
    expect(res.failure.event).toMatchObject({ seq: ev.seq, line: k + 2, index: k });
    expect(res.failure.kind).toBe('replica.main_psync');
  });

  it('Valkey log files: exit 0 and the log summary; a missing log file is an input error (exit 2)', async () => {
    const dir = path.join(ROOT, 'traces/valkey-8.0.1/full-sync-with-writes');
    const r = await cli(['validate', path.join(dir, 'primary.log'), path.join(dir, 'replica.log')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^logs: primary=.*primary\.log/m);
    expect(r.stdout).toMatch(/^verdict: conforms$/m);
    const missing = await cli(['validate', path.join(dir, 'primary.log'), path.join(tmp, 'nope.log')]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('nope.log');
  });
});

describe.concurrent('replcheck: commands', () => {
  it('an unknown command: exit 2 listing the commands', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
    expect(r.stderr).toContain('commands: check, simulate, validate, zoo, sweep, capture, chaos');
  });

  it('no command: usage, exit 2; help: usage, exit 0', async () => {
    const a = await cli([]);
    expect(a.code).toBe(2);
    expect(a.stdout).toContain('usage: replcheck check');
    const b = await cli(['help']);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('usage: replcheck validate');
  });
});
