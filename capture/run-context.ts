import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Valkey } from "iovalkey";
import { LogWatcher } from "./logwatch.js";
import { LOOPBACK } from "./ports.js";
import { pidAlive, pidCmdline, pidParent, registerPid, unregisterPid } from "./procs.js";
import { encodeCommand } from "./resp.js";
import type { Patterns } from "./patterns.js";
import { ValkeyServer, baseServerOptions, mergeOptions } from "./server.js";
import { sleep, valkeyTimestamp } from "./timefmt.js";
import type { ValkeyVersion, VersionProfile } from "./versions.js";

export interface Check {
  name: string;
  pass: boolean;
  detail?: string;
}

export type Reply = string | number | null | Buffer | Reply[];

function fmtReply(r: unknown, max = 600): string {
  let s: string;
  if (r === null || r === undefined) s = "(nil)";
  else if (Buffer.isBuffer(r)) s = r.toString("utf8");
  else if (Array.isArray(r)) s = `[${r.map((x) => fmtReply(x, 200)).join(", ")}]`;
  else if (typeof r === "string") s = r;
  else s = String(r);
  s = s.replace(/\r?\n/g, "\\n");
  return s.length > max ? `${s.slice(0, max)} …[${s.length - max} more chars]` : s;
}

function fmtArgs(args: (string | number)[]): string {
  return args
    .map((a) => {
      const s = String(a);
      const shown = s.length > 80 ? `<${s.length} bytes>` : s;
      return /[\s"']/.test(shown) || shown === "" ? JSON.stringify(shown) : shown;
    })
    .join(" ");
}

/** Parse `INFO` text into a map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Parse CLIENT LIST output into one field map per client. */
export function parseClientList(text: string): Record<string, string>[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => {
      const m: Record<string, string> = {};
      for (const kv of l.trim().split(" ")) {
        const i = kv.indexOf("=");
        if (i > 0) m[kv.slice(0, i)] = kv.slice(i + 1);
      }
      return m;
    });
}

export interface WriterOptions {
  /** SET commands per second. */
  rate: number;
  /** bytes per value. */
  valueSize: number;
  /** keys are w:<n mod keyspace>, so the data set does not grow with time. */
  keyspace: number;
  /** commands per pipeline. */
  batch?: number;
  /** hard stop after this long (bounded). */
  maxMs?: number;
}

/** Background writer: pipelined `SET w:<n> <value>` at a fixed rate through its own client named "writer". */
export class Writer {
  sent = 0;
  acked = 0;
  errors = 0;
  lastError = "";
  private stopping = false;
  private loop: Promise<void> | undefined;
  private client: Valkey | undefined;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(
    private readonly server: ValkeyServer,
    private readonly opts: WriterOptions,
    private readonly note: (m: string) => void,
  ) {}

  async start(): Promise<void> {
    this.client = new Valkey({
      host: LOOPBACK,
      port: this.server.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectionName: "writer",
      commandTimeout: 5000,
    });
    this.client.on("error", () => {});
    await this.client.connect();
    const value = "v".repeat(this.opts.valueSize);
    const batch = this.opts.batch ?? 50;
    const maxMs = this.opts.maxMs ?? 60000;
    this.startedAt = Date.now();
    this.note(
      `writer start on ${this.server.name}: SET w:<n mod ${this.opts.keyspace}> <${this.opts.valueSize} bytes> at ${this.opts.rate}/s, pipelines of ${batch}`,
    );
    const c = this.client;
    this.loop = (async () => {
      while (!this.stopping && Date.now() - this.startedAt < maxMs) {
        const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.opts.rate);
        if (this.sent >= due) {
          await sleep(5);
          continue;
        }
        const n = Math.min(batch, due - this.sent);
        const p = c.pipeline();
        for (let i = 0; i < n; i++) p.set(`w:${(this.sent + i) % this.opts.keyspace}`, value);
        this.sent += n;
        try {
          const res = await p.exec();
          for (const [err] of res ?? []) {
            if (err) {
              this.errors++;
              this.lastError = String(err);
            } else this.acked++;
          }
        } catch (e) {
          this.errors += n;
          this.lastError = String(e);
          break;
        }
      }
      this.stoppedAt = Date.now();
    })();
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping = true;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (t = setTimeout(r, 6000)))]);
    clearTimeout(t);
    this.client?.disconnect();
    this.loop = undefined;
    const secs = ((this.stoppedAt || Date.now()) - this.startedAt) / 1000;
    this.note(
      `writer stop on ${this.server.name}: sent=${this.sent} acked(+OK)=${this.acked} errors=${this.errors}` +
        `${this.lastError ? ` lastError=${this.lastError}` : ""} in ${secs.toFixed(2)} s (${(this.acked / Math.max(secs, 0.001)).toFixed(0)}/s)`,
    );
  }
}

/**
 * A raw client that sends some commands and then never reads its socket, so its
 * output buffer on the server grows (used for the normal / pubsub / monitor COB
 * overflows). Only loopback.
 */
export class NonReadingClient {
  private sock: net.Socket | undefined;
  closedByServer = false;

  constructor(
    readonly label: string,
    private readonly port: number,
    private readonly note: (m: string) => void,
  ) {}

  async open(commands: (string | number)[][]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: LOOPBACK, port: this.port });
      this.sock = s;
      // No 'data' listener: the stream stays paused and stops reading once its
      // small internal buffer is full, so the kernel buffers and then the server's
      // output buffer fill up.
      s.once("connect", () => resolve());
      s.once("error", (e) => {
        this.closedByServer = true;
        reject(e);
      });
      setTimeout(() => reject(new Error("connect timeout")), 3000).unref();
    });
    this.sock!.on("error", () => {
      this.closedByServer = true;
    });
    this.sock!.on("close", () => {
      this.closedByServer = true;
    });
    const buf = Buffer.concat(commands.map((c) => encodeCommand(c)));
    this.sock!.write(buf);
    const shown = commands.length > 3 ? `${commands.length} commands: ${fmtArgs(commands[0]!)} …` : commands.map(fmtArgs).join("; ");
    this.note(`${this.label}: non-reading raw connection sent ${shown} (replies are never read)`);
  }

  close(): void {
    this.sock?.destroy();
  }
}

export interface RunOptions {
  /** valkey-server binary (default: $VALKEY_SERVER or `valkey-server` on PATH). */
  valkeyServer?: string;
  /** keep the servers' temp dirs (default false). */
  keepTmp?: boolean;
  /** progress messages (default: none). */
  progress?: (msg: string) => void;
  /** root for the servers' temp dirs (default os.tmpdir()). */
  tmpRoot?: string;
}

/** Everything a scenario uses: servers, driver log, clients, writer, log watchers and checks. */
export class RunContext {
  readonly servers = new Map<string, ValkeyServer>();
  readonly watchers = new Map<string, LogWatcher>();
  readonly checks: Check[] = [];
  readonly rdbChildPids = new Set<number>();
  readonly extraProcs: { pid: number; what: string }[] = [];
  private readonly clients = new Map<string, Valkey>();
  private readonly writers: Writer[] = [];
  private readonly rawClients: NonReadingClient[] = [];
  readonly driverLog: string;
  aborted = false;

  constructor(
    readonly scenario: string,
    readonly outDir: string,
    readonly tmpDir: string,
    readonly bin: string,
    readonly ports: number[],
    /** The version the binary reported and its row of the version table (versions.ts). */
    readonly version: ValkeyVersion,
    readonly profile: VersionProfile,
    private readonly progress?: (msg: string) => void,
  ) {
    this.driverLog = path.join(outDir, "driver.log");
  }

  /** The log patterns of this run's Valkey version. */
  get P(): Patterns {
    return this.profile.P;
  }

  /** Append a driver line: `<pid>:D <valkey timestamp> > <msg>`. */
  log(msg: string): void {
    fs.appendFileSync(this.driverLog, `${process.pid}:D ${valkeyTimestamp()} > ${msg}\n`);
    this.progress?.(`[${this.scenario}] ${msg}`);
  }

  private nextPort = 0;

  /** Define a server role on the next free port, with the base options plus `extra`, and start it. */
  async startServer(name: string, extra: [string, string][] = []): Promise<ValkeyServer> {
    if (this.aborted) throw new Error(`run aborted: not starting ${name}`);
    let srv = this.servers.get(name);
    if (!srv) {
      const port = this.ports[this.nextPort++];
      if (port === undefined) throw new Error("no free port left for " + name);
      srv = new ValkeyServer(
        name,
        this.bin,
        port,
        path.join(this.tmpDir, name),
        path.join(this.outDir, `${name}.log`),
        (m) => this.log(m),
      );
      this.servers.set(name, srv);
      this.watchers.set(name, new LogWatcher(srv.logfile));
    }
    const opts = mergeOptions(baseServerOptions(srv.port, srv.dir, srv.logfile), extra);
    await srv.start(opts);
    return srv;
  }

  /** Restart an existing role (same port, dir and log file) with new extra options. */
  async restartServer(name: string, extra: [string, string][] = []): Promise<ValkeyServer> {
    const srv = this.server(name);
    this.dropClient(name);
    return this.startServer(srv.name, extra);
  }

  server(name: string): ValkeyServer {
    const s = this.servers.get(name);
    if (!s) throw new Error(`unknown server ${name}`);
    return s;
  }

  watcher(name: string): LogWatcher {
    const w = this.watchers.get(name);
    if (!w) throw new Error(`unknown server ${name}`);
    return w;
  }

  private async client(name: string): Promise<Valkey> {
    let c = this.clients.get(name);
    if (c && c.status === "ready") return c;
    if (c) {
      c.disconnect();
      this.clients.delete(name);
    }
    const srv = this.server(name);
    c = new Valkey({
      host: LOOPBACK,
      port: srv.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      connectionName: "driver",
      commandTimeout: 10000,
    });
    c.on("error", () => {});
    await c.connect();
    this.clients.set(name, c);
    return c;
  }

  dropClient(name: string): void {
    const c = this.clients.get(name);
    if (c) c.disconnect();
    this.clients.delete(name);
  }

  /** Send one command through the driver's client of `server`, log it with its reply; throws on error. */
  async cmd(server: string, ...args: (string | number)[]): Promise<Reply> {
    const r = await this.tryCmd(server, args);
    if (r instanceof Error) throw r;
    return r;
  }

  /** Like cmd() but returns the Error instead of throwing. `timeoutMs` bounds the wait for the reply. */
  async tryCmd(server: string, args: (string | number)[], timeoutMs = 10000): Promise<Reply | Error> {
    const shown = fmtArgs(args);
    try {
      const c = await this.client(server);
      const p = c.call(String(args[0]), ...args.slice(1).map(String)) as Promise<Reply>;
      let t: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        p,
        new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      clearTimeout(t);
      this.log(`${server} ${shown} -> ${fmtReply(r, /^(CLIENT|INFO)$/i.test(String(args[0])) ? 4000 : 600)}`);
      return r;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log(`${server} ${shown} -> ERROR ${err.message}`);
      return err;
    }
  }

  /** Send a command without waiting; the promise resolves to the reply (logged when it arrives). */
  sendNoWait(server: string, args: (string | number)[], timeoutMs = 10000): Promise<Reply | Error> {
    this.log(`${server} ${fmtArgs(args)} (sent, reply awaited later)`);
    return this.tryCmd(server, args, timeoutMs);
  }

  async info(server: string, section = "replication"): Promise<Record<string, string>> {
    return parseInfo(String(await this.cmd(server, "INFO", section)));
  }

  async clientList(server: string): Promise<Record<string, string>[]> {
    return parseClientList(String(await this.cmd(server, "CLIENT", "LIST")));
  }

  async startWriter(server: string, opts: WriterOptions): Promise<Writer> {
    const w = new Writer(this.server(server), opts, (m) => this.log(m));
    this.writers.push(w);
    await w.start();
    return w;
  }

  async openNonReading(server: string, label: string, commands: (string | number)[][]): Promise<NonReadingClient> {
    const c = new NonReadingClient(label, this.server(server).port, (m) => this.log(m));
    this.rawClients.push(c);
    await c.open(commands);
    return c;
  }

  /** Wait (bounded) for a log line of `server` matching `re` at index >= from. Logs a timeout; returns the index or -1. */
  async waitLog(server: string, re: RegExp, timeoutMs = 20000, from = 0): Promise<number> {
    const i = await this.watcher(server).waitFor(re, timeoutMs, from, () => this.aborted);
    if (i < 0) this.log(`timed out after ${timeoutMs} ms waiting for ${server} log line ${re}`);
    return i;
  }

  /**
   * Wait (bounded) for whichever comes first of several `[server, re, from]` log lines. Returns
   * the index `k` of the one seen and its line index `i`, or undefined (logged) on timeout.
   */
  async waitAnyLog(alternatives: [string, RegExp, number][], timeoutMs = 20000): Promise<{ k: number; i: number } | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let k = 0; k < alternatives.length; k++) {
        const [server, re, from] = alternatives[k]!;
        const i = this.watcher(server).findAll(re, from)[0];
        if (i !== undefined) return { k, i };
      }
      if (Date.now() >= deadline || this.aborted) break;
      await sleep(15);
    }
    this.log(`timed out after ${timeoutMs} ms waiting for any of ${alternatives.map(([s, re]) => `${s} log line ${re}`).join(", ")}`);
    return undefined;
  }

  /** Like waitLog but throws on timeout. */
  async expectLog(server: string, re: RegExp, timeoutMs = 20000, from = 0): Promise<number> {
    const i = await this.waitLog(server, re, timeoutMs, from);
    if (i < 0) throw new Error(`${server}: no log line matching ${re} within ${timeoutMs} ms`);
    return i;
  }

  line(server: string, i: number): string {
    return this.watcher(server).lines[i] ?? "";
  }

  lineMatch(server: string, i: number, re: RegExp): RegExpExecArray | null {
    return re.exec(LogWatcher.msg(this.line(server, i)));
  }

  check(name: string, pass: boolean, detail?: string): boolean {
    this.checks.push({ name, pass, ...(detail !== undefined ? { detail } : {}) });
    this.log(`CHECK ${pass ? "PASS" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
    return pass;
  }

  /** Register the primary's RDB fork child (pid from the log), after checking it is the primary's child. */
  adoptRdbChild(pid: number, primary: string): boolean {
    const parent = pidParent(pid);
    const cmd = pidCmdline(pid) ?? "";
    // valkey-rdb-to-replicas (socket transfer) or valkey-rdb-bgsave (disk-target sync)
    const ours = parent === this.server(primary).pid && cmd.includes("valkey-rdb");
    if (ours) {
      this.rdbChildPids.add(pid);
      registerPid(pid, "rdb child");
    }
    return ours;
  }

  /** Send a signal to a process this run owns (a server or an adopted RDB child), by PID. */
  signal(pid: number, sig: NodeJS.Signals, what: string): void {
    const owned = [...this.servers.values()].some((s) => s.pid === pid) || this.rdbChildPids.has(pid);
    if (!owned) throw new Error(`refusing to signal pid ${pid}: not started by this run`);
    process.kill(pid, sig);
    this.log(`sent ${sig} to ${what} pid=${pid}`);
  }

  /**
   * Wait (bounded) until `replica` has processed everything `primary` produced, with
   * the link up, then compare DBSIZE and DEBUG DIGEST. Adds a check `consistent:<replica>`.
   */
  async checkInSync(primary: string, replica: string, timeoutMs = 20000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let detail = "";
    while (Date.now() < deadline && !this.aborted) {
      const pi = await this.tryCmd(primary, ["INFO", "replication"], 3000);
      const ri = await this.tryCmd(replica, ["INFO", "replication"], 3000);
      if (!(pi instanceof Error) && !(ri instanceof Error)) {
        const p = parseInfo(String(pi));
        const r = parseInfo(String(ri));
        detail = `primary offset ${p.master_repl_offset}, replica link ${r.master_link_status} offset ${r.master_repl_offset}`;
        if (r.master_link_status === "up" && r.master_repl_offset === p.master_repl_offset) {
          const pd = await this.tryCmd(primary, ["DBSIZE"]);
          const rd = await this.tryCmd(replica, ["DBSIZE"]);
          const pg = await this.tryCmd(primary, ["DEBUG", "DIGEST"]);
          const rg = await this.tryCmd(replica, ["DEBUG", "DIGEST"]);
          const ok = String(pd) === String(rd) && String(pg) === String(rg) && !(pd instanceof Error) && !(pg instanceof Error);
          return this.check(`consistent:${replica}`, ok, `${detail}; dbsize ${pd}/${rd}; digest ${pg}/${rg}`);
        }
      }
      await sleep(100);
    }
    return this.check(`consistent:${replica}`, false, `not in sync within ${timeoutMs} ms (${detail})`);
  }

  /** Stop writers, raw clients, driver clients and every server (SHUTDOWN NOSAVE then SIGKILL), then RDB children. */
  async cleanup(): Promise<void> {
    for (const w of this.writers) {
      try {
        await w.stop();
      } catch (e) {
        this.log(`writer stop error: ${String(e)}`);
      }
    }
    for (const c of this.rawClients) c.close();
    for (const name of [...this.clients.keys()]) this.dropClient(name);
    await Promise.all([...this.servers.values()].map((s) => s.stop().catch((e) => this.log(`stop ${s.name}: ${String(e)}`))));
    // Every fork child a primary logged ("Background RDB transfer started by pid N") is
    // ours too: adopt those still alive (checked: cmdline valkey-rdb-to-replicas).
    for (const [name, w] of this.watchers) {
      for (const i of w.findAll(/^Background RDB transfer started by pid (\d+) /)) {
        const pid = Number(/started by pid (\d+) /.exec(w.lines[i]!)![1]);
        if (!this.rdbChildPids.has(pid)) {
          this.rdbChildPids.add(pid);
          if (pidAlive(pid) && (pidCmdline(pid) ?? "").includes("valkey-rdb-to-replicas")) {
            this.log(`${name}'s fork child pid=${pid} still alive at cleanup`);
            registerPid(pid, "rdb child");
          }
        }
      }
    }
    for (const pid of this.rdbChildPids) {
      if (!(pidCmdline(pid) ?? "valkey-rdb").includes("valkey-rdb")) continue; // pid reused by someone else
      // The primary kills its child on SHUTDOWN; SIGKILL one that survived by PID.
      for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(20);
      if (pidAlive(pid)) {
        this.log(`rdb child pid=${pid} survived its primary: SIGKILL`);
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
        for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(20);
      }
      unregisterPid(pid);
    }
  }

  /**
   * Run a body bounded in time, then abort and stop every process (cleanup). Returns the error that
   * ended the body (its own, or the timeout), logged, or undefined when it finished.
   */
  async runBounded(body: Promise<void>, limitMs: number, what: string): Promise<string | undefined> {
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([body, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} timed out after ${limitMs} ms`)), limitMs)))]);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      this.log(`ERROR ${error}`);
    } finally {
      clearTimeout(timer);
      this.aborted = true;
      // let a timed-out body notice the abort before tearing down (bounded)
      await Promise.race([body.catch(() => {}), sleep(error ? 2000 : 0)]);
      await this.cleanup();
    }
    return error;
  }

  /** PIDs this run started (servers, every incarnation) or adopted (RDB children) that are still alive. */
  survivors(): number[] {
    const servers = [...this.servers.values()].flatMap((s) => s.record.pids).filter((p) => pidAlive(p));
    // a fork child's PID counts only while it is still a valkey process (PIDs get reused)
    const children = [...this.rdbChildPids].filter((p) => pidAlive(p) && (pidCmdline(p) ?? "").includes("valkey"));
    return [...servers, ...children];
  }

  allPids(): number[] {
    return [...this.servers.values()].flatMap((s) => s.record.pids).concat([...this.rdbChildPids]);
  }
}
