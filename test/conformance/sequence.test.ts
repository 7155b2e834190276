// Sequence diagrams of judged runs (conformance/sequence.ts, `validate --diagram`): the seed's
// picture — the output-buffer overflow drawn on the EARLIER sync's rdb client, not the current
// one — sync attempts boxed, every row linked to its log line, and a rejected run ending with its
// diagnosis at the line the model cannot explain.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { alterField } from '../../conformance/mutate.js';
import { parseTrace } from '../../conformance/trace/read.js';
import { formatTrace } from '../../conformance/trace/write.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replcheck-seq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [MAIN, 'validate', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

describe('validate --diagram', () => {
  it('the seed: the overflow lands on the earlier sync\'s rdb client (id 6, sync 1) while sync 2 (id 8) runs', () => {
    const d = path.join(ROOT, 'traces/valkey-8.0.1/leftover-rdb-client-new-sync');
    const mmd = path.join(tmp, 'seed.mmd');
    const r = run([path.join(d, 'primary.log'), path.join(d, 'replica.log'), '--diagram', mmd]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(mmd, 'utf8');
    expect(text).toContain('participant P_replica1_rdb_6 as primary: rdb client id 6 (replica1 sync 1)');
    expect(text).toContain('participant P_replica1_rdb_8 as primary: rdb client id 8 (replica1 sync 2)');
    const overflow = text.split('\n').find((l) => l.includes('OUTPUT BUFFER LIMIT'))!;
    expect(overflow).toMatch(/^\s*P_replica1_rdb_6-xreplica1_rdb: .*cid=6.*\[primary\.log:52\] — a LEFTOVER client of an earlier sync$/);
    // it comes after sync 2 began: the second box is open when it is drawn
    const lines = text.split('\n');
    expect(lines.findIndex((l) => l.includes('replica1 sync 2'))).toBeLessThan(lines.indexOf(overflow));
    expect(text.match(/^\s*rect /gm)).toHaveLength(2);
    // every event row names its log line
    for (const l of lines.filter((x) => /->>|-x|Note over/.test(x) && !/sync \d$|conforms:/.test(x))) expect(l).toMatch(/\[(primary|replica)\.log:\d+\]/);
    const svg = path.join(tmp, 'seed.svg');
    expect(run([path.join(d, 'primary.log'), path.join(d, 'replica.log'), '--diagram', svg]).status).toBe(0);
    const s = readFileSync(svg, 'utf8');
    expect(s).toContain('LEFTOVER client of an earlier sync');
    expect(s).toContain('replica1 sync 2');
  });

  it('a rejected trace ends at its first unexplained event, highlighted with the diagnosis', () => {
    const file = path.join(ROOT, 'traces/simulated/small-seed5.jsonl');
    const t = parseTrace(readFileSync(file, 'utf8'), file);
    const i = t.events.findIndex((e) => e.kind === 'primary.endoff_sent');
    const bad = path.join(tmp, 'bad.jsonl');
    writeFileSync(bad, formatTrace(alterField(t, i, 'endoff', 424242).trace));
    const mmd = path.join(tmp, 'bad.mmd');
    const r = run([bad, '--diagram', mmd]);
    expect(r.status).toBe(1);
    const text = readFileSync(mmd, 'utf8').trimEnd().split('\n');
    expect(text[text.length - 1]).toMatch(/Note over .*: VIOLATION VIOLATES: event seq \d+/);
    // the tampered $ENDOFF binds a register; a later line that contradicts it is the one highlighted
    const k = text.findIndex((l) => l.includes('endoff=424242'));
    expect(k).toBeGreaterThan(0);
    const flagged = text.findIndex((l, j) => j < text.length - 1 && l.includes('VIOLATION'));
    expect(flagged).toBeGreaterThan(k);
    expect(flagged).toBe(text.length - 2);
  });

  it('a bad extension is refused (exit 2)', () => {
    const r = run([path.join(ROOT, 'traces/simulated/small-seed5.jsonl'), '--diagram', path.join(tmp, 'x.pdf')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected a \.mmd \(Mermaid\) or \.svg file name/);
  });
});
