/**
 * Runs a chaos program (capture/chaos-program.ts) against real valkey-server processes on
 * 127.0.0.1: a primary and 1–3 replicas, the program's timed steps, then a settle phase that
 * resumes and re-attaches everything and checks every replica with DEBUG DIGEST. Writes
 * primary.log, replica<k>.log, driver.log, program.json and meta.json. Every process started is
 * stopped by PID on every path; every wait is bounded.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describeStep, type ChaosProgram, type ChaosStep } from "./chaos-program.js";
import { LOOPBACK, findFreePorts } from "./ports.js";
import { pidAlive, pidState } from "./procs.js";
import { detectValkey, valkeyServerBinary } from "./run.js";
import { parseClientList, RunContext, type Check, type RunOptions } from "./run-context.js";
import { sleep } from "./timefmt.js";

export interface ChaosResult {
  seed: number;
  outDir: string;
  /** The servers ran to the end (no crash, no start failure): the logs are a genuine run to judge. */
  genuine: boolean;
  /** Why the run is not genuine, or why a replica did not end in sync. */
  notes: string[];
  /** Every replica ended attached and identical (DBSIZE and DEBUG DIGEST). */
  inSync: boolean;
  checks: Check[];
  error?: string;
  durationMs: number;
  survivors: number[];
  versionText: string;
}

export const CHAOS_FILES = ["primary.log", "replica1.log", "replica2.log", "replica3.log", "driver.log", "meta.json", "program.json", "verdict.json", "trace.jsonl"];

const replicaName = (k: number) => `replica${k + 1}`;

/** How long the settle phase waits for one replica to be in sync: repl-timeout bounds a stuck link. */
const settleBudgetMs = (p: ChaosProgram): number => Math.max(30_000, p.setup.replTimeout * 1000 + 20_000);

function primaryOptions(p: ChaosProgram): [string, string][] {
  const s = p.setup;
  return [
    ["loglevel", s.loglevel],
    ["dual-channel-replication-enabled", s.primaryDual ? "yes" : "no"],
    ["repl-diskless-sync", s.disklessSync ? "yes" : "no"],
    ["repl-diskless-sync-delay", String(s.disklessSyncDelay)],
    ["repl-diskless-sync-max-replicas", String(s.disklessSyncMaxReplicas)],
    ["repl-backlog-size", s.backlogSize],
    ["client-output-buffer-limit", `replica ${s.cobReplica}`],
    ["repl-timeout", String(s.replTimeout)],
    ["rdb-key-save-delay", String(s.rdbKeySaveDelay)],
  ];
}

function replicaOptions(p: ChaosProgram, k: number): [string, string][] {
  const s = p.setup;
  return [
    ["loglevel", s.loglevel],
    ["dual-channel-replication-enabled", s.replicaDual[k] ? "yes" : "no"],
    ["repl-timeout", String(s.replTimeout)],
    ["key-load-delay", String(s.keyLoadDelay)],
    ...(s.replicaLocalLimit ? [["client-output-buffer-limit", `replica ${s.replicaLocalLimit}`] as [string, string]] : []),
  ];
}

/** Per-replica state the steps share: whether it should follow the primary, and a lock so kill/restart and REPLICAOF do not interleave. */
interface ReplicaState {
  following: boolean;
  busy: Promise<void>;
}

class ChaosRun {
  readonly notes: string[] = [];
  private readonly replicas: ReplicaState[];
  private readonly paused = new Set<number>();
  constructor(
    readonly ctx: RunContext,
    readonly p: ChaosProgram,
  ) {
    this.replicas = Array.from({ length: p.setup.replicas }, () => ({ following: false, busy: Promise.resolve() }));
  }

  private get primaryPort(): number {
    return this.ctx.server("primary").port;
  }

  /** Run `fn` with replica k to itself (kill/restart and REPLICAOF steps queue up). */
  private exclusive(k: number, fn: () => Promise<void>): Promise<void> {
    const st = this.replicas[k]!;
    const next = st.busy.then(fn, fn);
    st.busy = next.catch(() => {});
    return next;
  }

  async setup(): Promise<void> {
    const { ctx, p } = this;
    await ctx.startServer("primary", primaryOptions(p));
    for (let k = 0; k < p.setup.replicas; k++) await ctx.startServer(replicaName(k), replicaOptions(p, k));
    await ctx.cmd("primary", "DEBUG", "POPULATE", p.setup.keys, "key", p.setup.valueSize);
  }

  private async follow(k: number): Promise<void> {
    this.replicas[k]!.following = true;
    await this.ctx.tryCmd(replicaName(k), ["REPLICAOF", LOOPBACK, this.primaryPort]);
  }

  /** The primary's live fork child (diskless transfer or BGSAVE), adopted so cleanup can stop it. */
  private forkChild(): number | undefined {
    const w = this.ctx.watcher("primary");
    w.poll();
    const hits = w.findAll(/started by pid (\d+)/);
    for (let j = hits.length - 1; j >= 0; j--) {
      const pid = Number(/started by pid (\d+)/.exec(w.lines[hits[j]!]!)![1]);
      if (pidAlive(pid) && this.ctx.adoptRdbChild(pid, "primary")) return pid;
    }
    return undefined;
  }

  /** Replica-flagged clients of the primary on the given channel (rdb channel: the one that sent SYNC). */
  private async channelClients(channel: "main" | "rdb"): Promise<Record<string, string>[]> {
    const r = await this.ctx.tryCmd("primary", ["CLIENT", "LIST"], 3000);
    if (r instanceof Error) return [];
    return parseClientList(String(r)).filter((c) => (c.flags ?? "").includes("S") && (channel === "rdb" ? c.cmd === "sync" : c.cmd !== "sync"));
  }

  async step(s: ChaosStep): Promise<void> {
    const { ctx } = this;
    ctx.log(`chaos step at +${s.at} ms: ${describeStep(s)}`);
    switch (s.op) {
      case "writes": {
        const w = await ctx.startWriter("primary", { rate: s.rate, valueSize: s.valueSize, keyspace: 3000, maxMs: s.ms }).catch((e) => {
          ctx.log(`writer could not start: ${String(e)}`);
          return undefined;
        });
        if (!w) return;
        await sleep(s.ms);
        await w.stop();
        return;
      }
      case "client-kill": {
        if (s.by === "type") {
          await ctx.tryCmd("primary", ["CLIENT", "KILL", "TYPE", "replica"], 3000);
          return;
        }
        const cands = await this.channelClients(s.channel);
        const c = cands[s.replica % Math.max(1, cands.length)];
        if (!c) {
          ctx.log(`no ${s.channel} channel connection on the primary now: nothing to kill`);
          return;
        }
        if (s.by === "id") await ctx.tryCmd("primary", ["CLIENT", "KILL", "ID", c.id!], 3000);
        else await ctx.tryCmd("primary", ["CLIENT", "KILL", "ADDR", c.addr!], 3000);
        return;
      }
      case "kill9":
        return this.exclusive(s.replica, async () => {
          const name = replicaName(s.replica);
          const srv = ctx.server(name);
          if (!srv.running) return;
          this.paused.delete(srv.pid!);
          await srv.kill9("chaos step");
          ctx.dropClient(name);
          if (!s.keepRdb) {
            fs.rmSync(path.join(srv.dir, "dump.rdb"), { force: true });
            ctx.log(`removed ${name}'s dump.rdb`);
          }
          await sleep(s.downMs);
          const extra = replicaOptions(this.p, s.replica);
          if (this.replicas[s.replica]!.following) extra.push(["replicaof", `${LOOPBACK} ${this.primaryPort}`]);
          await ctx.restartServer(name, extra);
        });
      case "pause": {
        const pid = s.who === "primary" ? ctx.server("primary").pid : s.who === "replica" ? ctx.server(replicaName(s.replica)).pid : this.forkChild();
        if (pid === undefined) {
          ctx.log(`no ${s.who} process to pause now`);
          return;
        }
        if (this.paused.has(pid)) return;
        this.paused.add(pid);
        ctx.signal(pid, "SIGSTOP", s.who);
        await sleep(s.ms);
        this.paused.delete(pid);
        if (pidAlive(pid)) ctx.signal(pid, "SIGCONT", s.who);
        return;
      }
      case "kill-child": {
        const pid = this.forkChild();
        if (pid === undefined) ctx.log("no fork child to kill now");
        else ctx.signal(pid, "SIGKILL", "the primary's fork child");
        return;
      }
      case "config": {
        const name = s.server === "primary" ? "primary" : replicaName(s.replica);
        if (!ctx.server(name).running) return;
        await ctx.tryCmd(name, ["CONFIG", "SET", s.key, s.value], 3000);
        return;
      }
      case "replicaof-no-one":
        return this.exclusive(s.replica, async () => {
          const name = replicaName(s.replica);
          if (!ctx.server(name).running || !this.replicas[s.replica]!.following) return;
          this.replicas[s.replica]!.following = false;
          await ctx.tryCmd(name, ["REPLICAOF", "NO", "ONE"], 3000);
          await sleep(s.backMs);
          await this.follow(s.replica);
        });
      case "overflow-client": {
        await ctx.tryCmd("primary", ["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0 pubsub 1mb 0 0"], 3000);
        if (s.kind === "normal") {
          await ctx.tryCmd("primary", ["SET", "chaos:big", "b".repeat(512 * 1024)], 3000);
          await ctx.openNonReading("primary", "slow-getter", [["CLIENT", "SETNAME", "slow-getter"], ...Array.from({ length: 40 }, () => ["GET", "chaos:big"])]).catch(() => {});
        } else if (s.kind === "pubsub") {
          await ctx.openNonReading("primary", "slow-subscriber", [["CLIENT", "SETNAME", "slow-subscriber"], ["SUBSCRIBE", "chaos"]]).catch(() => {});
          await sleep(50);
          const flood = ctx.profile.publishFlood;
          const payload = "p".repeat(flood.bytes);
          for (let i = 0; i < flood.count && !ctx.aborted; i++) if ((await ctx.tryCmd("primary", ["PUBLISH", "chaos", payload], 3000)) instanceof Error) break;
        } else {
          await ctx.openNonReading("primary", "slow-monitor", [["CLIENT", "SETNAME", "slow-monitor"], ["MONITOR"]]).catch(() => {});
          await sleep(50);
          const v = "m".repeat(128 * 1024);
          for (let i = 0; i < 40 && !ctx.aborted; i++) if ((await ctx.tryCmd("primary", ["SET", `chaos:m${i % 4}`, v], 3000)) instanceof Error) break;
        }
        return;
      }
    }
  }

  async run(): Promise<void> {
    const { ctx, p } = this;
    await this.setup();
    const t0 = Date.now();
    const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));
    const tasks: Promise<void>[] = [];
    for (let k = 0; k < p.setup.replicas; k++) tasks.push(at(p.setup.replicaStartMs[k] ?? 0).then(() => this.exclusive(k, () => this.follow(k))));
    for (const s of p.steps) tasks.push(at(s.at).then(() => (ctx.aborted ? undefined : this.step(s))).catch((e) => ctx.log(`step error: ${String(e)}`)));
    await Promise.all(tasks);
    await this.settle();
  }

  /** Resume what is stopped, restart what is down, re-attach every replica, then compare the data. */
  private async settle(): Promise<void> {
    const { ctx, p } = this;
    ctx.log("chaos: settling (every step done)");
    for (const s of ctx.servers.values()) {
      if (s.pid !== undefined && pidState(s.pid) === "T") ctx.signal(s.pid, "SIGCONT", `${s.name} (settle)`);
    }
    for (let k = 0; k < p.setup.replicas; k++) {
      await this.exclusive(k, async () => {
        const name = replicaName(k);
        if (!ctx.server(name).running) {
          this.notes.push(`${name} was down at the end: restarted`);
          await ctx.restartServer(name, [...replicaOptions(p, k), ["replicaof", `${LOOPBACK} ${this.primaryPort}`]]);
          this.replicas[k]!.following = true;
        } else if (!this.replicas[k]!.following) await this.follow(k);
      });
    }
    const budget = settleBudgetMs(p);
    for (let k = 0; k < p.setup.replicas; k++) {
      const ok = await ctx.checkInSync("primary", replicaName(k), budget);
      if (!ok) this.notes.push(`${replicaName(k)} not in sync within ${budget} ms`);
    }
  }
}

/** Run a chaos program against real servers; never throws for a failing run (see the result). */
export async function runChaos(p: ChaosProgram, outDirArg: string, opts: RunOptions = {}): Promise<ChaosResult> {
  const outDir = path.resolve(outDirArg);
  const bin = valkeyServerBinary(opts);
  const detected = detectValkey(bin);
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of CHAOS_FILES) fs.rmSync(path.join(outDir, f), { force: true });
  fs.writeFileSync(path.join(outDir, "program.json"), JSON.stringify(p, null, 2) + "\n");
  const name = `chaos-${p.seed}`;
  const tmpDir = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), `replcheck-${name}-`));
  const ports = await findFreePorts(1 + p.setup.replicas);
  const ctx = new RunContext(name, outDir, tmpDir, bin, ports, detected.version, detected.profile, opts.progress);
  const run = new ChaosRun(ctx, p);
  const startedAt = Date.now();
  ctx.log(`chaos seed ${p.seed}: ${p.setup.replicas} replica(s), ${p.steps.length} step(s) within ${p.durationMs} ms; ${detected.versionText}; binary ${bin}`);
  ctx.log(`setup ${JSON.stringify(p.setup)}`);
  const error = await ctx.runBounded(run.run(), p.durationMs + 30_000 + p.setup.replicas * settleBudgetMs(p), "chaos run");
  // a server that exited without being told to (no SIGKILL, no SHUTDOWN of ours) crashed
  const crashes = [...ctx.servers.values()].flatMap((s) => s.record.exits.filter((x) => !x.how).map((x) => `${s.name} pid ${x.pid} exited by itself (code ${x.code}, signal ${x.signal})`));
  const survivors = ctx.survivors();
  ctx.check("every process started by the run is gone", survivors.length === 0, `alive: ${survivors.join(",") || "none"}`);
  const notes = [...run.notes, ...crashes, ...(error ? [error] : [])];
  const genuine = crashes.length === 0 && error === undefined;
  const inSync = ctx.checks.filter((c) => c.name.startsWith("consistent:")).length === p.setup.replicas && ctx.checks.filter((c) => c.name.startsWith("consistent:")).every((c) => c.pass);
  const durationMs = Date.now() - startedAt;
  ctx.log(`chaos seed ${p.seed} ${genuine ? "ran to the end" : "is not a genuine run"}${inSync ? ", every replica in sync" : ", NOT every replica in sync"} in ${(durationMs / 1000).toFixed(1)} s`);
  const meta = {
    chaos: true,
    seed: p.seed,
    valkeyVersion: detected.versionText,
    versionProfile: detected.profile.name,
    valkeyServer: bin,
    host: LOOPBACK,
    durationMs,
    genuine,
    inSync,
    notes,
    servers: Object.fromEntries([...ctx.servers.values()].map((s) => [s.name, { port: s.record.port, pids: s.record.pids, cmdlines: s.record.cmdlines, exits: s.record.exits, log: `${s.name}.log` }])),
    rdbChildPids: [...ctx.rdbChildPids],
    checks: ctx.checks,
    survivors,
  };
  fs.writeFileSync(path.join(outDir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  if (!opts.keepTmp) fs.rmSync(tmpDir, { recursive: true, force: true });
  return { seed: p.seed, outDir, genuine, notes, inSync, checks: ctx.checks, ...(error ? { error } : {}), durationMs, survivors, versionText: detected.versionText };
}
