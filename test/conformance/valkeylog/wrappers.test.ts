// Logs as users have them: the committed real 8.0.1 captures re-wrapped by the log collectors in
// front of them (container runtime, kubectl, journal, syslog, docker json-file), with CRLF line
// ends, a byte-order mark, gzip-compressed. Every variant must read exactly as the plain files:
// same nodes, same classified events with every field, each from the same original line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readValkeyLogs, readValkeyLogTexts, ValkeyLogError } from '../../../conformance/valkeylog/index.js';
import { parseLogFile } from '../../../conformance/valkeylog/files.js';
import { parseLogText } from '../../../conformance/valkeylog/lines.js';
import { build, captures, expectSameReading, WRAPS, type Built, type BuildOptions, type Src } from './rewrap.js';

const runs = captures();
const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function sameAsPlain(o: BuildOptions, label: string, expectWrappers: string[]): void {
  expect(runs.length).toBeGreaterThanOrEqual(18);
  for (const run of runs) {
    const plain = readValkeyLogTexts(run.files);
    expect(plain.events.filter((e) => e.kind !== 'known-ignored').length, run.name).toBeGreaterThan(10);
    const built: Built[] = run.files.map((f) => build(f.file.replace(/\.log$/, '.wrapped.log'), [f], o));
    const r = readValkeyLogTexts(built.map((b) => ({ file: b.file, content: b.content })));
    for (const f of r.files) expect(f.wrappers, `${run.name} ${label}`).toEqual(expectWrappers);
    expectSameReading(plain, r, built, `${run.name} ${label}`);
  }
}

describe('wrapped copies of the real 8.0.1 captures read as the plain files', () => {
  it('container runtime (CRI) log files, long lines split into partial P entries', () => {
    sameAsPlain({ wrap: WRAPS.cri }, 'cri', ['cri']);
  });
  it('kubectl logs --timestamps', () => {
    sameAsPlain({ wrap: WRAPS.kubectl }, 'kubectl', ['timestamp']);
  });
  it('journalctl -o short-iso, with the journal\'s "-- Boot … --" line and another program\'s lines', () => {
    const insert = (i: number): string[] => i === 0
      ? ['-- Boot 5b1f0e0c2a8d4e7c9f3b6a1d2e4c8f70 --', '2026-11-25T08:00:00+0000 node-a systemd[1]: Starting valkey-server.service - Advanced key-value store...']
      : i === 5 ? ['2026-11-25T08:00:00+0000 node-a systemd[1]: Started valkey-server.service - Advanced key-value store.'] : [];
    sameAsPlain({ wrap: WRAPS.journalIso, insert }, 'journal-iso', ['journal-iso']);
    // the skipped lines are reported, not dropped silently
    const run = runs.find((x) => x.name === 'full-sync-with-writes')!;
    const b = build('p.log', [run.files[0]!], { wrap: WRAPS.journalIso, insert });
    const f = parseLogFile('p.log', b.content);
    expect(f.lines.filter((l) => l.type === 'foreign').map((l) => l.line)).toEqual([1, 2, 8]);
    expect(f.warnings.find((w) => /not written by Valkey/.test(w.message))).toMatchObject({ line: 1 });
    expect(f.warnings.find((w) => /not written by Valkey/.test(w.message))!.message).toMatch(/3 line\(s\).*systemd/);
  });
  it('journalctl -o short-iso-precise of a newer systemd (offset "+00:00")', () => {
    sameAsPlain({ wrap: WRAPS.journalIsoPrecise }, 'journal-iso-precise', ['journal-iso']);
  });
  it('classic syslog / journalctl -o short ("Nov 25 08:36:21 host valkey-server[pid]: …")', () => {
    sameAsPlain({ wrap: WRAPS.syslog, insert: (i) => (i === 3 ? ['Nov 25 08:00:00 node-a CRON[999]: (root) CMD (true)'] : []) }, 'syslog', ['syslog']);
  });
  it('docker json-file, lines over 300 characters split into two entries', () => {
    sameAsPlain({ wrap: WRAPS.dockerJson }, 'docker-json', ['docker-json']);
  });
  it('CRLF line ends and a UTF-8 byte-order mark', () => {
    sameAsPlain({ eol: '\r\n', bom: true }, 'crlf+bom', []);
  });
  it('CRLF inside a wrapper (CRI with CRLF)', () => {
    sameAsPlain({ wrap: WRAPS.cri, eol: '\r\n' }, 'cri+crlf', ['cri']);
  });
});

describe('real journalctl 252 output of both servers\' lines (fixtures/journalctl-252)', () => {
  const run = runs.find((x) => x.name === 'full-sync-with-writes')!;
  for (const [f, wrapper] of [['full-sync-with-writes.short.txt', 'syslog'], ['full-sync-with-writes.short-iso.txt', 'journal-iso']] as const) {
    it(`${f}: split into the two servers by pid; reads as the plain files`, () => {
      const content = readFileSync(path.join(FIX, 'journalctl-252', f), 'utf8');
      // each journal line of valkey-server[pid] carries the next line of that server's plain file
      const plainOf = new Map(run.files.map((p) => [+/^(\d+):/.exec(p.content)![1]!, { file: p.file, next: 0, lines: p.content.split('\n') }]));
      const map = new Map<number, Src>();
      content.split('\n').forEach((l, i) => {
        const m = / valkey-server\[(\d+)\]: (.*)$/.exec(l);
        if (!m) return;
        const p = plainOf.get(+m[1]!)!;
        expect(p.lines[p.next], `${f}:${i + 1}`).toBe(m[2]);
        map.set(i + 1, { file: p.file, line: ++p.next });
      });
      expect(map.size).toBe(run.files.reduce((n, p) => n + p.content.split('\n').length - 1, 0));
      const r = readValkeyLogTexts([{ file: f, content }]);
      expect(r.files.map((x) => x.wrappers)).toEqual([[wrapper], [wrapper]]);
      expect(r.files.map((x) => x.file.replace(/\d+$/, 'N'))).toEqual([`${f}#pidN`, `${f}#pidN`]);
      expectSameReading(readValkeyLogTexts(run.files), r, [{ file: f, content, map }], f);
      const skipped = r.warnings.find((w) => /not written by Valkey/.test(w.message))!;
      expect(skipped.message).toMatch(/^4 line\(s\) not written by Valkey skipped \(other programs: systemd; the collector's own lines such as "-- Boot … --"\)/);
    });
  }
});

describe('gzip-compressed logs', () => {
  it('contents given as bytes are gunzipped (plain and wrapped), whatever the name', () => {
    for (const run of runs.slice(0, 6)) {
      const plain = readValkeyLogTexts(run.files);
      const built = run.files.map((f) => build(f.file.replace(/\.log$/, '.log.gz'), [f], { wrap: WRAPS.kubectl, eol: '\r\n' }));
      const r = readValkeyLogTexts(built.map((b) => ({ file: b.file, content: gzipSync(b.content) })));
      expectSameReading(plain, r, built, `${run.name} gz`);
      const raw = readValkeyLogTexts(run.files.map((f) => ({ file: f.file, content: gzipSync(f.content) })));
      expect(raw.events).toEqual(plain.events);
    }
  });
  it('UTF-16 with a byte-order mark (Windows PowerShell "kubectl logs … > valkey.log"), little and big endian, also gzip-compressed', () => {
    const run = runs.find((x) => x.name === 'full-sync-with-writes')!;
    const plain = readValkeyLogTexts(run.files);
    const le = (s: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
    const be = (s: string): Buffer => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);
    for (const [label, enc] of [['le', le], ['be', be], ['le+gz', (s: string) => gzipSync(le(s))]] as const) {
      const built = run.files.map((f) => build(f.file, [f], { eol: '\r\n' }));
      const r = readValkeyLogTexts(built.map((b) => ({ file: b.file, content: enc(b.content) })));
      expectSameReading(plain, r, built, `utf-16 ${label}`);
    }
  });
  it('files on disk: .gz next to plain, read by readValkeyLogs', () => {
    const run = runs.find((x) => x.name === 'kill-replica-during-load')!;
    const dir = mkdtempSync(path.join(tmpdir(), 'replcheck-gz-'));
    try {
      const paths = run.files.map((f, i) => {
        const p = path.join(dir, path.basename(f.file) + (i === 0 ? '.1.gz' : ''));
        writeFileSync(p, i === 0 ? gzipSync(f.content) : f.content);
        return p;
      });
      const r = readValkeyLogs(paths);
      const plain = readValkeyLogTexts(run.files);
      expect(r.events.map((e) => [e.kind, e.rule, e.node, e.line, e.fields])).toEqual(plain.events.map((e) => [e.kind, e.rule, e.node, e.line, e.fields]));
      expect(r.nodes.map((n) => [n.name, n.port])).toEqual(plain.nodes.map((n) => [n.name, n.port]));
      // a damaged gzip file is an error naming the file
      writeFileSync(paths[0]!, gzipSync(run.files[0]!.content).subarray(0, 40));
      expect(() => readValkeyLogs(paths)).toThrow(ValkeyLogError);
      expect(() => readValkeyLogs(paths)).toThrow(/primary\.log\.1\.gz:0: not a Valkey log: expected a readable gzip file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wrapper detection', () => {
  const run = runs.find((x) => x.name === 'full-sync-with-writes')!;
  const primary = run.files.find((f) => f.file.endsWith('primary.log'))!;

  it('a plain log has no wrapper; every line reads as before', () => {
    const t = parseLogText(primary.content, 'p.log');
    expect(t.wrappers).toEqual([]);
    expect(t.lines.every((l) => l.type === 'log')).toBe(true);
  });

  it('a CRI entry split into P parts is one line, numbered where it starts', () => {
    const long = primary.content.split('\n').find((l) => l.length > 400)!;
    const b = build('p.log', [{ file: 'x', content: `${long}\n` }], { wrap: WRAPS.cri });
    expect(b.content.split('\n').length - 1).toBeGreaterThan(4);
    const t = parseLogText(b.content, 'p.log');
    expect(t.lines).toHaveLength(1);
    expect(t.lines[0]).toMatchObject({ type: 'log', line: 1, raw: long });
  });

  it('a CRI partial entry the file ends in is unterminated (the line was cut)', () => {
    const long = primary.content.split('\n').find((l) => l.length > 400)!;
    const b = build('p.log', [{ file: 'x', content: `${long}\n` }], { wrap: WRAPS.cri });
    const cut = b.content.split('\n').slice(0, 2).join('\n') + '\n'; // two P entries, no F
    const t = parseLogText(primary.content.split('\n').slice(0, 3).map((l) => `2026-11-25T08:00:00.000000000Z stdout F ${l}\n`).join('') + cut, 'p.log');
    expect(t.lines.at(-1)).toMatchObject({ unterminated: true });
    expect(t.warnings.at(-1)!.message).toMatch(/^last line has no terminating newline/);
  });

  it('compose prefix and kubectl timestamps stacked: both stripped, outermost first', () => {
    const b = build('c.log', [primary], { wrap: (t, l) => [`primary-1  | ${WRAPS.kubectl(t, l)[0]}`] });
    const t = parseLogText(b.content, 'c.log');
    expect(t.wrappers).toEqual(['compose', 'timestamp']);
    expect(t.lines.every((l) => l.type === 'log' && l.service === 'primary-1')).toBe(true);
  });

  it('a line without the wrapper the rest of the file has is read as it is, with a warning', () => {
    const b = build('k.log', [primary], { wrap: WRAPS.kubectl });
    const ls = b.content.split('\n');
    ls[4] = ls[4]!.replace(/^\S+ /, ''); // line 5 lost its timestamp prefix
    const t = parseLogText(ls.join('\n'), 'k.log');
    expect(t.wrappers).toEqual(['timestamp']);
    expect(t.lines[4]).toMatchObject({ type: 'log', line: 5 });
    expect(t.warnings).toEqual([expect.objectContaining({ line: 5, message: expect.stringMatching(/^1 line\(s\) without the kubectl logs --timestamps/) })]);
  });

  it('a journal of other programs only is not a Valkey log: the error names the wrapper and the known formats', () => {
    const text = '2026-01-12T09:43:10+0000 node-a systemd[1]: Starting valkey-server.service...\n2026-01-12T09:43:11+0000 node-a systemd[1]: valkey-server.service: Main process exited, code=exited, status=1/FAILURE\n';
    let err: unknown;
    try { parseLogFile('journal.txt', text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValkeyLogError);
    const m = (err as Error).message;
    expect(m).toMatch(/^journal\.txt:1: not a Valkey log: expected "<pid>:<role> <dd Mon yyyy HH:MM:SS\.mmm> <level> <msg>"/);
    expect(m).toMatch(/found the wrapper journal-iso/);
    expect(m).toMatch(/got "Starting valkey-server\.service\.\.\."/);
  });
});
