// Long log-like traces for the conformance benchmark: a simulated run of the `valkey` preset (the
// configuration real logs are judged against) seen as a Valkey log at `loglevel debug` or `notice`
// sees it. Only the kinds such a log observes are kept (writes, time, kills, the fork child's
// progress are silent, exactly as in a real log), events get millisecond timestamps that cluster
// the way a real log's lines do (most lines of one sync within a few ms), and the events of all
// servers are merged by time and then node, as conformance/fromlogs.ts merges log files. So the
// validator meets the same silent steps and the same cross-server reordering as on a real log, at
// any length: nobody captures a million-line real log of a scripted run.
import { observableKinds } from '../conformance/valkeylog/index.js';
import { simulateTrace } from '../conformance/simtrace.js';
import type { Trace, TraceEvent } from '../conformance/trace/types.js';
import type { Kind } from '../model/vocabulary.js';
import { mulberry32 } from '../engine/simulate.js';
import { resolveConfig } from '../model/config.js';
import { buildModel, type ReplModel } from '../model/index.js';

export type LogLevel = 'debug' | 'notice';

/** Kinds a log at `level` observes (the reader never shows a classic +FULLRESYNC). */
export function logKinds(level: LogLevel): Kind[] {
  return observableKinds(level).filter((k) => k !== 'primary.fullresync');
}

export function logViewModel(replicas: number): ReplModel {
  return buildModel(resolveConfig('valkey', [{ replicas }]));
}

/**
 * A trace of at least `events` events (then cut to exactly that many) of a seeded random run of
 * `model`, as a log at `level` shows it. Faults (kills, crashes) are rare, as in real runs.
 */
export function logViewTrace(model: ReplModel, replicas: number, level: LogLevel, events: number, seed = 1): Trace {
  const kinds = new Set<string>(logKinds(level));
  const isFault = (a: number) => model.instances[a]!.def.fault === true;
  const out: TraceEvent[] = [];
  let steps = Math.ceil(events * 3);
  for (let attempt = 0; ; attempt++) {
    const { trace } = simulateTrace(model, { seed: seed + attempt * 7919, steps, faultWeight: 0.02, isFault, preset: 'valkey', set: { replicas } });
    const rnd = mulberry32(seed);
    let ts = Date.UTC(2026, 0, 1);
    out.length = 0;
    for (const e of trace.events) {
      // time passes between model steps; most log lines of one protocol exchange share a few ms
      const r = rnd();
      ts += r < 0.55 ? 0 : r < 0.8 ? 1 : r < 0.9 ? 2 + Math.floor(rnd() * 4) : 20 + Math.floor(rnd() * 500);
      if (!kinds.has(e.kind)) continue;
      out.push({ ...e, ts });
    }
    if (out.length >= events || attempt >= 3) break;
    steps = Math.ceil(steps * (events / Math.max(1, out.length)) * 1.2);
  }
  const order = new Map(model.nodes.map((n, i) => [n, i]));
  // merged like log files: by time, then by server (each server keeps its own order)
  const idx = out.map((_, i) => i).sort((a, b) => out[a]!.ts! - out[b]!.ts! || order.get(out[a]!.node)! - order.get(out[b]!.node)! || a - b);
  const evs = idx.slice(0, events).map((i, k) => ({ ...out[i]!, seq: k + 1 }));
  return {
    header: {
      format: 'replcheck-trace',
      version: 1,
      source: 'simulated',
      nodes: model.nodes.map((name) => ({ name, role: name === 'primary' ? 'primary' : 'replica' })),
      model: { preset: 'valkey', set: { replicas } },
      observes: [...kinds] as Kind[],
      meta: { tool: 'bench/logview.ts', level, seed },
    },
    events: evs,
  };
}
