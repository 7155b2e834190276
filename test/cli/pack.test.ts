// Installable as people install tools: `npm pack` gives a tarball that `npm install -g` puts on a
// PATH and `npx` runs, from a folder that is not the clone. The packed files are the built dist/
// (the README's `npm test` runs tsc first), so the pack skips the prepare script. Everything runs in
// child processes (npm install takes tens of seconds, which must not hold vitest's thread).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let tmp = '';
let tarball = '';

beforeAll(async () => {
  expect(existsSync(path.join(ROOT, 'dist/cli/main.js')), 'dist/ is built (npm test runs tsc first)').toBe(true);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-pack-'));
  await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 1 << 24 });
  const tgz = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = path.join(tmp, tgz[0]!);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('npm install -g puts a replcheck command on the PATH that checks the small preset', async () => {
    const prefix = path.join(tmp, 'prefix');
    const cache = path.join(tmp, 'cache');
    await run(NPM, ['install', '-g', '--prefix', prefix, '--cache', cache, '--no-audit', '--no-fund', tarball], { cwd: tmp, maxBuffer: 1 << 24 });
    const bin = path.join(prefix, 'bin', 'replcheck');
    expect(existsSync(bin)).toBe(true);
    const elsewhere = mkdtempSync(path.join(tmp, 'cwd-'));
    const { stdout } = await run('replcheck', ['check', '--preset', 'small', '--json'], {
      cwd: elsewhere, env: { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` }, maxBuffer: 1 << 26,
    });
    const r = JSON.parse(stdout) as { verdict: string; distinctStates: number; preset: string };
    expect(r.preset).toBe('small');
    expect(r.verdict).toBe('complete');
    expect(r.distinctStates).toBeGreaterThan(100_000);
  }, 600_000);

  it('npx runs it from the tarball in any folder', async () => {
    const elsewhere = mkdtempSync(path.join(tmp, 'npx-'));
    const { stdout } = await run('npx', ['--yes', '--cache', path.join(tmp, 'npx-cache'), '--package', tarball, 'replcheck', 'check', '--preset', 'small', '--max-states', '1000'], {
      cwd: elsewhere, maxBuffer: 1 << 24,
    }).catch((e: { code?: number; stdout?: string; stderr?: string }) => {
      // a budget-exhausted check exits 0; anything else is a failure worth showing
      throw new Error(`npx failed (exit ${e.code}): ${e.stderr ?? ''}${e.stdout ?? ''}`);
    });
    expect(stdout).toMatch(/verdict: budget-exhausted/);
    expect(stdout).toMatch(/model valkey-dual-channel, preset small/);
  }, 600_000);
});
