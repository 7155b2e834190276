import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { LOOPBACK } from "./ports.js";
import { pidAlive, pidState, registerPid, unregisterPid } from "./procs.js";
import { rawCommand } from "./resp.js";
import { sleep } from "./timefmt.js";

/** Options every capture server gets (doc §2.2), as [name, value] pairs. */
export function baseServerOptions(port: number, dir: string, logfile: string): [string, string][] {
  return [
    ["port", String(port)],
    ["bind", LOOPBACK],
    ["dir", dir],
    ["logfile", logfile],
    ["loglevel", "debug"],
    ["daemonize", "no"],
    ["save", ""],
    ["appendonly", "no"],
    ["enable-debug-command", "yes"],
    ["hide-user-data-from-log", "no"],
    ["dual-channel-replication-enabled", "yes"],
    ["repl-diskless-sync", "yes"],
    ["repl-diskless-sync-delay", "0"],
  ];
}

/** Merge scenario options over the base ones (same name replaces, new names are appended). */
export function mergeOptions(base: [string, string][], extra: [string, string][]): [string, string][] {
  const out = base.map(([k, v]) => [k, v] as [string, string]);
  for (const [k, v] of extra) {
    const i = out.findIndex(([bk]) => bk === k);
    if (i >= 0) out[i] = [k, v];
    else out.push([k, v]);
  }
  return out;
}

export function optionsToArgv(opts: [string, string][]): string[] {
  const argv: string[] = [];
  for (const [k, v] of opts) {
    argv.push(`--${k}`);
    // "replicaof host port" is two words: pass them as separate arguments.
    if (k === "replicaof") argv.push(...v.split(" "));
    else argv.push(v);
  }
  return argv;
}

/** Shell-quoted command line, for the record. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export interface ServerRecord {
  name: string;
  port: number;
  dir: string;
  logfile: string;
  pids: number[];
  cmdlines: string[];
  exits: { pid: number; code: number | null; signal: string | null; how: string }[];
}

/** One valkey-server role (primary, replica, replica2); may be (re)started several times. */
export class ValkeyServer {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly record: ServerRecord;

  constructor(
    readonly name: string,
    readonly bin: string,
    readonly port: number,
    readonly dir: string,
    readonly logfile: string,
    private readonly note: (msg: string) => void,
  ) {
    this.record = { name, port, dir, logfile, pids: [], cmdlines: [], exits: [] };
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Start the process with the given options and wait (bounded) until it answers PING. */
  async start(opts: [string, string][], readyTimeoutMs = 10000): Promise<void> {
    if (this.running) throw new Error(`${this.name} already running`);
    fs.mkdirSync(this.dir, { recursive: true });
    const argv = optionsToArgv(opts);
    const cmdline = shellQuote([this.bin, ...argv]);
    const outFile = path.join(this.dir, `..`, `${this.name}.stdio`);
    const out = fs.openSync(outFile, "a");
    let proc: ChildProcess;
    try {
      proc = spawn(this.bin, argv, { stdio: ["ignore", out, out], detached: false });
    } finally {
      fs.closeSync(out);
    }
    if (proc.pid === undefined) {
      await new Promise((r) => proc.once("error", r));
      throw new Error(`${this.name}: failed to spawn ${this.bin}`);
    }
    const pid = proc.pid;
    this.proc = proc;
    this.record.pids.push(pid);
    this.record.cmdlines.push(cmdline);
    this.exited = new Promise<void>((resolve) => {
      proc.once("exit", (code, signal) => {
        unregisterPid(pid);
        this.record.exits.push({ pid, code, signal, how: "" });
        resolve();
      });
    });
    registerPid(pid, `${this.name}:${this.port}`, this.exited);
    proc.once("error", () => {});
    this.note(`${this.name} started pid=${pid} port=${this.port}: ${cmdline}`);

    const deadline = Date.now() + readyTimeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      if (!this.running) {
        const stdio = fs.existsSync(outFile) ? fs.readFileSync(outFile, "utf8").slice(-2000) : "";
        throw new Error(`${this.name} exited during start-up (pid ${pid}): ${stdio}`);
      }
      try {
        last = await rawCommand(this.port, ["PING"], 1000);
        // -LOADING means it listens but is loading its dump.rdb at start-up: that counts as started.
        if (last === "+PONG" || last.startsWith("-LOADING")) {
          this.note(`${this.name} pid=${pid} answered PING -> ${last}`);
          return;
        }
      } catch (e) {
        last = String(e);
      }
      await sleep(20);
    }
    throw new Error(`${this.name} (pid ${pid}) not ready after ${readyTimeoutMs} ms: ${last}`);
  }

  private markExit(how: string) {
    const last = this.record.exits[this.record.exits.length - 1];
    if (last && !last.how) last.how = how;
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return true;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (t = setTimeout(() => r(false), ms)));
    const ok = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(t);
    return ok;
  }

  /** SIGKILL by PID and wait (bounded) for the exit. */
  async kill9(reason: string): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    this.note(`sending SIGKILL to ${this.name} pid=${pid} (${reason})`);
    try {
      process.kill(pid, "SIGKILL");
    } catch (e) {
      this.note(`SIGKILL ${pid} failed: ${String(e)}`);
    }
    const ok = await this.waitExit(5000);
    this.markExit(`SIGKILL (${reason})`);
    this.note(`${this.name} pid=${pid} ${ok ? "exited" : "STILL ALIVE 5 s after SIGKILL"}`);
  }

  /** SHUTDOWN NOSAVE, then SIGKILL by PID if it has not exited after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    if (pidState(pid) === "T") {
      this.note(`${this.name} pid=${pid} is stopped (state T): sending SIGCONT before SHUTDOWN`);
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        /* gone */
      }
    }
    let reply: string;
    try {
      reply = await rawCommand(this.port, ["SHUTDOWN", "NOSAVE"], Math.min(graceMs, 2000));
    } catch (e) {
      reply = `error: ${String(e)}`;
    }
    this.note(`${this.name} SHUTDOWN NOSAVE -> ${reply}`);
    if (await this.waitExit(graceMs)) {
      this.markExit("SHUTDOWN NOSAVE");
      this.note(`${this.name} pid=${pid} exited after SHUTDOWN NOSAVE`);
      return;
    }
    await this.kill9(`no exit ${graceMs} ms after SHUTDOWN NOSAVE`);
  }

  /** True if none of the PIDs this role ever had is alive. */
  allGone(): boolean {
    return this.record.pids.every((p) => !pidAlive(p));
  }
}
