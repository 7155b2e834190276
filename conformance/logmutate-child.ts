// Child-process entry of the log mutation test: judges many sets of log files in one process (a
// long validation must not hold vitest's worker thread, and one process saves a start-up per
// mutant). Usage: node dist/conformance/logmutate-child.js MANIFEST.json, where the manifest is
// a JSON array of file lists; prints one JSON array of verdicts, in that order.
import { readFileSync } from 'node:fs';
import { validateLogs } from './logdir.js';

export interface ChildJudgement {
  verdict: string;
  events: number;
  matched: number;
  /** "file:line" of the event no run explains. */
  src?: string;
  /** Other events that could have come next, none explainable either. */
  alternatives?: string[];
  message?: string;
  gaveUp?: string;
  /** The reader's warnings, "file:line: message". */
  warnings: string[];
  /** "file:line" of every line that became a trace event (lines after a cut, or known-ignored, are not judged). */
  judged: string[];
}

function judge(files: readonly string[]): ChildJudgement {
  try {
    const { result, conversion } = validateLogs(files);
    const judged = conversion.trace.events.map((e) => (e.src ? `${e.src.file}:${e.src.line}` : `seq ${e.seq}`));
    const warnings = conversion.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`);
    const f = result.failure;
    return {
      verdict: result.verdict, events: result.events, matched: result.matched, warnings, judged,
      ...(f ? { src: f.event.src, alternatives: (f.alternatives ?? []).map((a) => a.src ?? `seq ${a.seq}`), message: f.message } : {}),
      ...(result.gaveUp ? { gaveUp: result.gaveUp.reason } : {}),
    };
  } catch (e) {
    return { verdict: 'error', events: 0, matched: 0, message: (e as Error).message, warnings: [], judged: [] };
  }
}

const manifest = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as string[][];
process.stdout.write(JSON.stringify(manifest.map(judge)));
