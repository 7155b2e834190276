// Line-level parser for valkey-server log files (format of Valkey 8.0.1, `serverLogRaw` in src/server.c):
//
//   <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <msg>
//
// role: M primary (not a replica at that moment), S replica, C fork child (also the main process
// before server.pid is set, i.e. the start-up banner), X sentinel. level: '.' debug, '-' verbose,
// '*' notice, '#' warning. The message is built with vsnprintf into char[LOG_MAX_LEN=1024], so it
// holds at most 1023 bytes; longer messages are cut silently.
//
// Besides regular lines a log holds: the ASCII-art logo (raw, only with always-show-logo or a tty),
// signal-handler lines `<pid>:signal-handler (<unix time>) <msg>`, raw continuation text (crash
// reports, messages with embedded newlines) and blank lines.

export type Role = 'M' | 'S' | 'C' | 'X';
export type Level = 'debug' | 'verbose' | 'notice' | 'warning';

/** Log levels from most to least verbose; index = rank. */
export const LEVELS: readonly Level[] = ['debug', 'verbose', 'notice', 'warning'];
export const levelRank = (l: Level): number => LEVELS.indexOf(l);

const LEVEL_CHARS: Readonly<Record<string, Level>> = { '.': 'debug', '-': 'verbose', '*': 'notice', '#': 'warning' };

/** LOG_MAX_LEN in src/server.h: the message buffer size; the message itself holds at most 1023 bytes. */
export const LOG_MAX_LEN = 1024;
export const LOG_MAX_MSG_BYTES = LOG_MAX_LEN - 1;

/** The 8.1+ prefix added by `dualChannelServerLog` (PR #1586) and its short-lived predecessor (PR #999). */
export const DUAL_CHANNEL_PREFIXES = ['Dual channel replication: ', '<Dual Channel> '] as const;

export interface LogLine {
  readonly type: 'log';
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly pid: number;
  readonly role: Role;
  /** Epoch milliseconds; the log's local time is taken as UTC. */
  readonly tsMs: number;
  readonly level: Level;
  /** Message with any dual-channel prefix removed. */
  readonly msg: string;
  /** The prefix that was removed from msg, if any. */
  readonly prefix?: string;
  /** Byte length of the message as written (with prefix). */
  readonly msgBytes: number;
  /** The message filled the 1023-byte LOG_MAX_LEN buffer: its end was probably cut. */
  readonly capped: boolean;
  /** The line was the last one of the file and had no terminating newline. */
  readonly unterminated: boolean;
  readonly raw: string;
}

export interface OtherLine {
  readonly type: 'banner-art' | 'continuation' | 'blank' | 'signal' | 'malformed';
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  /** signal lines: pid and the unix time (in ms) they carry; msg is the text after the time. */
  readonly pid?: number;
  readonly tsMs?: number;
  readonly msg?: string;
  readonly unterminated: boolean;
}

export type ParsedLine = LogLine | OtherLine;

export interface LineWarning {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

export const LINE_RE =
  /^(\d+):([MSCX]) (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([.\-*#]) (.*)$/;
const SIGNAL_RE = /^(\d+):signal-handler \((\d+)\) (.*)$/;
/** Something that starts like a log line header but is not one. */
const HEADERISH_RE = /^\d+:[A-Za-z]/;
/** Lines of the ASCII-art logo (src/asciilogo.h): drawn with . + # ' | * and blanks, plus the text column. */
const ART_RE =
  /^[ .+^#'|*\-()@v]*[.+^#'|*@][ .+^#'|*\-()@v]*(?: {2,}(?:Valkey \S+ \(.*\) \d+ bit|Running in \w+ mode|Port: \d+|PID: \d+|https?:\/\/\S+))?\s*$/;

export function parseTimestamp(dd: string, mon: string, yyyy: string, hh: string, mi: string, ss: string, ms: string): number | undefined {
  const m = MONTHS[mon];
  if (m === undefined) return undefined;
  const t = Date.UTC(+yyyy, m, +dd, +hh, +mi, +ss, +ms);
  return Number.isNaN(t) ? undefined : t;
}

/** Remove a dual-channel prefix from a message. */
export function stripPrefix(msg: string): { msg: string; prefix?: string } {
  for (const p of DUAL_CHANNEL_PREFIXES) if (msg.startsWith(p)) return { msg: msg.slice(p.length), prefix: p };
  return { msg };
}

/**
 * Parse one physical line. `bytes` is the UTF-8 byte length of the message part when known
 * (defaults to Buffer.byteLength of the decoded text).
 */
export function parseLine(raw: string, file: string, line: number, unterminated = false): ParsedLine {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (text.trim() === '') return { type: 'blank', file, line, raw, unterminated };
  const m = LINE_RE.exec(text);
  if (m) {
    const tsMs = parseTimestamp(m[3]!, m[4]!, m[5]!, m[6]!, m[7]!, m[8]!, m[9]!);
    if (tsMs !== undefined) {
      const full = m[11]!;
      const msgBytes = Buffer.byteLength(full, 'utf8');
      const { msg, prefix } = stripPrefix(full);
      return {
        type: 'log', file, line, pid: +m[1]!, role: m[2] as Role, tsMs, level: LEVEL_CHARS[m[10]!]!,
        msg, ...(prefix !== undefined ? { prefix } : {}), msgBytes, capped: msgBytes >= LOG_MAX_MSG_BYTES,
        unterminated, raw,
      };
    }
  }
  const s = SIGNAL_RE.exec(text);
  if (s) return { type: 'signal', file, line, raw, pid: +s[1]!, tsMs: +s[2]! * 1000, msg: s[3]!, unterminated };
  if (ART_RE.test(text)) return { type: 'banner-art', file, line, raw, unterminated };
  if (HEADERISH_RE.test(text)) return { type: 'malformed', file, line, raw, unterminated };
  return { type: 'continuation', file, line, raw, unterminated };
}

/**
 * Split a file's content into parsed lines. A last line without a newline is flagged
 * `unterminated` and reported as a warning (it may have been cut while being written or copied).
 */
export function parseLogText(content: string, file: string): { lines: ParsedLine[]; warnings: LineWarning[] } {
  const warnings: LineWarning[] = [];
  const lines: ParsedLine[] = [];
  if (content.length === 0) return { lines, warnings };
  const parts = content.split('\n');
  const lastTerminated = parts[parts.length - 1] === '';
  if (lastTerminated) parts.pop();
  parts.forEach((raw, i) => {
    const unterminated = !lastTerminated && i === parts.length - 1;
    const p = parseLine(raw, file, i + 1, unterminated);
    lines.push(p);
    if (unterminated) {
      warnings.push({
        file, line: i + 1,
        message: p.type === 'log'
          ? `last line has no terminating newline (truncated?); not classified: ${JSON.stringify(raw.slice(0, 200))}`
          : `last line is truncated (no newline, not a complete log line): ${JSON.stringify(raw.slice(0, 200))}`,
      });
    } else if (p.type === 'malformed') {
      warnings.push({ file, line: i + 1, message: `malformed log line (expected "<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <msg>"): ${JSON.stringify(raw.slice(0, 200))}` });
    }
  });
  return { lines, warnings };
}
