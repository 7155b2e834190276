/**
 * Regexes for the valkey 8.0.1 log messages the scenarios wait for or check
 * (applied to the message part of a line; see doc §5). Only what the harness
 * needs to drive and self-check a run: the trace conversion lives elsewhere.
 */
export const RN = String.raw`(?:\S+:\d+|\S+:<unknown-replica-port>|client id #\d+)`;
const r = (s: string) => new RegExp(s);

export const P = {
  syncRequest: r(String.raw`^Replica ${RN} asks for synchronization$`),
  dualOffered: r(String.raw`^Replica ${RN} is capable of dual channel synchronization`),
  bgsave: /^Starting BGSAVE for SYNC with target: (replicas sockets|disk) using: (dual-channel|normal sync)$/,
  bgsaveWaitNext: /^Current BGSAVE has socket target\. Waiting for next BGSAVE for SYNC$/,
  endoff: r(String.raw`^Sending to replica ${RN} RDB end offset (\d+) and client-id (\d+)$`),
  addWaitPsync: r(String.raw`^Add rdb replica ${RN} to waiting psync, with cid (\d+)`),
  mainMatchedRdb: r(String.raw`^Remove psync waiting replica ${RN} with cid (\d+), repl buffer block`),
  attachBlock: /^Attach replica rdb client (\d+) to repl buf block$/,
  rdbUnlinked: r(String.raw`^Remove psync waiting replica ${RN} with cid (\d+) from replicas rax\.$`),
  psyncAccepted: r(String.raw`^Partial resynchronization request from ${RN} accepted\. Sending (\d+) bytes of backlog starting from offset (\d+)\.$`),
  lackOfBacklog: r(String.raw`^Unable to partial resync with replica ${RN} for lack of backlog \(Replica request was: (-?\d+)\)\.$`),
  childStarted: /^Background RDB transfer started by pid (\d+) to (direct socket to replica|pipe through parent process)$/,
  childDone: /^Background RDB transfer (terminated with success|error|terminated by signal (\d+))$/,
  syncFailedChild: /^SYNC failed\. BGSAVE child returned an error$/,
  rdbChannelClosed: r(String.raw`^Replica ${RN} rdb channel disconnected\.$`),
  postpone: r(String.raw`^Postpone RDB client id=(\d+) \(${RN}\) free for (\d+) seconds$`),
  graceExpired: /^Replica main channel failed to establish PSYNC within the grace period \((\d+) seconds\)\. Freeing RDB client (\d+)\.$/,
  replicaOnline: r(String.raw`^Synchronization with replica ${RN} succeeded$`),
  replicaLost: r(String.raw`^Connection with replica ${RN} lost\.$`),
  pipeDone: /^Diskless rdb transfer, done reading from pipe/,
  /** COB overflow of any client; group 1 = client info. */
  cob: /^Client (id=\d+ .*) (scheduled to be closed ASAP|closed) for overcoming of output buffer limits\.$/,

  // replica side
  psyncNotPossibleDual: /^(?:Dual channel replication: )?PSYNC is not possible, initialize RDB channel\.$/,
  mainPsyncSent: /^(?:Dual channel replication: )?Trying a partial resynchronization using main channel \(request ([0-9a-f]{40}):(\d+)\)\.$/,
  loadInBackground: /^(?:Dual channel replication: )?(?:Primary|PRIMARY) <-> REPLICA sync: Primary accepted a Partial Resynchronization, RDB load in background\.$/,
  psyncSent: /^Trying a partial resynchronization \(request ([0-9a-f]{40}):(-?\d+)\)\.$/,
  fullResyncFromPrimary: /^Full resync from primary: ([0-9a-f]{40}):(\d+)$/,
  loadStart: /^PRIMARY <-> REPLICA sync: Loading DB in memory$/,
  loadDone: /^Done loading RDB, keys loaded: (\d+), keys expired: (\d+)\.$/,
  localBufLimit: /^Replication buffer limit reached, stopping buffering\.$/,
  psyncAfterLoad: /^(?:Dual channel replication: )?Dual channel sync - psync established after rdb load$/,
  streamed: /^Successfully streamed replication data into memory$/,
  finished: /^PRIMARY <-> REPLICA sync: Finished with success$/,
  truePsyncOk: /^Successful partial resynchronization with primary\.$/,
  primaryLost: /^Connection with primary lost\.$/,
  dualAbort: /^(?:Dual channel replication: )?Aborting dual channel sync/,
  dualAbortResult6: /^(?:Dual channel replication: )?Aborting dual channel sync\. Main channel psync result 6$/,
  syncIoError: /^I\/O error trying to sync with PRIMARY: /,
  transferTimeout: /^Timeout receiving bulk data from PRIMARY\.\.\./,
  tempFileExists: /^Opening the temp file needed for PRIMARY <-> REPLICA synchronization: File exists$/,
  provisionalClosed: /^(Provisional primary closed connection|Error reading from primary: .*)$/,
  socketResetAfterLoad: /^(Error writing to client|Reading from client): /,
  processStop: /^Process is about to stop\.$/,
  processCont: /^Process has been continued\.$/,
  dbLoadedFromDisk: /^DB loaded from disk: /,
} as const;

/** A full pattern set (one per Valkey version row, see versions.ts); `P` is the 8.0 row. */
export type Patterns = { readonly [K in keyof typeof P]: RegExp };

/** Field map of the client-info part of a COB line. */
export function clientInfoFields(info: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const kv of info.split(" ")) {
    const i = kv.indexOf("=");
    if (i > 0) m[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return m;
}

/** Kind of client in a COB overflow line, keyed by flags + cmd (doc §5.2). */
export function cobKind(info: string): "main-channel" | "rdb-channel" | "normal" | "pubsub" | "monitor" | "other" {
  const f = clientInfoFields(info);
  const flags = f.flags ?? "";
  const cmd = f.cmd ?? "";
  if (flags.includes("S") && cmd === "sync") return "rdb-channel";
  if (flags.includes("S")) return "main-channel";
  if (flags.includes("O")) return "monitor";
  if (flags.includes("P")) return "pubsub";
  if (flags.includes("N")) return "normal";
  return "other";
}
