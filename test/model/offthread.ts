// Long explorations in a worker thread, on the compiled model (dist/, built by `npm test`'s tsc
// step). A check that runs for a minute synchronously on the test worker's thread starves vitest of
// its RPC replies (the whole run fails with "Timeout calling onTaskUpdate" after 60 s), and the
// compiled code also runs about three times faster than vitest's transformed sources.
import { Worker } from 'node:worker_threads';
import type { CheckResult } from '../../engine/bfs.js';
import type { Census } from '../../model/lifecycle-census.js';
import type { Observation } from '../../model/observation.js';

const DIST = new URL('../../dist/', import.meta.url).href;

// CommonJS worker source: dynamic import() loads the ES modules of dist/
const SOURCE = `
const { parentPort, workerData: w } = require('node:worker_threads');
(async () => {
  const { resolveConfig } = await import(w.dist + 'model/config.js');
  const { buildModel } = await import(w.dist + 'model/index.js');
  const m = buildModel(resolveConfig(w.preset, [w.overrides]));
  if (w.job === 'census') {
    const { lifecycleCensus } = await import(w.dist + 'model/lifecycle-census.js');
    parentPort.postMessage({ result: lifecycleCensus(m, w.perTransition) });
    return;
  }
  const { check } = await import(w.dist + 'engine/bfs.js');
  if (w.job === 'observations') {
    // every transition observed as the search generates it: per action instance, its distinct
    // observation lists, each with the first state it fired from
    const seen = new Map();
    const observing = { ...m, successors(s, emit) {
      m.successorsObserved(s, (a, next, obs) => {
        const name = m.actionNames[a];
        let byName = seen.get(name);
        if (!byName) seen.set(name, (byName = new Map()));
        const key = JSON.stringify(obs);
        if (!byName.has(key)) byName.set(key, Array.from(s));
        emit(a, next);
      });
    } };
    const r = check(observing);
    const lists = [];
    for (const [name, byName] of seen) for (const [key, from] of byName) lists.push({ name, obs: JSON.parse(key), from });
    parentPort.postMessage({ result: { verdict: r.verdict, neverFired: r.neverFired, lists } });
    return;
  }
  const { domainErrors } = await import(w.dist + 'model/state.js');
  const invariants = [...m.invariants];
  if (w.domain) invariants.push({ id: 'domain', description: 'every field lies in its declared domain',
    check: (s) => { const e = domainErrors(m.layout, s); return e.length === 0 ? null : e.join('; '); } });
  // census: the same search also classifies every transition into lifecycle steps
  let collector = null;
  if (w.census) {
    const { CensusCollector } = await import(w.dist + 'model/lifecycle-census.js');
    collector = new CensusCollector(m, false);
  }
  const t0 = Date.now();
  const r = check(collector ? collector.observing() : m, { invariants, ...(w.maxDepth !== undefined ? { maxDepth: w.maxDepth } : {}), ...(w.maxStates !== undefined ? { maxStates: w.maxStates } : {}) });
  if (collector) r.census = collector.finish(r.distinctStates, Date.now() - t0);
  parentPort.postMessage({ result: r });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

function inWorker<T>(workerData: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SOURCE, { eval: true, workerData: { dist: DIST, ...workerData } });
    worker.once('message', (msg: { result?: T; error?: string }) => {
      void worker.terminate();
      if (msg.error !== undefined || msg.result === undefined) reject(new Error(msg.error ?? 'no result'));
      else resolve(msg.result);
    });
    worker.once('error', reject);
  });
}

/**
 * check() of a preset with overrides (the model's invariants, plus the domain invariant when
 * `domain`), in a worker thread; the result as check() returns it, plus, when `census`, the
 * lifecycle census of the same search (one exploration serves both).
 */
export function checkOffThread(preset: string, overrides?: Record<string, unknown>, opts?: { domain?: boolean; maxDepth?: number; maxStates?: number; census?: false }): Promise<CheckResult>;
export function checkOffThread(preset: string, overrides: Record<string, unknown>, opts: { domain?: boolean; maxDepth?: number; maxStates?: number; census: true }): Promise<CheckResult & { census: Census }>;
export function checkOffThread(preset: string, overrides: Record<string, unknown> = {}, opts: { domain?: boolean; maxDepth?: number; maxStates?: number; census?: boolean } = {}): Promise<CheckResult> {
  return inWorker({ job: 'check', preset, overrides, domain: opts.domain ?? false, maxDepth: opts.maxDepth, maxStates: opts.maxStates, census: opts.census ?? false });
}

/** Each action instance's distinct observation lists over every transition of a preset's graph (with a state it fired from). */
export interface ObservedLists {
  readonly verdict: CheckResult['verdict'];
  readonly neverFired: readonly string[];
  readonly lists: readonly { readonly name: string; readonly obs: Observation[]; readonly from: number[] }[];
}
export function observationsOffThread(preset: string, overrides: Record<string, unknown> = {}): Promise<ObservedLists> {
  return inWorker({ job: 'observations', preset, overrides });
}

/** lifecycleCensus() of a preset with overrides, in a worker thread. */
export function censusOffThread(preset: string, perTransition: boolean, overrides: Record<string, unknown> = {}): Promise<Census> {
  return inWorker({ job: 'census', preset, overrides, perTransition });
}
