// Chaos runs the model once rejected (traces/chaos/, see its README): each conforms now. They are
// judged by `replcheck validate` in a child process (cli/chaos.ts validateInChild, the campaign's
// own): a two-replica run takes about a minute, which must not hold vitest's worker thread.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateInChild } from '../../cli/chaos.js';
import { logFilesOf } from '../../conformance/logdir.js';
import { schemaErrors } from '../json-schemas.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, 'traces/chaos');
const runs = readdirSync(DIR).filter((d) => statSync(path.join(DIR, d)).isDirectory()).sort();

describe('chaos runs the model once rejected', () => {
  it('there are some, each with its run record (meta.json) as spec/json/capture.schema.json says', () => {
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) {
      const meta = JSON.parse(readFileSync(path.join(DIR, run, 'meta.json'), 'utf8')) as Record<string, unknown>;
      expect(schemaErrors('capture', meta), run).toBeNull();
      expect(meta.chaos, run).toBe(true);
    }
    // the schema is not vacuous: a survivor, a lost server record, or a scenario field on a chaos record fail it
    const meta = JSON.parse(readFileSync(path.join(DIR, runs[0]!, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(schemaErrors('capture', { ...meta, survivors: [4242] })).not.toBeNull();
    expect(schemaErrors('capture', { ...meta, servers: undefined })).not.toBeNull();
    expect(schemaErrors('capture', { ...meta, scenario: 'x' })).not.toBeNull();
  });
  for (const run of runs) {
    it(`${run} conforms`, async () => {
      const files = logFilesOf(path.join(DIR, run));
      expect(files.length).toBeGreaterThanOrEqual(2);
      const r = await validateInChild(files, 600_000);
      expect(r.verdict, r.failure?.message).toBe('conforms');
      expect(r.matched).toBe(r.events);
      // Only this run needs the log preset's wider sizes (model/config.ts): the others conform
      // under its own, the fast path; this one is rejected there, at the third overflow.
      if (run === 'kernel-absorbs-two-overflows') expect(r.widened?.rejectedAt.src).toMatch(/primary\.log:50$/);
      else expect(r.widened, 'judged under the preset\'s own sizes').toBeUndefined();
    }, 600_000);
  }

  // The bench reads real logs at notice level too (bench/jobs.ts atNotice): a 9.1.2 run's notice
  // view keeps its "Provisional primary closed connection" (warning from 8.1 on), which the trace
  // must observe (main-closed-811-379 in the README).
  it('bio-download-main-eof conforms with its debug and verbose lines removed', async () => {
    const LINE = /^\d+:[MSCX] \d{2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /;
    const tmp = mkdtempSync(path.join(tmpdir(), 'chaos-notice-'));
    try {
      const files = logFilesOf(path.join(DIR, 'bio-download-main-eof')).map((f) => {
        const out = path.join(tmp, path.basename(f));
        writeFileSync(out, readFileSync(f, 'utf8').split('\n').filter((l) => { const m = LINE.exec(l); return !m || (m[1] !== '.' && m[1] !== '-'); }).join('\n'));
        return out;
      });
      const r = await validateInChild(files, 600_000);
      expect(r.verdict, r.failure?.message).toBe('conforms');
      expect(r.matched).toBe(r.events);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 600_000);
});
