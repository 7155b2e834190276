// Classification: every log line of every file is matched against the catalogue (catalogue.ts) and
// turned into a typed record. Primary-side lines that name a replica are attributed to a replica
// node (by its listening port, by a client id learnt from $ENDOFF/pin/postpone lines, by being the
// only replica, or by the close that follows a COB overflow). Lines that look replication-related
// but match no rule become warnings.
import { KINDS, KIND_NAMES, type Kind, type KindDef } from '../../model/vocabulary.js';
import { levelRank, harnessMarkerOfMessage, type Level, type LineWarning } from './lines.js';
import { COB_RE, REPLICATION_LOOKING_RE, RULES, type Classification, type FieldValue, type Rule } from './catalogue.js';
import type { FileLogLine, LogFile, NodeInfo } from './files.js';

export type Conn = 'main' | 'rdb' | 'child' | 'other';

export interface LogEvent {
  readonly kind: Classification;
  /** Catalogue rule id (or a derived id: R_STARTUP_LOAD_DONE, R_DUAL_ABORT_MERGED, P_FULLRESYNC_DERIVED, …). */
  readonly rule: string;
  /** Node that logged the line. */
  readonly node: string;
  /** Vocabulary fields of `kind` (empty for known-ignored / known-unmapped). */
  readonly fields: Record<string, FieldValue>;
  /** Other values the message carries (replid, byte counts, COB client info, …). */
  readonly extra: Record<string, FieldValue>;
  readonly conn?: Conn;
  /** On the primary: the replica node the line is about, when it could be attributed. */
  peer?: string;
  /** The replica as logged ("127.0.0.1:21001", "client id #7") or a COB line's addr. */
  readonly peerRef?: string;
  attributedBy?: 'port' | 'cid' | 'single-replica' | 'close-order';
  readonly file: string;
  readonly line: number;
  readonly tsMs: number;
  readonly level: Level;
  readonly raw: string;
  readonly pid: number;
  readonly incarnation: number;
  /** Logged by a fork child of the server. */
  readonly child: boolean;
  /** The 8.1+ dual-channel prefix the message carried. */
  readonly prefix?: string;
  /** Not a log line of its own: inferred from its neighbours (see `rule`). */
  readonly derived?: boolean;
  /** The message filled LOG_MAX_LEN and was cut; it was recognised from its intact part. */
  readonly capped?: boolean;
}

// ----------------------------------------------------------------------------- levels

const DERIVED_LEVELS: Partial<Record<Kind, Level>> = {
  'replica.start': 'notice', // from the "Valkey is starting" banner
  'primary.fullresync': 'notice', // derived from a notice-level refusal without "+DUALCHANNELSYNC"
};

/** Is `version` ("8.1.1", as the start-up line names it) at least `since` ("8.1")? */
function versionAtLeast(version: string, since: string): boolean {
  const a = version.split('.').map((x) => Number.parseInt(x, 10));
  const b = since.split('.').map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < b.length; i++) {
    const x = Number.isFinite(a[i]) ? a[i]! : 0;
    if (x !== b[i]) return x > b[i]!;
  }
  return true;
}

/** The level a rule's message is logged at by `version`; with no version, the most verbose of its levels. */
function ruleLevel(r: Rule, version?: string): Level {
  const s = r.levelSince;
  if (!s) return r.level;
  if (version !== undefined) return versionAtLeast(version, s.version) ? s.level : r.level;
  return levelRank(s.level) < levelRank(r.level) ? s.level : r.level;
}

function levelsOfKinds(version?: string): Partial<Record<Kind, Level>> {
  const out: Partial<Record<Kind, Level>> = { ...DERIVED_LEVELS };
  for (const r of RULES) {
    if (r.kind === 'known-ignored' || r.kind === 'known-unmapped') continue;
    const l = ruleLevel(r, version);
    const cur = out[r.kind];
    if (cur === undefined || levelRank(l) < levelRank(cur)) out[r.kind] = l;
  }
  return out;
}

/**
 * Level a server must log at for every occurrence of a kind to appear: the most verbose level among
 * the messages that produce it (a message whose level changed between versions counts at its more
 * verbose one). Kinds absent here are never produced from logs.
 */
export const LEVEL_OF_KIND: Readonly<Partial<Record<Kind, Level>>> = levelsOfKinds();

const levelsByVersion = new Map<string, Partial<Record<Kind, Level>>>();

/** LEVEL_OF_KIND as the server of `version` logs (e.g. replica.main_closed: verbose in 8.0, warning from 8.1 on). */
export function levelOfKind(kind: Kind, version?: string): Level | undefined {
  if (version === undefined) return LEVEL_OF_KIND[kind];
  let m = levelsByVersion.get(version);
  if (!m) levelsByVersion.set(version, (m = levelsOfKinds(version)));
  return m[kind];
}

/**
 * Kinds whose every occurrence is visible in a log written at `level` (optionally only those logged
 * by `side`, optionally by a server of `version`). A kind some of whose messages are more verbose
 * than `level` is left out: a notice log of 8.0.1 shows "Error reading from primary" but not
 * "Provisional primary closed connection" (verbose), so replica.main_closed cannot be relied on;
 * 8.1+ logs only the latter, at warning, so a notice log of 8.1+ shows every replica.main_closed.
 */
export function observableKinds(level: Level, side?: 'primary' | 'replica', version?: string): Kind[] {
  return KIND_NAMES.filter((k) => {
    const l = levelOfKind(k, version);
    return l !== undefined && levelRank(l) >= levelRank(level) && (side === undefined || KINDS[k].node === side);
  });
}

/** The one version every incarnation of a node names at start-up, else undefined. */
function versionOfNode(n: { readonly incarnations?: readonly { readonly version?: string }[] }): string | undefined {
  const vs = new Set((n.incarnations ?? []).map((i) => i.version));
  return vs.size === 1 ? [...vs][0] : undefined;
}

/**
 * Kinds that a set of nodes can observe: a kind of a side is observed when every file of that side
 * shows all its occurrences, judged by the file's level and the version its server logs as.
 */
export function observableKindsOfNodes(nodes: readonly (Pick<NodeInfo, 'role' | 'level'> & { readonly incarnations?: NodeInfo['incarnations'] })[]): Kind[] {
  const out = new Set<Kind>();
  for (const side of ['primary', 'replica'] as const) {
    const ns = nodes.filter((n) => n.role === side);
    if (ns.length === 0) continue;
    const seen = ns.map((n) => new Set(observableKinds(n.level, side, versionOfNode(n))));
    for (const k of seen[0]!) if (seen.every((s) => s.has(k))) out.add(k);
  }
  return KIND_NAMES.filter((k) => out.has(k));
}

// ----------------------------------------------------------------------------- COB lines

export type CobClass = 'replica' | 'normal' | 'pubsub' | 'monitor';

export interface CobInfo {
  readonly cid: number;
  readonly addr: string;
  readonly flags: string;
  readonly cmd: string;
  readonly name?: string;
  readonly omem?: number;
  readonly class: CobClass;
  /** Replica class: which channel the client is (cmd=sync → rdb; psync/replconf → main). */
  readonly channel?: 'rdb' | 'main';
  /** "scheduled to be closed ASAP" → async, "closed" → sync; undefined if the suffix was cut. */
  readonly how?: 'async' | 'sync';
  /** The suffix was cut by LOG_MAX_LEN. */
  readonly cut: boolean;
}

/** Parse the client-info string of a "Client … for overcoming of output buffer limits." line. */
export function parseCobLine(msg: string, capped: boolean): CobInfo | undefined {
  const m = COB_RE.exec(msg);
  if (!m) return undefined;
  const how = m.groups!.how;
  if (how === undefined && !capped) return undefined;
  const tokens = m.groups!.info!.split(' ');
  if (how === undefined) tokens.pop(); // the last token may itself be cut
  const kv = new Map<string, string>();
  for (const t of tokens) {
    const i = t.indexOf('=');
    if (i > 0 && !kv.has(t.slice(0, i))) kv.set(t.slice(0, i), t.slice(i + 1));
  }
  const id = kv.get('id'), addr = kv.get('addr'), flags = kv.get('flags'), cmd = kv.get('cmd');
  if (id === undefined || addr === undefined || flags === undefined || cmd === undefined) return undefined;
  // catClientInfoString: 'O' = monitor (replica flag + monitor), 'S' = replica, 'P' = pubsub,
  // 'M' = our primary; "N" when no flag is set.
  const cls: CobClass = flags.includes('O') ? 'monitor' : flags.includes('S') ? 'replica' : flags.includes('P') ? 'pubsub' : 'normal';
  const lc = cmd.toLowerCase();
  const channel = cls !== 'replica' ? undefined : lc === 'sync' ? 'rdb' : 'main';
  const omem = kv.get('omem');
  const name = kv.get('name');
  return {
    cid: +id, addr, flags, cmd: lc, ...(name !== undefined ? { name } : {}), ...(omem !== undefined && /^\d+$/.test(omem) ? { omem: +omem } : {}),
    class: cls, ...(channel ? { channel } : {}), ...(how ? { how: how === 'closed' ? 'sync' : 'async' } : {}), cut: how === undefined,
  };
}

// ----------------------------------------------------------------------------- classification

/** How long after a COB line the matching "lost"/"rdb channel disconnected" line may come. */
const CLOSE_ORDER_WINDOW_MS = 1000;

interface PrimaryCtx {
  incarnation: number;
  cidToPeer: Map<number, string>;
  pendingCob: LogEvent[];
}

export interface ClassifyInput {
  readonly files: readonly LogFile[];
  readonly byFile: ReadonlyMap<string, NodeInfo>;
  readonly nodes: readonly NodeInfo[];
}

export function matchRule(msg: string): { rule: Rule; groups: Record<string, string | undefined> } | undefined {
  for (const rule of RULES) {
    const m = rule.re.exec(msg);
    if (m) return { rule, groups: { ...(m.groups ?? {}) } };
  }
  return undefined;
}

const isModelKind = (k: Classification): k is Kind => k !== 'known-ignored' && k !== 'known-unmapped';

interface PsyncBlock { readonly pid: number; readonly request: number; first?: number; hist?: number; skip?: number }

/** One more "[PSYNC] …" line: "Replica request offset" starts a block, the others fill it in order. */
function addPsyncDebug(b: PsyncBlock | undefined, pid: number, g: Record<string, string | undefined>): PsyncBlock | undefined {
  const v = g.value === undefined ? undefined : Number(g.value);
  if (g.what === 'Replica request offset') return v === undefined ? undefined : { pid, request: v };
  if (b === undefined || b.pid !== pid) return undefined;
  if (g.what === 'First byte') b.first = v;
  else if (g.what === 'History len') b.hist = v;
  else if (g.what === 'Skipping') b.skip = v;
  return b;
}

/** The block's values as fields of the "accepted" record (model/vocabulary.ts, primary.psync_accepted). */
function psyncBlockFields(b: PsyncBlock): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = { requestOffset: b.request };
  if (b.first !== undefined) out.backlogFirst = b.first;
  if (b.skip !== undefined) out.backlogFirstBySkip = b.request - b.skip;
  // an empty history ("Backlog history len is zero") logs no first byte: no last offset either
  if (b.first !== undefined && b.hist !== undefined && b.hist > 0) out.backlogEnd = b.first + b.hist - 1;
  return out;
}

export function classify(input: ClassifyInput): { events: LogEvent[]; warnings: LineWarning[] } {
  const events: LogEvent[] = [];
  const warnings: LineWarning[] = [];
  const replicaNodes = input.nodes.filter((n) => n.role === 'replica');
  const portToReplica = new Map<number, string>();
  for (const n of replicaNodes) if (n.port !== undefined) portToReplica.set(n.port, n.name);
  const single = replicaNodes.length === 1 ? replicaNodes[0]!.name : undefined;
  const unknownPorts = new Set<string>();

  for (const f of input.files) {
    const node = input.byFile.get(f.file);
    const nodeName = node?.name ?? f.file;
    const side = node?.role;
    const fileEvents: LogEvent[] = [];
    const unmapped = new Map<string, { first: number; count: number; note?: string }>();
    const pctx: PrimaryCtx = { incarnation: -1, cidToPeer: new Map(), pendingCob: [] };
    let abortDetailPending = false;
    let lastRequest: LogEvent | undefined;
    // the debug-level "[PSYNC] …" lines of one addReplyReplicationBacklog call, for the "accepted" line that follows
    let psyncBlock: PsyncBlock | undefined;
    // a disk-target BGSAVE for SYNC: its "Background saving …" lines are the replication child's
    let diskChild: 'none' | 'starting' | 'running' = 'none';

    const resolveRn = (rn: string | undefined, ev: LogEvent): void => {
      if (side !== 'primary' || rn === undefined) return;
      const c = /^client id #(\d+)$/.exec(rn);
      if (c) {
        const p = pctx.cidToPeer.get(+c[1]!);
        if (p) { ev.peer = p; ev.attributedBy = 'cid'; return; }
      } else {
        const pm = /:(\d+)$/.exec(rn);
        if (pm) {
          const p = portToReplica.get(+pm[1]!);
          if (p) { ev.peer = p; ev.attributedBy = 'port'; return; }
          if (!unknownPorts.has(rn)) {
            unknownPorts.add(rn);
            warnings.push({ file: f.file, line: ev.line, message: `replica ${rn} is not one of the given log files' servers` });
          }
          return;
        }
      }
      if (single) { ev.peer = single; ev.attributedBy = 'single-replica'; }
    };
    const learnCid = (cid: unknown, ev: LogEvent): void => {
      if (typeof cid === 'number' && ev.peer && ev.attributedBy !== 'single-replica') pctx.cidToPeer.set(cid, ev.peer);
    };

    for (const l of f.logLines) {
      if (l.unterminated) continue; // reported by lines.ts
      if (harnessMarkerOfMessage(l.msg)) continue; // a test harness marker (DEBUG LOG ### Starting test …): LogFile.markers
      if (side === 'primary' && l.incarnation !== pctx.incarnation) {
        pctx.incarnation = l.incarnation;
        pctx.cidToPeer = new Map();
        pctx.pendingCob = [];
      }
      const match = matchRule(l.msg);
      let cob: CobInfo | undefined;
      if (match?.rule.id === 'COB_OVERFLOW') {
        cob = parseCobLine(l.msg, l.capped);
        if (!cob) {
          warnings.push({ file: f.file, line: l.line, message: `output-buffer line with no intact client info (id, addr, flags, cmd)${l.capped ? ' — message cut at LOG_MAX_LEN (1023 bytes)' : ''}: ${JSON.stringify(l.msg.slice(0, 200))}` });
          continue;
        }
      }
      if (!match) {
        if (REPLICATION_LOOKING_RE.test(l.msg)) {
          warnings.push({ file: f.file, line: l.line, message: `unrecognised replication-related message${l.capped ? ' (cut at LOG_MAX_LEN, 1023 bytes)' : ''}: ${JSON.stringify(l.msg.slice(0, 300))}` });
        }
        continue;
      }
      const { rule, groups } = match;
      let kind: Classification = rule.kind;
      let ruleId = rule.id;
      let fields: Record<string, FieldValue> = rule.fields ? rule.fields(groups) : {};
      // addReplyReplicationBacklog logs its "[PSYNC]" lines, then primaryTryPartialResynchronization the
      // "accepted" line, all in one call of the main thread: any other line of that process in between
      // means the block belongs to nothing that follows (a cut or a torn log), and it is dropped
      if (side === 'primary' && !l.child) {
        if (rule.id === 'P_PSYNC_DEBUG') psyncBlock = addPsyncDebug(psyncBlock, l.pid, groups);
        else if (rule.id === 'P_PSYNC_ACCEPTED') {
          if (psyncBlock?.pid === l.pid) fields = { ...fields, ...psyncBlockFields(psyncBlock) };
          psyncBlock = undefined;
        } else if (psyncBlock?.pid === l.pid) psyncBlock = undefined;
      }
      let extra: Record<string, FieldValue> = rule.extra ? rule.extra(groups) : {};
      const inc = f.incarnations[l.incarnation]!;

      // ---- context-dependent rules
      if (rule.id === 'STARTUP') {
        if (side === 'replica' && !inc.restart && !inc.persisted) {
          // the log's first start of the process is the model's initial state, not a restart
          kind = 'known-ignored';
          ruleId = 'R_FIRST_START';
        } else if (side === 'replica') {
          kind = 'replica.start';
          fields = { persisted: inc.persisted };
          extra = { restart: inc.restart };
        } else if (inc.restart) {
          kind = 'known-unmapped';
          ruleId = 'P_RESTART';
        }
      } else if (rule.id === 'R_LOAD_DONE' && (l.startup || side !== 'replica')) {
        kind = 'known-ignored';
        ruleId = 'R_STARTUP_LOAD_DONE';
      } else if (rule.id === 'R_MAIN_PSYNC_CONTINUE' && groups.case === 'PRIMARY' && groups.bg === undefined && l.prefix === undefined) {
        kind = 'known-ignored'; // genuine partial resync, second line (the first gave replica.partial_resync)
        ruleId = 'R_PSYNC_CONTINUE_2';
        fields = {};
      } else if (rule.id === 'R_RDB_RECEIVING' && l.prefix === 'Replica bio thread: ') {
        // logged by the bio thread whenever it gets to it: the download started at "creating Bio thread"
        kind = 'known-ignored';
        ruleId = 'R_RDB_RECEIVING_BIO';
        fields = {};
      } else if (rule.id === 'P_BGSAVE_FOR_SYNC') {
        diskChild = fields.target === 'disk' ? 'starting' : 'none';
      } else if (rule.id === 'P_DISK_CHILD_STARTED' || rule.id === 'P_DISK_CHILD_DONE') {
        const want = rule.id === 'P_DISK_CHILD_STARTED' ? 'starting' : 'running';
        if (diskChild !== want || l.child) {
          // a BGSAVE of its own (SAVE config, BGSAVE command): no replica waits for it
          kind = 'known-unmapped';
          ruleId = `${rule.id}_NOT_FOR_SYNC`;
        } else diskChild = want === 'starting' ? 'running' : 'none';
      } else if (rule.id === 'R_DUAL_ABORT' && abortDetailPending) {
        kind = 'known-ignored';
        ruleId = 'R_DUAL_ABORT_MERGED';
      } else if (cob) {
        fields = { cid: cob.cid, class: cob.class, cmd: cob.cmd };
        extra = {
          addr: cob.addr, flags: cob.flags, ...(cob.name !== undefined ? { name: cob.name } : {}), ...(cob.omem !== undefined ? { omem: cob.omem } : {}),
          ...(cob.channel ? { channel: cob.channel } : {}), ...(cob.how ? { how: cob.how } : {}),
        };
        if (side !== 'primary') {
          kind = cob.class === 'replica' ? 'known-unmapped' : 'known-ignored';
          ruleId = 'COB_OVERFLOW_ON_REPLICA';
        }
        if (cob.cut) {
          warnings.push({ file: f.file, line: l.line, message: `COB overflow message cut at LOG_MAX_LEN (1023 bytes) before "for overcoming of output buffer limits."; recognised from its client info (id=${cob.cid} flags=${cob.flags} cmd=${cob.cmd})` });
        }
      }
      if (isModelKind(kind) && side !== undefined && KINDS[kind].node !== side) {
        extra = { ...extra, loggedBy: side, expectedSide: KINDS[kind].node };
        kind = 'known-unmapped';
        ruleId = `${ruleId}_ON_${side.toUpperCase()}`;
      }
      if (kind !== 'known-ignored') abortDetailPending = kind === 'replica.abort' && rule.id === 'R_DUAL_ABORT_DETAIL';

      const conn = (isModelKind(kind) ? (KINDS[kind] as KindDef).conn : undefined) ?? (cob?.channel) ?? rule.conn ?? (l.child ? 'child' : undefined);
      const ev: LogEvent = {
        kind, rule: ruleId, node: nodeName, fields, extra, ...(conn ? { conn } : {}),
        ...(groups.rn !== undefined ? { peerRef: groups.rn } : cob && cob.class === 'replica' ? { peerRef: cob.addr } : {}),
        file: f.file, line: l.line, tsMs: l.tsMs, level: l.level, raw: l.raw, pid: l.pid, incarnation: l.incarnation, child: l.child,
        ...(l.prefix !== undefined ? { prefix: l.prefix } : {}), ...(cob?.cut ? { capped: true } : {}),
      };

      // ---- attribution to a replica (primary side)
      if (side === 'primary') {
        if (rule.names) resolveRn(groups.rn, ev);
        if (kind === 'primary.sync_request') lastRequest = ev;
        else if (kind === 'primary.psync_refused' && groups.rn === undefined && lastRequest?.peer) {
          // "Replication ID mismatch" names no replica: it answers the "asks for synchronization" just before.
          ev.peer = lastRequest.peer;
          ev.attributedBy = lastRequest.attributedBy!;
        }
        const cid = fields.cid;
        if (['primary.endoff_sent', 'primary.rdb_pinned', 'primary.main_matched', 'primary.rdb_unlinked', 'primary.rdb_free_postponed'].includes(kind)) learnCid(cid, ev);
        if ((kind === 'primary.rdb_attached' || kind === 'primary.grace_expired') && typeof cid === 'number') {
          const p = pctx.cidToPeer.get(cid);
          if (p) { ev.peer = p; ev.attributedBy = 'cid'; } else if (single) { ev.peer = single; ev.attributedBy = 'single-replica'; }
        }
        if (cob && cob.class === 'replica') {
          const p = pctx.cidToPeer.get(cob.cid);
          if (p) { ev.peer = p; ev.attributedBy = 'cid'; } else if (single) { ev.peer = single; ev.attributedBy = 'single-replica'; }
          else pctx.pendingCob.push(ev);
        }
        if ((kind === 'primary.replica_lost' || kind === 'primary.rdb_channel_closed') && pctx.pendingCob.length > 0) {
          pctx.pendingCob = pctx.pendingCob.filter((p) => ev.tsMs - p.tsMs <= CLOSE_ORDER_WINDOW_MS);
          const want = kind === 'primary.rdb_channel_closed' ? 'rdb' : 'main';
          const idx = pctx.pendingCob.findIndex((p) => p.extra.channel === want);
          if (idx >= 0) {
            const p = pctx.pendingCob[idx]!;
            pctx.pendingCob.splice(idx, 1);
            if (ev.peer) {
              p.peer = ev.peer;
              p.attributedBy = 'close-order';
              pctx.cidToPeer.set(p.fields.cid as number, ev.peer);
            }
          }
        }
      }

      if (kind === 'known-unmapped') {
        const u = unmapped.get(ruleId);
        if (u) u.count++;
        else unmapped.set(ruleId, { first: l.line, count: 1, ...(rule.note ? { note: rule.note } : {}) });
      }
      fileEvents.push(ev);
    }

    // ---- derived primary.fullresync: a PSYNC refusal not followed by "+DUALCHANNELSYNC"
    if (side === 'primary') {
      for (let i = 0; i < fileEvents.length; i++) {
        const e = fileEvents[i]!;
        if (e.kind !== 'primary.psync_refused') continue;
        let j = i + 1;
        while (j < fileEvents.length && (fileEvents[j]!.kind === 'known-ignored' || fileEvents[j]!.child)) j++;
        const next = fileEvents[j];
        if (next?.kind === 'primary.dualchannel_offered') continue;
        const d: LogEvent = {
          ...e, kind: 'primary.fullresync', rule: 'P_FULLRESYNC_DERIVED', fields: {}, extra: { fromRule: e.rule }, conn: 'main', derived: true,
        };
        fileEvents.splice(i + 1, 0, d);
        i++;
      }
    }
    for (const [ruleId, u] of unmapped) {
      warnings.push({ file: f.file, line: u.first, message: `${u.count} line(s) of a known message with no vocabulary kind (${ruleId}${u.note ? `: ${u.note}` : ''}); first here` });
    }
    events.push(...fileEvents);
  }
  return { events, warnings };
}
