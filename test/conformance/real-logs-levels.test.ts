// Real Valkey logs at the default `loglevel notice` and cut off mid-run. The committed captures
// were made at `loglevel debug`; dropping their debug (.) and verbose (-) lines gives exactly the
// file the same run would have written at notice level. A notice-level log observes fewer kinds
// (the trace header's `observes` says which), and a prefix of a run is still a run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { traceFromLogs } from '../../conformance/fromlogs.js';
import { readValkeyLogTexts } from '../../conformance/valkeylog/index.js';
import { validate } from '../../conformance/validate.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

const ROOT = path.join(process.cwd(), 'traces', 'valkey-8.0.1');
const LINE = /^\d+:[MSCX] \d{2} \w{3} \d{4} (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([.\-*#]) /;

interface Run { name: string; files: { file: string; content: string }[] }

function runs(): Run[] {
  return readdirSync(ROOT).filter((d) => statSync(path.join(ROOT, d)).isDirectory()).sort().map((d) => ({
    name: d,
    files: readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.log') && f !== 'driver.log').sort()
      .map((f) => ({ file: `${d}/${f}`, content: readFileSync(path.join(ROOT, d, f), 'utf8') })),
  }));
}

function judge(files: { file: string; content: string }[]) {
  const conv = traceFromLogs(readValkeyLogTexts(files));
  const h = conv.trace.header.model;
  const model = buildModel(resolveConfig(h.preset, [h.set ?? {}]));
  return { conv, result: validate(model, conv.trace, { toleranceMs: conv.toleranceMs }) };
}

/** Keep only notice (*) and warning (#) lines, as `loglevel notice` would have written. */
function atNotice(content: string): string {
  return content.split('\n').filter((l) => { const m = LINE.exec(l); return !m || (m[5] !== '.' && m[5] !== '-'); }).join('\n');
}

/** Seconds-of-day timestamp (ms) of a log line, or null. */
function tsOf(l: string): number | null {
  const m = LINE.exec(l);
  return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]) : null;
}

describe('real Valkey logs at loglevel notice', () => {
  for (const run of runs()) {
    it(`${run.name} conforms with its debug and verbose lines removed`, () => {
      const files = run.files.map((f) => ({ file: f.file, content: atNotice(f.content) }));
      const { conv, result } = judge(files);
      expect(conv.trace.header.observes).not.toContain('primary.main_matched'); // a debug line
      expect(conv.trace.header.observes).toContain('primary.psync_accepted'); // a notice line
      expect(result.verdict, result.failure?.message).toBe('conforms');
      expect(result.events).toBeGreaterThan(5);
    });
  }

  it('a notice-level log with its main-channel PSYNC acceptance removed is rejected at that point', () => {
    const run = runs().find((r) => r.name === 'full-sync-with-writes')!;
    const files = run.files.map((f) => ({ file: f.file, content: atNotice(f.content) }));
    const primary = files.find((f) => f.file.endsWith('primary.log'))!;
    const lines = primary.content.split('\n');
    const i = lines.findIndex((l) => l.includes('Partial resynchronization request from'));
    expect(i).toBeGreaterThan(0);
    lines.splice(i, 1);
    primary.content = lines.join('\n');
    const { result } = judge(files);
    expect(result.verdict).toBe('violates');
    expect(result.failure!.event.src).toMatch(/full-sync-with-writes\/(primary|replica)\.log:\d+/);
  });
});

describe('real Valkey logs cut off mid-run', () => {
  for (const run of runs()) {
    it(`${run.name}: every server's log cut at the same moment (1/3 and 2/3 of the run) conforms`, () => {
      const stamps = run.files.flatMap((f) => f.content.split('\n').map(tsOf).filter((t): t is number => t !== null));
      const lo = Math.min(...stamps);
      const hi = Math.max(...stamps);
      for (const frac of [1 / 3, 2 / 3]) {
        const cut = lo + (hi - lo) * frac;
        const files = run.files.map((f) => ({
          file: f.file,
          // the last line is left without its newline: a file cut while it was being written
          content: f.content.split('\n').filter((l) => { const t = tsOf(l); return t === null || t <= cut; }).join('\n').replace(/\n+$/, ''),
        }));
        const { result } = judge(files);
        expect(result.verdict, `${run.name} cut at ${Math.round(frac * 100)}%: ${result.failure?.message ?? result.gaveUp?.reason ?? ''}`).toBe('conforms');
      }
    });
  }
});
