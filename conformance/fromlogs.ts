// Valkey log files → a trace the validator judges (spec/conformance.md, "Valkey logs").
// The reader (conformance/valkeylog) knows Valkey's messages; this file decides which of its
// records become trace events, in which order, and which model configuration judges them.
import { readValkeyLogs, type LogEvent, type ValkeyLogs } from './valkeylog/index.js';
import { TORN_LINE } from './valkeylog/lines.js';
import { TRACE_FORMAT, TRACE_VERSION, type FieldValue, type Trace, type TraceEvent } from './trace/types.js';
import { KIND_NAMES, KINDS, fieldsOf, type Kind } from '../model/vocabulary.js';
import { DEFAULT_PROFILE, profileForVersion, type ProfileName } from '../model/profiles.js';

export interface LogConversion {
  readonly trace: Trace;
  readonly warnings: { file: string; line: number; message: string }[];
  /** Milliseconds within which events of different servers may be reordered. */
  readonly toleranceMs: number;
  readonly summary: { nodes: { name: string; file: string; port?: number }[]; level: string; events: number; cutAt?: string; midRun?: string };
  /** One line per output-buffer overflow: whose connection it was. */
  readonly attributions: string[];
  /** The version profile that judges the logs, and why that one. */
  readonly profile: { readonly name: ProfileName; readonly reason: string };
}

export interface LogConversionOptions {
  /** Judge with this profile instead of the one the logs' start-up lines name. */
  readonly profile?: ProfileName;
}

/** Timestamps have 1 ms resolution and the servers' clocks are the same clock: allow a little slack. */
const TOLERANCE_MS = 5;

/** Kinds the reader can only derive, never read from a line: silent in log traces. */
const NOT_LOGGED = new Set<string>(['primary.fullresync']);

/** Model configuration for real runs: abstract sizes small, budgets large enough for a scripted run. */
export const VALKEY_LOG_PRESET = 'valkey';

export function traceFromValkeyLogs(paths: readonly string[], opts: LogConversionOptions = {}): LogConversion {
  return traceFromLogs(readValkeyLogs(paths), opts);
}

/**
 * The profile for a set of logs: the one given, else the version the servers' start-up lines name
 * ("Valkey version=X"; the primary's when servers differ), else the default profile.
 */
export function chooseProfile(logs: ValkeyLogs, given?: ProfileName): { name: ProfileName; reason: string } {
  if (given) return { name: given, reason: 'given with --profile' };
  const versions = new Map<string, string[]>();
  for (const n of logs.nodes) for (const inc of n.incarnations) if (inc.version) versions.set(inc.version, [...(versions.get(inc.version) ?? []), n.name]);
  if (versions.size === 0) return { name: DEFAULT_PROFILE, reason: `no start-up line names the Valkey version: judged with the default profile ${DEFAULT_PROFILE} (use --profile)` };
  const primary = logs.nodes.find((n) => n.role === 'primary');
  const pv = primary?.incarnations.find((i) => i.version)?.version;
  const version = versions.size === 1 ? [...versions.keys()][0]! : pv ?? [...versions.keys()][0]!;
  const mixed = versions.size > 1 ? ` (servers run different versions: ${[...versions].map(([v, ns]) => `${ns.join(', ')} ${v}`).join('; ')}; the ${pv ? 'primary\'s' : 'first'} is used)` : '';
  const p = profileForVersion(version);
  if (!p) return { name: DEFAULT_PROFILE, reason: `Valkey ${version} is older than every profile: judged with ${DEFAULT_PROFILE}${mixed}` };
  return { name: p.profile, reason: p.exact ? `Valkey ${version} (start-up line)${mixed}` : `Valkey ${version} has no profile of its own: judged with ${p.profile}, the nearest older one${mixed}` };
}

export function traceFromLogs(logs: ValkeyLogs, opts: LogConversionOptions = {}): LogConversion {
  const profile = chooseProfile(logs, opts.profile);
  const warnings = logs.warnings.map((w) => ({ file: w.file, line: w.line, message: w.message }));
  const attributions: string[] = [];
  const known = new Set<string>(KIND_NAMES);
  // The model has no shutdown: a run ends where the first server is asked to shut down.
  let cutTs = Infinity;
  let cutAt: string | undefined;
  for (const e of logs.events) {
    if (/User requested shutdown|Received SIG(TERM|INT) scheduling shutdown/.test(e.raw) && e.tsMs < cutTs) {
      cutTs = e.tsMs;
      cutAt = `${e.file}:${e.line}: a server was asked to shut down; the logs are judged up to that moment`;
    }
  }
  // A log that ends without a shutdown (the server was killed, or the file was cut off mid-run)
  // says nothing about what came after its last line: events of the other logs from that moment
  // on may answer lines it never got to write, so the run is judged up to there.
  const cutFiles = new Set(logs.warnings.filter((w) => /^last line (has no terminating newline|is truncated)/.test(w.message)).map((w) => w.file));
  const lastTs = new Map<string, number>();
  const endedCleanly = new Set<string>();
  for (const e of logs.events) {
    lastTs.set(e.file, Math.max(lastTs.get(e.file) ?? -Infinity, e.tsMs));
    if (/Valkey is now ready to exit|User requested shutdown|Received SIG(TERM|INT) scheduling shutdown/.test(e.raw)) endedCleanly.add(e.file);
  }
  let openEnd: { ts: number; file: string } | undefined;
  for (const n of logs.nodes) {
    const t = lastTs.get(n.file);
    if (t === undefined || (endedCleanly.has(n.file) && !cutFiles.has(n.file))) continue;
    if (!openEnd || t < openEnd.ts) openEnd = { ts: t, file: n.file };
  }
  if (openEnd !== undefined && openEnd.ts < cutTs) {
    cutTs = openEnd.ts;
    cutAt = `${openEnd.file} ends without a shutdown${cutFiles.has(openEnd.file) ? ' (its last line is cut off)' : ''}: the logs are judged up to its last moment`;
  }
  // A log line torn by the test harness's marker: bytes before it were overwritten, so lines may be
  // lost from the last complete line before it on; the run is judged up to that moment.
  for (const w of logs.warnings) {
    if (!w.message.startsWith(TORN_LINE)) continue;
    let t = -Infinity;
    for (const e of logs.events) if (e.file === w.file && e.line < w.line && e.tsMs > t) t = e.tsMs;
    if (t !== -Infinity && t < cutTs) {
      cutTs = t;
      cutAt = `${w.file}:${w.line}: a log line torn by the test harness (part of the log was overwritten, lines may be lost); the logs are judged up to the last complete line before it`;
    }
  }
  const picked: LogEvent[] = [];
  const observed = new Set<string>(logs.observedKinds);
  for (const e of logs.events) {
    if (!known.has(e.kind)) continue;
    // Valkey logs no line for a classic +FULLRESYNC; the reader's derived record is not evidence
    if (e.derived) continue;
    // Only what happened strictly before that moment is judged: a cause is never logged later
    // than its effect, so this prefix is closed under causes (same-millisecond lines of different
    // servers are not ordered, and a cut-off line may belong to that millisecond).
    if (e.tsMs >= cutTs) continue;
    // A kind these logs' levels show only in part (8.0.1 logs "Error reading from primary" at
    // notice, the same kind's EOF line at verbose) is not observed: the model's steps that emit it
    // are silent, so its line cannot be matched; it is reported, not judged.
    if (!observed.has(e.kind) && !NOT_LOGGED.has(e.kind)) {
      warnings.push({ file: e.file, line: e.line, message: `${e.kind} is not observed at this log level (some of its lines are logged only at a more verbose level): this line is not judged` });
      continue;
    }
    if (e.kind === 'primary.cob_overflow' && e.fields.class !== 'replica') {
      // normal, pubsub and monitor clients are never a replica's channel: not part of any sync
      attributions.push(`${e.file}:${e.line}: client id=${e.fields.cid} is a ${e.fields.class} client (flags ${String(e.extra.flags ?? '?')}), not a replication connection: it belongs to no sync`);
      continue;
    }
    picked.push(e);
  }
  // One order for all files: by time, then by file and line (each file keeps its own order).
  const fileOrder = new Map(logs.nodes.map((n, i) => [n.file, i]));
  picked.sort((a, b) => a.tsMs - b.tsMs || (fileOrder.get(a.file)! - fileOrder.get(b.file)!) || a.line - b.line);
  const events: TraceEvent[] = picked.map((e, i) => {
    const kind = e.kind as Kind;
    const allowed = fieldsOf(kind);
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(e.fields)) if (k in allowed && v !== undefined) fields[k] = v;
    if (e.peer && 'replica' in allowed) fields.replica = e.peer;
    const def = KINDS[kind];
    const channel = 'conn' in def ? def.conn : undefined;
    const conn = e.conn && typeof e.conn === 'object' ? { ...(e.conn as object), ...(channel ? { channel } : {}) } : channel ? { channel } : undefined;
    return {
      seq: i + 1,
      ts: e.tsMs,
      node: e.node,
      kind,
      ...(conn ? { conn: conn as TraceEvent['conn'] } : {}),
      fields,
      src: { file: e.file, line: e.line },
    };
  });
  const replicas = logs.nodes.filter((n) => n.name !== 'primary');
  // Which side runs dual channel: a replica that logs a classic full sync is judged as non-dual.
  const replicaDual = replicas.map((n) => !picked.some((e) => e.node === n.name && e.kind === 'replica.fullresync'));
  const observes = logs.observedKinds.filter((k) => known.has(k) && !NOT_LOGGED.has(k)) as Kind[];
  const trace: Trace = {
    header: {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      source: 'valkey-log',
      nodes: logs.nodes.map((n) => ({ name: n.name, role: n.name === 'primary' ? 'primary' : 'replica', file: n.file, ...(n.port ? { port: n.port } : {}) })),
      model: { preset: VALKEY_LOG_PRESET, set: { profile: profile.name, replicas: Math.max(1, replicas.length), replicaDual: replicaDual.join(',') } as unknown as Record<string, FieldValue> },
      observes,
      meta: { level: logs.minLevel, ...(cutAt ? { cutAt } : {}) },
    },
    events,
    file: logs.nodes.map((n) => n.file).join(' '),
  };
  attributions.push(...attributeOverflows(events));
  // A server log that does not begin with Valkey's start-up banner began after the server did (a
  // rotated log, an excerpt): the run is judged from whatever state the model may be in then.
  const late = logs.nodes.filter((n) => n.incarnations.length > 0 && !n.incarnations[0]!.banner);
  const midRun = late.length > 0
    ? `${late.map((n) => `${n.file} (line ${n.incarnations[0]!.startLine})`).join(', ')} ${late.length > 1 ? 'begin' : 'begins'} without Valkey's start-up banner: judged as starting mid-run`
    : undefined;
  return {
    trace,
    warnings,
    toleranceMs: TOLERANCE_MS,
    summary: { nodes: logs.nodes.map((n) => ({ name: n.name, file: n.file, ...(n.port ? { port: n.port } : {}) })), level: logs.minLevel, events: events.length, ...(cutAt ? { cutAt } : {}), ...(midRun ? { midRun } : {}) },
    attributions,
    profile,
  };
}

/**
 * Whose connection each replica-class output-buffer overflow closed, in protocol terms: the rdb
 * client id is the one `$ENDOFF` announced ("Sending to replica … client-id N"), so an overflow
 * names the sync it belongs to, and whether that sync is still the replica's current attempt. The
 * validator checks the same binding through its client-id registers; this text says it in words.
 */
export function attributeOverflows(events: readonly TraceEvent[]): string[] {
  const out: string[] = [];
  const syncs = new Map<string, { n: number; cid: number; endoff: number; at: string }[]>();
  for (const e of events) {
    const where = e.src ? `${e.src.file}:${e.src.line}` : `seq ${e.seq}`;
    if (e.kind === 'primary.endoff_sent') {
      const rep = String(e.fields.replica ?? '?');
      const list = syncs.get(rep) ?? [];
      list.push({ n: list.length + 1, cid: Number(e.fields.cid), endoff: Number(e.fields.endoff), at: where });
      syncs.set(rep, list);
      continue;
    }
    if (e.kind !== 'primary.cob_overflow') continue;
    const cid = Number(e.fields.cid);
    const rdb = e.fields.cmd === 'sync';
    let owner: { rep: string; n: number; endoff: number; at: string } | undefined;
    for (const [rep, list] of syncs) for (const sy of list) if (sy.cid === cid) owner = { rep, ...sy };
    const head = `${where}: client id=${cid} (replica class, cmd=${String(e.fields.cmd ?? '?')})`;
    if (owner) {
      const list = syncs.get(owner.rep)!;
      const current = list[list.length - 1]!;
      const rel = current.n === owner.n
        ? `the current attempt of ${owner.rep}`
        : `an EARLIER attempt of ${owner.rep}: a leftover client; the current attempt is sync #${current.n} (rdb client id ${current.cid}, $ENDOFF at ${current.at})`;
      out.push(`${head} is the rdb channel of sync #${owner.n} of ${owner.rep} ($ENDOFF ${owner.endoff} sent at ${owner.at}), ${rel}`);
    } else if (rdb) {
      out.push(`${head} is an rdb channel, but no $ENDOFF in these logs announced client id ${cid}: it belongs to no sync of this run (a client left over from before the logs start)`);
    } else {
      const rep = e.fields.replica !== undefined ? String(e.fields.replica) : undefined;
      const list = rep ? syncs.get(rep) : undefined;
      const cur = list?.[list.length - 1];
      out.push(`${head} is the main channel${rep ? ` of ${rep}` : ''}${cur ? `, during sync #${cur.n} ($ENDOFF ${cur.endoff} at ${cur.at})` : ''}; Valkey logs no main-channel client id in the handshake, so the address and command identify it`);
    }
  }
  return out;
}
