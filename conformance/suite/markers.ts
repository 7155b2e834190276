// Marker lines that Valkey's Tcl test harness writes into a server's stdout (tests/support/test.tcl
// and server.tcl): "### Starting test NAME in FILE" into every running server when a test starts,
// "### Starting server for test NAME" before a server starts (NAME is empty outside a test), and
// "### Restarting server for test NAME" before a restart. They carry no timestamp: a marker lies
// between the log lines before and after it, so its moment is bounded by theirs.
//
// The log reader does not know these lines yet (it takes a file that begins with one for something
// other than a Valkey log), so this module finds them and blanks them before a file is read,
// keeping every other line's number. When the reader reports them itself (`LogFile.markers`),
// `markersOf` takes those instead.
import { parseLine } from '../valkeylog/lines.js';

export interface HarnessMarker {
  /** 1-based line of the marker. */
  readonly line: number;
  /** Best estimate of when it was written: the next log line's time (else the previous one's). */
  readonly tsMs: number;
  readonly kind: 'server' | 'test';
  /** As written: "NAME in tests/…/file.tcl" for tests; may be empty for servers. */
  readonly name: string;
}

/** A marker with the bounds of its moment: the times of the log lines just before and after it. */
export interface BoundedMarker extends HarnessMarker {
  /** "### Restarting server …" rather than "### Starting server …". */
  readonly restart: boolean;
  /** Time of the last log line before it (-Infinity: none). */
  readonly loMs: number;
  /** Time of the first log line after it (+Infinity: none). */
  readonly hiMs: number;
}

export const MARKER_RE = /^### (?:(?<srv>Starting|Restarting) server for test ?(?<sname>.*)|Starting test (?<tname>.*))$/;

/** A test name as the harness writes it, split into the test and its file. */
export function splitTestName(name: string): { test: string; file?: string } {
  const m = /^(?<test>.*) in (?<file>\S+\.tcl)$/.exec(name);
  return m ? { test: m.groups!.test!, file: m.groups!.file! } : { test: name };
}

function lineTime(raw: string): number | undefined {
  if (raw.startsWith('###') || raw.trim() === '') return undefined;
  const p = parseLine(raw, '', 0);
  return p.type === 'log' ? p.tsMs : undefined;
}

/**
 * The harness markers of a file's content (split into lines), each bounded by the times of its
 * neighbouring log lines, and the content with the marker lines blanked (same line numbers).
 */
export function extractMarkers(content: string): { markers: BoundedMarker[]; blanked: string } {
  const lines = content.split('\n');
  const times = lines.map(lineTime);
  const markers: BoundedMarker[] = [];
  const idx: number[] = [];
  lines.forEach((raw, i) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!text.startsWith('###')) {
      // external mode: the harness sends "DEBUG LOG ### Starting test …", a log line of its own
      if (times[i] === undefined || !text.includes('DEBUG LOG: ### Starting test ')) return;
      const p = parseLine(raw, '', i + 1);
      if (p.type !== 'log' || !p.msg.startsWith('DEBUG LOG: ### Starting test ')) return;
      const name = p.msg.slice('DEBUG LOG: ### Starting test '.length).trim();
      markers.push({ line: i + 1, tsMs: p.tsMs, kind: 'test', name, restart: false, loMs: p.tsMs, hiMs: p.tsMs });
      return;
    }
    const m = MARKER_RE.exec(text);
    if (!m) return;
    idx.push(i);
    let lo = -Infinity;
    for (let j = i - 1; j >= 0; j--) if (times[j] !== undefined) { lo = times[j]!; break; }
    let hi = Infinity;
    for (let j = i + 1; j < lines.length; j++) if (times[j] !== undefined) { hi = times[j]!; break; }
    const g = m.groups!;
    markers.push({
      line: i + 1,
      tsMs: Number.isFinite(hi) ? hi : lo,
      kind: g.tname !== undefined ? 'test' : 'server',
      name: (g.tname ?? g.sname ?? '').trim(),
      restart: g.srv === 'Restarting',
      loMs: lo,
      hiMs: hi,
    });
  });
  if (idx.length === 0) return { markers, blanked: content };
  for (const i of idx) lines[i] = '';
  return { markers, blanked: lines.join('\n') };
}

/**
 * Markers as the reader reports them, when it does (`LogFile.markers`), bounded like ours;
 * otherwise undefined. Lets this module switch to the reader's markers without other changes.
 */
export function readerMarkers(file: unknown, content: string): BoundedMarker[] | undefined {
  const ms = (file as { markers?: readonly HarnessMarker[] } | undefined)?.markers;
  if (!Array.isArray(ms)) return undefined;
  const own = extractMarkers(content).markers;
  const byLine = new Map(own.map((m) => [m.line, m]));
  return ms.map((m) => {
    const o = byLine.get(m.line);
    return { ...m, restart: o?.restart ?? false, loMs: o?.loMs ?? m.tsMs, hiMs: o?.hiMs ?? m.tsMs };
  });
}
