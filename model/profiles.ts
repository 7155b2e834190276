// Version profiles: what one Valkey version does, as a table of behaviour switches. Actions read
// the switches from the configuration (`m.c.<switch>`), never a version number; a profile only
// chooses their values. spec/model.md §2.1 documents every switch and the counts per profile.
//
// A switch is named for the newer (fixed) behaviour: `true` = the version has the fix or change.
// Bug profiles (issue 10) flip single switches with --set.

export const PROFILE_NAMES = ['8.0.1', '8.1.1', '9.1.2'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The behaviour switches, with the Valkey change that introduced each. */
export interface Switches {
  /** #1297: a BGSAVE child error clears the rdb client's protection before it is closed. */
  childErrorClearsProtection: boolean;
  /** #3051: the primary logs "Dual channel capability ignored: repl-diskless-sync disabled". */
  logsDualCapaIgnored: boolean;
  /** #1784: a disk-based download runs in a bio thread; its end or failure is noticed by replicationCron. */
  bioDiskDownload: boolean;
  /** #989 (8.0.0 GA): a replica-class hard limit of 0 means no limit for the replica's local buffer. */
  localLimitZeroMeansUnlimited: boolean;
  /** #5417 (9.2.1): a replica whose main channel the primary closed while it applied its local buffer aborts instead of reporting success. */
  successChecksMainLink: boolean;
  /** #2866 (9.1): a non-zero replica-class soft COB limit below repl-backlog-size is raised to it, like the hard limit. */
  softLimitRaisedToBacklog: boolean;
  /** #804 (8.0.0-rc1): a dual-channel success without a local buffer (the RDB loaded before +CONTINUE) skips its streaming. */
  streamSkipsEmptyBuffer: boolean;
  /** #1097 (8.1.0): an error of the rdb channel's handshake closes the main connection too. */
  rdbHandshakeErrorClosesMain: boolean;
  /** #4103/#4105 (after 9.0, before 9.1.2): the rdb channel's REPLCONF announces the replica's version, so a dual-channel child saves the newest RDB format the replica reads. */
  rdbChannelSendsVersion: boolean;
  /** #1149 (8.0.2, 8.1.0): repl_down_since is reset only when the link comes up, not at every dual-channel load. */
  downSinceResetOnlyOnConnect: boolean;
  /** H2 (no Valkey fix): an rdb client a failed fork dropped from server.replicas is still held to the replica-class COB limits while it lingers. */
  forkFailedRdbChecksCob: boolean;
}

export interface SwitchDoc {
  readonly change: string;
  readonly doc: string;
}

export const SWITCH_DOCS: Readonly<Record<keyof Switches, SwitchDoc>> = {
  childErrorClearsProtection: {
    change: '#1297 (8.1.0)',
    doc: 'a failed fork child clears the protection of its rdb clients before closing them (8.0.1: they stay protected and linger for the grace period, still in WAIT_BGSAVE_END, so the next dual-channel child\'s exit reports to them too)',
  },
  bioDiskDownload: {
    change: '#1784 (9.0)',
    doc: 'the replica downloads a disk-based RDB in a bio thread: the main thread notices the end (or a failure) of the download at its next replicationCron, meanwhile it still reads the main channel; the "RDB load in background" suffix then only says whether the download has not started; in a classic sync to disk a keep-alive newline of the primary creates the bio thread before any RDB data (KeepAliveBio)',
  },
  localLimitZeroMeansUnlimited: {
    change: '#989 (8.0.0 GA)',
    doc: 'bufferReplData compares the local buffer with the replica-class hard limit only when that limit is not 0 ("hard_limit_bytes && len > hard_limit_bytes"); before it (8.0.0-rc1/rc2) a limit of 0 stopped buffering after the first block. All three profiles have the fix: the buggy value is the zoo\'s (model/zoo.ts)',
  },
  successChecksMainLink: {
    change: '#5417 (9.2.1)',
    doc: 'a replica that has applied its local buffer after a dual-channel load checks its main channel first: if the primary has closed it meanwhile, the replica aborts the sync and resyncs instead of reporting success on a dead link (StreamDone). All three profiles have the bug (they report "Finished with success", then notice the closed link): the fixed value is the zoo\'s (model/zoo.ts)',
  },
  softLimitRaisedToBacklog: {
    change: '#2866 (9.1)',
    doc: 'checkClientOutputBufferLimits raises a non-zero replica-class soft limit below repl-backlog-size to it, as it always did the hard limit (9.1.2\'s networking.c has it, 8.1.1\'s and 8.0.1\'s do not): a replica client is no longer closed by the soft limit with less than the backlog pending, which it would partial-resync and overrun again',
  },
  streamSkipsEmptyBuffer: {
    change: '#804 (8.0.0-rc1)',
    doc: 'dualChannelSyncSuccess streams the local buffer only if one exists: in the RDB-first order (+CONTINUE read after the load) none was ever created. Before #804 it streamed unconditionally, streamReplDataBufToDb failed on the missing buffer ("Failed to stream local replication buffer into memory") and the success stopped half-way: connected, with a primary client that reads nothing, no ACK, and the rdb-channel state not reset. All three profiles have the fix (it is in 8.0.0-rc1): the buggy value is the zoo\'s (model/zoo.ts)',
  },
  rdbHandshakeErrorClosesMain: {
    change: '#1097 (8.1.0)',
    doc: 'an error in the rdb channel\'s handshake (fullSyncWithPrimary: an asynchronous connect error, an EOF or error reply before $ENDOFF, an unexpected $ENDOFF) closes the main connection before aborting; 8.0.1 closes the rdb connection twice and drops its pointer to the main connection without closing it: the primary keeps that connection\'s normal client, idle, until the replica process exits (mainClient.leaked)',
  },
  rdbChannelSendsVersion: {
    change: '#4103/#4105 (9.x)',
    doc: 'the rdb channel\'s handshake announces "version" in its REPLCONF (9.1.2\'s dualChannelReplHandleHandshake does), so replicaRdbVersion picks the newest RDB format the replica reads (80 for a 9.x replica). Without it replica_version stays 0 and a 9.x primary saves RDB 11 for the rdb client: with data that needs RDB 80 (datasetNeedsNewRdb, e.g. hash field expirations) rdbSaveKeyValuePair refuses a key ("Can\'t store key … in RDB version 11") and every dual-channel child fails. 8.0.1 and 8.1.1 have one RDB format (RDB_VERSION 11, no replicaRdbVersion): true there is vacuous. No profile has the bug (9.0.x had it): false is the zoo\'s buggy value (model/zoo.ts)',
  },
  downSinceResetOnlyOnConnect: {
    change: '#1149 (8.0.2, 8.1.0)',
    doc: 'readSyncBulkPayload resets repl_down_since (0 = "never connected": INFO master_link_down_since_seconds:-1, and a cluster replica\'s data age becomes huge, so it refuses to fail over) only in the classic branch, where the link comes up; a dual-channel success resets it in establishPrimaryConnection. 8.0.1 reset it after every load, also a dual-channel load that ends before the main channel\'s PSYNC was accepted (RDB_LOADED, the link still down). Seen only through a ghost variable built when the fix property I13-down-since is asked for (model/zoo.ts): no check of a preset sees the switch',
  },
  forkFailedRdbChecksCob: {
    change: 'H2 (not fixed)',
    doc: 'an rdb client a failed dual-channel fork dropped from server.replicas (startBgsaveForReplication: flag.replica = 0, listDelNode, -ERR, close_after_reply; its pin, protection and rax entry stay) is still held to the replica-class output-buffer limits while it lingers. Valkey (8.0.1, 8.1.1, 9.1.2, verified) does not: the client is class normal, feedReplicationBuffer checks only server.replicas, and closeClientOnOutputBufferLimitReached returns at once for a normal client with reply_bytes 0, so its pin holds the replication buffer without limit for the grace period. Every profile has the bug: true is the zoo\'s fixed value (model/zoo.ts)',
  },
  logsDualCapaIgnored: {
    change: '#3051 (9.1)',
    doc: 'a primary with dual channel on but repl-diskless-sync off logs "Dual channel capability ignored" when a replica announces capa dual-channel',
  },
};

export interface Profile {
  readonly name: ProfileName;
  readonly description: string;
  readonly switches: Switches;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  '8.0.1': {
    name: '8.0.1',
    description: 'Valkey 8.0.1 (Debian bookworm-backports)',
    switches: { childErrorClearsProtection: false, logsDualCapaIgnored: false, bioDiskDownload: false, localLimitZeroMeansUnlimited: true, successChecksMainLink: false, softLimitRaisedToBacklog: false, streamSkipsEmptyBuffer: true, rdbHandshakeErrorClosesMain: false, rdbChannelSendsVersion: true, downSinceResetOnlyOnConnect: false, forkFailedRdbChecksCob: false },
  },
  '8.1.1': {
    name: '8.1.1',
    description: 'Valkey 8.1.1 (Debian trixie)',
    switches: { childErrorClearsProtection: true, logsDualCapaIgnored: false, bioDiskDownload: false, localLimitZeroMeansUnlimited: true, successChecksMainLink: false, softLimitRaisedToBacklog: false, streamSkipsEmptyBuffer: true, rdbHandshakeErrorClosesMain: true, rdbChannelSendsVersion: true, downSinceResetOnlyOnConnect: true, forkFailedRdbChecksCob: false },
  },
  '9.1.2': {
    name: '9.1.2',
    description: 'Valkey 9.1.2 (Debian forky)',
    switches: { childErrorClearsProtection: true, logsDualCapaIgnored: true, bioDiskDownload: true, localLimitZeroMeansUnlimited: true, successChecksMainLink: false, softLimitRaisedToBacklog: true, streamSkipsEmptyBuffer: true, rdbHandshakeErrorClosesMain: true, rdbChannelSendsVersion: true, downSinceResetOnlyOnConnect: true, forkFailedRdbChecksCob: false },
  },
};

export const DEFAULT_PROFILE: ProfileName = '8.0.1';
export const SWITCH_NAMES = Object.keys(SWITCH_DOCS) as (keyof Switches)[];

export function isProfileName(s: string): s is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(s);
}

/**
 * The profile that judges a Valkey version: the exact one if known, else the newest profile whose
 * version is not newer (same major.minor preferred). Returns undefined for versions older than
 * every profile.
 */
export function profileForVersion(version: string): { profile: ProfileName; exact: boolean } | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  if (isProfileName(version)) return { profile: version, exact: true };
  let best: ProfileName | undefined;
  for (const p of PROFILE_NAMES) {
    const q = parseVersion(p)!;
    if (compareVersions(q, v) <= 0) best = p;
  }
  return best ? { profile: best, exact: false } : undefined;
}

function parseVersion(s: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(s);
  return m ? [+m[1]!, +m[2]!, +m[3]!] : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
