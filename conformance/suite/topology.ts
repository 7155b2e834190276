// Who replicated whom, and when: the servers of a suite folder grouped into replication topologies
// that the model can judge one at a time (one primary, its replicas).
//
// Each replication episode (a replica and the port it replicated from, over a span of time) is
// resolved to the server that listened on that port at that moment (ports are reused by later
// servers of the same run). Episodes are grouped when they share a server in the same role: the
// replicas of one primary, a replica that is told REPLICAOF NO ONE and then REPLICAOF the same
// primary again. A server that changes role over time (a replica in one test, the primary of
// other servers in a later one, or the replica of another primary) belongs to several groups, and
// its log is cut between them: at the last harness "Starting test" marker between its part in
// the earlier group and its part in the later one, else where the later one begins. A group that
// takes a server's log from the middle also gets that server's start-up lines (banner, port).
import { parseLine } from '../valkeylog/lines.js';
import { lineAtOrAfter, lineAtOrBefore, portAt, type Episode, type SuiteServer } from './servers.js';

export interface LineRange { readonly from: number; readonly to: number }

export interface GroupMember {
  readonly server: number;
  /** Its role in this group; "both" when it replicated from one server while others replicated from it (a chain). */
  readonly role: 'primary' | 'replica' | 'both';
  /** The lines of its log this group judges. */
  readonly slice: LineRange;
  /** Its start-up lines, when the slice begins after them. */
  readonly startup?: LineRange;
}

export interface Topology {
  /** "G1", "G2", … in order of their first episode. */
  readonly id: string;
  /** The server the others replicate from (undefined when its log is not in the folder). */
  readonly primary?: number;
  readonly primaryPort?: number;
  readonly members: GroupMember[];
  readonly episodes: Episode[];
  readonly startTs: number;
  readonly endTs: number;
  readonly notes: string[];
}

export interface Grouping {
  readonly groups: Topology[];
  /** Servers that never replicated nor were replicated from: nothing to judge. */
  readonly standalone: number[];
  readonly notes: string[];
}

/** The server listening on `port` when the episode began (ports are reused over a run). */
function resolvePrimary(servers: readonly SuiteServer[], e: Episode): number | undefined {
  let best: { id: number; dist: number } | undefined;
  for (const s of servers) {
    if (s.id === e.replica || portAt(s, e.startTs) !== e.primaryPort) continue;
    const dist = e.startTs < s.firstTs ? s.firstTs - e.startTs : e.startTs > s.lastTs ? e.startTs - s.lastTs : 0;
    if (!best || dist < best.dist || (dist === best.dist && s.firstTs > servers[best.id]!.firstTs && s.firstTs <= e.startTs)) best = { id: s.id, dist };
  }
  return best?.id;
}

class UnionFind {
  private readonly p: number[];
  constructor(n: number) { this.p = Array.from({ length: n }, (_, i) => i); }
  find(x: number): number { while (this.p[x] !== x) { this.p[x] = this.p[this.p[x]!]!; x = this.p[x]!; } return x; }
  union(a: number, b: number): void { const ra = this.find(a), rb = this.find(b); if (ra !== rb) this.p[Math.max(ra, rb)] = Math.min(ra, rb); }
}

interface Part { readonly ep: number; readonly server: number; readonly role: string; readonly start: number; readonly end: number; readonly fromLine: number; readonly toLine: number }

export function groupServers(servers: readonly SuiteServer[]): Grouping {
  const notes: string[] = [];
  const episodes: Episode[] = servers.flatMap((s) => s.episodes);
  for (const e of episodes) {
    const p = resolvePrimary(servers, e);
    if (p !== undefined) e.primary = p;
    else notes.push(`${servers[e.replica]!.rel}:${e.startLine}: replicates from port ${e.primaryPort}, but no log in this folder is of a server on that port then`);
  }
  // Each server's participations, in time order, and its segments: runs of one role (a role
  // change starts a new segment unless it overlaps the previous one in time: a chain).
  const parts = new Map<number, Part[]>();
  const add = (p: Part): void => { (parts.get(p.server) ?? parts.set(p.server, []).get(p.server)!).push(p); };
  episodes.forEach((e, i) => {
    add({ ep: i, server: e.replica, role: `replica-of:${e.primary ?? `port ${e.primaryPort}`}`, start: e.startTs, end: e.endTs, fromLine: e.startLine, toLine: e.endLine });
    if (e.primary !== undefined) {
      const s = servers[e.primary]!;
      add({ ep: i, server: e.primary, role: 'primary', start: e.startTs, end: e.endTs, fromLine: lineAtOrAfter(s, e.startTs), toLine: lineAtOrBefore(s, e.endTs) });
    }
  });
  const seg = new Map<string, number>();
  for (const [server, list] of parts) {
    list.sort((a, b) => a.start - b.start || a.ep - b.ep);
    let n = 0;
    let role: string | undefined;
    let end = -Infinity;
    for (const p of list) {
      if (role !== undefined && p.role !== role && p.start >= end) { n++; role = p.role; }
      role ??= p.role;
      end = Math.max(end, p.end);
      seg.set(`${server}:${p.ep}`, n);
    }
  }
  const serversOf = (i: number): number[] => {
    const e = episodes[i]!;
    return e.primary !== undefined ? [e.replica, e.primary] : [e.replica];
  };
  const uf = new UnionFind(episodes.length);
  for (const [server, list] of parts) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const ea = list[a]!.ep, eb = list[b]!.ep;
        if (seg.get(`${server}:${ea}`) !== seg.get(`${server}:${eb}`)) continue;
        const shared = serversOf(ea).filter((x) => serversOf(eb).includes(x));
        if (shared.every((x) => seg.get(`${x}:${ea}`) === seg.get(`${x}:${eb}`))) uf.union(ea, eb);
      }
    }
  }
  const comps = new Map<number, number[]>();
  episodes.forEach((_, i) => { const r = uf.find(i); (comps.get(r) ?? comps.set(r, []).get(r)!).push(i); });
  const order = [...comps.values()].sort((a, b) => Math.min(...a.map((i) => episodes[i]!.startTs)) - Math.min(...b.map((i) => episodes[i]!.startTs)) || a[0]! - b[0]!);
  const groupOfEp = new Map<number, number>();
  order.forEach((eps, g) => eps.forEach((i) => groupOfEp.set(i, g)));

  // Each server's slice in each of its groups.
  const slices = new Map<string, { slice: LineRange; startup?: LineRange; role: GroupMember['role'] }>();
  for (const [server, list] of parts) {
    const s = servers[server]!;
    const byGroup = new Map<number, Part[]>();
    for (const p of list) { const g = groupOfEp.get(p.ep)!; (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(p); }
    const gs = [...byGroup.entries()].map(([g, ps]) => ({
      g, ps, from: Math.min(...ps.map((p) => p.fromLine)), to: Math.max(...ps.map((p) => p.toLine)), start: Math.min(...ps.map((p) => p.start)),
    })).sort((a, b) => a.start - b.start || a.from - b.from);
    const last = s.lines.length;
    const cuts: number[] = [1];
    for (let i = 1; i < gs.length; i++) {
      const prev = gs[i - 1]!, next = gs[i]!;
      if (next.from <= prev.to) notes.push(`${s.rel}: its part in ${`G${prev.g + 1}`} (lines ${prev.from}–${prev.to}) and in ${`G${next.g + 1}`} (from line ${next.from}) overlap; cut at line ${next.from}`);
      const marker = [...s.markers].reverse().find((m) => m.kind === 'test' && m.line > prev.to && m.line < next.from);
      cuts.push(Math.max(marker?.line ?? next.from, cuts[cuts.length - 1]! + 1));
    }
    gs.forEach((x, i) => {
      const from = cuts[i]!;
      const to = i + 1 < gs.length ? cuts[i + 1]! - 1 : last;
      const roles = new Set(x.ps.map((p) => (p.role === 'primary' ? 'primary' : 'replica')));
      const role: GroupMember['role'] = roles.size > 1 ? 'both' : roles.has('primary') ? 'primary' : 'replica';
      let startup: LineRange | undefined;
      if (from > 1) {
        const fromLine = s.log.logLines.find((l) => l.line >= from);
        const inc = fromLine ? s.log.incarnations[fromLine.incarnation] : s.log.incarnations[s.log.incarnations.length - 1];
        if (inc && inc.startLine < from) startup = { from: inc.startLine, to: Math.min(inc.readyLine ?? inc.startLine, from - 1) };
      }
      slices.set(`${x.g}:${server}`, { slice: { from, to }, ...(startup ? { startup } : {}), role });
    });
  }
  const groups: Topology[] = order.map((eps, g) => {
    const members: GroupMember[] = [];
    const ids = [...new Set(eps.flatMap(serversOf))];
    for (const id of ids) {
      const sl = slices.get(`${g}:${id}`)!;
      members.push({ server: id, role: sl.role, slice: sl.slice, ...(sl.startup ? { startup: sl.startup } : {}) });
    }
    const prim = members.filter((m) => m.role !== 'replica');
    const primary = prim.find((m) => m.role === 'primary') ?? prim[0];
    members.sort((a, b) => (a === primary ? -1 : b === primary ? 1 : (servers[a.server]!.port ?? 0) - (servers[b.server]!.port ?? 0) || a.server - b.server));
    const es = eps.map((i) => episodes[i]!);
    const gnotes: string[] = [];
    if (prim.length > 1 || prim.some((m) => m.role === 'both')) gnotes.push('chained replication: a server replicates from one server while another replicates from it');
    const unresolved = [...new Set(es.filter((e) => e.primary === undefined).map((e) => e.primaryPort))];
    if (unresolved.length) gnotes.push(`the log of the primary on port ${unresolved.join(', ')} is not in the folder`);
    const ts = (m: GroupMember, line: number): number | undefined => {
      const s = servers[m.server]!;
      const l = s.log.logLines.find((x) => x.line >= line && x.line <= m.slice.to);
      return l?.tsMs ?? s.tsOfLine(line);
    };
    const starts = members.map((m) => ts(m, m.slice.from)).filter((x): x is number => x !== undefined);
    const ends = members.map((m) => servers[m.server]!.log.logLines.filter((l) => l.line >= m.slice.from && l.line <= m.slice.to).pop()?.tsMs).filter((x): x is number => x !== undefined);
    return {
      id: `G${g + 1}`,
      ...(primary ? { primary: primary.server } : {}),
      ...(primary ? { primaryPort: portAt(servers[primary.server]!, Math.min(...es.map((e) => e.startTs))) ?? es[0]!.primaryPort } : { primaryPort: es[0]!.primaryPort }),
      members, episodes: es,
      startTs: starts.length ? Math.min(...starts) : Math.min(...es.map((e) => e.startTs)),
      endTs: ends.length ? Math.max(...ends) : Math.max(...es.map((e) => e.endTs)),
      notes: gnotes,
    };
  });
  const standalone = servers.filter((s) => !parts.has(s.id)).map((s) => s.id);
  return { groups, standalone, notes };
}

/** A member's log as the group judges it: every line outside its slice and start-up blanked. */
export function sliceText(s: SuiteServer, m: GroupMember): string {
  if (m.slice.from <= 1 && m.slice.to >= s.lines.length && !m.startup) return s.text;
  const keep = (n: number): boolean => (n >= m.slice.from && n <= m.slice.to) || (m.startup !== undefined && n >= m.startup.from && n <= m.startup.to);
  const out = s.lines.map((l, i) => (keep(i + 1) ? l : ''));
  // A slice that begins inside a multi-line message starts at the next log line.
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '') continue;
    const t = parseLine(out[i]!, s.path, i + 1).type;
    if (t === 'log' || t === 'banner-art' || t === 'signal') break;
    out[i] = '';
  }
  return out.join('\n');
}
