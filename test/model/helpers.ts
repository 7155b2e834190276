// Shared by the model tests: building models from presets, replaying counterexamples, comparing
// check results without their timings, and reading the measured-counts table of spec/model.md.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../engine/bfs.js';
import type { Invariant } from '../../engine/model.js';
import { replayPath, type Path } from '../../engine/replay.js';
import { resolveConfig, type ModelConfig } from '../../model/config.js';
import { buildModel, type Mutations, type ReplModel } from '../../model/index.js';
import { domainErrors } from '../../model/state.js';

export function config(preset: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return resolveConfig(preset, [overrides as Record<string, unknown>]);
}

export function model(preset: string, overrides: Partial<ModelConfig> = {}, mutations: Mutations = {}, history = false): ReplModel {
  return buildModel(config(preset, overrides), mutations, { history });
}

/** Every state of a path found by check(), the initial state first. */
export function statesOf(m: ReplModel, path: Path): Uint8Array[] {
  return replayPath(m, path.initIndex, path.actions);
}

/** A check result without what depends on the clock. */
export function timeless(r: CheckResult): Omit<CheckResult, 'durationMs' | 'statesPerSecond'> {
  const { durationMs: _d, statesPerSecond: _s, ...rest } = r;
  return rest;
}

/** The declared domains of the layout as an invariant, so check() can search for an overflow. */
export function domainInvariant(m: ReplModel): Invariant {
  return {
    id: 'domain',
    description: 'every field lies in its declared domain',
    check: (s) => {
      const e = domainErrors(m.layout, s);
      return e.length === 0 ? null : e.join('; ');
    },
  };
}

// ---- spec/model.md, section "Measured state counts" ---------------------------------------------

export const SPEC_MODEL = fileURLToPath(new URL('../../spec/model.md', import.meta.url));

export interface MeasuredRow {
  preset: string;
  distinct: number | null;
  generated: number | null;
  depth: number | null;
  tlcDepth: number | null;
  /** Action families listed as never fired ([] for "—" / "none"), null when the column is absent. */
  neverFired: string[] | null;
}

/** A count as the spec prints it ("132,591", "132 591", "132_591"); null for a placeholder. */
function count(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const t = cell.replace(/[`*]/g, '').replace(/[\s,_\u00a0\u2009\u202f']/g, '');
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * The rows of the first markdown table whose header has a "preset" and a "distinct" column.
 * Returns null when the file is absent or has no such table.
 */
export function measuredTable(file = SPEC_MODEL): Map<string, MeasuredRow> | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|')) continue;
    const head = cells(lines[i]!).map((h) => h.toLowerCase());
    const col = (re: RegExp) => head.findIndex((h) => re.test(h));
    const cPreset = col(/^preset/);
    const cDistinct = col(/distinct/);
    if (cPreset < 0 || cDistinct < 0) continue;
    const cGenerated = col(/generated/);
    const cTlc = col(/tlc/);
    const cDepth = head.findIndex((h, k) => /depth/.test(h) && k !== cTlc);
    const cNever = col(/never/);
    const rows = new Map<string, MeasuredRow>();
    for (let j = i + 1; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const row = cells(lines[j]!);
      if (row.every((c) => /^:?-+:?$/.test(c))) continue; // the |---|---| line
      const preset = row[cPreset]!.replace(/[`*]/g, '').trim();
      let never: string[] | null = null;
      if (cNever >= 0 && row[cNever] !== undefined) {
        const cell = row[cNever]!;
        const names = [...cell.matchAll(/`([^`]+)`/g)].map((x) => x[1]!);
        never = names.length > 0 ? names : /^(—|-|–|none|)$/i.test(cell) ? [] : null;
      }
      rows.set(preset, {
        preset,
        distinct: count(row[cDistinct]),
        generated: cGenerated >= 0 ? count(row[cGenerated]) : null,
        depth: cDepth >= 0 ? count(row[cDepth]) : null,
        tlcDepth: cTlc >= 0 ? count(row[cTlc]) : null,
        neverFired: never,
      });
    }
    return rows;
  }
  return null;
}

/**
 * Lets vitest's pending worker→runner messages complete before a long synchronous check. A check
 * blocks the worker's event loop; a message still awaiting its reply when the block starts times
 * out if the block lasts over a minute ("Timeout calling onTaskUpdate"), even though the reply came.
 * Task updates are throttled to one per 100 ms, so a short pause drains them.
 */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A state in one line: the fields that are not zero / "none". */
export function brief(m: ReplModel, s: Uint8Array): string {
  return Object.entries(m.describe(s))
    .filter(([, v]) => v !== 0 && v !== 'none' && v !== false)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
