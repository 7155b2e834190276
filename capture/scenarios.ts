import fs from "node:fs";
import { clientInfoFields, cobKind } from "./patterns.js";
import { LOG_LINE, LogWatcher } from "./logwatch.js";
import { pidState } from "./procs.js";
import type { RunContext, Writer } from "./run-context.js";
import { LOOPBACK } from "./ports.js";
import { sleep } from "./timefmt.js";

export interface ScenarioDef {
  /** kebab-case name, used by `replcheck capture --scenario NAME`. */
  name: string;
  /** part of the fast subset run in CI. */
  fast: boolean;
  /** one line. */
  description: string;
  /** section of shared/design/valkey-real-runs.md this reproduces. */
  doc: string;
  /** server roles it starts (log files `<role>.log`). */
  servers: string[];
  /** hard bound for the whole scenario (the run is aborted and cleaned up after it). */
  timeoutMs: number;
  run(ctx: RunContext): Promise<void>;
}

// ---------------------------------------------------------------- helpers

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Epoch ms of a valkey log line's timestamp (local time), or NaN. */
export function lineTime(line: string): number {
  const m = LOG_LINE.exec(line);
  if (!m) return NaN;
  const t = /^(\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(m[3]!);
  if (!t) return NaN;
  return new Date(+t[3]!, MONTHS[t[2]!]!, +t[1]!, +t[4]!, +t[5]!, +t[6]!, +t[7]!).getTime();
}

interface PairOptions {
  keys: number;
  valueSize?: number;
  primaryConfig?: [string, string][];
  replicaConfig?: [string, string][];
}

/** Start primary + replica, apply CONFIG SETs, populate the primary. */
async function setupPair(ctx: RunContext, o: PairOptions): Promise<void> {
  await ctx.startServer("primary");
  await ctx.startServer("replica");
  for (const [k, v] of o.primaryConfig ?? []) await ctx.cmd("primary", "CONFIG", "SET", k, v);
  for (const [k, v] of o.replicaConfig ?? []) await ctx.cmd("replica", "CONFIG", "SET", k, v);
  if (o.keys > 0) await ctx.cmd("primary", "DEBUG", "POPULATE", o.keys, "key", o.valueSize ?? 100);
}

async function replicaOf(ctx: RunContext, replica = "replica", primary = "primary"): Promise<void> {
  await ctx.cmd(replica, "REPLICAOF", LOOPBACK, ctx.server(primary).port);
}

/** First `$ENDOFF` (offset, rdb client id) at or after line `from` on the primary. */
function endoffAt(ctx: RunContext, i: number): { endoff: number; cid: number } | undefined {
  const m = ctx.lineMatch("primary", i, ctx.P.endoff);
  return m ? { endoff: Number(m[1]), cid: Number(m[2]) } : undefined;
}

/** COB overflow lines of `server` from `from`, with their kind. */
function cobLines(ctx: RunContext, server: string, from = 0) {
  return ctx.watcher(server).findAll(ctx.P.cob, from).map((i) => {
    const info = ctx.P.cob.exec(LogWatcher.msg(ctx.line(server, i)))![1]!;
    return { i, info, kind: cobKind(info), time: lineTime(ctx.line(server, i)) };
  });
}

/** Index of the first line matching `re` after `from`, or -1 (no waiting). */
function firstAfter(ctx: RunContext, server: string, re: RegExp, from = 0): number {
  return ctx.watcher(server).findAll(re, from)[0] ?? -1;
}

/** Wait for the rdb fork child to be started on the primary, adopt it, return pid + line index. */
async function waitChild(ctx: RunContext, from = 0): Promise<{ pid: number; i: number }> {
  const i = await ctx.expectLog("primary", ctx.P.childStarted, 20000, from);
  const pid = Number(ctx.lineMatch("primary", i, ctx.P.childStarted)![1]);
  const ours = ctx.adoptRdbChild(pid, "primary");
  ctx.log(`primary rdb fork child pid=${pid}${ours ? " (child of our primary, valkey-rdb-to-replicas)" : " (already gone or not ours)"}`);
  return { pid, i };
}

/** Find the primary-side client of a replica channel via CLIENT LIST. */
async function findChannel(ctx: RunContext, which: "main" | "rdb"): Promise<string | undefined> {
  const list = await ctx.clientList("primary");
  const hit =
    which === "rdb"
      ? list.find((c) => (c.flags ?? "").includes("S") && c.cmd === "sync")
      : list.find((c) => (c.flags ?? "").includes("S") && c.cmd === "psync") ?? list.find((c) => c.cmd === "psync");
  return hit?.id;
}

/** Wait (bounded) for a process state letter. */
async function waitPidState(pid: number, want: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let st = pidState(pid);
  while (st !== want && Date.now() < deadline) {
    await sleep(10);
    st = pidState(pid);
  }
  return st;
}

/**
 * Sleep until the wall clock is in a later second than `t` (epoch ms) plus `marginMs`.
 * A replica names its transfer temp file temp-<unixtime>.<pid>.rdb and leaves it behind
 * when a dual-channel attempt is aborted; a retry within the same second then finds it
 * ("Opening the temp file needed for PRIMARY <-> REPLICA synchronization: File exists")
 * and blocks ~5 s in sleep(1) retries. Scenarios that are not about that step past it.
 */
async function pastSecondOf(ctx: RunContext, t: number, marginMs = 50): Promise<void> {
  const target = Math.floor(t / 1000) * 1000 + 1000 + marginMs;
  const ms = target - Date.now();
  if (ms > 0) {
    ctx.log(`waiting ${ms} ms so the next attempt falls in a later wall-clock second (replica temp-file name)`);
    await sleep(ms);
  }
}

// ---------------------------------------------------------------- scenarios

const fullSyncWithWrites: ScenarioDef = {
  name: "full-sync-with-writes",
  fast: true,
  description: "S1: normal dual-channel full sync with writes during transfer and load; both sides end identical",
  doc: "S1",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [["rdb-key-save-delay", "40"]],
      replicaConfig: [
        ["key-load-delay", "40"],
        ["loading-process-events-interval-bytes", "65536"],
      ],
    });
    const w = await ctx.startWriter("primary", { rate: 2000, valueSize: 100, keyspace: 5000 });
    await sleep(300);
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff, cid } = endoffAt(ctx, ei)!;
    await ctx.expectLog("replica", ctx.P.streamed, 20000);
    await sleep(500);
    await w.stop();
    await ctx.checkInSync("primary", "replica");

    const pm = firstAfter(ctx, "primary", ctx.P.mainMatchedRdb, ei);
    ctx.check("rdb channel client id from $ENDOFF matched by the main PSYNC", pm >= 0 && Number(ctx.lineMatch("primary", pm, ctx.P.mainMatchedRdb)![1]) === cid, `endoff=${endoff} cid=${cid}`);
    const pa = firstAfter(ctx, "primary", ctx.P.psyncAccepted, ei);
    ctx.check("main-channel PSYNC accepted at endoff+1", pa >= 0 && Number(ctx.lineMatch("primary", pa, ctx.P.psyncAccepted)![2]) === endoff + 1, ctx.line("primary", pa));
    ctx.check("replica: RDB load in background", ctx.watcher("replica").count(ctx.P.loadInBackground) === 1 && ctx.watcher("replica").count(ctx.P.psyncAfterLoad) === 0);
    ctx.check("replica: Finished with success once", ctx.watcher("replica").count(ctx.P.finished) === 1);
    ctx.check("primary: Synchronization with replica succeeded once", ctx.watcher("primary").count(ctx.P.replicaOnline) === 1);
    ctx.check("one full sync (one BGSAVE, dual-channel)", ctx.watcher("primary").findAll(ctx.P.bgsave).length === 1 && ctx.watcher("primary").count(/using: dual-channel$/) === 1);
    ctx.check("no link loss, no COB overflow", ctx.watcher("replica").count(ctx.P.primaryLost) === 0 && cobLines(ctx, "primary").length === 0);
  },
};

/** Shared body of the S2 variants: main-channel COB overflow while the replica loads. */
async function cobOverflowDuringLoad(ctx: RunContext, v: { backlog: string; cob: string; keys: number; loadDelay: string; expect: "lack-of-backlog" | "partial-resync" }) {
  await setupPair(ctx, {
    keys: v.keys,
    primaryConfig: [
      ["repl-backlog-size", v.backlog],
      ["client-output-buffer-limit", v.cob],
    ],
    replicaConfig: [["key-load-delay", v.loadDelay]],
  });
  const w = await ctx.startWriter("primary", { rate: 5000, valueSize: 1000, keyspace: 200 });
  await replicaOf(ctx);
  const ei = await ctx.expectLog("primary", ctx.P.endoff);
  const { endoff } = endoffAt(ctx, ei)!;
  const ci = await ctx.expectLog("primary", ctx.P.cob, 20000, ei);
  // the first PSYNC verdict after the overflow: stop the writer there (doc S2)
  const verdictRe = v.expect === "lack-of-backlog" ? ctx.P.lackOfBacklog : ctx.P.psyncAccepted;
  const vi = await ctx.waitLog("primary", verdictRe, 20000, ci);
  await w.stop();
  if (v.expect === "lack-of-backlog") {
    // second full sync
    await ctx.waitLog("primary", ctx.P.replicaOnline, 20000, Math.max(vi, 0));
  } else {
    await ctx.waitLog("replica", ctx.P.truePsyncOk, 10000);
  }
  await ctx.checkInSync("primary", "replica");

  const cob = cobLines(ctx, "primary")[0];
  ctx.check("main channel (flags=S cmd=psync) overflowed its COB", cob?.kind === "main-channel" && /cmd=psync/.test(cob.info), cob?.info.slice(0, 200));
  const ls = ctx.watcher("replica").findAll(ctx.P.loadStart)[0];
  const ld = ctx.watcher("replica").findAll(ctx.P.loadDone)[0];
  const during = cob !== undefined && ls !== undefined && ld !== undefined && cob.time >= lineTime(ctx.line("replica", ls)) && cob.time <= lineTime(ctx.line("replica", ld));
  ctx.check("overflow happened during the replica's RDB load", during);
  const fin = ctx.watcher("replica").findAll(ctx.P.finished)[0] ?? -1;
  const lost = firstAfter(ctx, "replica", ctx.P.primaryLost, Math.max(fin, 0));
  ctx.check("replica: 'Finished with success' first, then 'Connection with primary lost'", fin >= 0 && lost > fin);
  const ps = firstAfter(ctx, "replica", ctx.P.psyncSent, Math.max(lost, 0));
  const reqOff = ps >= 0 ? Number(ctx.lineMatch("replica", ps, ctx.P.psyncSent)![2]) : NaN;
  ctx.check("replica retried PSYNC past endoff+1 (it had buffered data)", reqOff > endoff + 1, `endoff=${endoff} request=${reqOff}`);
  if (v.expect === "lack-of-backlog") {
    const m = vi >= 0 ? ctx.lineMatch("primary", vi, ctx.P.lackOfBacklog) : null;
    ctx.check("primary: 'Unable to partial resync … for lack of backlog' at that offset", m !== null && Number(m[1]) === reqOff, m ? ctx.line("primary", vi) : "missing");
    ctx.check("a second full sync followed and completed", ctx.watcher("primary").findAll(ctx.P.bgsave).length >= 2 && firstAfter(ctx, "primary", ctx.P.replicaOnline, Math.max(vi, 0)) >= 0);
  } else {
    const m = vi >= 0 ? ctx.lineMatch("primary", vi, ctx.P.psyncAccepted) : null;
    ctx.check("primary: partial resync accepted at the replica's offset", m !== null && Number(m[2]) === reqOff, m ? ctx.line("primary", vi) : "missing");
    ctx.check("replica: 'Successful partial resynchronization with primary.'", ctx.watcher("replica").count(ctx.P.truePsyncOk) === 1);
    ctx.check("no second full sync, no lack of backlog", ctx.watcher("primary").findAll(ctx.P.bgsave).length === 1 && ctx.watcher("primary").count(ctx.P.lackOfBacklog) === 0);
  }
}

const cobOverflowSmallBacklog: ScenarioDef = {
  name: "cob-overflow-small-backlog",
  fast: true,
  description: "S2a: main-channel COB overflow (replica 1mb 0 0) during the replica's load, 16kb backlog: PSYNC refused for lack of backlog, second full sync",
  doc: "S2a",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  run: (ctx) => cobOverflowDuringLoad(ctx, { backlog: "16kb", cob: "replica 1mb 0 0", keys: 10000, loadDelay: "100", expect: "lack-of-backlog" }),
};

const cobOverflowSoftLimit: ScenarioDef = {
  name: "cob-overflow-soft-limit",
  fast: true,
  description: "S2c: soft COB limit (replica 0 1mb 1) + 100mb backlog: main channel overflows during the load, then the partial resync is accepted",
  doc: "S2c",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  run: (ctx) => cobOverflowDuringLoad(ctx, { backlog: "100mb", cob: "replica 0 1mb 1", keys: 20000, loadDelay: "100", expect: "partial-resync" }),
};

const localBufferLimit: ScenarioDef = {
  name: "local-buffer-limit",
  fast: true,
  description: "S3: replica's own 'replica 1mb' limit stops its local buffering during the transfer; the backlog piles up on the primary and the sync still succeeds",
  doc: "S3a",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [["rdb-key-save-delay", "60"]],
      replicaConfig: [
        ["client-output-buffer-limit", "replica 1mb 0 0"],
        ["key-load-delay", "40"],
      ],
    });
    const w = await ctx.startWriter("primary", { rate: 3000, valueSize: 1000, keyspace: 2000 });
    await replicaOf(ctx);
    const li = await ctx.waitLog("replica", ctx.P.localBufLimit, 20000);
    await ctx.expectLog("replica", ctx.P.streamed, 20000);
    await w.stop();
    await ctx.checkInSync("primary", "replica");
    const ls = ctx.watcher("replica").findAll(ctx.P.loadStart)[0] ?? -1;
    ctx.check("replica: 'Replication buffer limit reached, stopping buffering.' once, before the load", li >= 0 && ctx.watcher("replica").count(ctx.P.localBufLimit) === 1 && li < ls);
    ctx.check("no COB overflow on the primary", cobLines(ctx, "primary").length === 0);
    ctx.check("sync completed without link loss", ctx.watcher("primary").count(ctx.P.replicaOnline) === 1 && ctx.watcher("replica").count(ctx.P.primaryLost) === 0);
  },
};

/** Shared body of the S4 transfer-phase kills. */
async function killDuringTransfer(ctx: RunContext, what: "main" | "rdb" | "child") {
  await setupPair(ctx, {
    keys: 10000,
    primaryConfig: [["rdb-key-save-delay", "100"]],
    replicaConfig: [["repl-timeout", "3"]],
  });
  const w = await ctx.startWriter("primary", { rate: 1000, valueSize: 100, keyspace: 2000 });
  await replicaOf(ctx);
  const child = await waitChild(ctx);
  // kill in a later wall-clock second than the transfer start (see pastSecondOf)
  await sleep(300);
  await pastSecondOf(ctx, lineTime(ctx.line("primary", child.i)));
  const killAt = ctx.watcher("primary").poll();
  const rKillAt = ctx.watcher("replica").poll();
  if (what === "child") {
    ctx.signal(child.pid, "SIGKILL", "primary's rdb fork child");
  } else {
    const id = await findChannel(ctx, what);
    ctx.check(`found the ${what} channel client on the primary`, id !== undefined, `id=${id}`);
    if (id === undefined) throw new Error(`no ${what} channel client found`);
    await ctx.cmd("primary", "CLIENT", "KILL", "ID", id);
  }
  // the next full sync need not be slow: its fork child reads the new value
  await ctx.cmd("primary", "CONFIG", "SET", "rdb-key-save-delay", "0");
  await ctx.expectLog("replica", ctx.P.dualAbort, 10000, rKillAt);
  await ctx.expectLog("primary", ctx.P.replicaOnline, 20000, killAt);
  await w.stop();
  await ctx.checkInSync("primary", "replica");

  const pw = ctx.watcher("primary");
  const rw = ctx.watcher("replica");
  ctx.check("replica aborted the dual channel sync after the kill", rw.count(ctx.P.dualAbort, rKillAt) >= 1);
  ctx.check("primary: rdb channel disconnected after the kill", pw.count(ctx.P.rdbChannelClosed, killAt) >= 1);
  ctx.check("a new dual-channel full sync followed and completed", pw.count(/using: dual-channel$/, killAt) >= 1 && pw.count(ctx.P.replicaOnline, killAt) === 1 && pw.count(ctx.P.replicaOnline) === 1);
  if (what === "main") {
    ctx.check("replica noticed at once: 'Provisional primary closed connection' / 'Error reading from primary'", rw.count(ctx.P.provisionalClosed, rKillAt) >= 1);
    ctx.check("primary: Connection with replica lost", pw.count(ctx.P.replicaLost, killAt) >= 1);
  } else if (what === "rdb") {
    ctx.check("replica: 'I/O error trying to sync with PRIMARY'", rw.count(ctx.P.syncIoError, rKillAt) >= 1);
    ctx.check("primary: the fork child ended in error", pw.findAll(ctx.P.childDone, killAt).some((i) => ctx.lineMatch("primary", i, ctx.P.childDone)![1] === "error"));
  } else {
    ctx.check("primary: 'Background RDB transfer terminated by signal 9'", pw.findAll(ctx.P.childDone, killAt).some((i) => ctx.lineMatch("primary", i, ctx.P.childDone)![2] === "9"));
    ctx.check("primary: 'SYNC failed. BGSAVE child returned an error'", pw.count(ctx.P.syncFailedChild, killAt) >= 1);
  }
}

const killMainChannel: ScenarioDef = {
  name: "kill-main-channel",
  fast: true,
  description: "S4: CLIENT KILL of the main channel (flags=S cmd=psync) during the RDB transfer: replica aborts at once, new full sync",
  doc: "S4 client-kill-main",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  run: (ctx) => killDuringTransfer(ctx, "main"),
};

const killRdbChannel: ScenarioDef = {
  name: "kill-rdb-channel",
  fast: true,
  description: "S4: CLIENT KILL of the rdb channel (flags=S cmd=sync) during the transfer: I/O error, abort, new full sync",
  doc: "S4 client-kill-rdb",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  run: (ctx) => killDuringTransfer(ctx, "rdb"),
};

const killRdbChild: ScenarioDef = {
  name: "kill-rdb-child",
  fast: true,
  description: "S4: SIGKILL of the primary's fork child (valkey-rdb-to-replicas) mid-transfer: 'terminated by signal 9', abort, new full sync",
  doc: "S4 kill-rdb-child",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  run: (ctx) => killDuringTransfer(ctx, "child"),
};

const killReplicaDuringLoad: ScenarioDef = {
  name: "kill-replica-during-load",
  fast: true,
  description: "S4: kill -9 the replica during its RDB load, restart it with --replicaof: it loads the persisted dump.rdb and gets a true partial resync at endoff+1",
  doc: "S4 kill-replica-load",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 15000,
      replicaConfig: [
        ["key-load-delay", "100"],
        ["repl-timeout", "3"],
      ],
    });
    const w = await ctx.startWriter("primary", { rate: 1000, valueSize: 100, keyspace: 2000 });
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff } = endoffAt(ctx, ei)!;
    await ctx.expectLog("replica", ctx.P.loadStart, 20000);
    await sleep(400);
    const killAt = await kill9KeepingDumpRdb(ctx, "during the RDB load", "renamed before loading");
    // restarted without key-load-delay (a runtime CONFIG SET), so the start-up load is quick
    await restartFromDumpRdb(ctx, w, endoff, killAt);
  },
};

/**
 * kill -9 the replica (`when`: in the driver log) and check that its directory holds dump.rdb
 * (`why`: in the check's name). Returns the primary's log position at the kill.
 */
async function kill9KeepingDumpRdb(ctx: RunContext, when: string, why: string): Promise<number> {
  const replica = ctx.server("replica");
  const killAt = ctx.watcher("primary").poll();
  await replica.kill9(`scenario: kill -9 ${when}`);
  ctx.dropClient("replica");
  const files = fs.readdirSync(replica.dir).sort();
  ctx.log(`replica dir after kill: ${JSON.stringify(files)}`);
  ctx.check(`replica dir holds dump.rdb after the kill (${why})`, files.includes("dump.rdb"), JSON.stringify(files));
  return killAt;
}

/**
 * The replica was killed with a renamed dump.rdb: restart it with --replicaof; it loads the file
 * and resyncs partially at endoff+1 (no second full sync) while the writer `w` runs, then stops it.
 */
async function restartFromDumpRdb(ctx: RunContext, w: Writer, endoff: number, killAt: number): Promise<void> {
  const rFrom = ctx.watcher("replica").poll();
  await ctx.restartServer("replica", [
    ["replicaof", `${LOOPBACK} ${ctx.server("primary").port}`],
    ["repl-timeout", "3"],
  ]);
  await ctx.expectLog("replica", ctx.P.truePsyncOk, 20000, rFrom);
  await sleep(300);
  await w.stop();
  await ctx.checkInSync("primary", "replica");

  ctx.check("restarted replica loaded the RDB from disk", ctx.watcher("replica").count(ctx.P.dbLoadedFromDisk, rFrom) === 1);
  const pa = firstAfter(ctx, "primary", ctx.P.psyncAccepted, killAt);
  const m = pa >= 0 ? ctx.lineMatch("primary", pa, ctx.P.psyncAccepted) : null;
  ctx.check("primary accepted a true partial resync at endoff+1", m !== null && Number(m[2]) === endoff + 1, m ? ctx.line("primary", pa) : "missing");
  ctx.check("no second full sync", ctx.watcher("primary").findAll(ctx.P.bgsave).length === 1);
}

// 8.x readSyncBulkPayload logs this after renaming the completed download into dump.rdb and before
// emptyData and "Loading DB in memory" (9.x flushes inside rdbLoad, after that line)
const FLUSHING_OLD = /^PRIMARY <-> REPLICA sync: Flushing old data$/;

const killReplicaAfterRename: ScenarioDef = {
  name: "kill-replica-after-rename",
  fast: true,
  description: "S4 variant: kill -9 the replica after it renamed its completed download into dump.rdb, while it flushes a big old dataset before 'Loading DB in memory': the restart loads that file and resyncs partially",
  doc: "S4 kill-replica-after-rename",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    // replica-lazy-flush off: emptyData frees the old dataset in the main thread, between the rename and the load
    await setupPair(ctx, { keys: 2000, replicaConfig: [["repl-timeout", "3"], ["replica-lazy-flush", "no"]] });
    // an old dataset whose emptyData takes long enough for the kill to land before the load starts
    await ctx.cmd("replica", "DEBUG", "POPULATE", 3000000, "old", 8);
    const w = await ctx.startWriter("primary", { rate: 500, valueSize: 100, keyspace: 2000 });
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff } = endoffAt(ctx, ei)!;
    const fi = await ctx.expectLog("replica", FLUSHING_OLD, 20000);
    const killAt = await kill9KeepingDumpRdb(ctx, "after the rename, before the load", "renamed before the flush");
    ctx.check("the replica was killed before 'Loading DB in memory'", firstAfter(ctx, "replica", ctx.P.loadStart, fi) < 0);
    await restartFromDumpRdb(ctx, w, endoff, killAt);
  },
};

const dualChannelOneSide: ScenarioDef = {
  name: "dual-channel-one-side",
  fast: true,
  description: "S5: dual-channel enabled on one side only, both directions (replica no / primary yes, then primary no / replica2 yes): silent fallback to normal sync",
  doc: "S5",
  servers: ["primary", "replica", "replica2"],
  timeoutMs: 60000,
  async run(ctx) {
    await ctx.startServer("primary");
    await ctx.startServer("replica", [["dual-channel-replication-enabled", "no"]]);
    await ctx.startServer("replica2");
    await ctx.cmd("primary", "DEBUG", "POPULATE", 5000, "key", 100);
    const w = await ctx.startWriter("primary", { rate: 500, valueSize: 100, keyspace: 500 });
    // direction 1: primary yes, replica no
    await replicaOf(ctx, "replica");
    await ctx.expectLog("replica", ctx.P.finished, 20000);
    const mid = ctx.watcher("primary").poll();
    // direction 2: primary no, replica2 yes
    await ctx.cmd("primary", "CONFIG", "SET", "dual-channel-replication-enabled", "no");
    await replicaOf(ctx, "replica2");
    await ctx.expectLog("replica2", ctx.P.finished, 20000);
    await sleep(200);
    await w.stop();
    await ctx.checkInSync("primary", "replica");
    await ctx.checkInSync("primary", "replica2");

    const pw = ctx.watcher("primary");
    ctx.check("primary: two 'using: normal sync' BGSAVEs, none dual-channel", pw.count(/using: normal sync$/) === 2 && pw.count(/using: dual-channel$/) === 0);
    ctx.check("primary: never offered dual channel, no $ENDOFF", pw.count(ctx.P.dualOffered) === 0 && pw.count(ctx.P.endoff) === 0);
    ctx.check("primary: transfer piped through the parent both times", pw.findAll(ctx.P.childStarted).filter((i) => /pipe through parent process$/.test(ctx.line("primary", i))).length === 2);
    for (const r of ["replica", "replica2"]) {
      const rw = ctx.watcher(r);
      ctx.check(`${r}: 'Full resync from primary', no rdb channel`, rw.count(ctx.P.fullResyncFromPrimary) === 1 && rw.count(ctx.P.psyncNotPossibleDual) === 0);
    }
    ctx.check("direction 1 finished before direction 2 started", pw.count(ctx.P.bgsave, 0) === 2 && pw.findAll(ctx.P.bgsave)[0]! < mid);
  },
};

const normalClientsOverflow: ScenarioDef = {
  name: "normal-clients-overflow",
  fast: true,
  description: "S6: a normal (GET bigkey), a pubsub and a monitor client that never read overflow their 1mb COB during a dual-channel sync; the sync is unaffected",
  doc: "S6 normal-only",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [
        ["client-output-buffer-limit", "normal 1mb 0 0 pubsub 1mb 0 0"],
        ["rdb-key-save-delay", "40"],
      ],
      replicaConfig: [["key-load-delay", "40"]],
    });
    await ctx.cmd("primary", "SET", "bigkey", "b".repeat(512 * 1024));
    await replicaOf(ctx);
    await waitChild(ctx);
    const before = ctx.watcher("primary").poll();
    await ctx.openNonReading("primary", "slow-monitor", [["CLIENT", "SETNAME", "slow-monitor"], ["MONITOR"]]);
    await ctx.openNonReading("primary", "slow-subscriber", [["CLIENT", "SETNAME", "slow-subscriber"], ["SUBSCRIBE", "chan"]]);
    await ctx.openNonReading("primary", "slow-getter", [["CLIENT", "SETNAME", "slow-getter"], ...Array.from({ length: 40 }, () => ["GET", "bigkey"])]);
    await sleep(100);
    // ~5 MB to a subscriber that never reads, in messages its version counts against the limit
    const flood = ctx.profile.publishFlood;
    const payload = "p".repeat(flood.bytes);
    for (let i = 0; i < flood.count; i++) await ctx.cmd("primary", "PUBLISH", "chan", payload);
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && new Set(cobLines(ctx, "primary", before).map((c) => c.kind)).size < 3) await sleep(50);
    await ctx.expectLog("replica", ctx.P.streamed, 20000);
    await ctx.checkInSync("primary", "replica");

    const kinds = cobLines(ctx, "primary");
    for (const [kind, name, cmd] of [
      ["normal", "slow-getter", "get"],
      ["pubsub", "slow-subscriber", "subscribe"],
      ["monitor", "slow-monitor", "monitor"],
    ] as const) {
      const c = kinds.find((k) => k.kind === kind);
      ctx.check(`${kind} client (name=${name} cmd=${cmd}) overflowed its COB`, c !== undefined && c.info.includes(`name=${name} `) && c.info.includes(`cmd=${cmd} `), c?.info.slice(0, 160));
    }
    ctx.check("no replica channel overflowed", !kinds.some((k) => k.kind === "main-channel" || k.kind === "rdb-channel"));
    const ls = lineTime(ctx.line("replica", ctx.watcher("replica").findAll(ctx.P.streamed)[0] ?? -1));
    ctx.check("the overflows happened while the sync was in progress", kinds.length >= 3 && kinds.every((k) => k.time <= ls));
    ctx.check("the sync completed once without link loss", ctx.watcher("primary").count(ctx.P.replicaOnline) === 1 && ctx.watcher("replica").count(ctx.P.primaryLost) === 0);
  },
};

const leftoverRdbClient: ScenarioDef = {
  name: "leftover-rdb-client",
  fast: true,
  description: "S7 cob: the protected rdb client, kept after its transfer while the replica is paused before its main PSYNC, overflows (flags=SA cmd=sync); the late PSYNC is refused for lack of backlog",
  doc: "S7 cob",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10,
      primaryConfig: [
        ["client-output-buffer-limit", "replica 1100k 0 0"],
        ["repl-backlog-size", "1mb"],
      ],
    });
    await ctx.cmd("replica", "DEBUG", "PAUSE-AFTER-FORK", 1);
    const w = await ctx.startWriter("primary", { rate: 2000, valueSize: 1000, keyspace: 2000 });
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff, cid } = endoffAt(ctx, ei)!;
    const rpid = ctx.server("replica").pid!;
    const st = await waitPidState(rpid, "T", 5000);
    ctx.log(`replica pid=${rpid} process state: ${st} (T = stopped by its own raise(SIGSTOP))`);
    ctx.check("replica stopped itself before its main PSYNC (DEBUG PAUSE-AFTER-FORK)", st === "T");
    const ci = await ctx.expectLog("primary", ctx.P.cob, 10000, ei);
    await pastSecondOf(ctx, lineTime(ctx.line("primary", ei)));
    // resume the replica; the reply to PAUSE-AFTER-FORK 0 arrives once it runs again
    const reply = ctx.sendNoWait("replica", ["DEBUG", "PAUSE-AFTER-FORK", 0]);
    ctx.signal(rpid, "SIGCONT", "replica");
    await reply;
    await ctx.expectLog("replica", ctx.P.dualAbortResult6, 10000);
    const li = await ctx.waitLog("primary", ctx.P.lackOfBacklog, 10000, ci);
    await w.stop();
    await ctx.expectLog("replica", ctx.P.streamed, 20000);
    await ctx.checkInSync("primary", "replica");

    const pw = ctx.watcher("primary");
    const cob = cobLines(ctx, "primary")[0];
    ctx.check("the overflowing client is the rdb channel of $ENDOFF (flags=SA cmd=sync)", cob !== undefined && cob.kind === "rdb-channel" && cob.info.startsWith(`id=${cid} `) && / flags=SA /.test(cob.info), cob?.info.slice(0, 200));
    const pp = pw.findAll(ctx.P.postpone)[0];
    ctx.check("its free was postponed (protected rdb client)", pp !== undefined && Number(ctx.lineMatch("primary", pp, ctx.P.postpone)![1]) === cid && pp < ci, pp !== undefined ? ctx.line("primary", pp) : "missing");
    const un = firstAfter(ctx, "primary", ctx.P.rdbUnlinked, ci);
    ctx.check("primary: removed from waiting psync (replicas rax) after the overflow", un >= 0 && Number(ctx.lineMatch("primary", un, ctx.P.rdbUnlinked)![1]) === cid);
    const lm = li >= 0 ? ctx.lineMatch("primary", li, ctx.P.lackOfBacklog) : null;
    ctx.check("the late main-channel PSYNC at endoff+1 was refused for lack of backlog", lm !== null && Number(lm[1]) === endoff + 1, lm ? ctx.line("primary", li) : "missing");
    ctx.check("a new full sync completed", pw.count(/using: dual-channel$/) >= 2 && pw.count(ctx.P.replicaOnline) >= 1);
  },
};

const leftoverRdbClientGrace: ScenarioDef = {
  name: "leftover-rdb-client-grace",
  fast: true,
  description: "S7 grace: the protected rdb client outlives a 2 s grace period (DEBUG DELAY-RDB-CLIENT-FREE-SECONDS 2) and is freed; the late PSYNC is then accepted as a plain partial resync",
  doc: "S7 grace",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    // rdb-key-save-delay 20000 (20 ms a key, 10 keys) makes the transfer outlast the
    // replica's main-channel handshake, so the replica stops itself before the RDB has
    // arrived (the doc's order). Without it the 10-key RDB can be received and loaded
    // first, and the late PSYNC then logs "Dual channel sync - psync established after rdb load".
    await setupPair(ctx, { keys: 10, primaryConfig: [["rdb-key-save-delay", "20000"]] });
    await ctx.cmd("primary", "DEBUG", "DELAY-RDB-CLIENT-FREE-SECONDS", 2);
    await ctx.cmd("replica", "DEBUG", "PAUSE-AFTER-FORK", 1);
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff, cid } = endoffAt(ctx, ei)!;
    const rpid = ctx.server("replica").pid!;
    const st = await waitPidState(rpid, "T", 5000);
    ctx.log(`replica pid=${rpid} process state: ${st}`);
    ctx.check("replica stopped itself before its main PSYNC (DEBUG PAUSE-AFTER-FORK)", st === "T");
    const pp = await ctx.expectLog("primary", ctx.P.postpone, 10000, ei);
    const gi = await ctx.expectLog("primary", ctx.P.graceExpired, 10000, pp);
    const reply = ctx.sendNoWait("replica", ["DEBUG", "PAUSE-AFTER-FORK", 0]);
    ctx.signal(rpid, "SIGCONT", "replica");
    await reply;
    const ai = await ctx.expectLog("primary", ctx.P.psyncAccepted, 10000, gi);
    await ctx.waitLog("replica", ctx.P.finished, 10000);
    await ctx.checkInSync("primary", "replica");

    const pm = ctx.lineMatch("primary", pp, ctx.P.postpone)!;
    ctx.check("postponed free of the rdb client for 2 seconds", Number(pm[1]) === cid && Number(pm[2]) === 2, ctx.line("primary", pp));
    const gm = ctx.lineMatch("primary", gi, ctx.P.graceExpired)!;
    ctx.check("grace period expired, freeing that rdb client", Number(gm[2]) === cid, ctx.line("primary", gi));
    const am = ctx.lineMatch("primary", ai, ctx.P.psyncAccepted)!;
    ctx.check("late PSYNC accepted at endoff+1 (plain partial resync, no rdb client to match)", Number(am[2]) === endoff + 1 && firstAfter(ctx, "primary", ctx.P.mainMatchedRdb, ei) < 0, ctx.line("primary", ai));
    // Which of the two completion orders (protocol doc §2.6) the replica took depends on
    // whether, once resumed, it reads the RDB waiting in its rdb-channel socket before
    // the +CONTINUE: the doc's run saw "RDB load in background"; with the slow transfer
    // used here the RDB is read first ("psync established after rdb load").
    const after = ctx.watcher("replica").count(ctx.P.psyncAfterLoad);
    // (where the accept line has one text for both orders, 9.1, "psync established after rdb load" decides)
    const bg = after ? 0 : ctx.watcher("replica").count(ctx.P.loadInBackground);
    ctx.check("replica completed by one of the two orders (load in background / psync after rdb load)", bg + after === 1, bg ? "RDB load in background" : after ? "psync established after rdb load" : "neither");
    ctx.check("no 'Synchronization with replica … succeeded' line (doc S7 grace)", ctx.watcher("primary").count(ctx.P.replicaOnline) === 0);
  },
};

const leftoverRdbClientNewSync: ScenarioDef = {
  name: "leftover-rdb-client-new-sync",
  fast: true,
  description:
    "S7 new-sync (seed of #1367): the protected rdb client of an aborted earlier attempt lingers (postponed 60 s, pinning the backlog) while the replica's next dual-channel attempt runs, and it — not the current attempt — overflows (flags=SA cmd=sync)",
  doc: "S7 cob (leftover from an earlier attempt, §0 finding 5)",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    // replica 1mb 0 0 with a 16kb backlog: the effective hard limit is max(1mb, 16kb) = 1mb.
    // 100 keys. Attempt 1's fork child takes ~0.2 s (2 ms a key), so the replica has
    // stopped itself before the RDB arrives; the RDB then sits in the socket buffers.
    // (With no delay the replica sometimes reads and loads the 100-key RDB before it
    // stops, and the primary postpones the rdb client on that close instead.)
    // Attempt 2's child is slowed to ~2 s (20 ms a key, set later).
    await setupPair(ctx, {
      keys: 100,
      primaryConfig: [
        ["client-output-buffer-limit", "replica 1mb 0 0"],
        ["repl-backlog-size", "16kb"],
        ["rdb-key-save-delay", "2000"],
      ],
    });
    await ctx.cmd("primary", "DEBUG", "DELAY-RDB-CLIENT-FREE-SECONDS", 60);
    await ctx.cmd("replica", "DEBUG", "PAUSE-AFTER-FORK", 1);
    const replicaofAt = Date.now();
    await replicaOf(ctx);

    // ---- attempt 1: the replica stops itself before its main-channel PSYNC
    const e1 = await ctx.expectLog("primary", ctx.P.endoff);
    const a1 = endoffAt(ctx, e1)!;
    const rpid = ctx.server("replica").pid!;
    const st = await waitPidState(rpid, "T", 5000);
    ctx.log(`replica pid=${rpid} process state: ${st} (T = stopped by its own raise(SIGSTOP))`);
    ctx.check("attempt 1: replica stopped itself before its main PSYNC (DEBUG PAUSE-AFTER-FORK)", st === "T");
    // its transfer completes into the socket buffers; the rdb client is only postponed
    const pp = await ctx.expectLog("primary", ctx.P.postpone, 10000, e1);
    const rs = ctx.watcher("replica").findAll(ctx.P.processStop)[0] ?? -1;
    const cd1 = firstAfter(ctx, "primary", ctx.P.childDone, e1);
    ctx.check(
      "attempt 1: the transfer completed into the stopped replica's socket, then the rdb client was postponed",
      cd1 >= 0 && cd1 < pp && rs >= 0 && ctx.watcher("replica").count(ctx.P.loadStart) === 0,
      ctx.line("primary", pp),
    );
    // one 200 KB write: the protected rdb client of attempt 1 now pins the replication
    // buffer from here on (it is 200 KB ahead of anything attempt 2 will pin)
    await ctx.cmd("primary", "SET", "pin", "p".repeat(200 * 1024));
    await ctx.waitLog("primary", ctx.P.attachBlock, 2000, e1);
    const before = await ctx.clientList("primary");
    const rdb1 = before.find((c) => c.id === String(a1.cid));
    ctx.check("attempt 1's rdb client lingers on the primary: flags=SA cmd=sync, omem > 0", rdb1 !== undefined && rdb1.flags === "SA" && rdb1.cmd === "sync" && Number(rdb1.omem) > 0, rdb1 ? `id=${rdb1.id} flags=${rdb1.flags} cmd=${rdb1.cmd} omem=${rdb1.omem}` : "missing");
    // the main channel of attempt 1: not yet a replica (no PSYNC sent), flags=N, last
    // command REPLCONF set-rdb-client-id (or PSYNC, the +DUALCHANNELSYNC one)
    const main1 = before.find((c) => !(c.flags ?? "").includes("S") && (c.cmd === "replconf" || c.cmd === "psync") && c.name !== "driver" && c.name !== "writer");
    ctx.check("found attempt 1's main channel on the primary (flags=N, cmd=replconf|psync)", main1 !== undefined, main1 ? `id=${main1.id} flags=${main1.flags} cmd=${main1.cmd}` : "missing");
    if (!main1) throw new Error("attempt 1's main channel not found in CLIENT LIST");
    const killAt = ctx.watcher("primary").poll();
    const rKillAt = ctx.watcher("replica").poll();
    await ctx.cmd("primary", "CLIENT", "KILL", "ID", main1.id!);
    // attempt 2 must still be running when the leftover overflows: slow its fork child
    await ctx.cmd("primary", "CONFIG", "SET", "rdb-key-save-delay", "20000");
    // attempt 2 opens its temp-<unixtime>.<pid>.rdb in a later second than attempt 1 did
    await pastSecondOf(ctx, replicaofAt);

    // ---- attempt 1 fails: the resumed replica's PSYNC hits the closed main channel
    const reply = ctx.sendNoWait("replica", ["DEBUG", "PAUSE-AFTER-FORK", 0]);
    ctx.signal(rpid, "SIGCONT", "replica");
    await reply;
    const ab = await ctx.expectLog("replica", ctx.P.dualAbort, 10000, rKillAt);

    // ---- attempt 2: new $ENDOFF, new rdb client id; then writes flow
    const e2 = await ctx.expectLog("primary", ctx.P.endoff, 10000, killAt);
    const a2 = endoffAt(ctx, e2)!;
    const w = await ctx.startWriter("primary", { rate: 2000, valueSize: 1000, keyspace: 100 });
    const ci = await ctx.waitLog("primary", ctx.P.cob, 10000, e2);
    await w.stop();
    const done = await ctx.waitLog("primary", ctx.P.replicaOnline, 20000, e2);
    // the small RDB loads fast: let the primary reap attempt 2's fork child before the end
    // (otherwise the trace ends with "There is a child saving an .rdb. Killing it!")
    await ctx.waitLog("primary", ctx.P.childDone, 3000, e2);
    await ctx.checkInSync("primary", "replica");

    // ---- checks, all from the primary's log (one file: line order is the order of events)
    const pw = ctx.watcher("primary");
    ctx.check("two 'Sending to replica … RDB end offset … and client-id N' lines with different ids", a2.cid !== a1.cid && pw.count(ctx.P.endoff) >= 2, `attempt 1 cid=${a1.cid} endoff=${a1.endoff}; attempt 2 cid=${a2.cid} endoff=${a2.endoff}`);
    const pm = ctx.lineMatch("primary", pp, ctx.P.postpone)!;
    ctx.check("attempt 1's rdb client free was postponed (protected), before attempt 2 began", Number(pm[1]) === a1.cid && pp < e2, ctx.line("primary", pp));
    ctx.check("replica aborted attempt 1 after its PSYNC hit the killed main channel", ab >= 0, ctx.line("replica", ab));
    const m2 = firstAfter(ctx, "primary", ctx.P.mainMatchedRdb, e2);
    ctx.check("attempt 2's main PSYNC matched attempt 2's rdb client (not the leftover)", m2 >= 0 && Number(ctx.lineMatch("primary", m2, ctx.P.mainMatchedRdb)![1]) === a2.cid, m2 >= 0 ? ctx.line("primary", m2) : "missing");
    const cobs = cobLines(ctx, "primary");
    const cob = ci >= 0 ? cobs.find((c) => c.i === ci) : undefined;
    const f = cob ? clientInfoFields(cob.info) : {};
    ctx.check(
      `the COB line names attempt 1's rdb client: Client id=${a1.cid} … flags=SA … cmd=sync … scheduled to be closed ASAP`,
      cob !== undefined && f.id === String(a1.cid) && f.flags === "SA" && f.cmd === "sync" && /scheduled to be closed ASAP/.test(ctx.line("primary", ci)),
      ci >= 0 ? ctx.line("primary", ci).slice(0, 300) : "no COB line",
    );
    // end of attempt 2: its 'Synchronization … succeeded', or whatever ended it first
    const otherEnd = [firstAfter(ctx, "primary", ctx.P.endoff, e2 + 1), firstAfter(ctx, "primary", ctx.P.lackOfBacklog, e2)].filter((i) => i >= 0);
    const end2 = done >= 0 ? Math.min(done, ...otherEnd) : otherEnd.length ? Math.min(...otherEnd) : -1;
    ctx.check(
      "order: 2nd 'Sending to replica' < COB line of the 1st id < attempt 2's 'Synchronization with replica … succeeded'",
      ci > e2 && done >= 0 && end2 === done && ci < done,
      `lines: endoff2=${e2 + 1} cob=${ci + 1} succeeded=${done + 1}`,
    );
    ctx.check("only the leftover overflowed: one COB line in the run, none for attempt 2's channels", cobs.length === 1 && !cobs.some((c) => clientInfoFields(c.info).id === String(a2.cid) || c.kind === "main-channel"), cobs.map((c) => c.info.slice(0, 60)).join(" | "));
    const un = firstAfter(ctx, "primary", ctx.P.rdbUnlinked, Math.max(ci, 0));
    ctx.check("the leftover was then removed from the replicas rax (cid of attempt 1)", ci >= 0 && un > ci && Number(ctx.lineMatch("primary", un, ctx.P.rdbUnlinked)![1]) === a1.cid, un >= 0 ? ctx.line("primary", un) : "missing");
    ctx.check("attempt 2 completed without a further full sync or link loss", pw.count(ctx.P.bgsave) === 2 && pw.count(ctx.P.replicaOnline) === 1 && ctx.watcher("replica").count(ctx.P.primaryLost, ab) === 0);
  },
};


const localBufferLimitCascade: ScenarioDef = {
  name: "local-buffer-limit-cascade",
  fast: false,
  description: "S3b: replica stops buffering at its 1mb limit, the primary's 'replica 4mb' COB for the main channel then overflows, PSYNC refused (1mb backlog), second full sync",
  doc: "S3b",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [
        ["client-output-buffer-limit", "replica 4mb 0 0"],
        ["repl-backlog-size", "1mb"],
        ["rdb-key-save-delay", "60"],
      ],
      replicaConfig: [
        ["client-output-buffer-limit", "replica 1mb 0 0"],
        ["key-load-delay", "150"],
      ],
    });
    const w = await ctx.startWriter("primary", { rate: 5000, valueSize: 1000, keyspace: 200 });
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff } = endoffAt(ctx, ei)!;
    const li = await ctx.waitLog("replica", ctx.P.localBufLimit, 20000);
    const ci = await ctx.waitLog("primary", ctx.P.cob, 20000, ei);
    const vi = await ctx.waitLog("primary", ctx.P.lackOfBacklog, 20000, Math.max(ci, 0));
    await w.stop();
    await ctx.waitLog("primary", ctx.P.replicaOnline, 20000, Math.max(vi, 0));
    await ctx.checkInSync("primary", "replica");

    ctx.check("replica: 'Replication buffer limit reached, stopping buffering.'", li >= 0);
    const cob = cobLines(ctx, "primary")[0];
    ctx.check("then the primary's COB for the main channel (flags=S cmd=psync) overflowed", cob?.kind === "main-channel" && / cmd=psync /.test(cob.info) && cob.time >= lineTime(ctx.line("replica", li)), cob?.info.slice(0, 200));
    const lost = firstAfter(ctx, "replica", ctx.P.primaryLost, Math.max(firstAfter(ctx, "replica", ctx.P.finished), 0));
    const ps = firstAfter(ctx, "replica", ctx.P.psyncSent, Math.max(lost, 0));
    const reqOff = ps >= 0 ? Number(ctx.lineMatch("replica", ps, ctx.P.psyncSent)![2]) : NaN;
    const m = vi >= 0 ? ctx.lineMatch("primary", vi, ctx.P.lackOfBacklog) : null;
    ctx.check("replica noticed after its load and asked for endoff + buffered bytes (>= 1mb) + 1", lost >= 0 && reqOff - endoff - 1 >= 1024 * 1024, `endoff=${endoff} request=${reqOff}`);
    ctx.check("primary: 'Unable to partial resync … for lack of backlog' at that offset", m !== null && Number(m[1]) === reqOff, m ? ctx.line("primary", vi) : "missing");
    ctx.check("a second full sync followed and completed", ctx.watcher("primary").findAll(ctx.P.bgsave).length >= 2 && firstAfter(ctx, "primary", ctx.P.replicaOnline, Math.max(vi, 0)) >= 0);
  },
};

const normalClientsAndReplicaOverflow: ScenarioDef = {
  name: "normal-clients-and-replica-overflow",
  fast: false,
  description: "S6 with-replica-overflow: normal, pubsub, monitor and the replica's main channel (replica 1mb, 16kb backlog) all overflow while the replica loads; the replicated PUBLISHes cost it a second full sync",
  doc: "S6 with-replica-overflow",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [
        ["client-output-buffer-limit", "normal 1mb 0 0 pubsub 1mb 0 0 replica 1mb 0 0"],
        ["repl-backlog-size", "16kb"],
      ],
      replicaConfig: [["key-load-delay", "150"]],
    });
    await ctx.cmd("primary", "SET", "bigkey", "b".repeat(512 * 1024));
    await replicaOf(ctx);
    await ctx.expectLog("replica", ctx.P.loadStart, 20000);
    const before = ctx.watcher("primary").poll();
    await ctx.openNonReading("primary", "slow-monitor", [["CLIENT", "SETNAME", "slow-monitor"], ["MONITOR"]]);
    await ctx.openNonReading("primary", "slow-subscriber", [["CLIENT", "SETNAME", "slow-subscriber"], ["SUBSCRIBE", "chan"]]);
    await ctx.openNonReading("primary", "slow-getter", [["CLIENT", "SETNAME", "slow-getter"], ...Array.from({ length: 40 }, () => ["GET", "bigkey"])]);
    await sleep(100);
    // ~5 MB to a subscriber that never reads, in messages its version counts against the limit
    const flood = ctx.profile.publishFlood;
    const payload = "p".repeat(flood.bytes);
    for (let i = 0; i < flood.count; i++) await ctx.cmd("primary", "PUBLISH", "chan", payload);
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && new Set(cobLines(ctx, "primary", before).map((c) => c.kind)).size < 4) await sleep(50);
    const vi = await ctx.waitLog("primary", ctx.P.lackOfBacklog, 20000, before);
    await ctx.waitLog("primary", ctx.P.replicaOnline, 20000, Math.max(vi, 0));
    await ctx.checkInSync("primary", "replica");

    const kinds = cobLines(ctx, "primary");
    for (const kind of ["normal", "pubsub", "monitor", "main-channel"] as const) {
      const c = kinds.find((k) => k.kind === kind);
      ctx.check(`${kind} client overflowed its COB`, c !== undefined, c?.info.slice(0, 160));
    }
    ctx.check("the replica's PSYNC after its load was refused for lack of backlog", vi >= 0, vi >= 0 ? ctx.line("primary", vi) : "missing");
    ctx.check("a second full sync completed", ctx.watcher("primary").findAll(ctx.P.bgsave).length >= 2 && firstAfter(ctx, "primary", ctx.P.replicaOnline, Math.max(vi, 0)) >= 0);
  },
};

const stopRdbChild: ScenarioDef = {
  name: "stop-rdb-child",
  fast: false,
  description: "S4: SIGSTOP of the primary's fork child blocks the rdb channel; the replica gives up after repl-timeout 3, the new sync waits for the stopped child until SIGCONT",
  doc: "S4 stop-rdb-child",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [["rdb-key-save-delay", "100"]],
      replicaConfig: [["repl-timeout", "3"]],
    });
    const w = await ctx.startWriter("primary", { rate: 1000, valueSize: 100, keyspace: 2000 });
    await replicaOf(ctx);
    const child = await waitChild(ctx);
    await sleep(300);
    const at = ctx.watcher("primary").poll();
    const rat = ctx.watcher("replica").poll();
    ctx.signal(child.pid, "SIGSTOP", "primary's rdb fork child");
    await ctx.cmd("primary", "CONFIG", "SET", "rdb-key-save-delay", "0");
    await ctx.expectLog("replica", ctx.P.transferTimeout, 10000, rat);
    const wi = await ctx.waitLog("primary", ctx.P.bgsaveWaitNext, 5000, at);
    await sleep(300);
    ctx.log(`fork child pid=${child.pid} state ${pidState(child.pid)} while the new sync waits`);
    ctx.check("the new sync is parked while the stopped child exists", wi >= 0 && ctx.watcher("primary").count(ctx.P.bgsave, at) === 0);
    ctx.signal(child.pid, "SIGCONT", "primary's rdb fork child");
    await ctx.expectLog("primary", ctx.P.replicaOnline, 20000, at);
    await w.stop();
    await ctx.checkInSync("primary", "replica");

    const pw = ctx.watcher("primary");
    ctx.check("replica: 'Timeout receiving bulk data from PRIMARY' then abort", ctx.watcher("replica").count(ctx.P.dualAbort, rat) >= 1);
    ctx.check("primary: the stopped child ended in error after SIGCONT", pw.findAll(ctx.P.childDone, at).some((i) => ctx.lineMatch("primary", i, ctx.P.childDone)![1] === "error"));
    ctx.check("a new dual-channel sync started only after that and completed", pw.count(ctx.P.bgsave, at) >= 1 && pw.count(ctx.P.replicaOnline) === 1);
  },
};

const killMainChannelDuringLoad: ScenarioDef = {
  name: "kill-main-channel-during-load",
  fast: false,
  description: "S4: CLIENT KILL of the main channel while the replica loads (100mb backlog): the replica notices only after its load, then a partial resync is accepted",
  doc: "S4 client-kill-main-load",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [["repl-backlog-size", "100mb"]],
      replicaConfig: [
        ["key-load-delay", "150"],
        ["repl-timeout", "3"],
      ],
    });
    const w = await ctx.startWriter("primary", { rate: 1000, valueSize: 100, keyspace: 2000 });
    await replicaOf(ctx);
    const ei = await ctx.expectLog("primary", ctx.P.endoff);
    const { endoff } = endoffAt(ctx, ei)!;
    const ls = await ctx.expectLog("replica", ctx.P.loadStart, 20000);
    await sleep(300);
    const id = await findChannel(ctx, "main");
    if (id === undefined) throw new Error("no main channel client found");
    const at = ctx.watcher("primary").poll();
    await ctx.cmd("primary", "CLIENT", "KILL", "ID", id);
    const ai = await ctx.waitLog("primary", ctx.P.psyncAccepted, 20000, at);
    await ctx.waitLog("replica", ctx.P.truePsyncOk, 5000, ls);
    await sleep(200);
    await w.stop();
    await ctx.checkInSync("primary", "replica");

    const rw = ctx.watcher("replica");
    const fin = firstAfter(ctx, "replica", ctx.P.finished, ls);
    const lost = firstAfter(ctx, "replica", ctx.P.primaryLost, ls);
    ctx.check("replica noticed only after the load: 'Finished with success' then 'Connection with primary lost'", fin >= 0 && lost > fin);
    const am = ai >= 0 ? ctx.lineMatch("primary", ai, ctx.P.psyncAccepted) : null;
    ctx.check("primary accepted the partial resync past endoff+1", am !== null && Number(am[2]) > endoff + 1, am ? ctx.line("primary", ai) : "missing");
    ctx.check("replica: 'Successful partial resynchronization with primary.', no second full sync", rw.count(ctx.P.truePsyncOk) === 1 && ctx.watcher("primary").findAll(ctx.P.bgsave).length === 1);
  },
};


const retryTempFileCollision: ScenarioDef = {
  name: "retry-temp-file-collision",
  fast: false,
  description: "S4 variant: the rdb channel is killed in the same wall-clock second its transfer began; the retry hits the aborted attempt's temp-<unixtime>.<pid>.rdb ('File exists') and the replica blocks ~5 s",
  doc: "S4 client-kill-rdb (same-second retry)",
  servers: ["primary", "replica"],
  timeoutMs: 60000,
  async run(ctx) {
    await setupPair(ctx, {
      keys: 10000,
      primaryConfig: [["rdb-key-save-delay", "100"]],
      replicaConfig: [["repl-timeout", "3"]],
    });
    // start the sync right after a second boundary so the kill lands in the same second
    await pastSecondOf(ctx, Date.now(), 20);
    await replicaOf(ctx);
    const child = await waitChild(ctx);
    await sleep(150);
    const at = ctx.watcher("primary").poll();
    const rat = ctx.watcher("replica").poll();
    const id = await findChannel(ctx, "rdb");
    if (id === undefined) throw new Error("no rdb channel client found");
    await ctx.cmd("primary", "CLIENT", "KILL", "ID", id);
    await ctx.cmd("primary", "CONFIG", "SET", "rdb-key-save-delay", "0");
    const sameSecond = Math.floor(Date.now() / 1000) === Math.floor(lineTime(ctx.line("primary", child.i)) / 1000);
    ctx.log(`kill ${sameSecond ? "in the same" : "NOT in the same"} wall-clock second as the transfer start`);
    await ctx.waitLog("replica", ctx.P.dualAbort, 5000, rat);
    ctx.log(`replica dir after the abort: ${JSON.stringify(fs.readdirSync(ctx.server("replica").dir).sort())}`);
    // 'File exists' (the replica then blocks ~5 s before its next attempt), or a sync that
    // succeeds without it (a version whose abort removes the temp file): whichever comes first
    const first = await ctx.waitAnyLog(
      [
        ["replica", ctx.P.tempFileExists, rat],
        ["primary", ctx.P.replicaOnline, at],
      ],
      10000,
    );
    const fe = first?.k === 0 ? first.i : -1;
    if (first?.k === 1) ctx.log("the retry's sync succeeded with no 'File exists' on the replica");
    await ctx.expectLog("primary", ctx.P.replicaOnline, 20000, at);
    await ctx.checkInSync("primary", "replica");

    ctx.check("kill happened in the same wall-clock second as the transfer start", sameSecond);
    const ab = firstAfter(ctx, "replica", ctx.P.dualAbort, rat);
    const stall = fe >= 0 && ab >= 0 ? lineTime(ctx.line("replica", fe)) - lineTime(ctx.line("replica", ab)) : NaN;
    ctx.check(
      "replica: 'Opening the temp file … File exists' about 5 s after the abort (blocked in sleep(1) retries)",
      fe >= 0 && stall >= 4000 && stall <= 6500,
      fe >= 0 ? `${stall} ms` : "no such line: the retry opened its temp file at once",
    );
    ctx.check("a later attempt succeeded", ctx.watcher("primary").count(ctx.P.replicaOnline) === 1);
  },
};

export const SCENARIOS: readonly ScenarioDef[] = [
  fullSyncWithWrites,
  cobOverflowSmallBacklog,
  cobOverflowSoftLimit,
  localBufferLimit,
  killMainChannel,
  killRdbChannel,
  killRdbChild,
  killReplicaDuringLoad,
  killReplicaAfterRename,
  dualChannelOneSide,
  normalClientsOverflow,
  leftoverRdbClient,
  leftoverRdbClientGrace,
  leftoverRdbClientNewSync,
  localBufferLimitCascade,
  normalClientsAndReplicaOverflow,
  stopRdbChild,
  killMainChannelDuringLoad,
  retryTempFileCollision,
];

export function findScenario(name: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
