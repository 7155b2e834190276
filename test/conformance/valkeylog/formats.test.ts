// Valkey 8.1+/9.x line formats (log-format legacy|logfmt|json) and timestamp formats
// (log-timestamp-format legacy|iso8601|milliseconds): real logs of every combination
// (fixtures/valkey-8.1.1, fixtures/valkey-9.1.2, see fixtures/README.md) and single lines.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readValkeyLogs, readValkeyLogTexts } from '../../../conformance/valkeylog/index.js';
import { parseAnyTimestamp, parseLine, parseLogText, LOG_MAX_MSG_BYTES, type LogLine, type OtherLine, type ParsedLine } from '../../../conformance/valkeylog/lines.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Combo { version: string; format: string; ts: string; dir: string }
const combos: Combo[] = ['8.1.1', '9.1.2'].flatMap((version) =>
  readdirSync(path.join(FIX, `valkey-${version}`)).filter((d) => /^(legacy|logfmt|json)-(legacy|iso8601|milliseconds)$/.test(d)).sort()
    .map((d) => ({ version, format: d.split('-')[0]!, ts: d.split('-')[1]!, dir: path.join(FIX, `valkey-${version}`, d) })));
const TZ: Record<string, string> = { '9.1.2': '+05:30', '8.1.1': '-05:00' };

describe('real logs of every log-format × log-timestamp-format', () => {
  it('all of them are here: 2 × 3 for 8.1.1, 3 × 3 for 9.1.2', () => {
    expect(combos.map((c) => `${c.version} ${c.format}/${c.ts}`)).toEqual([
      '8.1.1 legacy/iso8601', '8.1.1 legacy/legacy', '8.1.1 legacy/milliseconds', '8.1.1 logfmt/iso8601', '8.1.1 logfmt/legacy', '8.1.1 logfmt/milliseconds',
      '9.1.2 json/iso8601', '9.1.2 json/legacy', '9.1.2 json/milliseconds', '9.1.2 legacy/iso8601', '9.1.2 legacy/legacy', '9.1.2 legacy/milliseconds',
      '9.1.2 logfmt/iso8601', '9.1.2 logfmt/legacy', '9.1.2 logfmt/milliseconds',
    ]);
  });

  for (const c of combos) {
    describe(`Valkey ${c.version} ${c.format}/${c.ts}`, () => {
      const files = ['primary.log', 'replica.log'].map((f) => path.join(c.dir, f));
      const r = readValkeyLogs(files);

      it('every line is read: log lines in this format, the signal-handler line, and nothing malformed', () => {
        for (const f of r.files) {
          expect(f.formats).toEqual([`${c.format}/${c.ts}`]);
          expect(f.wrappers).toEqual([]);
          expect(f.timeBasis).toBe(c.ts === 'legacy' ? 'local' : 'utc');
          const types = new Set(f.lines.map((l) => l.type));
          expect([...types].filter((t) => !['log', 'signal', 'continuation'].includes(t))).toEqual([]);
          // the only continuation is legacy's second line of the DEBUG LOG message with a newline
          expect(f.lines.filter((l) => l.type === 'continuation').map((l) => l.raw)).toEqual(c.format === 'legacy' && f.file.endsWith('primary.log') ? ['lines\ttab'] : []);
          expect(f.lines.filter((l) => l.type === 'signal')).toHaveLength(1);
        }
        expect(r.warnings.filter((w) => /malformed|truncated|newline/.test(w.message))).toEqual([]);
      });

      it('pid and role as the server logs them: the banner\'s pid, M/S for the server, C for its fork children', () => {
        for (const f of r.files) {
          const text = readFileSync(f.file, 'utf8');
          const pid = +/pid=(\d+), just started/.exec(text)![1]!;
          expect(f.incarnations.map((i) => [i.pid, i.banner])).toEqual([[pid, true]]);
          for (const l of f.logLines) {
            if (l.pid === pid) expect(['M', 'S']).toContain(l.role);
            else expect([l.role, l.child]).toEqual(['C', true]);
          }
          // 8.1+: the start-up warning comes before the banner, as M with the server's pid
          expect(f.logLines[0]).toMatchObject({ pid, role: 'M', level: 'warning', startup: true });
          expect(f.logLines[0]!.msg).toMatch(/^WARNING Memory overcommit/);
        }
        expect(r.files[0]!.incarnations[0]!.childPids.length).toBe(2); // the sync's child and BGSAVE's
      });

      it('levels: debug, verbose (logfmt/json "info"), notice, warning', () => {
        for (const f of r.files) expect(new Set(f.logLines.map((l) => l.level))).toEqual(new Set(['debug', 'verbose', 'notice', 'warning']));
        expect(r.minLevel).toBe('debug');
      });

      it('timestamps: the signal handler\'s unix time agrees with the next line\'s time (iso8601 offsets applied)', () => {
        const text = readFileSync(files[0]!, 'utf8');
        if (c.ts === 'iso8601') expect(text).toContain(TZ[c.version]!);
        for (const f of r.files) {
          const i = f.lines.findIndex((l) => l.type === 'signal');
          const sig = f.lines[i]! as OtherLine;
          const next = f.lines.slice(i + 1).find((l): l is LogLine => l.type === 'log')!;
          // legacy timestamps are local time read as UTC: these servers ran in UTC
          const d = next.tsMs - sig.tsMs!;
          expect(d, `${f.file}: ${next.raw}`).toBeGreaterThanOrEqual(0);
          expect(d, `${f.file}: ${next.raw}`).toBeLessThan(1500); // whole seconds, then the shutdown runs on the next cron tick
          for (let k = 1; k < f.logLines.length; k++) expect(f.logLines[k]!.tsMs).toBeGreaterThanOrEqual(f.logLines[k - 1]!.tsMs);
        }
      });

      it('the message: logfmt replaces " by \' and a newline by a blank; json and legacy keep them', () => {
        const p = r.files.find((f) => f.file.endsWith('primary.log'))!;
        const dbg = p.logLines.filter((l) => l.msg.startsWith('DEBUG LOG: ')).map((l) => l.msg);
        expect(dbg).toEqual({
          legacy: ['DEBUG LOG: a "quoted" message with \\ backslash', 'DEBUG LOG: two', 'DEBUG LOG: ### Starting test external marker in tests/unit/x.tcl'],
          logfmt: ['DEBUG LOG: a \'quoted\' message with \\ backslash', 'DEBUG LOG: two lines\ttab', 'DEBUG LOG: ### Starting test external marker in tests/unit/x.tcl'],
          json: ['DEBUG LOG: a "quoted" message with \\ backslash', 'DEBUG LOG: two\nlines\ttab', 'DEBUG LOG: ### Starting test external marker in tests/unit/x.tcl'],
        }[c.format]);
        // the external-mode harness marker
        const m = p.logLines.find((l) => l.msg.includes('### Starting test'))!;
        expect(p.markers).toEqual([{ line: m.line, tsMs: m.tsMs, kind: 'test', name: 'external marker', testFile: 'tests/unit/x.tcl' }]);
      });

      it('the dual-channel sync is classified with its fields, whatever the format', () => {
        const kinds = new Set(r.events.map((e) => e.kind));
        for (const k of ['primary.sync_request', 'primary.psync_refused', 'primary.dualchannel_offered', 'primary.backlog_created', 'primary.bgsave_start',
          'primary.endoff_sent', 'primary.rdb_pinned', 'primary.child_started', 'primary.main_matched', 'primary.psync_accepted', 'primary.rdb_channel_closed',
          'primary.replica_online', 'primary.child_done', 'replica.connect', 'replica.psync', 'replica.dualchannel_offered', 'replica.rdb_channel_connected',
          'replica.main_psync', 'replica.continue', 'replica.rdb_receiving', 'replica.load_start', 'replica.sync_finished']) {
          expect(kinds, k).toContain(k);
        }
        const endoff = r.events.find((e) => e.kind === 'primary.endoff_sent')!;
        expect(endoff).toMatchObject({ peer: 'replica1', attributedBy: 'port', prefix: 'Dual channel replication: ' });
        const replid = r.events.find((e) => e.kind === 'primary.backlog_created')!.fields.replid;
        expect(r.events.find((e) => e.kind === 'replica.main_psync')!.fields).toEqual({ offset: (endoff.fields.endoff as number) + 1, replid });
        // the primary's offset: offset + bytes − 1, at least $ENDOFF (it never decreases)
        const accepted = r.events.find((e) => e.kind === 'primary.psync_accepted')!.fields;
        // with the debug-level "[PSYNC]" lines of the same call merged in (these logs are at debug level)
        expect(accepted).toMatchObject({ offset: (endoff.fields.endoff as number) + 1, primaryOffset: expect.any(Number), requestOffset: (endoff.fields.endoff as number) + 1 });
        expect(Object.keys(accepted).filter((k) => !['offset', 'primaryOffset', 'requestOffset', 'backlogFirst', 'backlogFirstBySkip', 'backlogEnd'].includes(k))).toEqual([]);
        if (accepted.backlogEnd !== undefined) expect(accepted.backlogEnd).toBe(accepted.primaryOffset);
        if (accepted.backlogFirst !== undefined) expect(accepted.backlogFirstBySkip).toBe(accepted.backlogFirst);
        expect(accepted.primaryOffset).toBeGreaterThanOrEqual(endoff.fields.endoff as number);
        expect(endoff.fields.primaryOffset).toBe(endoff.fields.endoff);
        expect(r.events.find((e) => e.kind === 'primary.main_matched')!.fields).toEqual({ cid: endoff.fields.cid });
        expect(r.nodes.map((n) => n.port)).toEqual(r.files.map((f) => +/port=(\d+)\./.exec(readFileSync(f.file, 'utf8'))![1]!));
      });
    });
  }
});

describe('time bases', () => {
  it('legacy (local time) next to iso8601/milliseconds (absolute) files: a warning says their order may be off by the offset', () => {
    const p = path.join(FIX, 'valkey-9.1.2', 'logfmt-iso8601', 'primary.log');
    const q = path.join(FIX, 'valkey-9.1.2', 'legacy-legacy', 'replica.log');
    const r = readValkeyLogs([p, q]);
    expect(r.files.map((f) => f.timeBasis)).toEqual(['utc', 'local']);
    expect(r.warnings.filter((w) => /legacy timestamps \(local time, read as UTC\)/.test(w.message)).map((w) => w.file)).toEqual([q]);
    const same = readValkeyLogs([p, path.join(FIX, 'valkey-9.1.2', 'json-milliseconds', 'replica.log')]);
    expect(same.warnings.filter((w) => /legacy timestamps/.test(w.message))).toEqual([]);
  });
});

describe('single lines', () => {
  const msg = 'Replica 127.0.0.1:21001 asks for synchronization';
  const want = { type: 'log', pid: 21208, role: 'M', level: 'notice', msg };

  it('legacy line format with each timestamp format', () => {
    expect(parseLine(`21208:M 25 Nov 2026 08:36:21.897 * ${msg}`, 'p', 1)).toMatchObject({ ...want, tsMs: Date.UTC(2026, 10, 25, 8, 36, 21, 897), format: 'legacy', tsFormat: 'legacy' });
    expect(parseLine(`21208:M 2026-11-25T14:06:21.897+05:30 * ${msg}`, 'p', 1)).toMatchObject({ ...want, tsMs: Date.UTC(2026, 10, 25, 8, 36, 21, 897), tsFormat: 'iso8601' });
    expect(parseLine(`21208:M 2026-11-25T03:36:21.897-05:00 * ${msg}`, 'p', 1)).toMatchObject({ ...want, tsMs: Date.UTC(2026, 10, 25, 8, 36, 21, 897) });
    expect(parseLine(`21208:M 1795595781897 * ${msg}`, 'p', 1)).toMatchObject({ ...want, tsMs: 1795595781897, tsFormat: 'milliseconds' });
  });

  it('logfmt: role and level names, the quoted message taken as it is (Valkey escapes nothing)', () => {
    const l = parseLine(`pid=21208 role=primary timestamp="2026-11-25T08:36:21.897+00:00" level=notice message="${msg}"`, 'p', 1);
    expect(l).toMatchObject({ ...want, tsMs: Date.UTC(2026, 10, 25, 8, 36, 21, 897), format: 'logfmt', tsFormat: 'iso8601' });
    expect(parseLine('pid=7 role=RDB/AOF timestamp="1795595781897" level=info message="Fork CoW for RDB: current 1 MB, peak 1 MB, average 1 MB"', 'p', 1))
      .toMatchObject({ role: 'C', level: 'verbose', pid: 7, tsMs: 1795595781897 });
    expect(parseLine('pid=7 role=replica timestamp="25 Nov 2026 08:36:21.897" level=debug message="a \\ b \\"c"', 'p', 1)).toMatchObject({ role: 'S', level: 'debug', msg: 'a \\ b \\"c' });
    expect(parseLine('pid=7 role=sentinel timestamp="25 Nov 2026 08:36:21.897" level=warning message=""', 'p', 1)).toMatchObject({ role: 'X', level: 'warning', msg: '' });
    expect(parseLine('pid=7 role=primary timestamp="25 Nov 2026 08:36:21.897" level=notice message="Dual channel replication: Received first reply from primary using rdb connection."', 'p', 1))
      .toMatchObject({ msg: 'Received first reply from primary using rdb connection.', prefix: 'Dual channel replication: ' });
  });

  it('json: the message is unescaped; its byte length is the message\'s, not the escaped text\'s', () => {
    const l = parseLine('{"pid":9,"role":"replica","timestamp":"1795595781897","level":"warning","message":"x \\"y\\" \\\\ \\u0001 é"}', 'p', 1) as LogLine;
    expect(l).toMatchObject({ type: 'log', format: 'json', role: 'S', msg: 'x "y" \\ \u0001 é' });
    expect(l.msgBytes).toBe(Buffer.byteLength('x "y" \\ \u0001 é'));
    const long = 'Client id=9 ' + '"'.repeat(LOG_MAX_MSG_BYTES - 12);
    const capped = parseLine(`{"pid":9,"role":"primary","timestamp":"1795595781897","level":"warning","message":${JSON.stringify(long)}}`, 'p', 1) as LogLine;
    expect(capped.capped).toBe(true);
  });

  it('unknown names, a bad timestamp or a broken quote are malformed lines, not log lines', () => {
    for (const raw of [
      'pid=7 role=master timestamp="1795595781897" level=notice message="x"',
      'pid=7 role=primary timestamp="1795595781897" level=verbose message="x"',
      'pid=7 role=primary timestamp="2026-13-25T08:36:21.897+00:00" level=notice message="x"',
      'pid=7 role=primary timestamp="1795595781897" level=notice message="x',
      '{"pid":7,"role":"primary","timestamp":"1795595781897","level":"notice","message":"x}',
      '7:M 2026-11-25T08:36:21.897 * no offset',
    ]) expect(parseLine(raw, 'p', 1).type, raw).toBe('malformed');
  });

  it('parseAnyTimestamp', () => {
    expect(parseAnyTimestamp('02 Dec 2026 08:31:54.331')).toEqual({ tsMs: Date.UTC(2026, 11, 2, 8, 31, 54, 331), tsFormat: 'legacy' });
    expect(parseAnyTimestamp('2026-12-02T14:01:38.039+05:30')).toEqual({ tsMs: Date.UTC(2026, 11, 2, 8, 31, 38, 39), tsFormat: 'iso8601' });
    expect(parseAnyTimestamp('1796200321354')).toEqual({ tsMs: 1796200321354, tsFormat: 'milliseconds' });
    expect(parseAnyTimestamp('2026-12-02 14:01:38')).toBeUndefined();
  });

  it('a stray malformed line inside a good file is a warning; the file still reads', () => {
    const good = readFileSync(path.join(FIX, 'valkey-9.1.2', 'logfmt-iso8601', 'primary.log'), 'utf8').split('\n');
    good.splice(20, 0, 'pid=1 role=primary timestamp="nonsense" level=notice message="x"');
    const t = parseLogText(good.join('\n'), 'p.log');
    expect(t.warnings).toEqual([expect.objectContaining({ line: 21, message: expect.stringMatching(/^malformed log line/) })]);
    const r = readValkeyLogTexts([{ file: 'p.log', content: good.join('\n') }]);
    expect(r.events.some((e) => e.kind === 'primary.endoff_sent')).toBe(true);
  });

  it('a log whose format changed at run time (CONFIG SET log-format / log-timestamp-format) reads line by line', () => {
    const a = readFileSync(path.join(FIX, 'valkey-9.1.2', 'legacy-legacy', 'primary.log'), 'utf8').split('\n').slice(0, 20);
    const b = readFileSync(path.join(FIX, 'valkey-9.1.2', 'json-milliseconds', 'primary.log'), 'utf8').split('\n').slice(20, 40);
    const lines: ParsedLine[] = parseLogText([...a, ...b].join('\n') + '\n', 'p.log').lines;
    expect(lines.filter((l) => l.type === 'log').length).toBeGreaterThanOrEqual(36);
    expect(new Set(lines.filter((l): l is LogLine => l.type === 'log').map((l) => `${l.format}/${l.tsFormat}`))).toEqual(new Set(['legacy/legacy', 'json/milliseconds']));
  });
});
