// The marker lines Valkey's test harness writes into each server's stdout
// (tests/support/server.tcl, test.tcl): real stdout files of a run of Valkey's own
// dual-channel-replication tests (fixtures/valkey-*/harness, see fixtures/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readValkeyLogs, readValkeyLogTexts } from '../../../conformance/valkeylog/index.js';
import { parseLogFile, parseLogFiles } from '../../../conformance/valkeylog/files.js';
import { parseLine, TORN_LINE, type LogLine } from '../../../conformance/valkeylog/lines.js';
import { traceFromLogs } from '../../../conformance/fromlogs.js';
import { validate } from '../../../conformance/validate.js';
import { resolveConfig } from '../../../model/config.js';
import { buildModel } from '../../../model/index.js';
import { banner } from './helpers.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const harness = (v: string, f: string): string => path.join(FIX, `valkey-${v}`, 'harness', f);
const DC = 'tests/integration/dual-channel-replication.tcl';

/** Time of a legacy line of the file, by line number. */
function tsAt(file: string, line: number): number {
  const l = parseLine(readFileSync(file, 'utf8').split('\n')[line - 1]!, file, line);
  if (l.type !== 'log') throw new Error(`${file}:${line} is no log line`);
  return l.tsMs;
}

describe('harness marker lines', () => {
  it('parse as type harness: kind, test name and test file', () => {
    expect(parseLine('### Starting server for test ', 'x', 1)).toMatchObject({ type: 'harness', kind: 'server', name: '' });
    expect(parseLine(`### Starting server for test Test dual-channel-replication replica can lazyfree the local buffer in ${DC}`, 'x', 1))
      .toMatchObject({ type: 'harness', kind: 'server', name: 'Test dual-channel-replication replica can lazyfree the local buffer', testFile: DC });
    expect(parseLine(`### Starting test Online toggle dual-channel-replication-enabled on primary, starting with 'yes' in ${DC}`, 'x', 1))
      .toMatchObject({ type: 'harness', kind: 'test', name: "Online toggle dual-channel-replication-enabled on primary, starting with 'yes'", testFile: DC });
    expect(parseLine('### Starting test no file given', 'x', 1)).toMatchObject({ type: 'harness', kind: 'test', name: 'no file given' });
    expect(parseLine('### Starting test no file given', 'x', 1)).not.toHaveProperty('testFile');
    expect(parseLine('### Something else', 'x', 1).type).toBe('continuation');
  });

  it('Valkey 9.1.2 stdout: markers with the time of the line before (the first, before any line, the time of the line after)', () => {
    const file = harness('9.1.2', 'server.1460.3.stdout');
    const f = parseLogFile(file, readFileSync(file, 'utf8'));
    expect(f.lines[0]).toMatchObject({ type: 'harness', line: 1 });
    expect(f.markers).toEqual([
      { line: 1, tsMs: tsAt(file, 2), kind: 'server', name: '' },
      { line: 35, tsMs: tsAt(file, 34), kind: 'test', name: 'Test dual-channel-replication-enabled replica enters handshake', testFile: DC },
      { line: 43, tsMs: tsAt(file, 42), kind: 'test', name: 'Test dual-channel-replication-enabled enters wait_bgsave', testFile: DC },
      { line: 44, tsMs: tsAt(file, 42), kind: 'test', name: 'Test dual-channel-replication-enabled replica is able to sync', testFile: DC },
      { line: 61, tsMs: tsAt(file, 60), kind: 'test', name: 'Dual-channel replication counts snapshot bytes', testFile: DC },
    ]);
    expect(f.incarnations.map((i) => [i.banner, i.startLine])).toEqual([[true, 2]]);
    expect(f.warnings.filter((w) => !/REPLICAOF|port/.test(w.message))).toEqual([]);
  });

  it('Valkey 9.1.2 stdout of a server started inside a test: the server marker names the test', () => {
    const file = harness('9.1.2', 'server.1460.81.stdout');
    const f = parseLogFile(file, readFileSync(file, 'utf8'));
    expect(f.markers[0]).toEqual({ line: 1, tsMs: tsAt(file, 2), kind: 'server', name: 'Test dual-channel-replication replica can lazyfree the local buffer', testFile: DC });
  });

  it('Valkey 8.1.1 stdout of a replica: the markers, the replica\'s sync classified between them', () => {
    const file = harness('8.1.1', 'server.29684.1.stdout');
    const r = readValkeyLogs([file]);
    const f = r.files[0]!;
    expect(f.markers.map((m) => [m.line, m.kind, m.name])).toEqual([
      [1, 'server', ''],
      [42, 'test', 'Test dual-channel-replication-enabled replica enters handshake'],
      [43, 'test', 'Test dual-channel-replication-enabled enters wait_bgsave'],
      [44, 'test', 'Test dual-channel-replication-enabled replica is able to sync'],
    ]);
    expect(f.markers[1]!.tsMs).toBe(tsAt(file, 41));
    expect(f.wasReplica).toBe(true);
    // the replica's dual-channel sync, after the last marker
    const after = r.events.filter((e) => e.line > 44 && e.kind.startsWith('replica.')).map((e) => e.kind);
    expect(after).toContain('replica.main_psync');
  });

  it('real: a fork child\'s signal-handler line written in pieces into its parent\'s line is repaired, not a second server', () => {
    const file = harness('9.1.2', 'server.1460.69.stdout');
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[86]).toMatch(/^55485506:M /);
    const fs = parseLogFiles(file, text);
    expect(fs).toHaveLength(1);
    const f = fs[0]!;
    expect(f.lines[86]).toMatchObject({ type: 'log', pid: 5506, msg: 'Removing the pid file.' });
    expect(f.lines[87]).toMatchObject({ type: 'signal', pid: 5548, msg: 'Received SIGUSR1 in child, exiting now.' });
    expect(f.warnings.find((w) => w.line === 87)!.message).toMatch(/"5548" of another process's line.*read as pid 5506/);
    expect(f.incarnations).toHaveLength(1);
    expect(f.incarnations[0]!.childPids).toContain(5548);
  });

  it('the external-mode marker (DEBUG LOG) is a marker, not an unrecognised replication message', () => {
    const text = banner(100, 21000) + `100:M 25 Nov 2026 08:00:01.000 # DEBUG LOG: ### Starting test Test replica's buffer limit reached in ${DC}\n`;
    const r = readValkeyLogTexts([{ file: 'p.log', content: text }]);
    expect(r.files[0]!.markers).toEqual([{ line: 8, tsMs: Date.UTC(2026, 10, 25, 8, 0, 1), kind: 'test', name: "Test replica's buffer limit reached", testFile: DC }]);
    expect(r.warnings.filter((w) => /unrecognised/.test(w.message))).toEqual([]);
  });

  it('in a file of two interleaved servers a test marker goes to every server running then; a server marker to the server starting after it', () => {
    const a = banner(100, 21000).trimEnd().split('\n');
    const b = banner(200, 21001, '25 Nov 2026 08:00:00').trimEnd().split('\n');
    const lines = ['### Starting server for test ', ...a.slice(0, 3), '### Starting server for test ', ...b, ...a.slice(3), '### Starting test T1 in tests/unit/x.tcl',
      '100:M 25 Nov 2026 08:00:02.000 * Background saving started by pid 300', '200:S 25 Nov 2026 08:00:02.000 * Connecting to PRIMARY 127.0.0.1:21000',
      '300:C 25 Nov 2026 08:00:02.100 * DB saved on disk'];
    const fs = parseLogFiles('both.log', lines.join('\n') + '\n');
    expect(fs.map((f) => f.file)).toEqual(['both.log#pid100', 'both.log#pid200']);
    expect(fs.map((f) => f.markers.map((m) => [m.line, m.kind]))).toEqual([[[1, 'server'], [17, 'test']], [[5, 'server'], [17, 'test']]]);
    expect(fs[0]!.logLines.find((l: LogLine) => l.pid === 300)).toMatchObject({ child: true });
    expect(fs[1]!.logLines.some((l) => l.pid === 300)).toBe(false);
  });
});

describe('a log line torn by a harness marker written over it (real, Valkey 9.1.2 test suite)', () => {
  const torn = (f: string): string => path.join(FIX, 'valkey-9.1.2', 'torn', f);
  it('is reported at the torn line, and the run is judged up to the last complete line before it', () => {
    const logs = readValkeyLogs([torn('primary.stdout'), torn('replica.stdout')]);
    const w = logs.warnings.filter((x) => x.message.startsWith(TORN_LINE));
    expect(w.map((x) => `${path.basename(x.file)}:${x.line}`)).toEqual(['replica.stdout:42']);
    const conv = traceFromLogs(logs);
    expect(conv.summary.cutAt).toMatch(/replica\.stdout:42: a log line torn by the test harness/);
    // nothing from the moment of the last complete line before it on is judged
    const before = tsAt(torn('replica.stdout'), 40);
    expect(conv.trace.events.every((e) => e.ts < before)).toBe(true);
    const h = conv.trace.header.model;
    const r = validate(buildModel(resolveConfig(h.preset, [h.set ?? {}])), conv.trace, { toleranceMs: conv.toleranceMs });
    expect(r.verdict).toBe('conforms');
  });
  it('a marker followed by a complete line is no tear', () => {
    const logs = readValkeyLogs(['server.1460.3.stdout', 'server.1460.69.stdout', 'server.1460.81.stdout'].map((f) => harness('9.1.2', f)));
    expect(logs.warnings.filter((x) => x.message.startsWith(TORN_LINE))).toEqual([]);
  });
});

/**
 * A suite run's two servers (fixtures/valkey-V/DIR/primary.stdout, replica.stdout) judged with the
 * profile their start-up lines name: the events of one file's lines FROM..TO, as "kind@line", and the verdict.
 */
function judgeSuiteRun(version: string, dir: string, file: string, from: number, to: number): { profile: string; events: string[]; verdict: string } {
  const f = (n: string): string => path.join(FIX, `valkey-${version}`, dir, n);
  const conv = traceFromLogs(readValkeyLogs([f('primary.stdout'), f('replica.stdout')]));
  const h = conv.trace.header.model;
  const events = conv.trace.events.filter((e) => e.src !== undefined && e.src.file.endsWith(file) && e.src.line >= from && e.src.line <= to).map((e) => `${e.kind}@${e.src!.line}`);
  const r = validate(buildModel(resolveConfig(h.preset, [h.set ?? {}])), conv.trace, { toleranceMs: conv.toleranceMs });
  return { profile: JSON.stringify(h.set), events, verdict: r.verdict };
}

describe('the bio thread drained by an abort (real, Valkey 9.1.2 test suite)', () => {
  it('its read error on the reset rdb channel comes between the two lines of the abort, and the run conforms', () => {
    const j = judgeSuiteRun('9.1.2', 'bio-error-after-abort', 'replica.stdout', 48, 53);
    expect(j.profile).toMatch(/9\.1\.2/);
    // the events of replica.stdout:48-53, in the order the reader gives them
    expect(j.events).toEqual(['replica.dualchannel_offered@48', 'replica.abort@49', 'replica.rdb_failed@50', 'replica.abort@53']);
    expect(j.verdict).toBe('conforms');
  });
});

describe('a postponed rdb client freed after its fork child failed (real, Valkey 8.1.1 test suite)', () => {
  it('is still in replicas_waiting_psync when it is freed: both lines, and the run conforms', () => {
    const j = judgeSuiteRun('8.1.1', 'child-error-postponed-rdb-client', 'primary.stdout', 78, 83);
    expect(j.profile).toMatch(/8\.1\.1/);
    expect(j.events).toEqual(['primary.rdb_free_postponed@78', 'primary.child_done@80', 'primary.rdb_channel_closed@82', 'primary.rdb_unlinked@83']);
    expect(j.verdict).toBe('conforms');
  });
});
