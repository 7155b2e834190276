/**
 * What the capture harness must know about each Valkey version it drives: the
 * log texts it waits for and checks, and the few server defaults a scenario's
 * checks depend on. One table, keyed by the version `valkey-server --version`
 * reports; a scenario reads `ctx.P.<name>` / `ctx.profile.<field>` and never
 * asks which version it runs on.
 *
 * Every entry names the source it was read from (the released tarball's
 * src/*.c: file and function). The 8.0 row is the harness's original pattern set
 * (patterns.ts `P`), measured on 8.0.1.
 */
import { P, RN, type Patterns } from "./patterns.js";

export interface ValkeyVersion {
  major: number;
  minor: number;
  patch: number;
  /** "8.1.1" */
  text: string;
}

/** Parse `valkey-server --version` output, e.g. `Valkey server v=8.1.1 sha=00000000:0 malloc=… bits=64 build=…`. */
export function parseValkeyVersion(out: string): ValkeyVersion | undefined {
  const m = /^Valkey server v=(\d+)\.(\d+)\.(\d+)(?:\s|$)/m.exec(out.trim());
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

export function compareVersions(a: Pick<ValkeyVersion, "major" | "minor" | "patch">, b: Pick<ValkeyVersion, "major" | "minor" | "patch">): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface VersionProfile {
  /** Row name: the first release line it covers ("8.0", "8.1", "9.1"). */
  name: string;
  /** First version the row applies to (it applies up to the next row's `since`). */
  since: ValkeyVersion;
  /** Versions whose logs were captured with this row (anything else in its range is assumed alike). */
  verified: string[];
  /** The log patterns the scenarios wait for and check. */
  P: Patterns;
  /** Default grace period of a protected rdb client (DEFAULT_WAIT_BEFORE_RDB_CLIENT_FREE, server.h), seconds. */
  graceSeconds: number;
  /**
   * How the overflow scenarios flood a never-reading subscriber (S6): `count` PUBLISHes of `bytes`
   * each, about 5 MB in all. From 9.0 on, a bulk string of at least `min-string-size-avoid-copy-reply`
   * bytes (hidden config, default 16384) is queued for a normal or pubsub client as a reference
   * (networking.c isCopyAvoidPreferred / _addBulkStrRefToBufferOrList), and its size only counts
   * towards the output-buffer limit once the writer has claimed it (trackBufReferences,
   * getClientOutputBufferMemoryUsage): 256 KB messages never overflow a 1 MB pubsub limit there.
   */
  publishFlood: { bytes: number; count: number };
  /**
   * Scenarios whose behaviour this version no longer has, with the reason (the evidence is in
   * traces/valkey-<version>/README.md). They still run when asked for, and fail their checks.
   */
  unreproducible: Readonly<Record<string, string>>;
  /** Where each difference from the previous row comes from. */
  sources: string[];
}

const DC = "Dual channel replication: ";

/**
 * The same message with the `Dual channel replication: ` prefix that 8.1+ puts in front of every
 * line logged through `dualChannelServerLog` (server.h). The 8.0 regex may already allow an
 * optional prefix; it becomes mandatory.
 */
export function dualChannelPrefixed(re: RegExp): RegExp {
  const body = re.source.replace(/^\^(?:\(\?:Dual channel replication: \)\?)?/, "");
  return new RegExp(`^${DC}${body}`, re.flags);
}

/** Pattern names logged through dualChannelServerLog in 8.1.1 (and 9.1.2) with the 8.0.1 text otherwise unchanged. */
const PREFIXED_SINCE_8_1 = [
  // primary side (replication.c / networking.c)
  "dualOffered", // syncCommand
  "endoff", // sendCurrentOffsetToReplica
  "addWaitPsync", // addRdbReplicaToPsyncWait
  "mainMatchedRdb", // removeReplicaFromPsyncWait
  "attachBlock", // backfillRdbReplicasToPsyncWait
  "rdbUnlinked", // freeReplicaReferencedReplBuffer
  "rdbChannelClosed", // networking.c freeClient
  "postpone", // networking.c freeClientsInAsyncFreeQueue
  "graceExpired", // networking.c freeClientsInAsyncFreeQueue
  // replica side (replication.c)
  "psyncNotPossibleDual", // replicaTryPartialResynchronization
  "mainPsyncSent", // replicaTryPartialResynchronization
  "loadInBackground", // dualChannelReplMainConnRecvPsyncReply
  "localBufLimit", // bufferReplData
  "streamed", // dualChannelSyncSuccess
  "dualAbort", // replicationAbortDualChannelSyncTransfer
] as const satisfies readonly (keyof Patterns)[];

function prefixAll(base: Patterns, names: readonly (keyof Patterns)[]): Patterns {
  const out: Record<string, RegExp> = { ...base };
  for (const k of names) out[k] = dualChannelPrefixed(base[k]);
  return out as Patterns;
}

const P_8_1: Patterns = {
  ...prefixAll(P, PREFIXED_SINCE_8_1),
  // replication.c dualChannelSetupMainConnForPsync: "… Main channel psync result %d %s" with ret = C_ERR (-1)
  // and the PSYNC_* name from getTryPsyncString (8.0.1 printed the PSYNC_* code, 6 = +DUALCHANNELSYNC)
  dualAbortResult6: /^Dual channel replication: Aborting dual channel sync\. Main channel psync result -1 PSYNC_FULLRESYNC_DUAL_CHANNEL$/,
  // replication.c dualChannelSyncHandlePsync: ‡"Psync established after rdb load" (debug)
  psyncAfterLoad: /^Dual channel replication: Psync established after rdb load$/,
  // replication.c readIntoReplDataBlock: ‡"Provisional primary closed connection" at WARNING
  // for EOF and errors alike; 8.0.1's "Error reading from primary: %s" is gone
  provisionalClosed: /^Dual channel replication: Provisional primary closed connection$/,
  // rdb.c rdbSaveToReplicasSockets: "… to %s%s", the %s being " while skipping RDB checksum for this transfer" when
  // every replica announced capa skip-rdb-checksum on an integrity-checked (TLS) connection
  childStarted: /^Background RDB transfer started by pid (\d+) to (direct socket to replica|pipe through parent process)(?: while skipping RDB checksum for this transfer)?$/,
  // rdb.c rdbLoadRioWithLoadingCtx: ", empty keys skipped: %lld" when any was skipped
  loadDone: /^Done loading RDB, keys loaded: (\d+), keys expired: (\d+)(?:, empty keys skipped: \d+)?\.$/,
};

const P_9_1: Patterns = {
  ...P_8_1,
  // replication.c bufferReplData (#2824): ‡"Replication buffer limit reached (%llu bytes), stopping buffering.
  // Further accumulation will occur on primary side."
  localBufLimit: /^Dual channel replication: Replication buffer limit reached \((\d+) bytes\), stopping buffering\. Further accumulation will occur on primary side\.$/,
  // replication.c primaryTryPartialResynchronization (#2877/#2886): the request's replid is printed, and with a
  // backlog the range the primary could have served; group 1 stays the requested offset
  lackOfBacklog: new RegExp(
    String.raw`^Unable to partial resync with replica ${RN} for lack of backlog \(Replica request was:? \S+:(-?\d+)(?:, and I can only reply with the range \[-?\d+, -?\d+\])?\)\.$`,
  ),
  // rdb.c rdbLoadRioWithLoadingCtx: ", all fields expired hashes: %lld" is always printed
  loadDone: /^Done loading RDB, keys loaded: (\d+), keys expired: (\d+)(?:, empty keys skipped: \d+)?, all fields expired hashes: \d+\.$/,
  // replication.c dualChannelReplMainConnRecvPsyncReply prints ", RDB load in background." only while
  // server.repl_rdb_transfer_s is set, and receiveRDBinBioThread hands that connection to the bio thread
  // (sets it to NULL) for the whole download: a +CONTINUE read during the download prints ".", the text
  // 8.x uses only after the load ("Psync established after rdb load" then follows, which tells the two apart)
  loadInBackground: /^Dual channel replication: PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization(?:, RDB load in background)?\.$/,
  // replication.c tryReadBulkPayload: the disk download runs in a bio thread (replicaBioSaveServerLog)
  syncIoError: /^(?:Replica bio thread: )?I\/O error trying to sync with PRIMARY: /,
};

const v = (text: string): ValkeyVersion => parseValkeyVersion(`Valkey server v=${text}`)!;

/** The table, oldest first. */
export const PROFILES: readonly VersionProfile[] = [
  {
    name: "8.0",
    since: v("8.0.0"),
    verified: ["8.0.1"],
    P,
    graceSeconds: 60,
    publishFlood: { bytes: 256 * 1024, count: 20 },
    unreproducible: {},
    sources: ["patterns.ts P: the messages of valkey 8.0.1, measured (shared/design/valkey-real-runs.md §5)"],
  },
  {
    name: "8.1",
    since: v("8.1.0"),
    verified: ["8.1.1"],
    P: P_8_1,
    graceSeconds: 60,
    publishFlood: { bytes: 256 * 1024, count: 20 },
    unreproducible: {
      "retry-temp-file-collision":
        "replication.c replicationAbortDualChannelSyncTransfer calls cleanupTransferResources, which unlinks the aborted attempt's temp-<unixtime>.<pid>.rdb: a retry in the same second opens the same name again without 'File exists'",
    },
    sources: [
      "server.h dualChannelServerLog: 'Dual channel replication: ' prefix (#1586)",
      "replication.c dualChannelSetupMainConnForPsync + getTryPsyncString: psync result -1 <PSYNC_* name> (#945)",
      "replication.c dualChannelSyncHandlePsync: 'Psync established after rdb load'",
      "replication.c readIntoReplDataBlock: 'Provisional primary closed connection' replaces 'Error reading from primary'",
      "rdb.c rdbSaveToReplicasSockets: optional ' while skipping RDB checksum for this transfer'",
    ],
  },
  {
    name: "9.1",
    since: v("9.1.0"),
    verified: ["9.1.2"],
    P: P_9_1,
    graceSeconds: 5,
    // just under the copy-avoidance threshold; 328 x 16000 B ~ 20 x 256 KB
    publishFlood: { bytes: 16000, count: 328 },
    unreproducible: {
      "retry-temp-file-collision":
        "replication.c replicationAbortDualChannelSyncTransfer calls cleanupTransferResources, which unlinks the aborted attempt's temp-<unixtime>.<pid>.rdb: a retry in the same second opens the same name again without 'File exists'",
      "kill-replica-after-rename":
        "replication.c replicaLoadPrimaryRDBFromDisk passes RDBFLAGS_EMPTY_DATA: the old data is flushed inside rdbLoad, after 'Loading DB in memory', so no 'Flushing old data' line marks the window between the rename and the load (it holds only fsyncs and replicationAttachToNewPrimary)",
      "cob-overflow-soft-limit":
        "networking.c checkClientOutputBufferLimits raises a replica's soft limit to repl-backlog-size as it does the hard one (#2866): 'replica 0 1mb 1' with a 100mb backlog no longer overflows",
    },
    sources: [
      "server.h DEFAULT_WAIT_BEFORE_RDB_CLIENT_FREE 5 (#2829; 60 before)",
      "replication.c bufferReplData: 'Replication buffer limit reached (%llu bytes), … primary side.' (#2824)",
      "replication.c primaryTryPartialResynchronization: lack-of-backlog line with replid and range (#2877/#2886)",
      "rdb.c rdbLoadRioWithLoadingCtx: ', all fields expired hashes: %lld'",
      "replication.c tryReadBulkPayload: 'Replica bio thread: ' prefix (#1784, disk-based load in a bio thread)",
      "replication.c dualChannelReplMainConnRecvPsyncReply + receiveRDBinBioThread: no ', RDB load in background' while the bio thread downloads",
      "networking.c isCopyAvoidPreferred (config.c min-string-size-avoid-copy-reply 16384): big replies to normal/pubsub clients queued by reference",
    ],
  },
];

/** Versions before this have no dual-channel replication. */
export const OLDEST_SUPPORTED = v("8.0.0");

/**
 * The row for a version: the newest whose `since` is not after it. Throws for a version older than
 * 8.0 (no dual-channel replication). `exact` tells whether this very version was captured with it.
 */
export function profileFor(ver: ValkeyVersion): { profile: VersionProfile; exact: boolean } {
  if (compareVersions(ver, OLDEST_SUPPORTED) < 0) throw new Error(`Valkey ${ver.text} has no dual-channel replication (8.0.0 or later needed)`);
  let profile = PROFILES[0]!;
  for (const p of PROFILES) if (compareVersions(p.since, ver) <= 0) profile = p;
  return { profile, exact: profile.verified.includes(ver.text) };
}
