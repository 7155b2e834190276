// Model constants, the presets, and their JSON Schema. Units are abstract: one write = one
// offset unit, one tick = one unit of time, one RDB chunk = one unit of transfer.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFAULT_PROFILE, PROFILE_NAMES, PROFILES, SWITCH_NAMES, isProfileName, type ProfileName, type Switches } from './profiles.js';

export interface ModelConfig extends Switches {
  /** The Valkey version whose behaviour switches (model/profiles.ts) the configuration starts from. */
  profile: ProfileName;
  /** Number of replicas (1..3). */
  replicas: number;
  /** Writes per replication buffer block (1..2). */
  blockSize: number;
  /** repl-backlog-size, in writes. */
  backlog: number;
  /** Primary's replica-class hard COB limit in writes; 0 = none. Raised to `backlog` if lower. */
  cobHard: number;
  /** Primary's replica-class soft COB limit in writes; 0 = none. */
  cobSoft: number;
  /** Ticks a client may stay at or over the soft limit before it is closed. */
  cobSoftTicks: number;
  /** Replica's local buffer limit (its own replica-class hard limit), in writes; 0 = unlimited. */
  localLimit: number;
  /** Grace period of a protected rdb client, in ticks. */
  grace: number;
  /** repl-timeout in ticks; 0 = timeouts never fire. */
  replTimeout: number;
  /** Bound on the span of offsets the model tracks (see spec/model.md, normalisation). */
  maxOffset: number;
  /** RDB transfer length in chunks (1..3). */
  rdbChunks: number;
  /** RDB load length in steps (1..3). */
  loadSteps: number;
  /** Writes the main channel's kernel buffers hold in flight (1..3). */
  kernelBuffer: number;
  /** Fault budget: kills, drops, fork failures and replica crashes together; unused with freeFaults. */
  faults: number;
  /**
   * Faults are unlimited. Valkey logs no CLIENT KILL and a real run may hold any number of faults,
   * so judging logs needs no budget (and keeps no counter in the state); the checker's presets use one.
   */
  freeFaults: boolean;
  /** Fault families allowed (any subset of FAULT_FAMILIES). */
  faultKinds: string[];
  /** Primary: dual-channel-replication-enabled at start. */
  primaryDual: boolean;
  /** How many CONFIG SET toggles the operator may make (the toggle families in operatorKinds); unused with freeConfig. */
  configChanges: number;
  /**
   * The settings of the toggle families in operatorKinds are free: Valkey logs no CONFIG SET, so a log
   * may hold any number of them. The model then keeps no value for those settings; each step that
   * reads one (the handshake's capa dual-channel, a classic fork's target) has a variant per outcome.
   */
  freeConfig: boolean;
  /** Operator actions allowed (any subset of OPERATOR_FAMILIES). */
  operatorKinds: string[];
  /** Replicas start as replicas ("replica", e.g. replicaof in the config file) or either that or not yet told REPLICAOF ("either"). */
  replicaStart: 'replica' | 'either';
  /** Primary: repl-diskless-sync. */
  disklessSync: boolean;
  /** Replica i: dual-channel-replication-enabled. Length = replicas. */
  replicaDual: boolean[];
  /** The replicas' repl-diskless-load at start: true = load the RDB straight from the socket (swapdb, on-empty-db, flush-before-load). */
  disklessLoad: boolean;
  /**
   * A main-channel PSYNC the replica wrote before abandoning the connection is still answered by the
   * primary (HandleAbandonedPsync). Real, but it multiplies the states: on for judging logs, off in the
   * checker's presets.
   */
  abandonedPsync: boolean;
  /**
   * Environment: the primary's data needs an RDB format newer than 11 (a 9.x type such as a hash with
   * field expirations). Only matters without rdbChannelSendsVersion (#4103): then every dual-channel
   * fork child's save fails. Off in every preset.
   */
  datasetNeedsNewRdb: boolean;
  /**
   * E7 (bug-zoo.md §20.3): at most this many writes per tick, each RDB chunk and load step takes a
   * tick of its replica, and time passes only when no message or handler is due (maximal progress).
   * 0 = writes are unbounded and take no time (every preset): the state layout is unchanged.
   */
  writeRate: number;
}

export const FAULT_FAMILIES = ['KillMain', 'KillRdb', 'KillChild', 'ForkFail', 'RdbSetupFail', 'CrashReplica'] as const;
/** Operator actions: CONFIG SET toggles (budgeted by configChanges; with freeConfig, free settings instead) and REPLICAOF NO ONE / REPLICAOF. */
export const OPERATOR_FAMILIES = ['ToggleDualChannel', 'ToggleReplicaDual', 'ToggleDisklessSync', 'ToggleDisklessLoad', 'ReplicaofNoOne'] as const;
/** The CONFIG SET toggles among the operator actions. */
export const TOGGLE_FAMILIES: readonly string[] = ['ToggleDualChannel', 'ToggleReplicaDual', 'ToggleDisklessSync', 'ToggleDisklessLoad'];

const base: ModelConfig = {
  profile: DEFAULT_PROFILE,
  ...PROFILES[DEFAULT_PROFILE].switches,
  replicas: 1,
  blockSize: 1,
  backlog: 1,
  cobHard: 2,
  cobSoft: 0,
  cobSoftTicks: 1,
  localLimit: 1,
  grace: 1,
  replTimeout: 1,
  maxOffset: 5,
  rdbChunks: 1,
  loadSteps: 1,
  kernelBuffer: 1,
  faults: 1,
  freeFaults: false,
  faultKinds: [...FAULT_FAMILIES],
  primaryDual: true,
  configChanges: 0,
  freeConfig: false,
  operatorKinds: ['ToggleDualChannel'],
  replicaStart: 'replica',
  disklessSync: true,
  replicaDual: [true],
  disklessLoad: false,
  abandonedPsync: false,
  datasetNeedsNewRdb: false,
  writeRate: 0,
};

/**
 * A preset: its sizes and settings, and optionally `wider` sizes. The sizes of a real run are not
 * logged, so a trace of its logs is one the model explains under *some* sizes: a preset for logs
 * names wider values of sizes that only add behaviours (a bigger kernel buffer, a longer span of
 * tracked offsets), and a trace its own sizes reject is judged again with them (conformance/judge.ts).
 * Only monotone fields may be widened (checked by test/model/presets.test.ts).
 */
export interface Preset {
  readonly description: string;
  readonly config: ModelConfig;
  readonly wider?: Readonly<Partial<Pick<ModelConfig, WidenableField>>>;
}

/** Fields whose larger values only add behaviours: every run of the smaller value is a run of the larger. */
export const WIDENABLE_FIELDS = ['kernelBuffer', 'maxOffset'] as const;
export type WidenableField = (typeof WIDENABLE_FIELDS)[number];

export const PRESETS: Record<string, Preset> = {
  small: {
    description: 'one replica, tiny buffers, one fault: seconds, for tests',
    config: { ...base },
  },
  default: {
    description: 'one dual-channel replica with soft and hard COB limits, blocks of 2, two faults: the main job',
    config: {
      ...base,
      blockSize: 2,
      backlog: 2,
      cobHard: 4,
      cobSoft: 2,
      cobSoftTicks: 1,
      localLimit: 1,
      grace: 1,
      replTimeout: 1,
      maxOffset: 7,
      rdbChunks: 2,
      loadSteps: 2,
      kernelBuffer: 1,
      faults: 2,
      configChanges: 1,
    },
  },
  valkey: {
    description: 'judges real Valkey logs: writes, time and kills are unobserved, so sizes stay abstract and budgets cover a scripted run',
    config: {
      ...base,
      blockSize: 1,
      backlog: 3,
      cobHard: 5,
      cobSoft: 2,
      localLimit: 1,
      grace: 1,
      replTimeout: 1,
      maxOffset: 8,
      rdbChunks: 2,
      loadSteps: 1,
      kernelBuffer: 1,
      faults: 0,
      freeFaults: true,
      configChanges: 0,
      // an operator's CONFIG SET is not logged: the settings are free; REPLICAOF (NO ONE) is logged
      freeConfig: true,
      operatorKinds: [...OPERATOR_FAMILIES],
      replicaStart: 'either',
      abandonedPsync: true,
    },
    // Kernel socket buffers on a real host hold megabytes, often more than a replica-class COB
    // limit: a replica that does not read can take several limits' worth of writes before its
    // main client overflows, while a classic replica's client (which the primary does not send to
    // during its fork) overflows twice (traces/chaos/kernel-absorbs-two-overflows).
    wider: { kernelBuffer: 3, maxOffset: 14 },
  },
  operator: {
    description: 'the small sizes with the operator at work: unlimited CONFIG SET toggles (dual channel on either side, diskless sync), REPLICAOF NO ONE and back, replicas that start detached; for tests',
    config: {
      ...base,
      cobSoft: 1,
      freeConfig: true,
      operatorKinds: [...OPERATOR_FAMILIES],
      replicaStart: 'either',
    },
  },
  large: {
    description: 'two replicas (one dual-channel, one classic), two faults: millions of states, for benchmarks',
    config: {
      ...base,
      replicas: 2,
      replicaDual: [true, false],
      blockSize: 1,
      backlog: 1,
      cobHard: 2,
      cobSoft: 0,
      localLimit: 1,
      grace: 1,
      replTimeout: 1,
      maxOffset: 5,
      rdbChunks: 1,
      loadSteps: 1,
      kernelBuffer: 1,
      faults: 2,
    },
  },
};

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

export const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://replcheck.dev/schema/model-config.json',
  title: 'replcheck model configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    replicas: int(1, 3),
    blockSize: int(1, 2),
    backlog: int(1, 6),
    cobHard: int(0, 16),
    cobSoft: int(0, 8),
    cobSoftTicks: int(1, 3),
    localLimit: int(0, 6),
    grace: int(1, 3),
    replTimeout: int(0, 3),
    maxOffset: int(2, 40),
    rdbChunks: int(1, 3),
    loadSteps: int(1, 3),
    kernelBuffer: int(1, 3),
    faults: int(0, 4),
    freeFaults: { type: 'boolean' },
    faultKinds: { type: 'array', uniqueItems: true, items: { enum: [...FAULT_FAMILIES] } },
    primaryDual: { type: 'boolean' },
    configChanges: int(0, 2),
    freeConfig: { type: 'boolean' },
    operatorKinds: { type: 'array', uniqueItems: true, items: { enum: [...OPERATOR_FAMILIES] } },
    replicaStart: { enum: ['replica', 'either'] },
    disklessSync: { type: 'boolean' },
    disklessLoad: { type: 'boolean' },
    abandonedPsync: { type: 'boolean' },
    datasetNeedsNewRdb: { type: 'boolean' },
    writeRate: int(0, 4),
    replicaDual: { type: 'array', items: { type: 'boolean' }, minItems: 1, maxItems: 3 },
    profile: { enum: [...PROFILE_NAMES] },
    ...Object.fromEntries(SWITCH_NAMES.map((k) => [k, { type: 'boolean' }])),
  },
} as const;

export class ConfigError extends Error {}

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateConfig = ajv.compile(CONFIG_SCHEMA);

/** Parses a `key=value` override into the value type the schema expects. */
export function parseSetting(kv: string): [string, unknown] {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${kv}"`);
  const key = kv.slice(0, eq);
  const raw = kv.slice(eq + 1);
  const prop = (CONFIG_SCHEMA.properties as Record<string, { type?: string }>)[key];
  if (!prop) throw new ConfigError(`--set ${key}: unknown setting; known: ${Object.keys(CONFIG_SCHEMA.properties).join(', ')}`);
  if (prop.type === 'integer') {
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(`--set ${key}: expected an integer, got "${raw}"`);
    return [key, Number(raw)];
  }
  if (key === 'profile') {
    if (!isProfileName(raw)) throw new ConfigError(`profile "${raw}" is unknown; known: ${PROFILE_NAMES.join(", ")}`);
    return [key, raw];
  }
  if (prop.type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`--set ${key}: expected true or false, got "${raw}"`);
    return [key, raw === 'true'];
  }
  const en = (prop as { enum?: readonly string[] }).enum;
  if (en) {
    if (!en.includes(raw)) throw new ConfigError(`--set ${key}: expected one of ${en.join(', ')}, got "${raw}"`);
    return [key, raw];
  }
  // arrays: comma separated
  if (key === 'replicaDual') return [key, raw.split(',').map((x) => x.trim() === 'true')];
  return [key, raw.split(',').map((x) => x.trim()).filter(Boolean)];
}

/**
 * Builds a checked configuration: the preset's sizes, then the behaviour switches of the profile
 * (the last `profile` among the overrides, else the preset's), then a config file's fields, then
 * --set overrides (a single switch may be flipped on top of a profile).
 */
export function resolveConfig(preset: string, overrides: Record<string, unknown>[] = [], where = 'configuration'): ModelConfig {
  const p = PRESETS[preset];
  if (!p) throw new ConfigError(`unknown preset "${preset}"; known: ${Object.keys(PRESETS).join(', ')}`);
  const merged: Record<string, unknown> = { ...structuredClone(p.config) };
  let profile: unknown = p.config.profile;
  for (const o of overrides) if ('profile' in o) profile = o.profile;
  if (typeof profile !== 'string' || !isProfileName(profile)) throw new ConfigError(`${where}: field "profile" must be one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(profile)}`);
  Object.assign(merged, { profile }, PROFILES[profile].switches);
  for (const o of overrides) {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'profile') continue;
      // trace headers carry scalar values only: arrays arrive as comma-separated strings
      merged[k] = typeof v === 'string' && (k === 'replicaDual' || k === 'faultKinds' || k === 'operatorKinds') ? parseSetting(`${k}=${v}`)[1] : v;
    }
  }
  // replicaDual follows replicas unless given explicitly.
  const n = merged.replicas as number;
  const explicitDual = overrides.some((o) => 'replicaDual' in o);
  if (!explicitDual && Array.isArray(merged.replicaDual) && merged.replicaDual.length !== n) {
    const d = merged.replicaDual as boolean[];
    merged.replicaDual = Array.from({ length: n }, (_, i) => d[i] ?? d[0] ?? true);
  }
  checkConfig(merged, where);
  return merged as unknown as ModelConfig;
}

export function checkConfig(c: unknown, where = 'configuration'): asserts c is ModelConfig {
  if (!validateConfig(c)) {
    const e = validateConfig.errors![0]!;
    const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : (e.params as { additionalProperty?: string }).additionalProperty ?? '(root)';
    throw new ConfigError(`${where}: field "${field}" ${e.message}${e.keyword === 'additionalProperty' || e.keyword === 'additionalProperties' ? '' : ''}`);
  }
  const cfg = c as ModelConfig;
  if (cfg.replicaDual.length !== cfg.replicas) throw new ConfigError(`${where}: field "replicaDual" must list ${cfg.replicas} values (one per replica), got ${cfg.replicaDual.length}`);
  if (cfg.backlog >= cfg.maxOffset) throw new ConfigError(`${where}: field "backlog" (${cfg.backlog}) must be below maxOffset (${cfg.maxOffset})`);
  if (cfg.replicaStart === 'either' && !cfg.operatorKinds.includes('ReplicaofNoOne')) throw new ConfigError(`${where}: field "replicaStart" "either" needs ReplicaofNoOne in operatorKinds (a replica not told REPLICAOF could never become one)`);
}

/** Effective replica-class hard limit on the primary: a non-zero limit below the backlog is raised to it. */
export function effectiveHard(c: ModelConfig): number {
  return c.cobHard > 0 ? Math.max(c.cobHard, c.backlog) : 0;
}

/** Effective replica-class soft limit: with softLimitRaisedToBacklog (#2866) a non-zero limit below the backlog is raised to it. */
export function effectiveSoft(c: ModelConfig): number {
  return c.cobSoft > 0 && c.softLimitRaisedToBacklog ? Math.max(c.cobSoft, c.backlog) : c.cobSoft;
}
