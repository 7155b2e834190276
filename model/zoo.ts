// The bug zoo: historical dual-channel replication bugs of Valkey, each re-found by the model. A
// bug is a profile switch (model/profiles.ts, named for the fixed behaviour) and the property the
// fix guarantees (a fix property of model/invariants.ts, or a liveness property): under the buggy
// value the checker finds a counterexample, under the fixed one it proves the property on the same
// configuration. `replcheck zoo` runs the table (cli/zoo.ts); spec/model.md §8.1 documents it. The
// research behind each row (mechanism, fixed-in, source references) is in the design notes'
// bug-zoo.md; what is not in this table yet is listed there and in spec/model.md §8.1.
import type { ModelConfig } from './config.js';

export interface ZooBug {
  /** Valkey issue or PR number ("#1297"). */
  readonly id: string;
  /** One line: what goes wrong. */
  readonly mechanism: string;
  /** Where it was fixed (or "open"). */
  readonly fixedIn: string;
  /** Which of our profiles have the bug. */
  readonly inProfiles: readonly string[];
  /** The property that catches it: a fix property (safety) or a liveness property. */
  readonly property: string;
  readonly kind: 'safety' | 'liveness';
  readonly preset: string;
  /** Settings of the buggy and of the fixed run (on top of the preset). */
  readonly buggy: Readonly<Partial<ModelConfig>>;
  readonly fixed: Readonly<Partial<ModelConfig>>;
  /** What "fixed" means when the bug has no fix in Valkey. */
  readonly note?: string;
}

export const ZOO: readonly ZooBug[] = [
  {
    id: '#1297',
    mechanism: 'a failed BGSAVE child (error, kill) leaves its rdb clients protected: each lingers for the grace period and keeps the backlog pinned instead of being closed',
    fixedIn: '8.1.0',
    inProfiles: ['8.0.1'],
    property: 'I18-child-error-unprotects',
    kind: 'safety',
    preset: 'small',
    buggy: { childErrorClearsProtection: false },
    fixed: { childErrorClearsProtection: true },
  },
  {
    id: '#989',
    mechanism: 'a replica-class hard limit of 0 ("no limit") was compared as "buffer > 0": the replica stopped reading its main channel after the first block of its local buffer',
    fixedIn: '8.0.0 GA',
    inProfiles: [],
    property: 'I11-unlimited-local-buffer',
    kind: 'safety',
    preset: 'small',
    buggy: { localLimit: 0, localLimitZeroMeansUnlimited: false },
    fixed: { localLimit: 0, localLimitZeroMeansUnlimited: true },
  },
  {
    id: '#5417',
    mechanism: 'the primary closes the main channel while the replica loads (output-buffer limit, kill) and the replica, not reading it, applies its local buffer and reports "Finished with success" on the dead link, to notice the loss only afterwards',
    fixedIn: '9.2.1',
    inProfiles: ['8.0.1', '8.1.1', '9.1.2'],
    property: 'I14-success-on-live-link',
    kind: 'safety',
    preset: 'small',
    buggy: { successChecksMainLink: false },
    fixed: { successChecksMainLink: true },
  },
  {
    id: '#2866',
    mechanism: 'a replica-class soft output-buffer limit below repl-backlog-size is used as it is (the hard limit is raised to the backlog, the soft one was not): a replica client is dropped with less than the backlog pending, which its replica can partial-resync from, only to overrun the limit again',
    fixedIn: '9.1 (9.1.2 has it, 8.1.1 not)',
    inProfiles: ['8.0.1', '8.1.1'],
    property: 'I17-limit-close-at-backlog',
    kind: 'safety',
    preset: 'small',
    buggy: { cobSoft: 1, backlog: 2, softLimitRaisedToBacklog: false },
    fixed: { cobSoft: 1, backlog: 2, softLimitRaisedToBacklog: true },
  },
  {
    id: '#804a',
    mechanism: 'in the RDB-first order (+CONTINUE read after the load) no local buffer exists, yet the success streamed it unconditionally: the streaming failed and the success stopped half-way, connected but reading nothing, without ACK, the rdb-channel state not reset',
    fixedIn: '8.0.0-rc1',
    inProfiles: [],
    property: 'I5-replica-phases',
    kind: 'safety',
    preset: 'small',
    buggy: { streamSkipsEmptyBuffer: false },
    fixed: { streamSkipsEmptyBuffer: true },
  },
  {
    id: '#1097',
    mechanism: 'an error in the rdb channel\'s handshake (an asynchronous connect error, an EOF or error before $ENDOFF, an unexpected $ENDOFF) closes the rdb connection twice and drops the main connection unclosed: the primary keeps its client, idle, one per failed attempt, until the replica process exits',
    fixedIn: '8.1.0',
    inProfiles: ['8.0.1'],
    property: 'I19-no-leaked-main-client',
    kind: 'safety',
    preset: 'small',
    buggy: { rdbHandshakeErrorClosesMain: false },
    fixed: { rdbHandshakeErrorClosesMain: true },
  },
  {
    id: '#4103',
    mechanism: 'the rdb channel\'s REPLCONF does not announce the replica\'s version: the primary saves RDB 11 for the rdb client, data that needs a newer format (hash field expirations) cannot be stored, every dual-channel fork child fails and the replica resyncs forever',
    fixedIn: '#4105 (9.x; 9.1.2 has the fix)',
    inProfiles: [],
    property: 'L1-sync-completes',
    kind: 'liveness',
    preset: 'small',
    buggy: { profile: '9.1.2', faults: 0, cobHard: 0, datasetNeedsNewRdb: true, rdbChannelSendsVersion: false },
    fixed: { profile: '9.1.2', faults: 0, cobHard: 0, datasetNeedsNewRdb: true, rdbChannelSendsVersion: true },
    note: 'the 9.1.2 profile with the switch flipped stands for 9.0.x; cobHard=0 keeps the endless loop of #1649 out of both runs',
  },
  {
    id: '#1149',
    mechanism: 'a dual-channel load that ends before the main channel\'s PSYNC is accepted (RDB_LOADED) resets repl_down_since to 0, "never connected", although the link is down: INFO shows master_link_down_since_seconds:-1 and a cluster replica\'s data age looks huge, so it refuses to fail over',
    fixedIn: '8.0.2, 8.1.0',
    inProfiles: ['8.0.1'],
    property: 'I13-down-since',
    kind: 'safety',
    preset: 'small',
    buggy: { downSinceResetOnlyOnConnect: false },
    fixed: { downSinceResetOnlyOnConnect: true },
    note: 'the ghost rN.replica.downSince (Valkey\'s repl_down_since) exists only in these two runs: no other check has the variable, so the 8.0.1 profile\'s counts are unchanged',
  },
  {
    id: 'H2',
    mechanism: 'a failed dual-channel fork drops its rdb clients from server.replicas after $ENDOFF (class normal, reply_bytes 0) but leaves them pinned and protected: no output-buffer check sees them, and each holds the replication buffer without limit while it lingers for the grace period',
    fixedIn: 'not fixed (a code-reading finding, not reported)',
    inProfiles: ['8.0.1', '8.1.1', '9.1.2'],
    property: 'I20-fork-failed-cob-bound',
    kind: 'safety',
    preset: 'small',
    buggy: { forkFailedRdbChecksCob: false },
    fixed: { forkFailedRdbChecksCob: true },
    note: 'no Valkey fix: the "fixed" run holds the dropped client to the replica-class limits, as the model did before the switch',
  },
  {
    id: '#1649',
    mechanism: 'endless full-sync loop: writes during the load overrun the replica-class output-buffer limit, the main channel is dropped, its PSYNC refused, and the next full sync does the same',
    fixedIn: 'open',
    inProfiles: ['8.0.1', '8.1.1', '9.1.2'],
    property: 'L-loop',
    kind: 'liveness',
    preset: 'small',
    // E7: at most 2 writes per tick, time only when nothing else is due (spec/model.md §10.2)
    buggy: { faults: 0, maxOffset: 20, writeRate: 2, cobHard: 4 },
    fixed: { faults: 0, maxOffset: 20, writeRate: 2, cobHard: 5 },
    note: 'no Valkey fix: the loop is a relation between write rate, load time and limits (spec/model.md §10.2); "buggy" is 2 writes per tick against a hard limit of 4, where the sweep finds the loop, "fixed" the same rate against a limit of 5, where none exists',
  },
];

export function zooBug(id: string): ZooBug | undefined {
  const want = id.startsWith('#') || /^H\d+$/i.test(id) ? id.toUpperCase() : `#${id}`;
  return ZOO.find((b) => b.id === want);
}
