// Every fact a line carries is checked: mutants of genuine logs (chaos runs of traces/chaos/ and
// one 8.0.1 capture) change one offset, replication id, client id or port, or move one line across
// a sync boundary (conformance/logmutate.ts). Each mutant kind has an expected outcome below:
// rejected (at the changed line, or at a line that carries a value tied to it — which one, and
// why, is in the table), or accepted, with the reason the model cannot or need not tell. An
// accepted mutant that starts being rejected fails this test too: the table must then be
// updated (spec/conformance.md, "What each line's values are checked against").
//
// Validation runs in one child process (conformance/logmutate-child.ts): a two-replica run takes
// seconds per mutant, which must not hold vitest's worker thread.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allLogMutants, mutantTexts, primaryOffsetLines, readLogTexts, type LogMutant } from '../../conformance/logmutate.js';
import type { ChildJudgement } from '../../conformance/logmutate-child.js';
import { logFilesOf } from '../../conformance/logdir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'dist', 'conformance', 'logmutate-child.js');

/** Small runs (a second or two each), and how many mutants of each kind of site to keep (about 60 in all: a few minutes on a loaded machine). */
const FIXTURES: readonly { dir: string; perSite: number }[] = [
  { dir: 'traces/chaos/rdb-kill-during-sync-delay', perSite: 1 }, // 8.0.1, dual channel, sync delay
  { dir: 'traces/chaos/cron-soft-limit-order', perSite: 1 }, // 8.0.1, classic syncs, COB overflows
  { dir: 'traces/chaos/classic-bio-eof-before-data', perSite: 1 }, // 9.1.2
  { dir: 'traces/chaos/crash-mid-handshake', perSite: 1 }, // 8.1.1, two replicas, genuine partial resyncs
  { dir: 'traces/valkey-8.0.1/kill-rdb-channel', perSite: 1 }, // a real 8.0.1 capture at debug level
];

type Expect =
  | { readonly outcome: 'rejected'; readonly where: string }
  | { readonly outcome: 'accepted'; readonly why: string };

const R = (where: string): Expect => ({ outcome: 'rejected', where });
const A = (why: string): Expect => ({ outcome: 'accepted', why });
// the reader merges the debug "[PSYNC] …" lines of one addReplyReplicationBacklog call into the "accepted" record after them
const DEBUG_MERGED = (what: string): Expect => R(`the "accepted" line after it, whose record carries the debug lines' values (${what})`);
const CACHED_ID = 'the changed line itself, or the line that bound the primary\'s current id first (register primary.replid): a replica with a cached primary asks for the primary\'s current id, the only one an accepted PSYNC or a refusal for lack of backlog answers';
const NO_ANSWER = 'the primary logged no answer to this PSYNC, and the replica had no cached primary (PSYNC after REPLICAOF or a restart without its dump.rdb): the id it asked for is tied only to a mismatch line, and there is none (a replica with a cached primary asks for primary.replid, checked like an accepted PSYNC)';

/** Expected outcome by mutation kind and site (a '#n' suffix — which id of a line — is ignored). */
/** A site's outcome may depend on the mutant (which id it replaced, and whether another line names it). */
const EXPECT: Readonly<Record<string, Expect | ((m: LogMutant) => Expect)>> = {
  'offset:endoff': R('the replica\'s main-channel PSYNC (ENDOFF+1), or the primary\'s answer to it, whichever is matched first: the $ENDOFF line is the first to name the value'),
  'offset:main-psync': R('the line itself, or the primary\'s answer to that PSYNC when that is matched first (same millisecond)'),
  'offset:psync-request/accepted': R('the primary\'s "accepted … starting from offset X" line (X is the requested offset), or the request itself when the acceptance is matched first'),
  'offset:psync-request/backlog': R('the primary\'s "lack of backlog (Replica request was: X)" line'),
  'offset:psync-request/replid-mismatch': A('the primary refused the PSYNC for its replication id; its refusal names no offset, so the offset is logged nowhere else'),
  'offset:psync-request/none': A('no answer of the primary names the offset (the run was cut, or the replica was killed before the answer)'),
  'offset:accepted-offset': R('the line itself: it must repeat the replica\'s requested offset (a genuine PSYNC) or ENDOFF+1 (a main-channel PSYNC)'),
  'offset:backlog-request': R('the line itself: it must repeat the requested offset'),
  'offset:accepted-bytes': (m) => (primaryOffsetsMonotone(m)
    ? A('the byte count is the primary\'s replication offset minus the request plus one, and the changed count still names an offset no smaller than the primary\'s lines before it name and no larger than those after it (register primary.offset only never decreases)')
    : R('the line itself, or the next line of the primary naming its replication offset, now below the changed one (register primary.offset never decreases)')),
  'offset:fullresync-offset': A('Valkey logs no +FULLRESYNC line on the primary: the offset is logged nowhere else (gap: it never decreases under one replication id, which the register machinery cannot express: a field has one spec, and "ge" does not rebind)'),
  'offset:debug-request-offset': DEBUG_MERGED('requestOffset must repeat the offset the line names'),
  'offset:debug-first-byte': DEBUG_MERGED('backlogFirst must equal the request offset minus "Skipping", and first byte + history length − 1 the primary\'s offset the line names'),
  'offset:debug-history-len': DEBUG_MERGED('first byte + history length − 1 must be the primary\'s offset: the line\'s offset + bytes − 1'),
  'offset:debug-skipping': DEBUG_MERGED('the request offset minus "Skipping" must be the first byte'),
  'replid:mismatch#1': R('the line itself, or the replica\'s PSYNC line naming the id it asked for (register rN.psyncReplid), whichever is matched second'),
  'replid:mismatch#2': (m) => (namedElsewhere(m)
    ? R('the line itself, or the other line that names the primary\'s id it replaced (register primary.replid)')
    : asksForOwnId(m)
      ? R('the line itself: the primary\'s id is bound unlike the id asked for (a mismatch), and the mutant made them equal')
      : A('the first line naming the primary\'s start-up id binds it, and no other line names it before the backlog\'s creation replaces it')),
  'replid:mismatch#3': R('the line itself, or another line naming the primary\'s second id (register primary.replid2)'),
  'replid:backlog-created': R('the next line that names the primary\'s current id: a +FULLRESYNC, a main-channel PSYNC, a mismatch line (register primary.replid)'),
  'replid:main-psync': R('the line itself, or the primary\'s answer to that PSYNC when that is matched first (register primary.replid: the id $ENDOFF carried)'),
  'replid:psync-request/accepted': R(CACHED_ID),
  'replid:psync-request/backlog': R(CACHED_ID),
  'replid:psync-request/replid-mismatch': R('the line itself, or the primary\'s mismatch line, which names the id asked for (register rN.psyncReplid)'),
  'replid:psync-request/none': A(NO_ANSWER),
  'replid:fullresync': R('the line itself (register primary.replid: +FULLRESYNC carries the primary\'s current id)'),
  'client:endoff-cid': R('the "Add rdb replica … to waiting psync, with cid N" line right after it, the next line that names the rdb client (the $ENDOFF line binds the id)'),
  'client:pinned-cid': R('the line itself: the $ENDOFF line before it bound the id'),
  'client:attached-cid': R('the line itself'),
  'client:matched-cid': R('the line itself'),
  'client:unlinked-cid': R('the line itself'),
  'client:postponed-cid': R('the line itself'),
  'client:grace-cid': R('the line itself'),
  'client:cob-cid/rdb': R('the line itself: an rdb client\'s id is the one $ENDOFF announced'),
  'client:cob-cid/main': A('Valkey logs no main-channel client id before the overflow: the first line naming it binds it (only "unlike" the replica\'s rdb client ids), so a fresh id is indistinguishable'),
  'client:cob-cid/not-replica': A('a normal, pubsub or monitor client belongs to no sync and is not judged'),
  'port:port-other-replica': R('the line itself, or a line of either replica\'s log (or a primary line naming either port) that the misattributed event now contradicts'),
  'port:port-unknown': A('a port no given log\'s server listens on is a replica whose log is not given: legal, and the reader warns at the line ("is not one of the given log files\' servers"); the event then names no replica'),
  'move:move-lost-before-sync': R('the moved line, or a line it crossed'),
  'move:move-primary-after-next-sync': R('the moved line, or a line it crossed (of any file, between its old and new moment)'),
  'move:move-replica-before-sync': R('the moved line, or a line it crossed'),
};

function expectFor(m: LogMutant): Expect | undefined {
  const e = EXPECT[`${m.kind}:${m.site}`] ?? EXPECT[`${m.kind}:${m.site.replace(/#\d+$/, '')}`];
  return typeof e === 'function' ? e(m) : e;
}

/** Does another line of the run name the id the mutant replaced? */
function namedElsewhere(m: LogMutant): boolean {
  const old = m.before.match(/\b[0-9a-f]{40}\b/g)?.find((id) => !m.after.includes(id));
  if (old === undefined) return false;
  // the mutant's files: its changed line no longer names the id
  return m.files.some((f) => f.lines.some((l) => l.includes(old)));
}

/** The primary's replication offsets its lines name stay non-decreasing in the mutant (between backlog creations). */
function primaryOffsetsMonotone(m: LogMutant): boolean {
  let last = -Infinity;
  for (const l of primaryOffsetLines(m.files)) {
    if (l.value === null) last = -Infinity;
    else if (l.value < last) return false;
    else last = l.value;
  }
  return true;
}

/** A mismatch line whose mutant names the id asked for as the primary's own ("asked for 'A', my replication IDs are 'A' and …"). */
function asksForOwnId(m: LogMutant): boolean {
  const g = /Replica asked for '(\w+)', my replication IDs are '(\w+)'/.exec(m.after);
  return g !== null && g[1] === g[2];
}

interface Row { fixture: string; m: LogMutant; out: string; r?: ChildJudgement }

function runChild(manifest: string): Promise<ChildJudgement[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--max-old-space-size=8192', CHILD, manifest], { maxBuffer: 256 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      try { resolve(JSON.parse(stdout) as ChildJudgement[]); } catch { reject(new Error(`child failed: ${err?.message ?? ''} ${stderr.slice(0, 500)}`)); }
    });
  });
}

const rows: Row[] = [];
let baselines: ChildJudgement[] = [];
let tmp = '';

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'replcheck-logmut-'));
  // the unmutated runs first: which lines they judge (a line after a cut, or a known-ignored one, is not an event)
  const originals = FIXTURES.map((f) => logFilesOf(path.join(ROOT, f.dir)));
  const baseManifest = path.join(tmp, 'base.json');
  writeFileSync(baseManifest, JSON.stringify(originals));
  baselines = await runChild(baseManifest);
  const sets: string[][] = [];
  FIXTURES.forEach((f, fi) => {
    const files = originals[fi]!;
    const judged = new Set(baselines[fi]!.judged.map((s) => path.basename(s)));
    const texts = readLogTexts(files.map((p) => ({ name: path.basename(p), text: readFileSync(p, 'utf8') })));
    const bySite = new Map<string, LogMutant[]>();
    for (const m of allLogMutants(texts)) {
      // a value on a line that is no event is only kept for the debug lines (to say they are not judged)
      const where = m.kind === 'move' ? `${m.at.file}:${lineBefore(m)}` : `${m.at.file}:${m.at.line}`;
      if (!judged.has(where) && !m.site.startsWith('debug-')) continue;
      // each id of a replication-id line is a site of its own: they are checked against different registers
      const key = m.kind === 'replid' ? `${m.kind}:${m.site}` : `${m.kind}:${m.site.replace(/#\d+$/, '')}`;
      bySite.set(key, [...(bySite.get(key) ?? []), m]);
    }
    for (const [, ms] of [...bySite].sort(([a], [b]) => a.localeCompare(b))) {
      // deterministic sample: the first and (for perSite 2) the last site
      const pick = f.perSite >= 2 && ms.length > 1 ? [ms[0]!, ms[ms.length - 1]!] : [ms[0]!];
      for (const m of pick) {
        const out = path.join(tmp, `m${rows.length}`);
        mkdirSync(out);
        sets.push(mutantTexts(m).map(({ name, text }) => { const p = path.join(out, name); writeFileSync(p, text); return p; }));
        rows.push({ fixture: f.dir, m, out });
      }
    }
  });
  const manifest = path.join(tmp, 'mutants.json');
  writeFileSync(manifest, JSON.stringify(sets));
  const res = await runChild(manifest);
  res.forEach((r, i) => { rows[i]!.r = r; });
  const table = rows.map((x) => {
    const r = x.r!;
    const site = r.src ? path.relative(x.out, r.src) : '';
    return `${path.basename(x.fixture)} | ${x.m.description} | ${r.verdict}${site ? ` at ${site}` : ''}`;
  });
  console.log(`log mutants (${rows.length}):\n${table.join('\n')}`);
}, 900_000);

afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

/** For a move: the original line number of the moved line (from the description). */
function lineBefore(m: LogMutant): number {
  return Number(/^[^:]+:(\d+) moved/.exec(m.description)![1]);
}

describe('log mutants of genuine runs', () => {
  it('the unmutated runs conform', () => {
    for (const b of baselines) expect(b.verdict).toBe('conforms');
  });

  it('every kind of mutation has sites in the sample', () => {
    const kinds = new Set(rows.map((x) => x.m.kind));
    expect([...kinds].sort()).toEqual(['client', 'move', 'offset', 'port', 'replid']);
    expect(rows.length).toBeGreaterThan(30);
  });

  it('each mutant has an expected outcome', () => {
    const missing = rows.filter((x) => !expectFor(x.m)).map((x) => `${x.m.kind}:${x.m.site} (${x.fixture} ${x.m.description})`);
    expect(missing).toEqual([]);
  });

  it('each mutant is rejected where the table says, or accepted for the reason it gives', () => {
    const wrong: string[] = [];
    for (const x of rows) {
      const e = expectFor(x.m);
      const r = x.r!;
      if (!e) continue;
      const tag = `${path.basename(x.fixture)}: ${x.m.description}`;
      if (e.outcome === 'accepted') {
        if (r.verdict !== 'conforms') wrong.push(`${tag}: expected accepted (${e.why}), got ${r.verdict} at ${r.src ?? '?'}`);
        if (x.m.site.startsWith('port-unknown') && !r.warnings.some((w) => w.includes(`/${x.m.at.file}:${x.m.at.line}: replica `))) {
          wrong.push(`${tag}: accepted, but the reader gave no warning at the changed line`);
        }
        continue;
      }
      if (r.verdict !== 'violates') { wrong.push(`${tag}: expected rejected (${e.where}), got ${r.verdict}`); continue; }
      const ok = new Set([`${x.m.at.file}:${x.m.at.line}`, ...x.m.related.map((l) => `${l.file}:${l.line}`)]);
      const sites = [r.src, ...(r.alternatives ?? [])].filter((s): s is string => s !== undefined).map((s) => path.relative(x.out, s));
      if (!sites.some((s) => ok.has(s))) wrong.push(`${tag}: rejected at ${sites.join(' / ')}, which is neither the changed line nor one tied to it (${e.where})`);
    }
    expect(wrong).toEqual([]);
  });
});
