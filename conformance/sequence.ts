// A judged trace (a validated log) as a sequence diagram: lanes for each replica's main and rdb
// channels, the primary's main-channel client of it, one lane per rdb client the primary created for
// it (by client id: sync 1, sync 2, …), and the fork child. Every event is a row linked to its log
// line; rows of one sync attempt are grouped; an output-buffer overflow is drawn onto the client
// whose id it names — on a leftover rdb client of an earlier sync (the seed's picture), not on the
// current one; the first line the model cannot explain ends the diagram with its diagnosis.
// Rendering is cli/diagram.ts's; the row vocabulary is model/sequence.ts's.
import type { Lane, Row, SequenceDiagram } from '../model/sequence.js';
import type { Trace, TraceEvent } from './trace/types.js';
import type { ValidationResult } from './validate.js';

export interface JudgedSequence extends SequenceDiagram {
  /** Row index where each sync attempt ("replica1 sync 2") starts, for boxes. */
  readonly groups: readonly { readonly label: string; readonly from: number; readonly to: number }[];
}

const LABEL: Partial<Record<string, string>> = {
  'replica.connect': 'connects', 'replica.psync': 'PSYNC', 'replica.dualchannel_offered': 'reads +DUALCHANNELSYNC', 'replica.rdb_channel_connected': 'rdb channel connected',
  'replica.main_psync': 'PSYNC replid ENDOFF+1', 'replica.continue': 'reads +CONTINUE', 'replica.fullresync': 'reads +FULLRESYNC',
  'replica.rdb_receiving': 'receiving the RDB', 'replica.load_start': 'loading', 'replica.load_done': 'loaded', 'replica.sync_finished': 'sync finished',
  'primary.sync_request': 'asks for sync', 'primary.dualchannel_offered': '+DUALCHANNELSYNC', 'primary.endoff_sent': '$ENDOFF',
  'primary.psync_accepted': '+CONTINUE', 'primary.psync_refused': 'partial resync refused', 'primary.cob_overflow': 'OUTPUT BUFFER LIMIT: client closed',
  'primary.replica_lost': 'connection with replica lost', 'primary.rdb_channel_closed': 'rdb channel closed', 'primary.child_started': 'fork child started',
  'primary.child_done': 'fork child done', 'primary.bgsave_start': 'BGSAVE for sync', 'primary.rdb_streamed': 'RDB streamed',
};

/** A replication id (40 hex digits) is shown by its first 8: enough to tell a run's ids apart. */
function shown(v: unknown): string {
  const t = String(v);
  return /^[0-9a-f]{40}$/i.test(t) ? `${t.slice(0, 8)}…` : t;
}

function fieldText(e: TraceEvent): string {
  const f = Object.entries(e.fields).filter(([k]) => k !== 'replica').map(([k, v]) => `${k}=${shown(v)}`);
  return f.length ? ` (${f.join(', ')})` : '';
}

function where(e: TraceEvent): string {
  return e.src ? ` [${e.src.file.split('/').pop()}:${e.src.line}]` : ` [seq ${e.seq}]`;
}

/** The diagram of a judged trace; `maxRows` collapses repeats first, then keeps the last rows. */
export function sequenceOfJudgedTrace(trace: Trace, result: ValidationResult, maxRows = 400): JudgedSequence {
  const replicas = trace.header.nodes.filter((n) => n.role === 'replica').map((n) => n.name);
  const lanes: Lane[] = [];
  for (const r of replicas) lanes.push({ id: `${r}-main`, label: `${r} main channel` }, { id: `${r}-rdb`, label: `${r} rdb channel` });
  for (const r of replicas) lanes.push({ id: `P-${r}-main`, label: `primary: main client of ${r}` });
  const rdbLanes = new Map<number, string>(); // rdb client id -> lane
  const currentRdb = new Map<string, string>(); // replica -> lane of its latest rdb client
  const attempt = new Map<string, number>();
  const failAt = result.verdict === 'violates' && result.failure ? result.failure.event.index : result.verdict === 'gave-up' && result.gaveUp ? result.gaveUp.index : -1;
  const rows: Row[] = [];
  const groups: { label: string; from: number; to: number }[] = [];
  const open = new Map<string, { label: string; from: number; to: number }>();
  const lastEvent = failAt >= 0 ? failAt : trace.events.length - 1;
  const childLane = { id: 'child', label: 'primary: fork child, backlog' };
  let usesChild = false;
  const laneOfRdb = (r: string, cid: number | undefined): string => {
    if (cid !== undefined && rdbLanes.has(cid)) return rdbLanes.get(cid)!;
    if (cid !== undefined) {
      const k = (attempt.get(r) ?? 0) || 1;
      const id = `P-${r}-rdb-${cid}`;
      lanes.push({ id, label: `primary: rdb client id ${cid} (${r} sync ${k})` });
      rdbLanes.set(cid, id);
      currentRdb.set(r, id);
      return id;
    }
    return currentRdb.get(r) ?? `P-${r}-main`;
  };
  /** A line on an rdb client that names no id: over all of the replica's rdb clients so far (the log does not say which). */
  const rdbSpan = (r: string): string[] => {
    const ids = [...rdbLanes.values()].filter((l) => l.startsWith(`P-${r}-rdb-`));
    return ids.length ? [ids[0]!, ids[ids.length - 1]!].filter((x, i, a) => a.indexOf(x) === i) : [`P-${r}-main`];
  };
  for (let i = 0; i <= lastEvent && i < trace.events.length; i++) {
    const e = trace.events[i]!;
    const label = `${LABEL[e.kind] ?? e.kind}${fieldText(e)}${where(e)}`;
    const alert = i === failAt;
    let row: Row;
    if (e.node.startsWith('replica')) {
      const r = e.node;
      if (e.kind === 'replica.connect') {
        const k = (attempt.get(r) ?? 0) + 1;
        attempt.set(r, k);
        const g = { label: `${r} sync ${k}`, from: rows.length, to: rows.length };
        groups.push(g);
        open.set(r, g);
      }
      const ch = e.conn?.channel;
      const over = ch === 'rdb' ? [`${r}-rdb`] : ch === 'main' ? [`${r}-main`] : [`${r}-main`, `${r}-rdb`];
      if (e.kind === 'replica.psync' || e.kind === 'replica.main_psync') row = { kind: 'arrow', from: `${r}-main`, to: `P-${r}-main`, text: label };
      else row = { kind: 'note', over, text: label, alert };
      if (open.has(r)) open.get(r)!.to = rows.length;
    } else if (e.node === 'primary') {
      const r = typeof e.fields['replica'] === 'string' ? (e.fields['replica'] as string) : undefined;
      const cid = typeof e.fields['cid'] === 'number' ? (e.fields['cid'] as number) : undefined;
      if (!r || !replicas.includes(r)) {
        usesChild = true;
        row = { kind: 'note', over: ['child'], text: label, alert };
      } else if (e.kind === 'primary.cob_overflow') {
        // on the client whose id the line names: an rdb client of this or an earlier sync, else the main channel
        const rdb = cid !== undefined && rdbLanes.has(cid);
        const from = rdb ? rdbLanes.get(cid!)! : `P-${r}-main`;
        const stale = rdb && currentRdb.get(r) !== from;
        row = { kind: 'arrow', from, to: rdb ? `${r}-rdb` : `${r}-main`, text: `${label}${stale ? ' — a LEFTOVER client of an earlier sync' : ''}`, cross: true };
      } else if (e.kind === 'primary.endoff_sent') {
        row = { kind: 'arrow', from: laneOfRdb(r, cid), to: `${r}-rdb`, text: label };
      } else if (cid !== undefined) {
        row = { kind: 'note', over: [laneOfRdb(r, cid)], text: label, alert };
      } else if (e.conn?.channel === 'rdb') {
        row = { kind: 'note', over: rdbSpan(r), text: label, alert };
      } else if (e.kind === 'primary.dualchannel_offered' || e.kind === 'primary.psync_accepted') {
        row = { kind: 'arrow', from: `P-${r}-main`, to: `${r}-main`, text: label };
      } else {
        row = { kind: 'note', over: [`P-${r}-main`], text: label, alert };
      }
      if (r && open.has(r)) open.get(r)!.to = rows.length;
    } else {
      row = { kind: 'note', over: [lanes[0]!.id], text: label, alert };
    }
    if (e.src) row = { ...row, ref: e.src };
    if (alert && row.kind === 'arrow') rows.push(row, { kind: 'note', over: [row.from, row.to], text: 'the first line no run of the model explains', alert: true });
    else rows.push(row);
  }
  if (usesChild) lanes.push(childLane);
  if (failAt >= 0) {
    const why = result.failure?.message ?? result.gaveUp?.reason ?? '';
    rows.push({ kind: 'note', over: [lanes[0]!.id, lanes[lanes.length - 1]!.id] as string[], text: `${result.verdict.toUpperCase()}: ${why.slice(0, 220)}${why.length > 220 ? '…' : ''}`, alert: true });
  } else {
    rows.push({ kind: 'note', over: [lanes[0]!.id, lanes[lanes.length - 1]!.id], text: `${result.verdict}: ${result.matched} of ${result.events} events explained`, alert: result.verdict !== 'conforms' });
  }
  const collapsed = collapse(rows, groups, maxRows, lanes[0]!.id);
  const title = `replcheck validate ${trace.file ?? ''}: ${result.verdict}`;
  return { title, lanes, rows: collapsed.rows, groups: collapsed.groups };
}

/** Long logs: identical consecutive notes become one "×n"; past maxRows only the last rows stay. */
function collapse(rows: Row[], groups: { label: string; from: number; to: number }[], maxRows: number, firstLane: string): { rows: Row[]; groups: { label: string; from: number; to: number }[] } {
  const out: Row[] = [];
  const map: number[] = [];
  const key = (r: Row) => (r.kind === 'note' && !r.alert ? `${r.over.join(',')}|${r.text.replace(/^(.*) \[[^\]]*\]( ×\d+)?$/, '$1')}` : null);
  let run = 1;
  for (let i = 0; i < rows.length; i++) {
    const k = key(rows[i]!);
    if (k !== null && i > 0 && key(rows[i - 1]!) === k) {
      run++;
      const last = out[out.length - 1]! as Extract<Row, { kind: 'note' }>;
      out[out.length - 1] = { ...last, text: `${last.text.replace(/ ×\d+$/, '')} ×${run}` };
    } else {
      run = 1;
      out.push(rows[i]!);
    }
    map[i] = out.length - 1;
  }
  const moved = groups.map((g) => ({ label: g.label, from: map[g.from]!, to: map[Math.min(g.to, rows.length - 1)]! }));
  const drop = out.length - maxRows;
  if (drop <= 0) return { rows: out, groups: moved };
  // the first row is a note saying how much was left out; every index moves by 1 - drop
  const kept: Row[] = [{ kind: 'note', over: [firstLane], text: `… ${drop} earlier rows not drawn` }, ...out.slice(drop)];
  const gs = moved.map((g) => ({ label: g.label, from: Math.max(1, g.from - drop + 1), to: g.to - drop + 1 })).filter((g) => g.to >= 1);
  return { rows: kept, groups: gs };
}
