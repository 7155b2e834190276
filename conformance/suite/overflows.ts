// Output-buffer overflows of a group, each with the connection and sync it closed (as
// conformance/fromlogs.ts `attributeOverflows` says it) and the test window in which that
// connection was created. An rdb channel is created with its sync: the `$ENDOFF` line "Sending to
// replica … RDB end offset N and client-id C" announces its client id. A main channel has no
// client id in the handshake; its last "Replica … asks for synchronization" before the overflow
// stands for its creation. An overflow in one test of a connection created in an earlier test is
// a leftover: a test that waits for "some client overflowed" can be satisfied by it.
import type { LogEvent } from '../valkeylog/index.js';

export interface WindowRef { readonly index: number; readonly name: string }

export interface OverflowReport {
  /** "file:line" of the overflow line (file relative to the folder). */
  readonly at: string;
  /** Test window of the overflow line (undefined: outside any test). */
  readonly test?: WindowRef;
  readonly cid: number;
  /** Client class from its flags: replica, normal, pubsub, monitor. */
  readonly class: string;
  readonly cmd: string;
  readonly flags?: string;
  readonly addr?: string;
  /** "rdb channel", "main channel" (replica class), or "normal client" etc. (not a replication connection). */
  readonly connection: string;
  /** Replica node (within the group) whose connection it was, when known. */
  readonly replica?: string;
  /** The sync the connection belongs to: the replica's n-th `$ENDOFF` in the group. */
  readonly sync?: { readonly n: number; readonly endoff: number; readonly cid: number; readonly at: string };
  /** That sync was the replica's latest when the overflow happened (false: a leftover of an earlier sync). */
  readonly currentSync?: boolean;
  /** Where the connection was created (the $ENDOFF line, or the main channel's last handshake line). */
  readonly createdAt?: string;
  readonly createdIn?: WindowRef;
  /** Created in an earlier test window than the overflow's. */
  readonly fromEarlierTest: boolean;
  /** The overflow lies in the part of the logs that was validated (before the cut and the first unexplained event). */
  readonly judged: boolean;
  /** fromlogs.ts's sentence about it, when the overflow is part of the judged trace. */
  readonly attribution?: string;
  /** One line for people. */
  readonly text: string;
}

export interface OverflowContext {
  /** "file:line" with the file relative to the folder. */
  readonly where: (e: Pick<LogEvent, 'file' | 'line'>) => string;
  readonly windowOf: (e: Pick<LogEvent, 'file' | 'line'>) => WindowRef | undefined;
  /** Was this log event judged (in the trace, before any failure)? */
  readonly judged: (e: Pick<LogEvent, 'file' | 'line'>) => boolean;
  /** fromlogs.ts attribution sentences, keyed by "path:line". */
  readonly attributions: ReadonlyMap<string, string>;
}

const winText = (w: WindowRef | undefined): string => (w ? `test [${w.index + 1}] "${w.name}"` : 'outside any test');

export function groupOverflows(events: readonly LogEvent[], ctx: OverflowContext): OverflowReport[] {
  const sorted = [...events].filter((e) => !e.derived).sort((a, b) => a.tsMs - b.tsMs);
  const syncs = new Map<string, { n: number; cid: number; endoff: number; ev: LogEvent }[]>();
  const lastRequest = new Map<string, LogEvent>();
  const out: OverflowReport[] = [];
  for (const e of sorted) {
    const rep = e.peer;
    if (e.kind === 'primary.endoff_sent') {
      const key = rep ?? `?${String(e.peerRef ?? '')}`;
      const list = syncs.get(key) ?? [];
      list.push({ n: list.length + 1, cid: Number(e.fields.cid), endoff: Number(e.fields.endoff), ev: e });
      syncs.set(key, list);
      continue;
    }
    if (e.kind === 'primary.sync_request' && rep) { lastRequest.set(rep, e); continue; }
    if (e.kind !== 'primary.cob_overflow') continue;
    const cid = Number(e.fields.cid);
    const cls = String(e.fields.class ?? '?');
    const cmd = String(e.fields.cmd ?? '?');
    const at = ctx.where(e);
    const test = ctx.windowOf(e);
    const base = {
      at, ...(test ? { test } : {}), cid, class: cls, cmd,
      ...(e.extra.flags !== undefined ? { flags: String(e.extra.flags) } : {}),
      ...(e.extra.addr !== undefined ? { addr: String(e.extra.addr) } : {}),
      judged: ctx.judged(e),
      ...(ctx.attributions.has(`${e.file}:${e.line}`) ? { attribution: ctx.attributions.get(`${e.file}:${e.line}`)! } : {}),
    };
    if (cls !== 'replica') {
      out.push({ ...base, connection: `${cls} client`, fromEarlierTest: false, text: `${at} (${winText(test)}): client id=${cid} is a ${cls} client (flags ${base.flags ?? '?'}, cmd=${cmd}): not a replication connection, it belongs to no sync` });
      continue;
    }
    let owner: { rep: string; n: number; cid: number; endoff: number; ev: LogEvent } | undefined;
    for (const [r, list] of syncs) for (const s of list) if (s.cid === cid) owner = { rep: r, ...s };
    if (owner || cmd === 'sync') {
      if (!owner) {
        out.push({ ...base, connection: 'rdb channel', fromEarlierTest: false, text: `${at} (${winText(test)}): client id=${cid} is an rdb channel that no $ENDOFF in these logs announced: a client from before the logs start` });
        continue;
      }
      const list = syncs.get(owner.rep)!;
      const current = list[list.length - 1]!;
      const createdIn = ctx.windowOf(owner.ev);
      const earlier = createdIn !== undefined && test !== undefined && createdIn.index < test.index;
      const rname = owner.rep.startsWith('?') ? undefined : owner.rep;
      const who = rname ?? `replica ${owner.rep.slice(1)}`;
      const syncText = current.n === owner.n ? `the current sync of ${who}` : `sync #${owner.n} of ${who}, an EARLIER attempt (the current one is sync #${current.n}, rdb client id ${current.cid}, $ENDOFF at ${ctx.where(current.ev)})`;
      out.push({
        ...base, connection: 'rdb channel', ...(rname ? { replica: rname } : {}),
        sync: { n: owner.n, endoff: owner.endoff, cid: owner.cid, at: ctx.where(owner.ev) }, currentSync: current.n === owner.n,
        createdAt: ctx.where(owner.ev), ...(createdIn ? { createdIn } : {}), fromEarlierTest: earlier,
        text: `${at} (${winText(test)}): client id=${cid} is the rdb channel of ${syncText}; created at ${ctx.where(owner.ev)} ($ENDOFF ${owner.endoff}) in ${winText(createdIn)}${earlier ? ` — a LEFTOVER from an earlier test: a wait in ${winText(test)} for "a client overflowed" can be satisfied by it` : ''}`,
      });
      continue;
    }
    // main channel: no client id in the handshake; its replica's last handshake stands for its creation
    const req = rep ? lastRequest.get(rep) : undefined;
    const list = rep ? syncs.get(rep) : undefined;
    const cur = list?.[list.length - 1];
    const createdIn = req ? ctx.windowOf(req) : undefined;
    const earlier = createdIn !== undefined && test !== undefined && createdIn.index < test.index;
    out.push({
      ...base, connection: 'main channel', ...(rep ? { replica: rep } : {}),
      ...(cur ? { sync: { n: cur.n, endoff: cur.endoff, cid: cur.cid, at: ctx.where(cur.ev) }, currentSync: true } : {}),
      ...(req ? { createdAt: ctx.where(req) } : {}), ...(createdIn ? { createdIn } : {}), fromEarlierTest: earlier,
      text: `${at} (${winText(test)}): client id=${cid} (cmd=${cmd}) is the main channel${rep ? ` of ${rep}` : ''}${cur ? `, during sync #${cur.n} ($ENDOFF ${cur.endoff} at ${ctx.where(cur.ev)})` : ''}${req ? `; its last handshake was at ${ctx.where(req)} in ${winText(createdIn)}` : ''}${earlier ? ' — a connection from an earlier test' : ''}`,
    });
  }
  return out;
}
