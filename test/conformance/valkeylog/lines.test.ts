import { describe, expect, it } from 'vitest';
import { parseLine, parseLogText, LOG_MAX_MSG_BYTES, type LogLine } from '../../../conformance/valkeylog/lines.js';

// Real 8.0.1 lines from /work/shared/design/valkey-real-runs.md §4.
const NOTICE = '21208:M 25 Nov 2026 08:36:21.897 * Replica 127.0.0.1:21001 asks for synchronization';
const DEBUG = '21208:M 25 Nov 2026 08:36:21.897 . Add rdb replica 127.0.0.1:21001 to waiting psync, with cid 8, no repl-backlog to track ';
const VERBOSE = '11744:M 25 Nov 2026 08:24:18.165 - Postpone RDB client id=10 (127.0.0.1:21001) free for 60 seconds';
const WARNING = '10320:S 25 Nov 2026 08:19:39.372 # I/O error trying to sync with PRIMARY: connection lost';

describe('parseLine', () => {
  it('parses the four levels, role, pid and a UTC timestamp', () => {
    const n = parseLine(NOTICE, 'p.log', 7) as LogLine;
    expect(n).toMatchObject({ type: 'log', file: 'p.log', line: 7, pid: 21208, role: 'M', level: 'notice', msg: 'Replica 127.0.0.1:21001 asks for synchronization' });
    expect(n.tsMs).toBe(Date.UTC(2026, 10, 25, 8, 36, 21, 897));
    expect((parseLine(DEBUG, 'p', 1) as LogLine).level).toBe('debug');
    expect((parseLine(DEBUG, 'p', 1) as LogLine).msg.endsWith('track ')).toBe(true); // trailing space kept
    expect((parseLine(VERBOSE, 'p', 1) as LogLine).level).toBe('verbose');
    expect(parseLine(WARNING, 'r', 1)).toMatchObject({ role: 'S', level: 'warning' });
  });

  it('recognises the fork child role and the start-up banner', () => {
    expect(parseLine('21220:C 25 Nov 2026 08:36:22.900 * Fork CoW for RDB: current 1 MB, peak 1 MB, average 1 MB', 'p', 1)).toMatchObject({ role: 'C', pid: 21220 });
    expect(parseLine('21208:C 25 Nov 2026 08:36:20.001 * oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo', 'p', 1)).toMatchObject({ type: 'log', role: 'C' });
  });

  it('recognises ASCII-art logo lines, blank lines, signal-handler lines and continuations', () => {
    expect(parseLine('                .+^+.                                                ', 'p', 1).type).toBe('banner-art');
    expect(parseLine(" .########+'     .+.     '+########.    Running in standalone mode", 'p', 1).type).toBe('banner-art');
    expect(parseLine(" |####+'     .+#######+.     '+####|    Port: 21000", 'p', 1).type).toBe('banner-art');
    expect(parseLine('', 'p', 1).type).toBe('blank');
    expect(parseLine('   ', 'p', 1).type).toBe('blank');
    expect(parseLine('4242:signal-handler (1795594749) Received SIGTERM scheduling shutdown...', 'p', 1)).toMatchObject({ type: 'signal', pid: 4242, tsMs: 1795594749000 });
    expect(parseLine('------ STACK TRACE ------', 'p', 1).type).toBe('continuation');
    expect(parseLine('4242:D 25 Nov 2026 08:19:27.226 > about to SIGKILL replica pid 10140', 'p', 1).type).toBe('malformed');
  });

  it('strips the 8.1+ "Dual channel replication: " and the older "<Dual Channel> " prefix and records it', () => {
    const a = parseLine('7:S 01 Apr 2025 10:00:00.000 * Dual channel replication: PSYNC is not possible, initialize RDB channel.', 'r', 1) as LogLine;
    expect(a.msg).toBe('PSYNC is not possible, initialize RDB channel.');
    expect(a.prefix).toBe('Dual channel replication: ');
    const b = parseLine('7:S 01 Jan 2025 10:00:00.000 * <Dual Channel> Aborting dual channel sync', 'r', 1) as LogLine;
    expect(b.msg).toBe('Aborting dual channel sync');
    expect(b.prefix).toBe('<Dual Channel> ');
    expect((parseLine(NOTICE, 'p', 1) as LogLine).prefix).toBeUndefined();
  });

  it('flags a message that fills LOG_MAX_LEN as capped', () => {
    const msg = 'Client id=9 addr=127.0.0.1:44448 ' + 'x'.repeat(LOG_MAX_MSG_BYTES - 33);
    const l = parseLine(`1:M 25 Nov 2026 08:15:17.498 # ${msg}`, 'p', 1) as LogLine;
    expect(l.msgBytes).toBe(LOG_MAX_MSG_BYTES);
    expect(l.capped).toBe(true);
    expect((parseLine(NOTICE, 'p', 1) as LogLine).capped).toBe(false);
  });
});

describe('parseLogText', () => {
  it('reports a last line without newline as a warning, not a crash', () => {
    const { lines, warnings } = parseLogText(`${NOTICE}\n${WARNING}`, 'r.log');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ type: 'log', unterminated: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: 'r.log', line: 2 });
    expect(warnings[0]!.message).toMatch(/no terminating newline/);
  });

  it('reports a line cut mid-header as truncated', () => {
    const { lines, warnings } = parseLogText(`${NOTICE}\n21208:M 25 Nov 2026 08:3`, 'p.log');
    expect(lines[1]!.type).toBe('malformed');
    expect(warnings[0]).toMatchObject({ line: 2 });
    expect(warnings[0]!.message).toMatch(/truncated/);
  });

  it('keeps CRLF-free, 1-based numbering with blank and continuation lines', () => {
    const { lines, warnings } = parseLogText(`${NOTICE}\n\ncontinued text\n${DEBUG}\n`, 'p.log');
    expect(lines.map((l) => [l.line, l.type])).toEqual([[1, 'log'], [2, 'blank'], [3, 'continuation'], [4, 'log']]);
    expect(warnings).toEqual([]);
  });
});
