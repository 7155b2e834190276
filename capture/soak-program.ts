/**
 * Soak programs: a long chaos program (capture/chaos.ts runs it) with continuous writes and a fault
 * at a fixed period, cycling through the kinds a production replica meets — a killed main or rdb
 * channel, a crashed and restarted replica, a killed fork child, a paused replica. For the
 * validator's benchmarks on long genuine logs (issue: per-event cost against log length); the same
 * options always give the same program. `node dist/capture/soak-program.js [--minutes M]
 * [--replicas N] [--loglevel L] [--fault-every S]` prints it (scripts/soak.sh runs it).
 */
import { fileURLToPath } from "node:url";
import type { ChaosProgram, ChaosSetup, ChaosStep } from "./chaos-program.js";

export interface SoakOptions {
  minutes: number;
  replicas: number;
  loglevel: ChaosSetup["loglevel"];
  /** seconds between two faults */
  faultEvery: number;
  /** writes per second, all the time */
  rate: number;
}

export const SOAK_DEFAULTS: SoakOptions = { minutes: 30, replicas: 1, loglevel: "debug", faultEvery: 40, rate: 300 };

export function soakProgram(o: SoakOptions): ChaosProgram {
  if (!(o.minutes > 0 && o.minutes <= 24 * 60)) throw new Error(`--minutes: expected 1..1440, got ${o.minutes}`);
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 3) throw new Error(`--replicas: expected 1, 2 or 3, got ${o.replicas}`);
  if (!(o.faultEvery >= 5)) throw new Error(`--fault-every: expected at least 5 seconds, got ${o.faultEvery}`);
  const durationMs = Math.round(o.minutes * 60_000);
  const steps: ChaosStep[] = [];
  // continuous writes, in 20 s stretches (each stretch is one bounded writer)
  for (let at = 1000; at < durationMs; at += 20_000) steps.push({ at, op: "writes", rate: o.rate, ms: Math.min(20_000, durationMs - at), valueSize: 200 });
  let k = 0;
  for (let at = o.faultEvery * 1000; at < durationMs - 5000; at += o.faultEvery * 1000, k++) {
    const replica = k % o.replicas;
    switch (k % 5) {
      case 0: steps.push({ at, op: "client-kill", replica, channel: "main", by: "type" }); break;
      case 1: steps.push({ at, op: "client-kill", replica, channel: "rdb", by: "id" }); break;
      case 2: steps.push({ at, op: "kill9", replica, keepRdb: k % 2 === 0, downMs: 1500 }); break;
      case 3: steps.push({ at, op: "kill-child" }); break;
      default: steps.push({ at, op: "pause", who: "replica", replica, ms: 800 });
    }
  }
  steps.sort((a, b) => a.at - b.at);
  return {
    seed: 0,
    durationMs,
    setup: {
      replicas: o.replicas,
      primaryDual: true,
      replicaDual: Array.from({ length: o.replicas }, () => true),
      disklessSync: true,
      disklessSyncDelay: 0,
      disklessSyncMaxReplicas: 0,
      backlogSize: "1mb",
      cobReplica: "256mb 64mb 60",
      replicaLocalLimit: null,
      replTimeout: 10,
      keys: 20000,
      valueSize: 100,
      rdbKeySaveDelay: 10,
      keyLoadDelay: 10,
      loglevel: o.loglevel,
      replicaStartMs: Array.from({ length: o.replicas }, (_, i) => i * 500),
    },
    steps,
  };
}

function cli(argv: string[]): void {
  const o = { ...SOAK_DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    const num = () => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n)) throw new Error(`${a} expects a number`);
      i++;
      return n;
    };
    if (a === "--minutes") o.minutes = num();
    else if (a === "--replicas") o.replicas = num();
    else if (a === "--fault-every") o.faultEvery = num();
    else if (a === "--rate") o.rate = num();
    else if (a === "--loglevel") {
      if (v !== "debug" && v !== "verbose" && v !== "notice") throw new Error("--loglevel expects debug, verbose or notice");
      o.loglevel = v; i++;
    } else throw new Error(`unknown option ${a} (--minutes M --replicas N --loglevel L --fault-every S --rate R)`);
  }
  process.stdout.write(JSON.stringify(soakProgram(o), null, 2) + "\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    cli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`soak: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
