// The lifecycle census: a breadth-first enumeration of a model configuration's reachable graph
// that classifies every transition into per-connection lifecycle steps (model/lifecycles.ts) and
// keeps one witness per distinct step. The lifecycle tests hold the tables against it; its result
// is plain data (a worker thread can send it).
import { check } from '../engine/bfs.js';
import type { ReplModel } from './index.js';
import { connectionSteps, connectionsOf, lifecycleViolations } from './lifecycles.js';

/** A step one connection took, with the first model transition that took it. */
export interface Witness {
  before: Uint8Array;
  after: Uint8Array;
  action: number;
}

export interface Census {
  states: number;
  transitions: number;
  /** Key "connection|from|family|to" -> first witness. */
  steps: Map<string, Witness>;
  /** Messages of steps that are not rows of their tables. */
  violations: string[];
  ms: number;
}

/**
 * Classifies transitions as a search generates them: one witness per distinct (connection, from,
 * to, action family), and, when `perTransition`, every transition judged by lifecycleViolations
 * (slow, exact). A check() run feeds it through `observing`, so one exploration can serve both a
 * preset's counts and its lifecycle tables.
 */
export class CensusCollector {
  private readonly conns;
  private readonly famIdx: number[];
  private readonly byCode = new Map<number, Witness>();
  private readonly violations: string[] = [];
  transitions = 0;
  constructor(private readonly model: ReplModel, private readonly perTransition: boolean) {
    this.conns = connectionsOf(model.layout);
    this.famIdx = model.actionFamilies.map((f) => model.families.indexOf(f));
  }

  observe(cur: Uint8Array, a: number, next: Uint8Array): void {
    this.transitions++;
    const conns = this.conns;
    for (let k = 0; k < conns.length; k++) {
      const at = conns[k]!.at;
      const x = cur[at]!;
      const y = next[at]!;
      if (x === y) continue;
      const code = ((k * 16 + x) * 16 + y) * 64 + this.famIdx[a]!;
      if (!this.byCode.has(code)) this.byCode.set(code, { before: cur.slice(), after: next.slice(), action: a });
    }
    if (this.perTransition && this.violations.length < 20) {
      for (const v of lifecycleViolations(this.model.layout, cur, next, this.model.instances[a]!)) this.violations.push(report(this.model, cur, next, a, v));
    }
  }

  /** The model with its successors observed (the search's own counts are unchanged). */
  observing(): ReplModel {
    const m = this.model;
    return { ...m, successors: (s, emit) => m.successors(s, (a, next) => { this.observe(s, a, next); emit(a, next); }) };
  }

  /** Judges every distinct step by its witness. */
  finish(states: number, ms: number): Census {
    const L = this.model.layout;
    const violations = [...this.violations];
    const steps = new Map<string, Witness>();
    for (const w of this.byCode.values()) {
      for (const s of connectionSteps(L, w.before, w.after, this.model.instances[w.action]!)) {
        if (!s.changed) continue;
        const key = `${s.connection}|${s.from}|${s.event}|${s.to}`;
        if (!steps.has(key)) steps.set(key, w);
        if (!s.allowed && !this.perTransition) violations.push(report(this.model, w.before, w.after, w.action, `${s.label}: ${s.from} --${s.event}--> ${s.to} is not in its lifecycle table`));
      }
    }
    return { states, transitions: this.transitions, steps, violations, ms };
  }
}

/**
 * Breadth-first enumeration of the reachable graph (check() without invariants or deadlock
 * checks). `perTransition`: judge every transition with lifecycleViolations (slow, exact);
 * otherwise judge one witness per distinct step.
 */
export function lifecycleCensus(model: ReplModel, perTransition: boolean): Census {
  const t0 = Date.now();
  const collector = new CensusCollector(model, perTransition);
  const r = check({ ...collector.observing(), transitionInvariants: [] }, { invariants: [], deadlock: false });
  if (r.verdict !== 'complete') throw new Error(`lifecycleCensus: ${model.name} ended ${r.verdict}`);
  return collector.finish(r.distinctStates, Date.now() - t0);
}

/** A failing step: the connection, the action, and the state pair (the fields that changed in full). */
function report(model: ReplModel, before: Uint8Array, after: Uint8Array, action: number, what: string): string {
  const b = model.describe(before);
  const a = model.describe(after);
  const diff = Object.keys(b).filter((k) => b[k] !== a[k]).map((k) => `${k}: ${b[k]} -> ${a[k]}`);
  return `${what}\n  action: ${model.actionNames[action]}\n  changed: ${diff.join(', ')}\n  before: ${JSON.stringify(b)}\n  after:  ${JSON.stringify(a)}`;
}

