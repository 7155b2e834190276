// Mutations of Valkey log files (not traces): each mutant changes one fact one line carries (an
// offset, a replication id, a client id, a replica's port) or moves one line across a sync
// boundary, and says which file and line it changed and which other lines carry a value the changed
// one is tied to. A conformance checker that checks every fact a line carries rejects the mutant at
// the changed line, or at the first line after it that depends on it
// (test/conformance/log-mutations.test.ts; spec/conformance.md, "What each line's values are
// checked against"). Only the legacy line format (`pid:R dd Mon yyyy HH:MM:SS.mmm L message`) is
// mutated; other lines are left alone.

export type LogMutationKind = 'offset' | 'replid' | 'client' | 'port' | 'move';

/** One log file of a run: its base name (primary.log, replica1.log, …) and its lines. */
export interface LogText {
  readonly name: string;
  readonly lines: readonly string[];
}

export interface LineRef {
  readonly file: string;
  /** 1-based, in the mutant. */
  readonly line: number;
}

export interface LogMutant {
  readonly kind: LogMutationKind;
  /** The kind of line (site) mutated: "endoff", "psync-request", "move-lost-before-sync", … */
  readonly site: string;
  /** The changed line (for a move: where the line is now). */
  readonly at: LineRef;
  /** Other lines (in the mutant) that carry a value tied to the changed one, or that a move crossed. */
  readonly related: readonly LineRef[];
  readonly before: string;
  readonly after: string;
  readonly description: string;
  readonly files: readonly LogText[];
}

/** A legacy-format line: prefix `pid:R `, timestamp, ` L `, message. */
const LINE_RE = /^(\d+:[A-Z] )(\d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3})( . )(.*)$/;

interface Parsed { readonly prefix: string; readonly ts: string; readonly level: string; readonly msg: string }
function parse(line: string): Parsed | null {
  const m = LINE_RE.exec(line);
  return m ? { prefix: m[1]!, ts: m[2]!, level: m[3]!, msg: m[4]! } : null;
}

/** Where an offset sits in a message: the site name and the regex whose group `v` is the number. */
export const OFFSET_SITES: readonly { site: string; re: RegExp }[] = [
  { site: 'endoff', re: /RDB end offset (?<v>\d+) and client-id/ },
  { site: 'main-psync', re: /Trying a partial resynchronization using main channel \(request [0-9a-fA-F?]+:(?<v>-?\d+)\)/ },
  { site: 'psync-request', re: /^Trying a partial resynchronization \(request [0-9a-fA-F?]+:(?<v>-?\d+)\)/ },
  { site: 'accepted-offset', re: /accepted\. Sending -?\d+ bytes of backlog starting from offset (?<v>-?\d+)\./ },
  { site: 'accepted-bytes', re: /accepted\. Sending (?<v>-?\d+) bytes of backlog/ },
  { site: 'backlog-request', re: /for lack of backlog \(Replica request was:? (?:[0-9a-fA-F?]+:)?(?<v>-?\d+)/ },
  { site: 'fullresync-offset', re: /^Full resync from primary: \w+:(?<v>-?\d+)$/ },
  { site: 'debug-request-offset', re: /^\[PSYNC\] Replica request offset: (?<v>-?\d+)$/ },
  { site: 'debug-first-byte', re: /^\[PSYNC\] First byte: (?<v>-?\d+)$/ },
  { site: 'debug-history-len', re: /^\[PSYNC\] History len: (?<v>-?\d+)$/ },
  { site: 'debug-skipping', re: /^\[PSYNC\] Skipping: (?<v>-?\d+)$/ },
];

/** A debug "[PSYNC]" line's record: the "accepted" line of the same process after it (the reader merges them). */
function acceptedAfter(files: readonly LogText[], s: Site): LineRef[] {
  const lines = files[s.fi]!.lines;
  for (let i = s.li + 1; i < lines.length; i++) {
    const p = parse(lines[i]!);
    if (p === null || p.prefix !== s.p.prefix) continue;
    if (/^Partial resynchronization request from .* accepted\. Sending/.test(p.msg)) return [{ file: files[s.fi]!.name, line: i + 1 }];
    if (!p.msg.startsWith('[PSYNC] ')) return [];
  }
  return [];
}

const REPLID_RE = /\b[0-9a-f]{40}\b/g;
const ZERO_ID = '0'.repeat(40);
function replidSite(msg: string): string {
  if (msg.startsWith('Partial resynchronization not accepted: Replication ID mismatch')) return 'mismatch';
  if (msg.startsWith('Replication backlog created')) return 'backlog-created';
  if (msg.includes('using main channel (request')) return 'main-psync';
  if (msg.startsWith('Trying a partial resynchronization (request')) return 'psync-request';
  if (msg.startsWith('Full resync from primary')) return 'fullresync';
  if (msg.startsWith('Primary replication ID changed')) return 'replid-changed';
  return 'other';
}

export const CLIENT_SITES: readonly { site: string; re: RegExp }[] = [
  { site: 'endoff-cid', re: /RDB end offset \d+ and client-id (?<v>\d+)$/ },
  { site: 'pinned-cid', re: /to waiting psync, with cid (?<v>\d+),/ },
  { site: 'attached-cid', re: /^Attach replica rdb client (?<v>\d+) to repl buf block$/ },
  { site: 'matched-cid', re: /^Remove psync waiting replica .* with cid (?<v>\d+), repl buffer block/ },
  { site: 'unlinked-cid', re: /^Remove psync waiting replica .* with cid (?<v>\d+) from replicas rax\.$/ },
  { site: 'postponed-cid', re: /^Postpone RDB client id=(?<v>\d+) / },
  { site: 'grace-cid', re: /Freeing RDB client (?<v>\d+)\.$/ },
  { site: 'cob-cid', re: /^Client id=(?<v>\d+) .*(?:scheduled to be closed ASAP|closed) for overcoming of output buffer limits\.$/ },
];

/** Primary lines that name a replica by ip:port (replicationGetReplicaName). */
const PORT_RE = /^(?<head>(?:Replica|Sending to replica|Partial resynchronization request from|Connection with replica|Synchronization with replica|Full resync requested by replica|Streamed RDB transfer with replica|Add rdb replica|Remove psync waiting replica) [^\s:()']+:)(?<v>\d+)\b/;

function replaceGroup(msg: string, re: RegExp, value: string): string {
  const m = new RegExp(re.source, re.flags.includes('d') ? re.flags : re.flags + 'd').exec(msg)!;
  const [start, end] = m.indices!.groups!.v!;
  return msg.slice(0, start) + value + msg.slice(end);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A legacy timestamp (dd Mon yyyy HH:MM:SS.mmm, taken as UTC) in milliseconds. */
function tsMs(ts: string): number {
  const m = /^(\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3})$/.exec(ts)!;
  return Date.UTC(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
}

function withMsg(line: string, p: Parsed, msg: string): string {
  void line;
  return p.prefix + p.ts + p.level + msg;
}

function replaceLine(files: readonly LogText[], fi: number, li: number, text: string): LogText[] {
  return files.map((f, i) => (i === fi ? { name: f.name, lines: f.lines.map((l, j) => (j === li ? text : l)) } : f));
}

interface Site { fi: number; li: number; p: Parsed }
function* sites(files: readonly LogText[]): Generator<Site> {
  for (let fi = 0; fi < files.length; fi++) {
    const lines = files[fi]!.lines;
    for (let li = 0; li < lines.length; li++) {
      const p = parse(lines[li]!);
      if (p) yield { fi, li, p };
    }
  }
}

/** Lines of the run whose message holds one of these strings as a whole token. */
function linesWith(files: readonly LogText[], tokens: readonly string[], except: Site): LineRef[] {
  const out: LineRef[] = [];
  const res = tokens.map((t) => new RegExp(String.raw`(?<![\w.])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\w])`));
  for (const s of sites(files)) {
    if (s.fi === except.fi && s.li === except.li) continue;
    if (res.some((re) => re.test(s.p.msg))) out.push({ file: files[s.fi]!.name, line: s.li + 1 });
  }
  return out;
}

/**
 * The primary's replication offset a line names, or null: $ENDOFF, an accepted PSYNC's offset +
 * bytes − 1, 9.1's "lack of backlog … range [A, B]" B − 1 (the model's register primary.offset).
 */
export function primaryOffsetOf(msg: string): number | null {
  let m = /RDB end offset (\d+) and client-id/.exec(msg);
  if (m) return Number(m[1]);
  m = /accepted\. Sending (-?\d+) bytes of backlog starting from offset (-?\d+)\./.exec(msg);
  if (m) return Number(m[2]) + Number(m[1]) - 1;
  m = /for lack of backlog .*and I can only reply with the range \[-?\d+, (-?\d+)\]\)\.$/.exec(msg);
  if (m) return Number(m[1]) - 1;
  return null;
}

/** The lines naming the primary's replication offset, in file order, with it (a new backlog starts a new run: value null). */
export function primaryOffsetLines(files: readonly LogText[]): { at: LineRef; value: number | null }[] {
  const out: { at: LineRef; value: number | null }[] = [];
  for (const s of sites(files)) {
    if (s.p.msg.startsWith('Replication backlog created')) out.push({ at: ref(files, s), value: null });
    const v = primaryOffsetOf(s.p.msg);
    if (v !== null) out.push({ at: ref(files, s), value: v });
  }
  return out;
}

function ref(files: readonly LogText[], s: Site): LineRef {
  return { file: files[s.fi]!.name, line: s.li + 1 };
}

const ASKS_ANY_RE = /^Replica (?<rn>\S+) asks for synchronization$/;
/**
 * How the primary answered the first PSYNC a replica's line at (fi, li) announces: the first
 * "Replica <ip>:<port> asks for synchronization" of that replica's port from that moment on (5 ms
 * slack), then the primary's answer before its next request.
 */
export function primaryAnswer(files: readonly LogText[], fi: number, li: number): 'accepted' | 'backlog' | 'replid-mismatch' | 'none' {
  let port: string | undefined;
  for (let j = li; j >= 0 && port === undefined; j--) {
    const q = parse(files[fi]!.lines[j]!);
    const m = q && RUNNING_PORT_RE.exec(q.msg);
    if (m) port = m.groups!.port;
  }
  const me = parse(files[fi]!.lines[li]!);
  const pf = files.find((f) => f.name === 'primary.log');
  if (!port || !me || !pf) return 'none';
  const t = tsMs(me.ts);
  let asked = false;
  for (const l of pf.lines) {
    const q = parse(l);
    if (!q || tsMs(q.ts) < t - 5) continue;
    const a = ASKS_ANY_RE.exec(q.msg);
    if (a) {
      if (asked) return 'none';
      if (a.groups!.rn!.endsWith(`:${port}`)) asked = true;
      continue;
    }
    if (!asked) continue;
    if (/^Partial resynchronization request from .* accepted\./.test(q.msg)) return 'accepted';
    if (/for lack of backlog/.test(q.msg)) return 'backlog';
    if (/Replication ID mismatch|Requested offset for second ID/.test(q.msg)) return 'replid-mismatch';
    if (/^Full resync requested/.test(q.msg)) return 'none';
  }
  return 'none';
}

/** Offset mutants: each offset site shifted by `delta`. Related: lines carrying v-1, v or v+1. */
export function offsetMutants(files: readonly LogText[], deltas: readonly number[] = [1, -1, 1000]): LogMutant[] {
  const out: LogMutant[] = [];
  // a value the primary's offset is computed from is tied to every other line naming that offset
  const offsetLines = primaryOffsetLines(files).filter((l) => l.value !== null).map((l) => l.at);
  let k = 0;
  for (const s of sites(files)) {
    const here = ref(files, s);
    const tiedByOffset = primaryOffsetOf(s.p.msg) === null ? [] : offsetLines.filter((l) => l.file === here.file && l.line !== here.line);
    for (const { site, re } of OFFSET_SITES) {
      const m = re.exec(s.p.msg);
      if (!m) continue;
      const v = Number(m.groups!.v);
      const delta = deltas[k++ % deltas.length]!;
      const msg = replaceGroup(s.p.msg, re, String(v + delta));
      const after = withMsg('', s.p, msg);
      out.push({
        kind: 'offset', site: site === 'psync-request' ? `${site}/${primaryAnswer(files, s.fi, s.li)}` : site, at: here,
        related: [...linesWith(files, [String(v - 1), String(v), String(v + 1)], s), ...tiedByOffset, ...(site.startsWith('debug-') ? acceptedAfter(files, s) : [])],
        before: files[s.fi]!.lines[s.li]!, after,
        description: `${files[s.fi]!.name}:${s.li + 1}: ${site} ${v} → ${v + delta} (${delta > 0 ? '+' : ''}${delta})`,
        files: replaceLine(files, s.fi, s.li, after),
      });
    }
  }
  return out;
}

/** Replication-id mutants: one id on one line replaced by another id that occurs in the run. */
export function replidMutants(files: readonly LogText[]): LogMutant[] {
  const ids: string[] = [];
  for (const s of sites(files)) for (const id of s.p.msg.match(REPLID_RE) ?? []) if (id !== ZERO_ID && !ids.includes(id)) ids.push(id);
  const out: LogMutant[] = [];
  if (ids.length < 2) return out;
  for (const s of sites(files)) {
    const found = [...s.p.msg.matchAll(REPLID_RE)];
    found.forEach((mm, n) => {
      const id = mm[0];
      if (id === ZERO_ID) return;
      const other = ids.find((x) => x !== id)!;
      const msg = s.p.msg.slice(0, mm.index) + other + s.p.msg.slice(mm.index! + id.length);
      const after = withMsg('', s.p, msg);
      const base = replidSite(s.p.msg);
      const site = (base === 'psync-request' ? `${base}/${primaryAnswer(files, s.fi, s.li)}` : base) + (found.length > 1 ? `#${n + 1}` : '');
      out.push({
        kind: 'replid', site, at: ref(files, s), related: linesWith(files, [id, other], s),
        before: files[s.fi]!.lines[s.li]!, after,
        description: `${files[s.fi]!.name}:${s.li + 1}: ${site} replication id ${id.slice(0, 8)}… → ${other.slice(0, 8)}… (another id of the run)`,
        files: replaceLine(files, s.fi, s.li, after),
      });
    });
  }
  return out;
}

/** Client-id mutants: a client id renumbered to `to(cid)` (default: a fresh id, cid + 1000). */
export function clientMutants(files: readonly LogText[], to: (cid: number) => number = (c) => c + 1000): LogMutant[] {
  const out: LogMutant[] = [];
  for (const s of sites(files)) {
    for (const { site, re } of CLIENT_SITES) {
      const m = re.exec(s.p.msg);
      if (!m) continue;
      const v = Number(m.groups!.v);
      const msg = replaceGroup(s.p.msg, re, String(to(v)));
      const after = withMsg('', s.p, msg);
      out.push({
        kind: 'client', site: site === 'cob-cid' ? `cob-cid/${/ flags=\w*S\w* .* cmd=sync /.test(s.p.msg) ? 'rdb' : / flags=\w*S/.test(s.p.msg) ? 'main' : 'not-replica'}` : site, at: ref(files, s),
        related: linesWith(files, [`client-id ${v}`, `cid ${v}`, `client ${v}`, `id=${v}`], s),
        before: files[s.fi]!.lines[s.li]!, after,
        description: `${files[s.fi]!.name}:${s.li + 1}: ${site} client id ${v} → ${to(v)}`,
        files: replaceLine(files, s.fi, s.li, after),
      });
    }
  }
  return out;
}

const RUNNING_PORT_RE = /^Running mode=\w+, port=(?<port>\d+)\.$/;

/**
 * Port mutants: a primary line's replica address given another port: another replica's of the run
 * when there is one (the line then names the wrong replica), else one no server of the run listens on.
 */
/** Every line of the replica logs whose server listens on one of these ports: a misattributed primary line may first clash with one of them. */
function logOfPorts(files: readonly LogText[], ports: readonly number[]): LineRef[] {
  const out: LineRef[] = [];
  files.forEach((f) => {
    if (!f.lines.some((l) => { const q = parse(l); const m = q && RUNNING_PORT_RE.exec(q.msg); return m && ports.includes(Number(m.groups!.port)); })) return;
    f.lines.forEach((l, j) => { if (parse(l)) out.push({ file: f.name, line: j + 1 }); });
  });
  return out;
}

export function portMutants(files: readonly LogText[]): LogMutant[] {
  const ports: number[] = [];
  for (const s of sites(files)) {
    if (!files[s.fi]!.name.startsWith('replica')) continue;
    const m = RUNNING_PORT_RE.exec(s.p.msg);
    if (m && !ports.includes(Number(m.groups!.port))) ports.push(Number(m.groups!.port));
  }
  const out: LogMutant[] = [];
  for (const s of sites(files)) {
    if (!s.p.prefix.endsWith('M ')) continue;
    const m = PORT_RE.exec(s.p.msg);
    if (!m) continue;
    const v = Number(m.groups!.v);
    const other = ports.find((x) => x !== v);
    const to = other ?? v + 1;
    const msg = s.p.msg.slice(0, m.groups!.head!.length) + String(to) + s.p.msg.slice(m.groups!.head!.length + m.groups!.v!.length);
    const after = withMsg('', s.p, msg);
    const site = other !== undefined ? 'port-other-replica' : 'port-unknown';
    out.push({
      kind: 'port', site, at: ref(files, s), related: [...linesWith(files, [`:${to}`, `:${v}`], s), ...logOfPorts(files, [v, to])],
      before: files[s.fi]!.lines[s.li]!, after,
      description: `${files[s.fi]!.name}:${s.li + 1}: replica port ${v} → ${to} (${other !== undefined ? 'another replica of the run' : 'no server of the run'})`,
      files: replaceLine(files, s.fi, s.li, after),
    });
  }
  return out;
}

/**
 * Move line `from` of file `fi` to stand just before line `to` (0-based, to < from) or just after
 * it (to > from), taking the timestamp of its new neighbour so that the reader's time order keeps
 * the new position. Related: the lines it crossed.
 */
export function moveLine(files: readonly LogText[], fi: number, from: number, to: number, kind: string): LogMutant {
  const lines = [...files[fi]!.lines];
  const p = parse(lines[from]!)!;
  const n = parse(lines[to]!)!;
  const moved = p.prefix + n.ts + p.level + p.msg;
  lines.splice(from, 1);
  // before `to` (to < from): index `to`; after `to` (to > from): `to` is at to - 1 once `from` is out, so index `to`
  const at = to;
  lines.splice(at, 0, moved);
  const name = files[fi]!.name;
  const crossed: LineRef[] = [];
  for (let j = to < from ? at + 1 : from; j <= (to < from ? from : at - 1); j++) if (parse(lines[j]!)) crossed.push({ file: name, line: j + 1 });
  // lines of the other files logged between the old and the new moment: the move crossed them too
  const [t0, t1] = [tsMs(p.ts), tsMs(n.ts)].sort((x, y) => x - y) as [number, number];
  for (let g = 0; g < files.length; g++) {
    if (g === fi) continue;
    files[g]!.lines.forEach((l, j) => {
      const q = parse(l);
      if (q && tsMs(q.ts) >= t0 - 5 && tsMs(q.ts) <= t1 + 5) crossed.push({ file: files[g]!.name, line: j + 1 });
    });
  }
  return {
    kind: 'move', site: kind, at: { file: name, line: at + 1 }, related: crossed,
    before: files[fi]!.lines[from]!, after: moved,
    description: `${name}:${from + 1} moved ${to < from ? 'before' : 'after'} line ${to + 1} (${n.ts}) → now ${name}:${at + 1}: ${p.msg.slice(0, 80)}`,
    files: files.map((f, i) => (i === fi ? { name, lines } : f)),
  };
}

const ASKS_RE = /^Replica (?<rn>\S+) asks for synchronization$/;
const LOST_RE = /^Connection with replica (?<rn>\S+) lost\.$/;
const PER_SYNC_RE = /^(?:Partial resynchronization request from (?<a>\S+) accepted|Synchronization with replica (?<b>\S+) succeeded|Replica (?<c>\S+) rdb channel disconnected|Streamed RDB transfer with replica (?<d>\S+) succeeded|Sending to replica (?<e>\S+) RDB end offset)/;
const R_PSYNC_RE = /^Trying a partial resynchronization \(request/;
const R_DONE_RE = /^(?:PRIMARY <-> REPLICA sync: Finished with success|Connection with primary lost\.)$/;

/**
 * Moves across sync boundaries:
 * - move-lost-before-sync: the primary's "Connection with replica X lost." moved before the
 *   "Replica X asks for synchronization" that began the sync it ends;
 * - move-primary-after-next-sync: a primary line of one sync of replica X (accepted, $ENDOFF,
 *   rdb channel disconnected, streamed, succeeded) moved after the next "Replica X asks for
 *   synchronization";
 * - move-replica-before-sync: a replica's "Finished with success" or "Connection with primary
 *   lost." moved before the PSYNC line of the attempt it belongs to.
 */
export function moveMutants(files: readonly LogText[]): LogMutant[] {
  const out: LogMutant[] = [];
  for (let fi = 0; fi < files.length; fi++) {
    const lines = files[fi]!.lines;
    const parsed = lines.map(parse);
    const rnOf = (i: number, re: RegExp): string | undefined => {
      const m = parsed[i] ? re.exec(parsed[i]!.msg) : null;
      return m ? Object.values(m.groups ?? {}).find((x) => x !== undefined) : undefined;
    };
    /** Lines i and j belong to one process: same pid, no start-up banner between (a fork child's lines may be). */
    const oneProcess = (i: number, j: number): boolean => {
      if (parsed[i]!.prefix !== parsed[j]!.prefix) return false;
      const [a, b] = i < j ? [i, j] : [j, i];
      for (let k = a + 1; k <= b; k++) if (parsed[k] && /Valkey is starting/.test(parsed[k]!.msg)) return false;
      return true;
    };
    for (let i = 0; i < lines.length; i++) {
      const p = parsed[i];
      if (!p) continue;
      const lost = rnOf(i, LOST_RE);
      if (lost) {
        let j = i - 1;
        while (j >= 0 && rnOf(j, ASKS_RE) !== lost) j--;
        if (j >= 0 && oneProcess(i, j)) out.push(moveLine(files, fi, i, j, 'move-lost-before-sync'));
        continue;
      }
      const per = rnOf(i, PER_SYNC_RE);
      if (per) {
        let j = i + 1;
        while (j < lines.length && rnOf(j, ASKS_RE) !== per) j++;
        if (j < lines.length && oneProcess(i, j)) out.push(moveLine(files, fi, i, j, 'move-primary-after-next-sync'));
        continue;
      }
      if (R_DONE_RE.test(p.msg)) {
        let j = i - 1;
        while (j >= 0 && !(parsed[j] && R_PSYNC_RE.test(parsed[j]!.msg))) j--;
        if (j >= 0 && oneProcess(i, j)) out.push(moveLine(files, fi, i, j, 'move-replica-before-sync'));
      }
    }
  }
  return out;
}

export function allLogMutants(files: readonly LogText[]): LogMutant[] {
  return [...offsetMutants(files), ...replidMutants(files), ...clientMutants(files), ...portMutants(files), ...moveMutants(files)];
}

/** The text of each file of a mutant. */
export function mutantTexts(m: LogMutant): { name: string; text: string }[] {
  return m.files.map((f) => ({ name: f.name, text: f.lines.join('\n') }));
}

export function readLogTexts(named: readonly { name: string; text: string }[]): LogText[] {
  return named.map(({ name, text }) => ({ name, lines: text.split('\n') }));
}
