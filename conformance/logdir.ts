// One captured run folder (primary.log, replica*.log) → trace.jsonl + validation result.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatDiagnosis } from './diagnose.js';
import { traceFromValkeyLogs, type LogConversion } from './fromlogs.js';
import { formatTrace } from './trace/write.js';
import { formatWidened, judgeTrace } from './judge.js';
import type { ValidationResult } from './validate.js';

/** The Valkey log files of a run folder: primary.log first, then replica logs by name. */
export function logFilesOf(dir: string): string[] {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log') && f !== 'driver.log').sort((a, b) => (a === 'primary.log' ? -1 : b === 'primary.log' ? 1 : a.localeCompare(b)));
  return logs.map((f) => path.join(dir, f));
}

export function validateLogs(files: readonly string[], toleranceMs?: number): { result: ValidationResult; conversion: LogConversion; text: string } {
  const conversion = traceFromValkeyLogs(files);
  const result = judgeTrace(conversion.trace, { toleranceMs: toleranceMs ?? conversion.toleranceMs });
  const widened = formatWidened(result);
  const text = [...(widened ? [widened] : []), `verdict: ${result.verdict}`, `events: ${result.events}, explained: ${result.matched}, max candidates ${result.stats.maxCandidates}`,
    ...(result.failure ? [formatDiagnosis(result.failure)] : []), ...(result.gaveUp ? [`gave up: ${result.gaveUp.reason}`] : [])].join('\n');
  return { result, conversion, text };
}

/** Converts and validates a run folder, writing trace.jsonl into it. */
export function validateLogDir(dir: string): { result: ValidationResult; conversion: LogConversion; text: string } {
  const files = logFilesOf(dir);
  const r = validateLogs(files);
  writeFileSync(path.join(dir, 'trace.jsonl'), formatTrace(r.conversion.trace));
  return r;
}
