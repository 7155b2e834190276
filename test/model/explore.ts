// The lifecycle census (model/lifecycle-census.ts) of a preset, run in a worker thread, with the
// model rebuilt here so the tests can describe states and replay witnesses.
import { resolveConfig } from '../../model/config.js';
import { buildModel, type ReplModel } from '../../model/index.js';
import type { Census } from '../../model/lifecycle-census.js';
import { censusOffThread } from './offthread.js';

export type { Witness } from '../../model/lifecycle-census.js';

export interface Exploration extends Census {
  model: ReplModel;
}

/** The census of `preset` with `overrides`; `perTransition` judges every transition (slow, exact). */
export async function explore(preset: string, perTransition: boolean, overrides: Record<string, unknown> = {}): Promise<Exploration> {
  const census = await censusOffThread(preset, perTransition, overrides);
  return { ...census, model: buildModel(resolveConfig(preset, [overrides])) };
}
