// Sequence diagrams of model paths (model/sequence.ts, cli/diagram.ts, `check --diagram`): every
// --reach goal gives one, as Mermaid text and as SVG; the protocol's messages are arrows between
// the right lanes; an output-buffer drop is drawn on the connection it closes; a counterexample ends
// with the violated invariant.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../engine/bfs.js';
import { sequenceOfPath } from '../../model/sequence.js';
import { toMermaid, toSvg, writeDiagram } from '../../cli/diagram.js';
import { model } from '../model/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-diagram-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// the goals of model/index.ts and a preset each is reached on
const GOALS: [string, string][] = [
  ['psync-after-load', 'small'], ['set-id-rejected', 'small'], ['leftover-rdb-client', 'small'], ['seed-lack-of-backlog', 'small'],
  ['local-buffer-full', 'default'], ['cob-drop-during-load', 'default'],
];

/** Every tag opened is closed, in order (a well-formedness check without an XML parser). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) { if (stack.pop() !== m[2]) return false; } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

describe('sequence diagrams', () => {
  it('the goals listed here are all the model\'s goals', () => {
    expect(GOALS.map(([g]) => g).sort()).toEqual(model('small').goals.map((g) => g.id).sort());
  });

  for (const [goal, preset] of GOALS) {
    it(`check --reach ${goal} --diagram gives Mermaid and SVG`, () => {
      for (const ext of ['mmd', 'svg']) {
        const file = path.join(tmp, `${goal}.${ext}`);
        const r = spawnSync(process.execPath, [MAIN, 'check', '--preset', preset, '--reach', goal, '--diagram', file], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const steps = Number(/shortest run \((\d+) steps\)/.exec(r.stdout)![1]);
        expect(r.stderr).toContain(`(sequence diagram, ${steps} steps)`);
        const text = readFileSync(file, 'utf8');
        if (ext === 'mmd') {
          expect(text.startsWith('sequenceDiagram\n')).toBe(true);
          expect(text).toContain('participant R1m as replica1 main channel');
          // every step shows: its number starts some row
          for (let i = 1; i <= steps; i++) expect(text, `step ${i}`).toMatch(new RegExp(`: ${i}\\. `));
          expect(text.trimEnd().endsWith(`goal ${goal} reached`)).toBe(true);
          expect(text).not.toMatch(/: [^\n]*[;#]/);
        } else {
          expect(text.startsWith('<svg ')).toBe(true);
          expect(balanced(text)).toBe(true);
          expect(text).toContain(`goal ${goal} reached`);
        }
      }
    }, 120_000);
  }

  it('the seed path: dual-channel messages between the right lanes, the overflow on the main channel', () => {
    const m = model('small', {}, {}, true);
    const r = check(m, { goal: m.goals.find((g) => g.id === 'seed-lack-of-backlog')! });
    const d = sequenceOfPath(r.goalReached!.trace, 1, 'seed', { text: 'goal reached', alert: false });
    const arrows = d.rows.filter((x) => x.kind === 'arrow') as Extract<typeof d.rows[number], { kind: 'arrow' }>[];
    const find = (re: RegExp) => arrows.find((a) => re.test(a.text));
    expect(find(/\+DUALCHANNELSYNC/)).toMatchObject({ from: 'P1m', to: 'R1m' });
    expect(find(/\$ENDOFF/)).toMatchObject({ from: 'P1d', to: 'R1d' });
    expect(find(/set-rdb-client-id/)).toMatchObject({ from: 'R1m', to: 'P1m' });
    expect(find(/\+CONTINUE/)).toMatchObject({ from: 'P1m', to: 'R1m' });
    expect(find(/output-buffer limit: main client closed/)).toMatchObject({ from: 'P1m', to: 'R1m', cross: true });
    const mm = toMermaid(d);
    expect(mm).toContain('P1m-xR1m:');
    expect(mm).toContain('P1d->>R1d:');
  });

  it('a counterexample ends with the violated invariant, highlighted', () => {
    const r = check(model('small', {}, { killUnprotects: true }));
    expect(r.verdict).toBe('violated');
    const v = r.violation!;
    const d = sequenceOfPath(v.trace, 1, 'bug', { text: `${v.invariant}: ${v.message}`, alert: true });
    const last = d.rows[d.rows.length - 1]!;
    expect(last).toMatchObject({ kind: 'note', alert: true });
    expect(toMermaid(d)).toContain(`VIOLATION ${v.invariant}`);
    const svg = toSvg(d);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('fill="#fdd"');
    expect(() => writeDiagram(path.join(tmp, 'x.png'), d)).toThrow(/\.mmd .* or \.svg/);
  });

  it('check --diagram with a bad extension is refused before checking (exit 2)', () => {
    const r = spawnSync(process.execPath, [MAIN, 'check', '--preset', 'small', '--diagram', path.join(tmp, 'd.png')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected a \.mmd \(Mermaid\) or \.svg file name/);
  });
});
