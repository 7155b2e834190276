// Test helpers: re-wrap plain Valkey 8.0.1 log files the way log collectors hand them to users
// (container runtime, kubectl, journal, syslog, docker json-file, docker compose), merge several
// servers' files into one, and map every line of the result back to the plain file and line it
// came from, so a reading of the re-wrapped copy can be compared with a reading of the originals.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { LogEvent, ValkeyLogs } from '../../../conformance/valkeylog/index.js';

export const TRACES = path.join(process.cwd(), 'traces', 'valkey-8.0.1');

export interface Plain { file: string; content: string }

/** The committed real 8.0.1 captures: every server log of every scenario (not the driver's log). */
export function captures(): { name: string; files: Plain[] }[] {
  return readdirSync(TRACES).filter((d) => statSync(path.join(TRACES, d)).isDirectory()).sort().map((d) => ({
    name: d,
    files: readdirSync(path.join(TRACES, d)).filter((f) => f.endsWith('.log') && f !== 'driver.log').sort()
      .map((f) => ({ file: `${d}/${f}`, content: readFileSync(path.join(TRACES, d, f), 'utf8') })),
  }));
}

/** Where a line of a built file came from. */
export interface Src { file: string; line: number }

export interface Built {
  file: string;
  content: string;
  /** Physical line of `file` → the plain file and line it carries (absent: a line the wrapper added). */
  map: Map<number, Src>;
}

/** One line of a plain file, with its time for merging. */
interface SrcLine { src: Src; text: string; tsMs: number; pid: number }

const LEGACY = /^(\d+):[MSCX] (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) /;
const MON: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

function srcLines(p: Plain): SrcLine[] {
  const parts = p.content.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  let ts = 0;
  let pid = 0;
  return parts.map((text, i) => {
    const m = LEGACY.exec(text);
    if (m) {
      ts = Date.UTC(+m[4]!, MON[m[3]!]!, +m[2]!, +m[5]!, +m[6]!, +m[7]!, +m[8]!);
      pid = +m[1]!;
    }
    return { src: { file: p.file, line: i + 1 }, text, tsMs: ts, pid };
  });
}

/** A wrapper: the physical lines that carry one Valkey line (several for a split entry). */
export type Wrap = (text: string, l: { tsMs: number; pid: number; file: string; index: number }) => string[];

const iso = (ms: number, digits: number): string => {
  const d = new Date(ms).toISOString(); // 2026-11-25T08:36:21.897Z
  return digits === 0 ? d.slice(0, 19) : d.slice(0, 23) + '1234567'.slice(0, digits - 3);
};
const chunks = (s: string, n: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out.length ? out : [''];
};

export const WRAPS: Record<string, Wrap> = {
  /** kubelet's CRI log file; lines over 150 characters split into partial (P) entries. */
  cri: (t, l) => {
    const stamp = `${iso(l.tsMs, 9)}Z`;
    if (t.length <= 150) return [`${stamp} stdout F ${t}`];
    const cs = chunks(t, 100);
    return cs.map((c, i) => `${stamp} stdout ${i === cs.length - 1 ? 'F' : 'P'} ${c}`);
  },
  /** kubectl logs --timestamps / docker logs -t (RFC 3339 with nanoseconds). */
  kubectl: (t, l) => [`${iso(l.tsMs, 9)}Z ${t}`],
  /** journalctl -o short-iso (systemd 252: "+0000"). */
  journalIso: (t, l) => [`${iso(l.tsMs, 0)}+0000 node-a valkey-server[${l.pid}]: ${t}`],
  /** journalctl -o short-iso-precise of a newer systemd ("+00:00"). */
  journalIsoPrecise: (t, l) => [`${iso(l.tsMs, 6)}+00:00 node-a valkey-server[${l.pid}]: ${t}`],
  /** Classic syslog: "Nov  5 08:36:21" (day padded with a blank). */
  syslog: (t, l) => {
    const d = new Date(l.tsMs);
    const mon = Object.keys(MON)[d.getUTCMonth()]!;
    return [`${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${iso(l.tsMs, 0).slice(11)} node-a valkey-server[${l.pid}]: ${t}`];
  },
  /** docker's json-file driver; lines over 300 characters split into two entries (the first without "\n"). */
  dockerJson: (t, l) => {
    const time = `${iso(l.tsMs, 9)}Z`;
    const parts = t.length > 300 ? [t.slice(0, 200), t.slice(200) + '\n'] : [t + '\n'];
    return parts.map((log) => JSON.stringify({ log, stream: 'stdout', time }));
  },
};

/** docker compose logs: the service name padded, " | ", the line (optionally with a timestamp first). */
export const compose = (service: (file: string) => string, inner?: Wrap): Wrap => (t, l) =>
  (inner ? inner(t, l) : [t]).map((x) => `${service(l.file).padEnd(12)}| ${x}`);

export interface BuildOptions {
  wrap?: Wrap;
  /** How several files become one: by time (servers writing at once), or one after the other (cat). */
  merge?: 'time' | 'concat';
  /** Lines a collector adds (journal separators, other programs), before the physical line index given. */
  insert?: (index: number) => string[];
  eol?: '\n' | '\r\n';
  bom?: boolean;
}

/** Build one file from plain files (several only with `merge`). */
export function build(name: string, plains: readonly Plain[], o: BuildOptions = {}): Built {
  let ls: SrcLine[];
  if (plains.length === 1) ls = srcLines(plains[0]!);
  else if (o.merge === 'concat') ls = plains.flatMap(srcLines);
  else if (o.merge === 'time') {
    // Each file keeps its order; the next line is the earliest of the files' next lines.
    const queues = plains.map(srcLines);
    ls = [];
    for (;;) {
      let best = -1;
      for (let q = 0; q < queues.length; q++) if (queues[q]!.length && (best < 0 || queues[q]![0]!.tsMs < queues[best]![0]!.tsMs)) best = q;
      if (best < 0) break;
      ls.push(queues[best]!.shift()!);
    }
  } else throw new Error('several files need a merge');
  const out: string[] = [];
  const map = new Map<number, Src>();
  ls.forEach((l, i) => {
    for (const x of o.insert?.(i) ?? []) out.push(x);
    const phys = o.wrap ? o.wrap(l.text, { tsMs: l.tsMs, pid: l.pid, file: l.src.file, index: i }) : [l.text];
    map.set(out.length + 1, l.src);
    out.push(...phys);
  });
  const eol = o.eol ?? '\n';
  return { file: name, content: (o.bom ? '\uFEFF' : '') + out.map((x) => x + eol).join(''), map };
}

/** An event with its file and line replaced by where its line came from. */
function mapped(e: LogEvent, maps: ReadonlyMap<string, Built>): LogEvent {
  const b = maps.get(e.file) ?? maps.get(e.file.replace(/#.*$/, ''));
  if (!b) throw new Error(`no built file for ${e.file}`);
  const s = b.map.get(e.line);
  if (!s) throw new Error(`${e.file}:${e.line} maps to no plain line`);
  return { ...e, file: s.file, line: s.line };
}

const byNode = (evs: readonly LogEvent[]): Record<string, LogEvent[]> => {
  const out: Record<string, LogEvent[]> = {};
  for (const e of evs) (out[e.node] ??= []).push(e);
  return out;
};

/** Warnings a re-wrapped or merged copy has on top of the plain files'. */
const WRAPPING_NOTES = /holds \d+ servers' lines interleaved|not written by Valkey skipped|without the .* prefix the rest of the file has/;

/**
 * The reading of the built files must be the reading of the plain ones: the same nodes, and per
 * node the same classified events (every field), each from the same plain line.
 */
export function expectSameReading(plain: ValkeyLogs, built: ValkeyLogs, files: readonly Built[], label: string): void {
  const maps = new Map(files.map((b) => [b.file, b]));
  const mapLine = (file: string, line: number | undefined): string | undefined => {
    if (line === undefined) return undefined;
    const b = maps.get(file) ?? maps.get(file.replace(/#.*$/, ''));
    const s = b?.map.get(line);
    return s ? `${s.file}:${s.line}` : `${file}:${line}?`;
  };
  const nodeView = (r: ValkeyLogs, mapFile: boolean) => r.nodes.map((n) => ({
    name: n.name, role: n.role, port: n.port, level: n.level,
    incarnations: n.incarnations.map((i) => ({
      pid: i.pid, start: mapFile ? mapLine(n.file, i.startLine) : `${n.file}:${i.startLine}`,
      ready: mapFile ? mapLine(n.file, i.readyLine) : i.readyLine === undefined ? undefined : `${n.file}:${i.readyLine}`,
      restart: i.restart, banner: i.banner, persisted: i.persisted, port: i.port, childPids: i.childPids,
    })),
  }));
  expect(nodeView(built, true), `${label}: nodes`).toEqual(nodeView(plain, false));
  expect(built.events.length, `${label}: number of events`).toBe(plain.events.length);
  const want = byNode(plain.events);
  const got = byNode(built.events.map((e) => mapped(e, maps)));
  expect(Object.keys(got).sort(), `${label}: nodes with events`).toEqual(Object.keys(want).sort());
  for (const n of Object.keys(want)) expect(got[n], `${label}: events of ${n}`).toEqual(want[n]);
  const msgs = (r: ValkeyLogs): string[] => r.warnings.filter((w) => !WRAPPING_NOTES.test(w.message)).map((w) => w.message.replace(/\S+\.log(#\S+)?/g, '<file>')).sort();
  expect(msgs(built), `${label}: warnings`).toEqual(msgs(plain));
}
