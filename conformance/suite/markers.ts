// Marker lines that Valkey's Tcl test harness writes into a server's stdout (tests/support/test.tcl
// and server.tcl): "### Starting test NAME in FILE" into every running server when a test starts,
// "### Starting server for test NAME" before a server starts (NAME is empty outside a test). The
// log reader reports them (`LogFile.markers`); they carry no timestamp, so a marker's moment is only
// bounded by the log lines around it. This module adds those bounds.
import type { HarnessMarker, LogFile } from '../valkeylog/index.js';

/** A marker with the bounds of its moment: the times of the log lines just before and after it. */
export interface BoundedMarker extends HarnessMarker {
  /** Time of the last log line before it (-Infinity: none); a DEBUG LOG marker's own time. */
  readonly loMs: number;
  /** Time of the first log line after it (+Infinity: none); a DEBUG LOG marker's own time. */
  readonly hiMs: number;
}

/** A test name as the harness writes it ("NAME in tests/….tcl"), split into the test and its file. */
export function splitTestName(name: string): { test: string; file?: string } {
  const m = /^(?<test>.*) in (?<file>\S+\.tcl)$/s.exec(name);
  return m ? { test: m.groups!.test!, file: m.groups!.file! } : { test: name };
}

/** The reader's markers of a server's log, each with the bounds of its moment. */
export function boundMarkers(log: LogFile): BoundedMarker[] {
  const times: { line: number; ts: number }[] = [];
  for (const l of log.lines) if (l.type === 'log') times.push({ line: l.line, ts: l.tsMs });
  return log.markers.map((m) => {
    const own = times.find((t) => t.line === m.line);
    if (own) return { ...m, loMs: own.ts, hiMs: own.ts };
    let lo = -Infinity;
    let hi = Infinity;
    for (const t of times) {
      if (t.line < m.line) lo = t.ts;
      else { hi = t.ts; break; }
    }
    return { ...m, loMs: lo, hiMs: hi };
  });
}
