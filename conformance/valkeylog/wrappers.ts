// Wrapper prefixes: what log collectors put around each line Valkey wrote. A file is read as
// it is when none is found; otherwise the wrapper is detected from the file's own lines (the one
// most of them carry), stripped from every line that has it, and detection runs again on what is
// left (a `docker compose logs --timestamps` line is a compose prefix around a timestamp prefix).
// The time a wrapper adds is not used: Valkey's own timestamp inside the line is the time source.
//
//   docker-json  docker's json-file log driver: {"log":"<line>\n","stream":"stdout","time":"…"}
//                (a line longer than 16 KiB is split into entries without "\n": joined again)
//   cri          a container runtime's (CRI) log file, as kubelet keeps it:
//                2026-01-12T09:43:10.924567Z stdout F <line>   (P: a partial entry, joined with the next)
//   journal-iso  journalctl -o short-iso / short-iso-precise, RFC 3339 syslog (rsyslog):
//                2026-01-12T09:43:10+0000 host valkey-server[123]: <line>
//   syslog       journalctl (-o short / short-precise), classic syslog:
//                Jan 12 09:43:10 host valkey-server[123]: <line>
//   compose      docker compose logs: primary-1  | <line>   (the service name tells servers apart)
//   kubectl-prefix  kubectl logs --prefix: [pod/valkey-0/valkey] <line>   (so does the pod/container)
//   timestamp    kubectl logs --timestamps, docker logs -t: 2026-01-12T09:43:10.924567890Z <line>

export type WrapperName = 'docker-json' | 'cri' | 'journal-iso' | 'syslog' | 'compose' | 'kubectl-prefix' | 'timestamp';

/** One entry of a file: a physical line, or several joined (partial entries of a wrapper). */
export interface Entry {
  /** The text (with the wrappers found so far stripped). */
  readonly text: string;
  /** 1-based physical line of the file where the entry starts. */
  readonly line: number;
  /** The entry was cut: the file's last line without a newline, or a partial entry never completed. */
  readonly unterminated: boolean;
  /** docker compose service name (or kubectl's pod/container). */
  readonly service?: string;
  /** syslog/journal program identifier ("valkey-server"). */
  readonly ident?: string;
  /** Not a line of the program: a collector's own line (journal "-- Boot … --"). */
  readonly collector?: boolean;
  /** The file has a wrapper but this line lacked it: read as it is. */
  readonly bare?: boolean;
}

interface Stripped {
  readonly inner: string;
  /** Partial entries are joined per stream. */
  readonly stream?: string;
  readonly partial?: boolean;
  readonly service?: string;
  readonly ident?: string;
  readonly collector?: boolean;
}

interface Wrapper {
  readonly name: WrapperName;
  /** What its lines look like, for messages. */
  readonly shape: string;
  strip(text: string): Stripped | undefined;
}

const RFC3339 = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})`;
const CRI_RE = new RegExp(String.raw`^${RFC3339} (stdout|stderr) ([FP])(?: (.*))?$`, 's');
const TIMESTAMP_RE = new RegExp(String.raw`^${RFC3339}(?: (.*))?$`, 's');
/** host, then the program identifier with an optional [pid], then ": ". */
const SYSLOG_TAIL = String.raw` (\S+) ([^\s\[\]:]+)(?:\[(\d+)\])?:(?: (.*))?$`;
const JOURNAL_ISO_RE = new RegExp(String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})${SYSLOG_TAIL}`, 's');
const SYSLOG_RE = new RegExp(String.raw`^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?${SYSLOG_TAIL}`, 's');
/** journalctl's own lines: "-- Boot 1a2b… --", "-- Logs begin at … --", "-- No entries --", "-- Reboot --". */
const JOURNAL_META_RE = /^-- .* --$/;
const ANSI = String.raw`(?:\x1b\[[0-9;]*m)*`;
const KUBECTL_PREFIX_RE = /^\[pod\/([^/\]\s]+)\/([^\]\s]+)\](?: (.*))?$/s;
const COMPOSE_RE = new RegExp(String.raw`^${ANSI}([A-Za-z0-9][A-Za-z0-9_.-]*)\s*${ANSI}\|${ANSI}(?: (.*))?$`, 's');

const syslogStrip = (re: RegExp) => (text: string): Stripped | undefined => {
  if (JOURNAL_META_RE.test(text)) return { inner: text, collector: true };
  const m = re.exec(text);
  return m ? { inner: m[4] ?? '', ident: m[2]! } : undefined;
};

export const WRAPPERS: readonly Wrapper[] = [
  {
    name: 'docker-json', shape: 'docker json-file {"log":"<line>\\n","stream":"stdout","time":"…"}',
    strip(text) {
      if (!text.startsWith('{') || !text.includes('"log":')) return undefined;
      let o: unknown;
      try { o = JSON.parse(text); } catch { return undefined; }
      if (typeof o !== 'object' || o === null) return undefined;
      const { log, stream } = o as { log?: unknown; stream?: unknown };
      if (typeof log !== 'string') return undefined;
      const nl = log.endsWith('\n');
      return { inner: nl ? log.slice(0, -1) : log, partial: !nl, stream: typeof stream === 'string' ? stream : '' };
    },
  },
  {
    name: 'cri', shape: 'CRI container log "<RFC 3339 time> stdout|stderr F|P <line>"',
    strip(text) {
      const m = CRI_RE.exec(text);
      return m ? { inner: m[3] ?? '', stream: m[1]!, partial: m[2] === 'P' } : undefined;
    },
  },
  { name: 'journal-iso', shape: 'journalctl -o short-iso "<ISO time> <host> <program>[<pid>]: <line>"', strip: syslogStrip(JOURNAL_ISO_RE) },
  { name: 'syslog', shape: 'syslog / journalctl "Mon dd HH:MM:SS <host> <program>[<pid>]: <line>"', strip: syslogStrip(SYSLOG_RE) },
  {
    name: 'compose', shape: 'docker compose logs "<service>  | <line>"',
    strip(text) {
      const m = COMPOSE_RE.exec(text);
      return m ? { inner: m[2] ?? '', service: m[1]! } : undefined;
    },
  },
  {
    name: 'kubectl-prefix', shape: 'kubectl logs --prefix "[pod/<pod>/<container>] <line>"',
    strip(text) {
      const m = KUBECTL_PREFIX_RE.exec(text);
      return m ? { inner: m[3] ?? '', service: `${m[1]}/${m[2]}` } : undefined;
    },
  },
  {
    name: 'timestamp', shape: 'kubectl logs --timestamps / docker logs -t "<RFC 3339 time> <line>"',
    strip(text) {
      const m = TIMESTAMP_RE.exec(text);
      return m ? { inner: m[1] ?? '' } : undefined;
    },
  },
];

/** Every wrapper this reader knows, for error messages. */
export const KNOWN_WRAPPERS: readonly string[] = WRAPPERS.map((w) => `${w.name}: ${w.shape}`);

/** How many entries detection looks at. */
const SAMPLE = 500;
/** Wrappers stacked at most this deep. */
const MAX_DEPTH = 3;

const open = (e: Entry): boolean => !e.collector && !e.bare && e.text.trim() !== '';

/** The wrapper most of the first entries carry (more than half of them), if any. */
function detect(entries: readonly Entry[]): Wrapper | undefined {
  const sample: string[] = [];
  for (const e of entries) {
    if (!open(e)) continue;
    sample.push(e.text.endsWith('\r') ? e.text.slice(0, -1) : e.text);
    if (sample.length >= SAMPLE) break;
  }
  if (sample.length === 0) return undefined;
  let best: Wrapper | undefined;
  let bestCount = 0;
  for (const w of WRAPPERS) {
    let n = 0;
    for (const t of sample) {
      const s = w.strip(t);
      if (s && !s.collector) n++;
    }
    if (n > bestCount) { best = w; bestCount = n; }
  }
  return bestCount * 2 > sample.length ? best : undefined;
}

interface Building {
  text: string;
  line: number;
  unterminated: boolean;
  service?: string;
  ident?: string;
  collector?: boolean;
  bare?: boolean;
}

/** Strip one wrapper from every entry that has it, joining partial entries of a stream. */
function apply(w: Wrapper, entries: readonly Entry[]): { entries: Entry[]; bare: Entry[] } {
  const out: Building[] = [];
  const bare: Entry[] = [];
  const pending = new Map<string, Building>();
  for (const e of entries) {
    if (!open(e)) { out.push({ ...e }); continue; }
    const s = w.strip(e.text.endsWith('\r') ? e.text.slice(0, -1) : e.text);
    if (!s) { out.push({ ...e, bare: true }); bare.push(e); continue; }
    if (s.collector) { out.push({ ...e, collector: true }); continue; }
    const inner = s.inner.endsWith('\r') ? s.inner.slice(0, -1) : s.inner;
    const key = s.stream ?? '';
    const p = pending.get(key);
    if (p) {
      p.text += inner;
      if (e.unterminated) p.unterminated = true;
      if (!s.partial) { p.unterminated = e.unterminated; pending.delete(key); }
      continue;
    }
    const b: Building = {
      text: inner, line: e.line, unterminated: e.unterminated || s.partial === true,
      ...(s.service ?? e.service ? { service: (s.service ?? e.service)! } : {}),
      ...(s.ident ?? e.ident ? { ident: (s.ident ?? e.ident)! } : {}),
    };
    out.push(b);
    if (s.partial) pending.set(key, b);
  }
  // A partial entry never completed stays unterminated (the file ends inside a line).
  return { entries: out, bare };
}

export interface Unwrapped {
  readonly entries: Entry[];
  /** The wrappers found, outermost first. */
  readonly wrappers: WrapperName[];
  /** Per wrapper, the lines that lacked it (read as they are). */
  readonly bare: { wrapper: WrapperName; shape: string; entries: Entry[] }[];
}

/** Detect and strip the wrappers of a file's entries (its physical lines). */
export function unwrap(lines: readonly Entry[]): Unwrapped {
  let entries: Entry[] = [...lines];
  const wrappers: WrapperName[] = [];
  const bare: Unwrapped['bare'] = [];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const w = detect(entries);
    if (!w) break;
    const r = apply(w, entries);
    entries = r.entries;
    wrappers.push(w.name);
    if (r.bare.length > 0) bare.push({ wrapper: w.name, shape: w.shape, entries: r.bare });
  }
  return { entries, wrappers, bare };
}
