// The report on a suite folder: per replication group (its servers, the tests it spans, its
// verdict, the first unexplained line, its output-buffer overflows) and per test window (which
// groups logged events in it, and how far they were judged). `--json` prints it as it is.
import type { Verdict } from '../validate.js';
import type { HarnessResult } from './folder.js';
import type { OverflowReport, WindowRef } from './overflows.js';

export interface GroupFile {
  /** Relative to the folder ("server.3086.1/stdout"). */
  readonly file: string;
  /** Node name the validator gave it ("primary", "replica1", …); absent when the logs could not be read. */
  readonly node?: string;
  readonly role: 'primary' | 'replica' | 'both';
  readonly port?: number;
  /** The lines this group judges: "1–145", or "3–32 (start-up), 60–120" for a log cut between groups. */
  readonly lines: string;
}

export interface GroupFailure {
  /** "file:line" of the first line no run of the model explains. */
  readonly at: string;
  readonly seq: number;
  readonly node: string;
  readonly kind: string;
  readonly connection?: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The diagnosis's one-paragraph message. */
  readonly message: string;
  readonly test?: WindowRef;
  /** The whole diagnosis as `replcheck validate FILE…` prints it (paths relative to the folder). */
  readonly text: string;
  /** The failure as validate() gives it. */
  readonly diagnosis: unknown;
}

export interface GroupReport {
  /** "G1", "G2", … in order of their first replication. */
  readonly name: string;
  /** In words: "primary :21112 (server.3086.3) ← replica :21111 (server.3086.1)". */
  readonly topology: string;
  readonly files: GroupFile[];
  /** Test windows in which its servers logged (in run order). */
  readonly tests: WindowRef[];
  readonly verdict: Verdict;
  /** Events in its trace; explained before the verdict. */
  readonly events: number;
  readonly explained: number;
  /** Version profile that judged it, and why. */
  readonly profile?: string;
  /** Where the logs stop being judged (a shutdown, a log that ends), when they do. */
  readonly cutAt?: string;
  readonly failure?: GroupFailure;
  readonly gaveUp?: { readonly at?: string; readonly reason: string; readonly test?: WindowRef };
  /** Input problem (verdict "error"): which file and why. */
  readonly error?: string;
  readonly overflows?: OverflowReport[];
  /** Reader warnings (lines that look replication-related but have no rule, …). */
  readonly warnings: { readonly at: string; readonly message: string }[];
  readonly notes: string[];
  readonly timing: { readonly readMs: number; readonly validateMs: number; readonly eventsPerSecond: number; readonly maxCandidates: number };
}

export type WindowStatus = 'conforms' | 'violates' | 'gave-up' | 'error' | 'not judged' | 'no events';

export interface WindowGroup {
  readonly group: string;
  /** Events of this group in the window (in its trace). */
  readonly events: number;
  readonly explained: number;
  /** Events after the group's first unexplained one, and replication lines after its cut. */
  readonly notJudged: number;
  readonly status: WindowStatus;
}

export interface WindowReport {
  readonly index: number;
  readonly name: string;
  readonly file?: string;
  /** The harness's own verdict on the test (results.tsv), when known. */
  readonly harness?: HarnessResult['status'];
  readonly groups: WindowGroup[];
  readonly verdict: WindowStatus;
}

export interface SuiteReport {
  readonly dir: string;
  /** "conforms" only when every group conforms; else "violates" if any group does, else "error", else "gave-up". */
  readonly verdict: Verdict;
  readonly servers: number;
  readonly groups: GroupReport[];
  readonly tests: WindowReport[];
  /** Servers that never replicated nor were replicated from (not judged). */
  readonly standalone: string[];
  /** Files that are not Valkey logs (not judged). */
  readonly skipped: { readonly file: string; readonly reason: string }[];
  readonly harness?: Readonly<Record<string, number>>;
  readonly notes: string[];
  readonly timing: { readonly totalMs: number };
}

/** The suite's verdict from its groups'. */
export function suiteVerdict(groups: readonly Pick<GroupReport, 'verdict'>[]): Verdict {
  if (groups.some((g) => g.verdict === 'violates')) return 'violates';
  if (groups.some((g) => g.verdict === 'error')) return 'error';
  if (groups.some((g) => g.verdict === 'gave-up')) return 'gave-up';
  return 'conforms';
}
