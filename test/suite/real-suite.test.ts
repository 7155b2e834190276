// Judges real runs of Valkey's own test suite (scripts/valkey-suite.sh; `npm run
// test:valkey-suites`, and the 9.1.2 run in `npm run test:full`). Opt-in: set REPLCHECK_SUITE_DIRS
// to the run folders, colon-separated (e.g. .valkey/runs/8.1.1:.valkey/runs/9.1.2). Every
// replication group of every folder is one test: its report must be complete and well-formed, and
// the group must conform to the model — a group that does not fails its test, with the first
// unexplained line, its kind and the diagnosis's message. The whole report is written next to the
// logs (replcheck.txt, replcheck.json).
//
// The judging itself runs `replcheck validate DIR --json` (cli/main.ts through vite-node, so no
// build is needed) in a child process: a group can take a minute of synchronous validation, which
// inside the test worker would starve vitest's own messages (its RPC calls time out after 60 s).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSuiteReport, suiteLayout, type GroupReport, type SuiteLayout, type SuiteReport } from '../../conformance/suite/index.js';
import { schemaErrors } from '../json-schemas.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VITE_NODE = path.join(ROOT, 'node_modules/.bin/vite-node');
const DIRS = (process.env.REPLCHECK_SUITE_DIRS ?? '').split(':').filter((d) => d.trim() !== '');
const SUITE_TIMEOUT_MS = 90 * 60_000;

function wellFormed(g: GroupReport, l: SuiteLayout): void {
  const files = new Set(l.servers.map((s) => s.rel));
  expect(g.name).toMatch(/^G\d+$/);
  expect(g.topology).toMatch(/^primary .+ ← replicas? /);
  expect(g.files.length).toBeGreaterThanOrEqual(g.topology.includes('(no log)') ? 1 : 2);
  for (const f of g.files) {
    expect(files.has(f.file), f.file).toBe(true);
    expect(['primary', 'replica', 'both']).toContain(f.role);
    expect(f.lines).toMatch(/^(\d+(–\d+)? \(start-up\), )?\d+(–\d+)?$/);
    if (g.verdict !== 'error') expect(f.node, `${g.name} ${f.file}`).toMatch(/^(primary|replica\d+)$/);
  }
  let last = -1;
  for (const t of g.tests) {
    expect(t.index).toBeGreaterThan(last);
    expect(l.windows.windows[t.index]!.name).toBe(t.name);
    last = t.index;
  }
  expect(['conforms', 'violates', 'gave-up', 'error']).toContain(g.verdict);
  expect(g.explained).toBeGreaterThanOrEqual(0);
  expect(g.explained).toBeLessThanOrEqual(g.events);
  if (g.verdict === 'conforms') {
    expect(g.explained).toBe(g.events);
    expect(g.failure).toBeUndefined();
  }
  if (g.verdict === 'violates') {
    const f = g.failure!;
    expect(f.at).toMatch(/^.+:\d+$/);
    expect(files.has(f.at.replace(/:\d+$/, '')), f.at).toBe(true);
    expect(f.kind).toMatch(/^(primary|replica|env)\.\w+$/);
    expect(f.node).toMatch(/^(primary|replica\d+|env)$/);
    expect(f.message.length).toBeGreaterThan(0);
    expect(f.text).toContain('VIOLATION at event');
  }
  if (g.verdict === 'gave-up') expect(g.gaveUp?.reason.length).toBeGreaterThan(0);
  if (g.verdict === 'error') expect(g.error?.length).toBeGreaterThan(0);
  for (const o of g.overflows ?? []) {
    expect(o.at).toMatch(/^.+:\d+$/);
    expect(o.text.startsWith(o.at)).toBe(true);
    expect(typeof o.judged).toBe('boolean');
    expect(typeof o.fromEarlierTest).toBe('boolean');
    if (o.connection === 'rdb channel' && o.sync) {
      expect(o.createdAt).toBe(o.sync.at);
      expect(typeof o.currentSync).toBe('boolean');
    }
  }
  for (const v of [g.timing.readMs, g.timing.validateMs, g.timing.eventsPerSecond, g.timing.maxCandidates]) expect(Number.isFinite(v)).toBe(true);
}

function why(g: GroupReport): string {
  if (g.failure) return `${g.name} (${g.topology}) does not conform: first unexplained line ${g.failure.at} (${g.failure.test ? `test "${g.failure.test.name}"` : 'outside any test'}): ${g.failure.kind} on ${g.failure.node}${g.failure.connection ? ` (${g.failure.connection})` : ''}: ${g.failure.message}`;
  if (g.gaveUp) return `${g.name} (${g.topology}): gave up at ${g.gaveUp.at ?? '?'}: ${g.gaveUp.reason}`;
  return `${g.name} (${g.topology}): ${g.verdict}${g.error ? `: ${g.error}` : ''}`;
}

/** `replcheck validate DIR --json` in a child process; its per-group progress goes to our stderr. */
function judgeInChild(dir: string): Promise<SuiteReport> {
  return new Promise((resolve, reject) => {
    const p = spawn(VITE_NODE, ['cli/main.ts', '--', 'validate', path.resolve(dir), '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; process.stderr.write(`[${path.basename(dir)}] ${d}`); });
    p.on('error', reject);
    p.on('close', (code) => {
      try {
        const r = JSON.parse(out) as SuiteReport & { errors?: unknown };
        if (r.errors || !Array.isArray(r.groups)) reject(new Error(`replcheck validate ${dir}: exit ${code}: ${out.slice(0, 2000)}${err.slice(-2000)}`));
        else resolve(r);
      } catch {
        reject(new Error(`replcheck validate ${dir}: exit ${code}, no JSON report: ${err.slice(-4000)}${out.slice(0, 2000)}`));
      }
    });
  });
}

describe.skipIf(DIRS.length === 0)('real Valkey test-suite runs (REPLCHECK_SUITE_DIRS)', () => {
  for (const dir of DIRS) {
    const label = path.basename(path.resolve(dir));
    let layout: SuiteLayout | undefined;
    let readError: unknown;
    try { layout = suiteLayout(dir); } catch (e) { readError = e; }
    describe(`${label} (${dir})`, () => {
      let report: SuiteReport | undefined;
      let judgeError: unknown;
      beforeAll(async () => {
        if (!layout) return;
        try { report = await judgeInChild(dir); } catch (e) { judgeError = e; }
      }, SUITE_TIMEOUT_MS);
      const judged = (): SuiteReport => {
        if (judgeError) throw judgeError;
        return report!;
      };
      it('is a folder of server logs with replication groups and test windows', () => {
        if (readError) throw readError;
        expect(layout!.grouping.groups.length).toBeGreaterThan(0);
        expect(layout!.windows.windows.length).toBeGreaterThan(0);
      });
      if (!layout) return;
      const l = layout;
      for (const g of l.grouping.groups) {
        const title = `${g.id}: ${g.members.map((m) => `${l.servers[m.server]!.rel}${m.role === 'primary' ? ' (primary)' : ''}`).join(', ')}`;
        it(title, () => {
          const r = judged().groups.find((x) => x.name === g.id);
          expect(r, `${g.id} is missing from the report`).toBeDefined();
          wellFormed(r!, l);
          expect(r!.verdict, why(r!)).toBe('conforms');
        });
      }
      it('per-test report: every window, every judged group in it', () => {
        const r = judged();
        expect(r.groups.map((g) => g.name)).toEqual(l.grouping.groups.map((g) => g.id));
        expect(r.tests.map((t) => t.name)).toEqual(l.windows.windows.map((w) => w.name));
        const names = new Set(r.groups.map((g) => g.name));
        for (const t of r.tests) {
          for (const x of t.groups) {
            expect(names.has(x.group)).toBe(true);
            expect(x.explained).toBeLessThanOrEqual(x.events);
          }
          expect(['conforms', 'violates', 'gave-up', 'error', 'not judged', 'no events']).toContain(t.verdict);
        }
        for (const g of r.groups) {
          const inWindows = r.tests.reduce((n, t) => n + (t.groups.find((x) => x.group === g.name)?.events ?? 0), 0);
          expect(inWindows).toBeLessThanOrEqual(g.events);
        }
        expect(r.verdict === 'conforms').toBe(r.groups.every((g) => g.verdict === 'conforms'));
        expect(schemaErrors('validate-dir', r), 'the report follows spec/json/validate-dir.schema.json').toBeNull();
        try {
          writeFileSync(path.join(dir, 'replcheck.json'), JSON.stringify(r, null, 2) + '\n');
          writeFileSync(path.join(dir, 'replcheck.txt'), formatSuiteReport(r) + '\n');
        } catch { /* a read-only folder: the report is not kept */ }
      });
    });
  }
});
