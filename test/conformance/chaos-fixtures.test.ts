// Chaos runs the model once rejected (traces/chaos/, see its README): each conforms now. They are
// judged by `replcheck validate` in a child process (cli/chaos.ts validateInChild, the campaign's
// own): a two-replica run takes about a minute, which must not hold vitest's worker thread.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateInChild } from '../../cli/chaos.js';
import { logFilesOf } from '../../conformance/logdir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, 'traces/chaos');
const runs = readdirSync(DIR).filter((d) => statSync(path.join(DIR, d)).isDirectory()).sort();

describe('chaos runs the model once rejected', () => {
  it('there are some', () => {
    expect(runs.length).toBeGreaterThanOrEqual(3);
  });
  for (const run of runs) {
    it(`${run} conforms`, async () => {
      const files = logFilesOf(path.join(DIR, run));
      expect(files.length).toBeGreaterThanOrEqual(2);
      const r = await validateInChild(files, 600_000);
      expect(r.verdict, r.failure?.message).toBe('conforms');
      expect(r.matched).toBe(r.events);
    }, 600_000);
  }
});
