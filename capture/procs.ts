import fs from "node:fs";

/**
 * Registry of every OS process the capture harness started (valkey-server) or
 * learnt it owns (the primary's RDB fork children). On process exit, SIGINT or
 * SIGTERM every live one is SIGKILLed **by PID**. Hooks are installed while at
 * least one process is registered and removed afterwards.
 */
const live = new Map<number, string>();
/** Exit promises of processes we spawned (resolved by the ChildProcess 'exit' event, which reaps them). */
const exits = new Map<number, Promise<void>>();
let hooked = false;

function killAllSync(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

function onExit(): void {
  killAllSync();
}
function onSignal(sig: NodeJS.Signals): void {
  const waits = [...live.keys()].map((pid) => exits.get(pid)).filter((p): p is Promise<void> => p !== undefined);
  killAllSync();
  // Give the killed children a moment (bounded) to be reaped, so none is left as a
  // zombie, then re-raise with the default behaviour so the exit status reflects the signal.
  const t = setTimeout(finish, 2000);
  void Promise.all(waits).then(finish);
  let done = false;
  function finish() {
    if (done) return;
    done = true;
    clearTimeout(t);
    unhook();
    process.kill(process.pid, sig);
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("SIGHUP", onSignal);
}
function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off("exit", onExit);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.off("SIGHUP", onSignal);
}

export function registerPid(pid: number, what: string, exited?: Promise<void>): void {
  live.set(pid, what);
  if (exited) exits.set(pid, exited);
  hook();
}
export function unregisterPid(pid: number): void {
  live.delete(pid);
  exits.delete(pid);
  if (live.size === 0) unhook();
}
export function registeredPids(): number[] {
  return [...live.keys()];
}

/** True if a process with this PID exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Process state letter from /proc (R, S, T, Z, …) or undefined when gone. */
export function pidState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

export function pidCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return undefined;
  }
}

export function pidParent(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}
