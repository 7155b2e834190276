// Judging a trace by the model its header names (preset + settings). The sizes of a real run are
// not logged: a trace of Valkey logs conforms when the model explains it under some sizes. The log
// preset's own sizes are the fast path; when they reject the trace, its `wider` sizes (which only
// add behaviours: model/config.ts) decide, and the result says so. Their verdict is the verdict: a
// run they reject is rejected at the first line they cannot explain.
import { PRESETS, resolveConfig, WIDENABLE_FIELDS, type ModelConfig } from '../model/config.js';
import { buildModel } from '../model/index.js';
import type { Trace } from './trace/types.js';
import { validate, type ValidateOptions, type ValidationResult } from './validate.js';

/** The settings the wider sizes change (each the larger of the header's value and the preset's wider one); undefined when there is nothing to widen. */
export function widerSettings(config: ModelConfig, preset: string): Record<string, number> | undefined {
  const wider = PRESETS[preset]?.wider;
  if (!wider) return undefined;
  const set: Record<string, number> = {};
  for (const k of WIDENABLE_FIELDS) {
    const w = wider[k];
    if (w !== undefined && w > config[k]) set[k] = w;
  }
  return Object.keys(set).length > 0 ? set : undefined;
}

/**
 * Validates `trace` against the model of its header. Throws ConfigError for a bad header "model"
 * and TraceInputError for nodes the model lacks, like buildModel and validate.
 */
export function judgeTrace(trace: Trace, options: ValidateOptions = {}, where = `${trace.file ?? 'trace'} header "model"`): ValidationResult {
  const h = trace.header.model;
  const config = resolveConfig(h.preset, [h.set ?? {}], where);
  const first = validate(buildModel(config), trace, options);
  if (first.verdict !== 'violates') return first;
  const set = widerSettings(config, h.preset);
  if (!set) return first;
  const wide = validate(buildModel(resolveConfig(h.preset, [h.set ?? {}, set], where)), trace, options);
  const f = first.failure!.event;
  return {
    ...wide,
    widened: {
      set,
      rejectedAt: f,
      elapsedMs: first.stats.elapsedMs,
    },
  };
}

/** One line for a report: which sizes judged the trace, when they were widened. */
export function formatWidened(r: ValidationResult): string | undefined {
  const w = r.widened;
  if (!w) return undefined;
  const at = `event seq ${w.rejectedAt.seq}${w.rejectedAt.src ? ` [${w.rejectedAt.src}]` : ''}`;
  const set = Object.entries(w.set).map(([k, v]) => `${k}=${v}`).join(', ');
  return `sizes: the preset's own sizes cannot explain ${at}; judged with its wider sizes (${set}), as real runs' sizes are not logged`;
}
