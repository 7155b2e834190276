// `--html FILE` reports, read as a maintainer would: in a real browser. Reports of a fixture set —
// the seed capture (conforms), the seed with its overflow renamed to the current sync's client
// (violates), the seed as a two-test suite folder, `check --reach`, and a counterexample — are
// checked statically (self-contained, every in-page link lands, the seed's overflow drawn on the
// earlier sync's rdb client) and then loaded in headless Chromium (Debian's `chromium`): no console
// message, the page's script ran, the verdict banner and the diagram are on the screenshot (pixels
// of their colours), not a blank page. Screenshots stay in test-artifacts/html-reports/ (CI keeps
// them). Without Chromium the browser half is skipped, unless REPLCHECK_REQUIRE_CHROMIUM=1 (set by
// scripts/test-full.sh, which installs it on Debian), where its absence fails the test.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../cli/check.js';
import { checkHtml } from '../../cli/html.js';
import { runValidate } from '../../cli/validate.js';
import { check } from '../../engine/bfs.js';
import { sequenceOfPath } from '../../model/sequence.js';
import { model } from '../model/helpers.js';
import { countColour, readPng } from './png.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = path.join(ROOT, 'traces/valkey-8.0.1/leftover-rdb-client-new-sync');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/html-reports');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-html-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function findChromium(): string | undefined {
  for (const c of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((x): x is string => !!x)) {
    if (spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 30_000 }).status === 0) return c;
  }
  return undefined;
}
const CHROMIUM = findChromium();
const REQUIRE = process.env.REPLCHECK_REQUIRE_CHROMIUM === '1';

const VERDICT_COLOUR: Record<string, string> = { ok: '#2e7d32', bad: '#c62828', warn: '#b26a00' };

interface Report { readonly name: string; readonly file: string; readonly verdict: string; readonly tone: 'ok' | 'bad' | 'warn' }
const reports: Report[] = [];

async function validateTo(name: string, args: string[], verdict: string, tone: Report['tone']): Promise<void> {
  const file = path.join(tmp, `${name}.html`);
  let err = '';
  await runValidate([...args, '--html', file], () => {}, (s) => { err += s; });
  expect(err).toContain(`wrote ${file}`);
  reports.push({ name, file, verdict, tone });
}

beforeAll(async () => {
  await validateTo('seed', [path.join(SEED, 'primary.log'), path.join(SEED, 'replica.log')], 'conforms', 'ok');
  // the seed's overflow line naming the current sync's client (id 8) is a run the model rejects
  const mut = path.join(tmp, 'mutant');
  mkdirSync(mut);
  copyFileSync(path.join(SEED, 'replica.log'), path.join(mut, 'replica.log'));
  const prim = readFileSync(path.join(SEED, 'primary.log'), 'utf8').split('\n');
  expect(prim[51]).toMatch(/Client id=6 /);
  prim[51] = prim[51]!.replace('Client id=6 ', 'Client id=8 ');
  writeFileSync(path.join(mut, 'primary.log'), prim.join('\n'));
  await validateTo('seed-mutant', [path.join(mut, 'primary.log'), path.join(mut, 'replica.log')], 'violates', 'bad');
  // the seed as a test-suite folder: a harness marker before each sync
  const suite = path.join(tmp, 'suite');
  mkdirSync(suite);
  for (const f of ['primary.log', 'replica.log']) {
    const lines = readFileSync(path.join(SEED, f), 'utf8').split('\n');
    const first = lines.findIndex((l) => / 09:45:(21\.9[1-9]\d|22\.\d{3}) /.test(l));
    const second = lines.findIndex((l) => / 09:45:22\.(1[7-9]\d|[2-9]\d\d) /.test(l));
    lines.splice(second, 0, '### Starting test attempt 2 in tests/integration/seed.tcl');
    lines.splice(first, 0, '### Starting test attempt 1 in tests/integration/seed.tcl');
    writeFileSync(path.join(suite, f), lines.join('\n'));
  }
  await validateTo('suite', [suite], 'conforms', 'ok');
  const reach = path.join(tmp, 'reach.html');
  let err = '';
  expect(runCheck(['--preset', 'small', '--reach', 'seed-lack-of-backlog', '--html', reach], () => {}, (s) => { err += s; })).toBe(0);
  expect(err).toContain(`wrote ${reach}`);
  reports.push({ name: 'reach', file: reach, verdict: 'reached', tone: 'ok' });
  const m = model('small', {}, { killUnprotects: true });
  const r = check(m);
  const v = r.violation!;
  const bug = path.join(tmp, 'counterexample.html');
  writeFileSync(bug, checkHtml({ command: 'check (model with mutation killUnprotects)', preset: 'small', config: m.config as unknown as Record<string, unknown>, result: r,
    diagram: sequenceOfPath(v.trace, 1, 'counterexample', { text: `${v.invariant}: ${v.message}`, alert: true }) }));
  reports.push({ name: 'counterexample', file: bug, verdict: 'violated', tone: 'bad' });
}, 600_000);

describe('HTML reports: the pages themselves', () => {
  it('each is self-contained, names its verdict, draws a diagram, and every in-page link lands', () => {
    expect(reports.map((r) => r.name)).toEqual(['seed', 'seed-mutant', 'suite', 'reach', 'counterexample']);
    for (const r of reports) {
      const html = readFileSync(r.file, 'utf8');
      expect(html, r.name).toMatch(/^<!DOCTYPE html>/);
      expect(html, r.name).toContain(`data-verdict="${r.verdict}"`);
      expect(html, r.name).toContain(`class="verdict ${r.tone}"`);
      expect(html, r.name).toMatch(/<svg role="img" class="seq" /);
      // nothing fetched: no external scripts, styles, images or links
      expect(html, r.name).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/);
      expect(html, r.name).not.toMatch(/(href|src)="(https?:)?\/\//);
      const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
      const targets = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
      const dangling = targets.filter((t) => !ids.has(t));
      expect(dangling, `${r.name}: links to nothing`).toEqual([]);
    }
  });

  it('the seed report links every event to its log line and draws the overflow on sync 1\'s rdb client (id 6)', () => {
    const html = readFileSync(reports[0]!.file, 'utf8');
    expect(html).toContain('href="#log-leftover-rdb-client-new-sync-primary_log-L52"');
    expect(html).toContain('id="log-leftover-rdb-client-new-sync-primary_log-L52"');
    expect((html.match(/<tr id="ev-/g) ?? []).length).toBe(49);
    // the lane of client 6: its label's second line; the overflow: the red arrow (stroke #b00)
    const lane6 = /<text x="([\d.]+)" y="53" text-anchor="middle">6 \(replica1 sync 1\)<\/text>/.exec(html);
    const lane8 = /<text x="([\d.]+)" y="53" text-anchor="middle">8 \(replica1 sync 2\)<\/text>/.exec(html);
    const arrow = /<line x1="([\d.]+)" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#b00"/.exec(html);
    expect(lane6 && lane8 && arrow).toBeTruthy();
    expect(Number(arrow![1])).toBe(Number(lane6![1]));
    expect(Number(arrow![1])).not.toBe(Number(lane8![1]));
    expect(html).toContain('a LEFTOVER client of an earlier sync');
  });

  it('the rejected run highlights its first unexplained line and shows the diagnosis', () => {
    const html = readFileSync(reports[1]!.file, 'utf8');
    expect(html).toMatch(/<tr id="ev-[^"]*primary_log-L52" class="fail">/);
    expect(html).toContain('class="failline"');
    expect(html).toMatch(/<pre class="diagnosis" id="diagnosis">VIOLATION at event seq \d+ \[[^\]]*primary\.log:52\]/);
  });

  it('the suite report has a row per test and a section per group', () => {
    const html = readFileSync(reports[2]!.file, 'utf8');
    expect(html).toContain('attempt 1');
    expect(html).toContain('attempt 2');
    expect(html).toContain('<section id="group-G1">');
  });
});

function browse(file: string, args: string[]): { stdout: string; stderr: string } {
  const profile = mkdtempSync(path.join(tmp, 'chromium-'));
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', `--user-data-dir=${profile}`,
    '--enable-logging=stderr', '--v=0', ...args, `file://${file}`], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr };
}
const consoleLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));

describe.skipIf(!CHROMIUM && !REQUIRE)('HTML reports in headless Chromium', () => {
  it('Chromium is there', () => {
    expect(CHROMIUM, 'REPLCHECK_REQUIRE_CHROMIUM=1 but no chromium found (apt-get install chromium, or set CHROMIUM)').toBeDefined();
  });

  it('the checks can fail: a script error is seen, a blank page has no verdict or diagram', () => {
    const bad = path.join(tmp, 'bad.html');
    writeFileSync(bad, '<!DOCTYPE html><html><body><p>blank</p><script>undefinedFunction();</script></body></html>');
    expect(consoleLines(browse(bad, ['--dump-dom']).stderr).join('\n')).toMatch(/undefinedFunction/);
    const png = path.join(tmp, 'bad.png');
    browse(bad, [`--screenshot=${png}`, '--window-size=1400,1000']);
    const img = readPng(readFileSync(png));
    expect(countColour(img, VERDICT_COLOUR.ok!) + countColour(img, VERDICT_COLOUR.bad!)).toBe(0);
    expect(countColour(img, '#eeeeff', 2)).toBe(0);
  }, 240_000);

  it('every report loads without console messages, runs its script, and shows its verdict and diagram', () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const r of reports) {
      const dom = browse(r.file, ['--dump-dom']);
      expect(consoleLines(dom.stderr), `${r.name}: console`).toEqual([]);
      expect(dom.stdout, r.name).toMatch(/<body[^>]* data-ready="1"/);
      expect(dom.stdout, r.name).toContain(`data-verdict="${r.verdict}"`);
      const png = path.join(ARTIFACTS, `${r.name}.png`);
      rmSync(png, { force: true });
      const shot = browse(r.file, [`--screenshot=${png}`, '--window-size=1400,3200']);
      expect(consoleLines(shot.stderr), `${r.name}: console`).toEqual([]);
      const img = readPng(readFileSync(png));
      expect(img.width).toBe(1400);
      // the banner: about 1370 × 70 pixels of the verdict's colour; the diagram: its lane heads (#eef)
      expect(countColour(img, VERDICT_COLOUR[r.tone]!), `${r.name}: verdict banner`).toBeGreaterThan(40_000);
      expect(countColour(img, '#eeeeff', 2), `${r.name}: diagram lane heads`).toBeGreaterThan(3_000);
      if (r.tone === 'bad') expect(countColour(img, '#ffdddd', 2), `${r.name}: highlighted violation`).toBeGreaterThan(500);
    }
  }, 600_000);
});
