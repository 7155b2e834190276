/**
 * Chaos programs: a seeded random setup and timed fault/write steps for one primary and 1–3
 * replicas, drawn with fast-check arbitraries (so a failing program can be shrunk and the same seed
 * always gives the same program). Pure data: capture/chaos.ts runs a program against real servers.
 */
import fc from "fast-check";

/** What the servers are started with (a restarted replica gets the same options again). */
export interface ChaosSetup {
  replicas: number;
  /** dual-channel-replication-enabled of the primary and of each replica. */
  primaryDual: boolean;
  replicaDual: boolean[];
  /** repl-diskless-sync of the primary (dual channel needs it; off = classic disk-based sync). */
  disklessSync: boolean;
  disklessSyncDelay: number;
  /** repl-diskless-sync-max-replicas (0 = no limit). */
  disklessSyncMaxReplicas: number;
  backlogSize: string;
  /** the primary's `client-output-buffer-limit replica <hard> <soft> <seconds>`. */
  cobReplica: string;
  /** a replica's own `replica` limit, which bounds its local buffer during a dual-channel sync; null = default. */
  replicaLocalLimit: string | null;
  replTimeout: number;
  keys: number;
  valueSize: number;
  /** rdb-key-save-delay on the primary and key-load-delay on the replicas (µs per key): slows the sync so faults land in it. */
  rdbKeySaveDelay: number;
  keyLoadDelay: number;
  loglevel: "debug" | "verbose" | "notice";
  /** when each replica is pointed at the primary, ms after the start. */
  replicaStartMs: number[];
}

export type ChaosStep =
  | { at: number; op: "writes"; rate: number; ms: number; valueSize: number }
  | { at: number; op: "client-kill"; replica: number; channel: "main" | "rdb"; by: "id" | "addr" | "type" }
  | { at: number; op: "kill9"; replica: number; keepRdb: boolean; downMs: number }
  | { at: number; op: "pause"; who: "primary" | "replica" | "child"; replica: number; ms: number }
  | { at: number; op: "kill-child" }
  | { at: number; op: "config"; server: "primary" | "replica"; replica: number; key: string; value: string }
  | { at: number; op: "replicaof-no-one"; replica: number; backMs: number }
  | { at: number; op: "overflow-client"; kind: "normal" | "pubsub" | "monitor" };

export interface ChaosProgram {
  seed: number;
  /** steps happen within this many ms after the start; then the run settles and is checked. */
  durationMs: number;
  setup: ChaosSetup;
  steps: ChaosStep[];
}

const COB_REPLICA = ["256mb 64mb 60", "0 0 0", "2mb 1mb 3", "1mb 0 0", "4mb 512kb 2"];
const BACKLOG = ["1mb", "256kb", "64kb", "16kb"];

const configStep = (replicas: number) =>
  fc.oneof(
    fc.record({
      server: fc.constant("primary" as const),
      replica: fc.constant(0),
      kv: fc.oneof(
        fc.tuple(fc.constant("dual-channel-replication-enabled"), fc.constantFrom("yes", "no")),
        fc.tuple(fc.constant("repl-backlog-size"), fc.constantFrom(...BACKLOG)),
        fc.tuple(fc.constant("client-output-buffer-limit"), fc.constantFrom(...COB_REPLICA).map((v) => `replica ${v}`)),
        fc.tuple(fc.constant("repl-diskless-sync-delay"), fc.constantFrom("0", "1", "5")),
        fc.tuple(fc.constant("repl-diskless-sync"), fc.constantFrom("yes", "no")),
        fc.tuple(fc.constant("repl-timeout"), fc.constantFrom("3", "10", "60")),
      ),
    }),
    fc.record({
      server: fc.constant("replica" as const),
      replica: fc.integer({ min: 0, max: replicas - 1 }),
      kv: fc.oneof(
        fc.tuple(fc.constant("dual-channel-replication-enabled"), fc.constantFrom("yes", "no")),
        fc.tuple(fc.constant("client-output-buffer-limit"), fc.constantFrom("replica 1mb 0 0", "replica 256mb 64mb 60")),
        fc.tuple(fc.constant("repl-timeout"), fc.constantFrom("3", "10", "60")),
      ),
    }),
  ).map(({ server, replica, kv }) => ({ op: "config" as const, server, replica, key: kv[0], value: kv[1] }));

const stepArb = (replicas: number, durationMs: number): fc.Arbitrary<ChaosStep> => {
  const at = fc.integer({ min: 0, max: durationMs });
  const r = fc.integer({ min: 0, max: replicas - 1 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ at, op: fc.constant("writes" as const), rate: fc.integer({ min: 100, max: 6000 }), ms: fc.integer({ min: 200, max: 4000 }), valueSize: fc.integer({ min: 50, max: 2000 }) }) },
    { weight: 3, arbitrary: fc.record({ at, op: fc.constant("client-kill" as const), replica: r, channel: fc.constantFrom("main" as const, "rdb" as const), by: fc.constantFrom("id" as const, "addr" as const, "type" as const) }) },
    { weight: 2, arbitrary: fc.record({ at, op: fc.constant("kill9" as const), replica: r, keepRdb: fc.boolean(), downMs: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 2, arbitrary: fc.record({ at, op: fc.constant("pause" as const), who: fc.constantFrom("primary" as const, "replica" as const, "child" as const), replica: r, ms: fc.integer({ min: 100, max: 4000 }) }) },
    { weight: 1, arbitrary: fc.record({ at, op: fc.constant("kill-child" as const) }) },
    { weight: 2, arbitrary: fc.tuple(at, configStep(replicas)).map(([t, c]) => ({ at: t, ...c })) },
    { weight: 1, arbitrary: fc.record({ at, op: fc.constant("replicaof-no-one" as const), replica: r, backMs: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ at, op: fc.constant("overflow-client" as const), kind: fc.constantFrom("normal" as const, "pubsub" as const, "monitor" as const) }) },
  );
};

/** The arbitrary of whole programs (seed 0: the caller stamps the seed it drew with). */
export function chaosProgramArb(opts: { durationMs?: number; maxReplicas?: number } = {}): fc.Arbitrary<ChaosProgram> {
  const durationMs = opts.durationMs ?? 8000;
  const maxReplicas = Math.max(1, Math.min(3, opts.maxReplicas ?? 3));
  return fc
    .integer({ min: 1, max: 100 })
    .map((x) => (x <= 55 ? 1 : x <= 88 ? 2 : 3))
    .map((n) => Math.min(n, maxReplicas))
    .chain((replicas) =>
      fc.record({
        seed: fc.constant(0),
        durationMs: fc.constant(durationMs),
        setup: fc.record({
          replicas: fc.constant(replicas),
          primaryDual: fc.integer({ min: 0, max: 9 }).map((x) => x > 1),
          replicaDual: fc.array(fc.integer({ min: 0, max: 9 }).map((x) => x > 1), { minLength: replicas, maxLength: replicas }),
          disklessSync: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
          disklessSyncDelay: fc.constantFrom(0, 0, 1, 5),
          disklessSyncMaxReplicas: fc.constantFrom(0, 0, 1, 2),
          backlogSize: fc.constantFrom(...BACKLOG),
          cobReplica: fc.constantFrom(...COB_REPLICA),
          replicaLocalLimit: fc.constantFrom(null, null, "1mb 0 0"),
          replTimeout: fc.constantFrom(60, 10, 5),
          keys: fc.integer({ min: 1000, max: 20000 }),
          valueSize: fc.integer({ min: 20, max: 400 }),
          rdbKeySaveDelay: fc.constantFrom(0, 10, 40),
          keyLoadDelay: fc.constantFrom(0, 10, 40),
          loglevel: fc.constantFrom("debug" as const, "verbose" as const, "notice" as const),
          replicaStartMs: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: durationMs / 2 })), { minLength: replicas, maxLength: replicas }),
        }),
        steps: fc.array(stepArb(replicas, durationMs), { minLength: 0, maxLength: 8 }).map((s) => [...s].sort((a, b) => a.at - b.at)),
      }),
    );
}

/** The program of a seed: the same seed (and options) always gives the same program. */
export function chaosProgram(seed: number, opts: { durationMs?: number; maxReplicas?: number } = {}): ChaosProgram {
  const [p] = fc.sample(chaosProgramArb(opts), { seed, numRuns: 1 });
  return { ...p!, seed };
}

/** One line per step, for the driver log and reports. */
export function describeStep(s: ChaosStep): string {
  switch (s.op) {
    case "writes":
      return `writes ${s.rate}/s for ${s.ms} ms, ${s.valueSize} B values`;
    case "client-kill":
      return `CLIENT KILL replica${s.replica + 1}'s ${s.channel} channel by ${s.by}`;
    case "kill9":
      return `kill -9 replica${s.replica + 1}, restart after ${s.downMs} ms ${s.keepRdb ? "with" : "without"} its dump.rdb`;
    case "pause":
      return `SIGSTOP ${s.who === "replica" ? `replica${s.replica + 1}` : s.who === "child" ? "the primary's fork child" : "the primary"} for ${s.ms} ms`;
    case "kill-child":
      return "kill -9 the primary's fork child";
    case "config":
      return `CONFIG SET ${s.key} ${s.value} on ${s.server === "primary" ? "the primary" : `replica${s.replica + 1}`}`;
    case "replicaof-no-one":
      return `REPLICAOF NO ONE on replica${s.replica + 1}, back after ${s.backMs} ms`;
    case "overflow-client":
      return `a ${s.kind} client that never reads`;
  }
}

/**
 * A program.json read back (a recorded run, or one edited by hand to a smaller program). Checks the
 * shape a run relies on and says which field is wrong.
 */
export function parseChaosProgram(text: string): ChaosProgram {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new Error(`not a chaos program: ${what}`);
  };
  if (typeof p !== "object" || p === null) fail("expected an object");
  const o = p as Record<string, unknown>;
  if (!Number.isInteger(o.seed)) fail("seed: expected an integer");
  if (!Number.isInteger(o.durationMs) || (o.durationMs as number) < 0) fail("durationMs: expected a non-negative integer");
  const s = o.setup as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) fail("setup: expected an object");
  const n = s!.replicas;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 3) fail("setup.replicas: expected 1, 2 or 3");
  for (const k of ["replicaDual", "replicaStartMs"]) if (!Array.isArray(s![k]) || (s![k] as unknown[]).length !== n) fail(`setup.${k}: expected an array of ${n}`);
  for (const k of ["primaryDual", "disklessSync"]) if (typeof s![k] !== "boolean") fail(`setup.${k}: expected true or false`);
  for (const k of ["disklessSyncDelay", "disklessSyncMaxReplicas", "replTimeout", "keys", "valueSize", "rdbKeySaveDelay", "keyLoadDelay"]) {
    if (!Number.isInteger(s![k]) || (s![k] as number) < 0) fail(`setup.${k}: expected a non-negative integer`);
  }
  for (const k of ["backlogSize", "cobReplica"]) if (typeof s![k] !== "string") fail(`setup.${k}: expected a string`);
  if (s!.replicaLocalLimit !== null && typeof s!.replicaLocalLimit !== "string") fail("setup.replicaLocalLimit: expected a string or null");
  if (!["debug", "verbose", "notice"].includes(s!.loglevel as string)) fail("setup.loglevel: expected debug, verbose or notice");
  if (!Array.isArray(o.steps)) fail("steps: expected an array");
  const ops = ["writes", "client-kill", "kill9", "pause", "kill-child", "config", "replicaof-no-one", "overflow-client"];
  (o.steps as unknown[]).forEach((st, i) => {
    const x = st as Record<string, unknown>;
    if (typeof x !== "object" || x === null || !ops.includes(x.op as string)) fail(`steps[${i}].op: expected one of ${ops.join(", ")}`);
    if (!Number.isInteger(x.at) || (x.at as number) < 0) fail(`steps[${i}].at: expected a non-negative integer`);
    if ("replica" in x && (!Number.isInteger(x.replica) || (x.replica as number) < 0 || (x.replica as number) >= (n as number))) fail(`steps[${i}].replica: expected 0..${(n as number) - 1}`);
  });
  return p as ChaosProgram;
}
