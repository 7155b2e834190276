// Line-level parser for valkey-server log lines. Valkey writes each line in `serverLogRaw`
// (src/server.c) in one of three line formats (config `log-format`, 8.1+; modifiable at run time):
//
//   legacy  <pid>:<role> <time> <level> <msg>
//   logfmt  pid=<pid> role=<role name> timestamp="<time>" level=<level name> message="<msg>"
//   json    {"pid":<pid>,"role":"<role name>","timestamp":"<time>","level":"<level name>","message":<JSON string>}   (9.x)
//
// and <time> in one of three timestamp formats (config `log-timestamp-format`, 8.1+):
//
//   legacy        dd Mon yyyy HH:MM:SS.mmm      local time, no zone: taken as UTC
//   iso8601       yyyy-mm-ddTHH:MM:SS.mmm±hh:mm local time with its offset: converted to UTC
//   milliseconds  <epoch milliseconds>
//
// 8.0.x knows only legacy/legacy. role: M primary (not a replica at that moment), S replica, C fork
// child (in 8.0.x also the main process before server.pid is set, i.e. the start-up banner), X
// sentinel; logfmt/json spell them primary, replica, RDB/AOF, sentinel. level: '.' debug, '-'
// verbose, '*' notice, '#' warning; logfmt/json: debug, info, notice, warning. The message is
// built with vsnprintf into char[LOG_MAX_LEN=1024], so it holds at most 1023 bytes; longer
// messages are cut silently. logfmt does not escape the message: Valkey replaces '"' with '\''
// and CR/LF with a blank (filterInvalidLogfmtChar), so the text between the quotes is the message
// (with those replacements) and a backslash is a backslash. json escapes it (escapeJsonString).
//
// Besides regular lines a log holds: the ASCII-art logo (raw, only with always-show-logo or a tty),
// signal-handler lines `<pid>:signal-handler (<unix time>) <msg>` (this format whatever
// log-format says), raw continuation text (crash reports, legacy messages with embedded newlines),
// blank lines, and the marker lines Valkey's own test harness writes into a server's stdout
// (tests/support/server.tcl, test.tcl): `### Starting server for test <test>` and
// `### Starting test <test>` (in external mode sent as `DEBUG LOG ### Starting test …`, which
// Valkey logs as a warning-level line "DEBUG LOG: ### Starting test …").

import { unwrap, type Entry, type WrapperName } from './wrappers.js';

export type Role = 'M' | 'S' | 'C' | 'X';
export type Level = 'debug' | 'verbose' | 'notice' | 'warning';
/** Valkey's `log-format` (8.1+; json 9.x). */
export type LineFormat = 'legacy' | 'logfmt' | 'json';
/** Valkey's `log-timestamp-format` (8.1+). */
export type TimestampFormat = 'legacy' | 'iso8601' | 'milliseconds';

/** Log levels from most to least verbose; index = rank. */
export const LEVELS: readonly Level[] = ['debug', 'verbose', 'notice', 'warning'];
export const levelRank = (l: Level): number => LEVELS.indexOf(l);

const LEVEL_CHARS: Readonly<Record<string, Level>> = { '.': 'debug', '-': 'verbose', '*': 'notice', '#': 'warning' };
/** logfmt/json level names (`verbose_level[]` in serverLogRaw). */
const LEVEL_NAMES: Readonly<Record<string, Level>> = { debug: 'debug', info: 'verbose', notice: 'notice', warning: 'warning' };
/** logfmt/json role names (`roles[]` in serverLogRaw). */
const ROLE_NAMES: Readonly<Record<string, Role>> = { primary: 'M', replica: 'S', 'RDB/AOF': 'C', sentinel: 'X' };

/** LOG_MAX_LEN in src/server.h: the message buffer size; the message itself holds at most 1023 bytes. */
export const LOG_MAX_LEN = 1024;
export const LOG_MAX_MSG_BYTES = LOG_MAX_LEN - 1;

/** Message prefixes removed before matching: 8.1+ `dualChannelServerLog` (PR #1586), its short-lived predecessor (PR #999), and 9.x `replicaBioSaveServerLog` (#1784). */
export const DUAL_CHANNEL_PREFIXES = ['Dual channel replication: ', '<Dual Channel> ', 'Replica bio thread: '] as const;

export interface LogLine {
  readonly type: 'log';
  readonly file: string;
  /** 1-based line number (of the file as given: with a wrapper, the first physical line of the entry). */
  readonly line: number;
  readonly pid: number;
  readonly role: Role;
  /** Epoch milliseconds. legacy timestamps: the log's local time taken as UTC; iso8601: converted to UTC with its offset. */
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
  /** The Valkey line (without any wrapper prefix such as a container runtime's). */
  readonly raw: string;
  readonly format: LineFormat;
  readonly tsFormat: TimestampFormat;
  /** Set by a `docker compose logs` prefix (the service) or `kubectl logs --prefix` (pod/container): who wrote the line. */
  readonly service?: string;
}

export interface OtherLine {
  /**
   * foreign: written by the log collector or another program, not by Valkey (a journal's
   * "-- Boot … --", another program's syslog line, text without the file's wrapper prefix that is
   * no Valkey line).
   */
  readonly type: 'banner-art' | 'continuation' | 'blank' | 'signal' | 'malformed' | 'foreign';
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  /** signal lines: pid and the unix time (in ms) they carry; msg is the text after the time. */
  readonly pid?: number;
  readonly tsMs?: number;
  readonly msg?: string;
  readonly unterminated: boolean;
  readonly service?: string;
}

/** A marker line of Valkey's test harness: `### Starting server for test …` / `### Starting test …`. */
export interface HarnessLine {
  readonly type: 'harness';
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  /** server: a server was started for the test; test: the test began. */
  readonly kind: 'server' | 'test';
  /** The test's name ("" when the harness started a server outside any test). */
  readonly name: string;
  /** The test file, from the harness's "<name> in <file>". */
  readonly testFile?: string;
  readonly unterminated: boolean;
  readonly service?: string;
}

export type ParsedLine = LogLine | OtherLine | HarnessLine;

/** Start of the warning for a log line torn by a harness marker written over it (fromlogs.ts cuts there). */
export const TORN_LINE = 'torn log line: the test harness\'s marker on the line before overwrote part of the log (lines before it may be lost)';

export interface LineWarning {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** The Valkey 8.0.x line: legacy format, legacy timestamp. */
export const LINE_RE =
  /^(\d+):([MSCX]) (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([.\-*#]) (.*)$/s;
const TS_LEGACY = String.raw`\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}`;
const TS_ISO8601 = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}`;
const TS_MILLISECONDS = String.raw`\d{1,16}`;
const TS_ANY = `(?:${TS_LEGACY}|${TS_ISO8601}|${TS_MILLISECONDS})`;
/** legacy line format with any timestamp format. */
const LEGACY_RE = new RegExp(String.raw`^(\d+):([MSCX]) (${TS_ANY}) ([.\-*#]) (.*)$`, 's');
const LOGFMT_RE = /^pid=(\d+) role=(\S+) timestamp="([^"]*)" level=(\w+) message="(.*)"$/s;
const JSON_RE = /^\{"pid":(\d+),"role":"([^"]*)","timestamp":"([^"]*)","level":"(\w+)","message":("(?:[^"\\]|\\.)*")\}$/s;
const TS_LEGACY_RE = /^(\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/;
const TS_ISO8601_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-])(\d{2}):(\d{2})$/;
const TS_MILLISECONDS_RE = /^\d{1,16}$/;
const SIGNAL_RE = /^(\d+):signal-handler \((\d+)\) (.*)$/s;
/** A signal-handler line whose pid was written into another line (see repairInterleavedPids). */
const ORPHAN_SIGNAL_RE = /^:signal-handler \((\d+)\) (.*)$/s;
/** PID_MAX_LIMIT of 64-bit Linux (2^22): no process id is larger. */
export const PID_MAX_LIMIT = 4194304;
const HARNESS_RE = /^### Starting (server for test|test)(?: (.*))?$/s;
/** Something that starts like a log line header but is not one. */
const HEADERISH_RE = /^(?:\d+:[A-Za-z]|pid=\d+ |\{"pid":\d)/;
/** Lines of the ASCII-art logo (src/asciilogo.h): drawn with . + # ' | * and blanks, plus the text column. */
const ART_RE =
  /^[ .+^#'|*\-()@v]*[.+^#'|*@][ .+^#'|*\-()@v]*(?: {2,}(?:Valkey \S+ \(.*\) \d+ bit|Running in \w+ mode|Port: \d+|PID: \d+|https?:\/\/\S+))?\s*$/;

/** The line formats this reader knows, for error messages. */
export const KNOWN_LINE_FORMATS: readonly string[] = [
  'legacy "<pid>:<role> <time> <level> <msg>" (role M/S/C/X, level . - * #)',
  'logfmt "pid=<pid> role=<primary|replica|RDB/AOF|sentinel> timestamp=\\"<time>\\" level=<debug|info|notice|warning> message=\\"<msg>\\""',
  'json "{\\"pid\\":<pid>,\\"role\\":…,\\"timestamp\\":\\"<time>\\",\\"level\\":…,\\"message\\":…}"',
];
/** The timestamp formats this reader knows, for error messages. */
export const KNOWN_TIMESTAMP_FORMATS: readonly string[] = [
  'legacy "dd Mon yyyy HH:MM:SS.mmm"', 'iso8601 "yyyy-mm-ddTHH:MM:SS.mmm±hh:mm"', 'milliseconds "<epoch ms>"',
];

export function parseTimestamp(dd: string, mon: string, yyyy: string, hh: string, mi: string, ss: string, ms: string): number | undefined {
  const m = MONTHS[mon];
  if (m === undefined) return undefined;
  const t = Date.UTC(+yyyy, m, +dd, +hh, +mi, +ss, +ms);
  return Number.isNaN(t) ? undefined : t;
}

/** Parse a timestamp in any of Valkey's three `log-timestamp-format`s. */
export function parseAnyTimestamp(text: string): { tsMs: number; tsFormat: TimestampFormat } | undefined {
  let m = TS_LEGACY_RE.exec(text);
  if (m) {
    const tsMs = parseTimestamp(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!);
    return tsMs === undefined ? undefined : { tsMs, tsFormat: 'legacy' };
  }
  m = TS_ISO8601_RE.exec(text);
  if (m) {
    const local = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
    if (Number.isNaN(local) || +m[2]! < 1 || +m[2]! > 12) return undefined;
    const offsetMin = (m[8] === '-' ? -1 : 1) * (+m[9]! * 60 + +m[10]!);
    return { tsMs: local - offsetMin * 60_000, tsFormat: 'iso8601' };
  }
  if (TS_MILLISECONDS_RE.test(text)) {
    const tsMs = Number(text);
    return Number.isSafeInteger(tsMs) ? { tsMs, tsFormat: 'milliseconds' } : undefined;
  }
  return undefined;
}

/** Remove a dual-channel prefix from a message. */
export function stripPrefix(msg: string): { msg: string; prefix?: string } {
  for (const p of DUAL_CHANNEL_PREFIXES) if (msg.startsWith(p)) return { msg: msg.slice(p.length), prefix: p };
  return { msg };
}

/** A harness marker carried by a message: `DEBUG LOG ### Starting test …` (external mode) logs "DEBUG LOG: ### Starting test …". */
export function harnessMarkerOfMessage(msg: string): { kind: 'server' | 'test'; name: string; testFile?: string } | undefined {
  if (!msg.startsWith('DEBUG LOG: ### Starting ')) return undefined;
  return harnessMarker(msg.slice('DEBUG LOG: '.length));
}

function harnessMarker(text: string): { kind: 'server' | 'test'; name: string; testFile?: string } | undefined {
  const h = HARNESS_RE.exec(text);
  if (!h) return undefined;
  const full = h[2] ?? '';
  // The harness's $::cur_test is "<name> in <test file>".
  const f = /^(.*) in (\S+\.tcl)$/s.exec(full);
  return { kind: h[1] === 'test' ? 'test' : 'server', name: f ? f[1]! : full, ...(f ? { testFile: f[2]! } : {}) };
}

function logLine(
  file: string, line: number, raw: string, unterminated: boolean, pid: number, role: Role, ts: { tsMs: number; tsFormat: TimestampFormat },
  level: Level, full: string, format: LineFormat,
): LogLine {
  const msgBytes = Buffer.byteLength(full, 'utf8');
  const { msg, prefix } = stripPrefix(full);
  return {
    type: 'log', file, line, pid, role, tsMs: ts.tsMs, level, msg, ...(prefix !== undefined ? { prefix } : {}), msgBytes,
    capped: msgBytes >= LOG_MAX_MSG_BYTES, unterminated, raw, format, tsFormat: ts.tsFormat,
  };
}

/** Parse one Valkey line (any line format, any timestamp format) as a log line, if it is one. */
function parseLogLine(text: string, raw: string, file: string, line: number, unterminated: boolean): LogLine | undefined {
  let m = LEGACY_RE.exec(text);
  if (m) {
    const ts = parseAnyTimestamp(m[3]!);
    if (ts) return logLine(file, line, raw, unterminated, +m[1]!, m[2] as Role, ts, LEVEL_CHARS[m[4]!]!, m[5]!, 'legacy');
    return undefined;
  }
  m = LOGFMT_RE.exec(text);
  if (m) {
    const ts = parseAnyTimestamp(m[3]!);
    const role = ROLE_NAMES[m[2]!];
    const level = LEVEL_NAMES[m[4]!];
    if (ts && role && level) return logLine(file, line, raw, unterminated, +m[1]!, role, ts, level, m[5]!, 'logfmt');
    return undefined;
  }
  m = JSON_RE.exec(text);
  if (m) {
    const ts = parseAnyTimestamp(m[3]!);
    const role = ROLE_NAMES[m[2]!];
    const level = LEVEL_NAMES[m[4]!];
    let msg: unknown;
    try { msg = JSON.parse(m[5]!); } catch { return undefined; }
    if (ts && role && level && typeof msg === 'string') return logLine(file, line, raw, unterminated, +m[1]!, role, ts, level, msg, 'json');
  }
  return undefined;
}

/**
 * Parse one Valkey line (a physical line of a plain log file, or the text a wrapper carried).
 * A trailing CR is ignored.
 */
export function parseLine(raw: string, file: string, line: number, unterminated = false): ParsedLine {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (text.trim() === '') return { type: 'blank', file, line, raw, unterminated };
  const l = parseLogLine(text, raw, file, line, unterminated);
  if (l) return l;
  const s = SIGNAL_RE.exec(text);
  if (s) return { type: 'signal', file, line, raw, pid: +s[1]!, tsMs: +s[2]! * 1000, msg: s[3]!, unterminated };
  const h = harnessMarker(text);
  if (h) return { type: 'harness', file, line, raw, ...h, unterminated };
  if (ART_RE.test(text)) return { type: 'banner-art', file, line, raw, unterminated };
  if (HEADERISH_RE.test(text)) return { type: 'malformed', file, line, raw, unterminated };
  return { type: 'continuation', file, line, raw, unterminated };
}

export interface ParsedText {
  readonly lines: ParsedLine[];
  readonly warnings: LineWarning[];
  /** Wrapper prefixes found and stripped (wrappers.ts), outermost first. */
  readonly wrappers: WrapperName[];
}

/**
 * Split a file's content into parsed lines: a UTF-8 byte-order mark and CR line ends are removed,
 * wrapper prefixes (container runtime, journal, compose, …) detected and stripped, entries a
 * wrapper split into parts joined. Line numbers are the file's physical lines (a joined entry has
 * the line it starts on). A last line without a newline is flagged `unterminated` and reported as
 * a warning (it may have been cut while being written or copied).
 */
export function parseLogText(content: string, file: string): ParsedText {
  const warnings: LineWarning[] = [];
  const lines: ParsedLine[] = [];
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  if (content.length === 0) return { lines, warnings, wrappers: [] };
  const parts = content.split('\n');
  const lastTerminated = parts[parts.length - 1] === '';
  if (lastTerminated) parts.pop();
  const physical: Entry[] = parts.map((raw, i) => ({
    text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, line: i + 1, unterminated: !lastTerminated && i === parts.length - 1,
  }));
  const { entries, wrappers, bare } = unwrap(physical);
  for (const b of bare) {
    const first = b.entries[0]!;
    warnings.push({
      file, line: first.line,
      message: `${b.entries.length} line(s) without the ${b.shape} prefix the rest of the file has; read as they are; first: ${JSON.stringify(first.text.slice(0, 200))}`,
    });
  }
  for (const e of entries) {
    const svc = e.service !== undefined ? { service: e.service } : {};
    if (e.collector) { lines.push({ type: 'foreign', file, line: e.line, raw: e.text, unterminated: e.unterminated, ...svc }); continue; }
    const p = parseLine(e.text, file, e.line, e.unterminated);
    lines.push(e.service !== undefined ? { ...p, ...svc } : p);
  }
  repairInterleavedPids(lines, warnings, file);
  // A journal or syslog holds other programs' lines too: a program none of whose lines is a
  // Valkey line is not a Valkey server.
  const idents = new Set<string>();
  entries.forEach((e, i) => { const t = lines[i]!.type; if (e.ident !== undefined && (t === 'log' || t === 'signal' || t === 'harness')) idents.add(e.ident); });
  const foreignIdents = new Set<string>();
  if (idents.size > 0) {
    entries.forEach((e, i) => {
      if (e.ident === undefined || idents.has(e.ident)) return;
      foreignIdents.add(e.ident);
      const l = lines[i]!;
      lines[i] = { type: 'foreign', file, line: l.line, raw: l.raw, unterminated: l.unterminated, ...(l.service !== undefined ? { service: l.service } : {}) };
    });
  }
  const foreign = lines.filter((l) => l.type === 'foreign');
  if (foreign.length > 0) {
    warnings.push({
      file, line: foreign[0]!.line,
      message: `${foreign.length} line(s) not written by Valkey skipped (${[...(foreignIdents.size ? [`other programs: ${[...foreignIdents].join(', ')}`] : []), ...(foreign.length > 0 && entries.some((e) => e.collector) ? ['the collector\'s own lines such as "-- Boot … --"'] : [])].join('; ')}); first: ${JSON.stringify(foreign[0]!.raw.slice(0, 200))}`,
    });
  }
  // Valkey's test harness writes its "### Starting test" markers into the file the server logs
  // to, through a descriptor of its own: a marker written while the server's offset is elsewhere
  // overwrites bytes of the log, and the line after it is the torn tail of a log line. What the
  // marker overwrote (whole lines, possibly) is lost.
  for (let i = 1; i < lines.length; i++) {
    const p = lines[i]!;
    if (lines[i - 1]!.type !== 'harness' || p.unterminated) continue;
    if (p.type !== 'continuation' && p.type !== 'malformed') continue;
    warnings.push({ file, line: p.line, message: `${TORN_LINE}: ${JSON.stringify(p.raw.slice(0, 200))}` });
  }
  for (const p of lines) {
    if (p.unterminated) {
      warnings.push({
        file, line: p.line,
        message: p.type === 'log'
          ? `last line has no terminating newline (truncated?); not classified: ${JSON.stringify(p.raw.slice(0, 200))}`
          : `last line is truncated (no newline, not a complete log line): ${JSON.stringify(p.raw.slice(0, 200))}`,
      });
    } else if (p.type === 'malformed') {
      warnings.push({ file, line: p.line, message: `malformed log line (expected "<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <msg>" or another known format): ${JSON.stringify(p.raw.slice(0, 200))}` });
    }
  }
  warnings.sort((a, b) => a.line - b.line);
  return { lines, warnings, wrappers };
}

/**
 * A signal handler writes its line in pieces (serverLogRawFromHandler: the pid, ":signal-handler (",
 * the time, ") ", the message, "\n"), so another process's line can land in between:
 *
 *   55485506:M 02 Dec 2026 09:04:37.472 * Removing the pid file.
 *   :signal-handler (1796202277) Received SIGUSR1 in child, exiting now.
 *
 * (a fork child 5548 killed at shutdown, its parent 5506 logging; seen in Valkey's own test
 * suite). A pid above PID_MAX_LIMIT that ends with a pid of the file is read as that pid, and the
 * orphaned ":signal-handler" line gets the pid written before it. Each repair is a warning.
 */
function repairInterleavedPids(lines: ParsedLine[], warnings: LineWarning[], file: string): void {
  const known = new Set<number>();
  for (const l of lines) if (l.type === 'log' && l.pid <= PID_MAX_LIMIT) known.add(l.pid);
  let orphanPid: number | undefined;
  lines.forEach((l, i) => {
    if (l.type === 'log' && l.pid > PID_MAX_LIMIT) {
      const digits = /^\d+/.exec(l.raw)?.[0] ?? String(l.pid);
      for (let k = 1; k < digits.length; k++) {
        const before = digits.slice(0, k), pid = digits.slice(k);
        if (pid.startsWith('0') || !known.has(+pid) || +before > PID_MAX_LIMIT) continue;
        lines[i] = { ...l, pid: +pid };
        orphanPid = +before;
        warnings.push({ file, line: l.line, message: `"${before}" of another process's line (a signal handler writes in pieces) was written into this line: read as pid ${pid}` });
        return;
      }
      lines[i] = { type: 'malformed', file, line: l.line, raw: l.raw, unterminated: l.unterminated, ...(l.service !== undefined ? { service: l.service } : {}) };
      return;
    }
    const o = l.type === 'continuation' ? ORPHAN_SIGNAL_RE.exec(l.raw.endsWith('\r') ? l.raw.slice(0, -1) : l.raw) : null;
    if (o) {
      lines[i] = {
        type: 'signal', file, line: l.line, raw: l.raw, ...(orphanPid !== undefined ? { pid: orphanPid } : {}), tsMs: +o[1]! * 1000, msg: o[2]!,
        unterminated: l.unterminated, ...(l.service !== undefined ? { service: l.service } : {}),
      };
      orphanPid = undefined;
    }
  });
}
