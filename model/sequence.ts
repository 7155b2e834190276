// A path of the model (a counterexample, a --reach run) as a sequence diagram: one lane per
// connection end (each replica's main and rdb channels, the primary's main-channel and rdb clients
// of that replica), the fork child and the replication buffer; each step an arrow (a protocol
// message: PSYNC, +DUALCHANNELSYNC, $ENDOFF, REPLCONF set-rdb-client-id, +CONTINUE, RDB chunks, the
// stream) or a note, with the buffer levels it changed. Rendering (Mermaid text, SVG) is in
// cli/diagram.ts; this module only knows what the model's actions mean on the wire.
import type { TraceStep } from '../engine/trace.js';

export interface Lane { readonly id: string; readonly label: string }
/** `ref`: the log line a row stands for ("file:line"), for reports that link rows to their lines. */
export type Row =
  | { readonly kind: 'arrow'; readonly from: string; readonly to: string; readonly text: string; readonly cross?: boolean; readonly ref?: SourceRef }
  | { readonly kind: 'note'; readonly over: readonly string[]; readonly text: string; readonly alert?: boolean; readonly ref?: SourceRef };
export interface SourceRef { readonly file: string; readonly line: number }
export interface SequenceDiagram { readonly title: string; readonly lanes: readonly Lane[]; readonly rows: readonly Row[] }

const BUFFER_VAR = /^(off|backlog\.|block\d+\.refcount|r\d+\.mainClient\.refBlock|r\d+\.rdbClient\d\.pin|r\d+\.replica\.localBuffer)/;

/** Lanes for `replicas` replicas: per replica its two channels, then the primary's two clients of it, then child and buffer. */
export function lanes(replicas: number): Lane[] {
  const out: Lane[] = [];
  for (let r = 1; r <= replicas; r++) out.push({ id: `R${r}m`, label: `replica${r} main channel` }, { id: `R${r}d`, label: `replica${r} rdb channel` });
  for (let r = 1; r <= replicas; r++) out.push({ id: `P${r}m`, label: `primary: main client of replica${r}` }, { id: `P${r}d`, label: `primary: rdb client of replica${r}` });
  out.push({ id: 'C', label: 'fork child' }, { id: 'B', label: 'replication buffer' });
  return out;
}

// The fork a ChildExitFork or KillChild (fork-*) variant starts: which clients it is for, and its target
const FORK_OF_VARIANT: Readonly<Record<string, readonly [string, string | undefined]>> = {
  dual: ['dual channel', undefined], 'dual-disk': ['dual channel', 'disk'], classic: ['classic', undefined], socket: ['classic', 'socket'], disk: ['classic', 'disk'],
};

/** The note of a step that forks: ForkDual and ForkClassic name their target, the other forking steps their fork. */
function forkNote(fam: string, variant: string | undefined): string {
  const [kind, target] = fam === 'ForkClassic' ? ['classic', variant] : fam === 'ForkDual' ? ['dual channel', variant] : FORK_OF_VARIANT[variant?.replace(/^fork-/, '') ?? ''] ?? ['dual channel', undefined];
  return `fork (${kind}${target ? `, ${target}` : ''})`;
}

/** The rows of one step: what the action does on the wire, then the buffer levels it changed. */
function stepRows(n: number, step: TraceStep, prev: TraceStep, replicas: number): Row[] {
  const action = step.action ?? '';
  const m = /^([A-Za-z]+)(?:\[r(\d+)(?:,([^\]]*))?\])?/.exec(action);
  const fam = m?.[1] ?? action;
  const r = m?.[2] ? Number(m[2]) : 0;
  const variant = m?.[3];
  const s = step.state;
  const p = prev.state;
  const Rm = `R${r}m`, Rd = `R${r}d`, Pm = `P${r}m`, Pd = `P${r}d`;
  const msg = (st: Record<string, unknown>) => String(st[`r${r}.main.message`] ?? '');
  const t = (x: string) => `${n}. ${x}`;
  const arrow = (from: string, to: string, text: string, cross = false): Row => ({ kind: 'arrow', from, to, text: t(text), ...(cross ? { cross } : {}) });
  const note = (over: string[], text: string): Row => ({ kind: 'note', over, text: t(text) });
  const rows: Row[] = [];
  const perReplica = (f: (q: number) => void) => { for (let q = 1; q <= replicas; q++) f(q); };
  switch (fam) {
    case 'Write': rows.push(note(['B'], `write (offset ${s['off']})`)); break;
    case 'Tick': rows.push(note(['B'], 'time passes (timeouts, grace, soft limits)')); break;
    case 'Connect': rows.push(arrow(Rm, Pm, `handshake, REPLCONF capa${s[`r${r}.mainClient.dualCapa`] ? ' dual-channel' : ''}, PSYNC`)); break;
    case 'Replicaof': rows.push(note([Rm], 'REPLICAOF primary'), arrow(Rm, Pm, 'handshake, PSYNC')); break;
    case 'ReplicaofNoOne': rows.push(note([Rm, Rd], 'REPLICAOF NO ONE')); break;
    case 'HandlePsync':
      rows.push(msg(s) && msg(s) !== 'none' ? arrow(Pm, Rm, msg(s)) : note([Pm], 'full sync: waits for a fork'));
      break;
    case 'RecvReply': rows.push(note([Rm], `reads ${msg(p)}`)); break;
    case 'RdbConnect': rows.push(arrow(Rd, Pd, 'REPLCONF rdb-channel 1, SYNC')); break;
    case 'HandleSync': rows.push(note([Pd], 'rdb client waits for a fork')); break;
    case 'ForkDual':
    case 'ForkClassic':
    case 'ChildExitFork':
    case 'KillChild': {
      if (fam === 'KillChild' && variant === 'only') { rows.push(note(['C'], 'fork child killed')); break; }
      if (fam === 'ChildExitFork') rows.push(note(['C'], 'child exits, the next fork starts'));
      if (fam === 'KillChild') rows.push(note(['C'], 'fork child killed, the next fork starts'));
      rows.push(note(['C'], forkNote(fam, variant)));
      perReplica((q) => {
        if (s[`r${q}.replica.endoff`] !== p[`r${q}.replica.endoff`] && fam !== 'ForkClassic') rows.push(arrow(`P${q}d`, `R${q}d`, `$ENDOFF ${s[`r${q}.replica.endoff`]}`));
        if (s[`r${q}.main.message`] === '+FULLRESYNC' && p[`r${q}.main.message`] !== '+FULLRESYNC') rows.push(arrow(`P${q}m`, `R${q}m`, '+FULLRESYNC'));
      });
      break;
    }
    case 'HandleSetId': rows.push(arrow(Rm, Pm, 'REPLCONF set-rdb-client-id'), arrow(Pm, Rm, msg(s))); break;
    case 'HandleMainPsync': rows.push(arrow(Rm, Pm, 'PSYNC replid ENDOFF+1'), arrow(Pm, Rm, msg(s))); break;
    case 'HandleAbandonedPsync': rows.push(note([Pm], 'answers a PSYNC the replica abandoned')); break;
    case 'RdbChunk': rows.push(arrow('C', s[`r${r}.replica.state`] === 'classic_sync' ? Rm : Rd, `RDB chunk${variant ? ` (${variant})` : ''}`)); break;
    case 'ChildFlush': rows.push(note(['C'], `child has written the whole RDB for replica${r}`)); break;
    case 'SendBulkDone': rows.push(arrow(Pm, Rm, 'end of the saved RDB file')); break;
    case 'RdbBulkSent': rows.push(arrow(Pd, Rd, 'end of the saved RDB file ($<size>, no $ENDOFF): rdb client freed')); break;
    case 'RdbBadEndoff': rows.push(note([Rd], 'reads "$<size>" where $ENDOFF was expected: aborts')); break;
    case 'DownloadNoticed':
    case 'LoadStep': rows.push(note([Rd], fam === 'LoadStep' ? 'loads the RDB' : 'notices the download')); break;
    case 'LoadDone': rows.push(note([Rm, Rd], 'RDB loaded')); break;
    case 'StreamDone':
    case 'BufferRead': rows.push(note([Rm], 'streams its local buffer')); break;
    case 'ReadStream':
    case 'SendStream': rows.push(arrow('B', Rm, 'command stream')); break;
    case 'RecvAck': rows.push(arrow(Rm, Pm, 'REPLCONF ACK')); break;
    case 'ChildExit': rows.push(note(['C'], 'child exits')); break;
    case 'MainPeerClosed': rows.push(note([Pm], 'reads the EOF: main client freed')); break;
    case 'RdbPeerClosed': rows.push(note([Pd], 'reads the EOF: rdb client closed')); break;
    case 'GraceExpire': rows.push(note([Pd], 'grace period over: rdb client freed')); break;
    case 'AsyncFreeRdb': rows.push(note([Pd], 'beforeSleep: rdb client freed')); break;
    case 'MainEOF': rows.push(note([Rm], 'main connection lost')); break;
    case 'RdbEOF': rows.push(note([Rd], 'rdb connection lost')); break;
    case 'Timeout': rows.push(note([Rm], 'timeout')); break;
    case 'KillMain': rows.push(arrow(Pm, Rm, 'CLIENT KILL (main channel)', true)); break;
    case 'KillRdb': rows.push(arrow(Pd, Rd, 'CLIENT KILL (rdb channel)', true)); break;
    case 'ForkFail': rows.push(note(['C'], 'fork failed')); break;
    case 'RdbSetupFail': rows.push(arrow(Pd, Rd, 'rdb channel setup fails', true)); break;
    case 'CrashReplica': rows.push(note([Rm, Rd], 'replica crashes')); break;
    case 'CrashAfterRename': rows.push(note([Rm, Rd], 'replica crashes after renaming its download into dump.rdb')); break;
    case 'RestartReplica':
    case 'RestartReplicaDetached':
    case 'RestartReplicaNoRdb': rows.push(note([Rm, Rd], `replica restarts${fam === 'RestartReplicaNoRdb' ? ' without its RDB' : fam === 'RestartReplicaDetached' ? ' detached' : ''}`)); break;
    case 'ToggleDualChannel': rows.push(note([`P1m`], `CONFIG SET dual-channel-replication-enabled ${s['primary.dualChannel'] ? 'yes' : 'no'}`)); break;
    case 'ToggleDisklessSync': rows.push(note([`P1m`], `CONFIG SET repl-diskless-sync ${s['primary.disklessSync'] ? 'yes' : 'no'}`)); break;
    case 'ToggleReplicaDual':
    case 'ToggleDisklessLoad': rows.push(note([Rm], `CONFIG SET (${fam === 'ToggleReplicaDual' ? 'dual-channel-replication-enabled' : 'repl-diskless-load'})`)); break;
    default: rows.push(note([`R1m`, 'B'], action));
  }
  if (fam === 'Write' || fam === 'Tick') {
    // an output-buffer limit closes clients inside these steps: draw the drop on the connection it hits
    perReplica((q) => {
      if (p[`r${q}.mainClient.state`] !== 'none' && s[`r${q}.mainClient.state`] === 'none') rows.push(arrow(`P${q}m`, `R${q}m`, 'output-buffer limit: main client closed', true));
      for (const slot of [1, 2]) {
        const k = `r${q}.rdbClient${slot}.state`;
        if (p[k] !== undefined && p[k] !== 'none' && s[k] === 'none') rows.push(arrow(`P${q}d`, `R${q}d`, `output-buffer limit: rdb client ${slot} closed`, true));
      }
    });
  }
  const buffer = step.changed.filter((k) => BUFFER_VAR.test(k) && k !== 'off');
  if (buffer.length) rows.push({ kind: 'note', over: ['B'], text: buffer.map((k) => `${k}=${s[k]}`).join(', ') });
  return rows;
}

/**
 * The diagram of a path (`steps[0]` the initial state). `end`, when given, is drawn across every
 * lane after the last step (the violated invariant, or the goal reached).
 */
export function sequenceOfPath(steps: readonly TraceStep[], replicas: number, title: string, end?: { text: string; alert: boolean }): SequenceDiagram {
  const ls = lanes(replicas);
  const rows: Row[] = [];
  for (let i = 1; i < steps.length; i++) rows.push(...stepRows(i, steps[i]!, steps[i - 1]!, replicas));
  if (end) rows.push({ kind: 'note', over: [ls[0]!.id, ls[ls.length - 1]!.id], text: end.text, alert: end.alert });
  return { title, lanes: ls, rows };
}
