// The lifecycle census: a breadth-first enumeration of a model configuration's reachable graph
// that classifies every transition into per-connection lifecycle steps (model/lifecycles.ts) and
// keeps one witness per distinct step. The lifecycle tests hold the tables against it; its result
// is plain data (a worker thread can send it).
import { fingerprint, WordView } from '../engine/hash.js';
import { StateQueue } from '../engine/state-queue.js';
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

/** Set of 64-bit state fingerprints (open addressing, linear probing; (0,0) = empty). */
class FingerprintSet {
  private cap = 1 << 16;
  private tab = new Uint32Array(this.cap * 2);
  size = 0;
  add(a: number, b: number): boolean {
    const mask = this.cap - 1;
    let j = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const x = this.tab[2 * j]!;
      const y = this.tab[2 * j + 1]!;
      if ((x | y) === 0) break;
      if (x === a && y === b) return false;
      j = (j + 1) & mask;
    }
    this.tab[2 * j] = a;
    this.tab[2 * j + 1] = b;
    if (++this.size * 4 > this.cap * 3) this.grow();
    return true;
  }
  private grow(): void {
    const old = this.tab;
    const oldCap = this.cap;
    this.cap *= 2;
    this.tab = new Uint32Array(this.cap * 2);
    this.size = 0;
    for (let i = 0; i < oldCap; i++) if ((old[2 * i]! | old[2 * i + 1]!) !== 0) this.add(old[2 * i]!, old[2 * i + 1]!);
  }
}

/**
 * Breadth-first enumeration of the reachable graph. `perTransition`: judge every transition with
 * lifecycleViolations (slow, exact); otherwise judge one witness per distinct step.
 */
export function lifecycleCensus(model: ReplModel, perTransition: boolean): Census {
  const t0 = Date.now();
  const L = model.layout;
  const n = model.stateBytes;
  const W = n >>> 2;
  const conns = connectionsOf(L);
  const famOf = model.actionFamilies;
  const famIdx = famOf.map((f) => model.families.indexOf(f));
  const seen = new FingerprintSet();
  const fp = new Uint32Array(2);
  const queue = new StateQueue(n);
  const view = new WordView(n);
  const visit = (s: Uint8Array): void => {
    const w = view.of(s);
    fingerprint(w, 0, W, fp);
    if (seen.add(fp[0]!, fp[1]!)) queue.push(w, 0);
  };
  model.initStates(visit);
  const cur = new Uint8Array(n);
  const curW = new Uint32Array(cur.buffer);
  const byCode = new Map<number, Witness>();
  const violations: string[] = [];
  let transitions = 0;
  while (queue.length > 0) {
    queue.shift(curW);
    model.successors(cur, (a, next) => {
      transitions++;
      for (let k = 0; k < conns.length; k++) {
        const at = conns[k]!.at;
        const x = cur[at]!;
        const y = next[at]!;
        if (x === y) continue;
        const code = ((k * 16 + x) * 16 + y) * 64 + famIdx[a]!;
        if (!byCode.has(code)) byCode.set(code, { before: cur.slice(), after: next.slice(), action: a });
      }
      if (perTransition && violations.length < 20) {
        for (const v of lifecycleViolations(L, cur, next, model.instances[a]!)) violations.push(report(model, cur, next, a, v));
      }
      visit(next);
    });
  }
  // judge every distinct step by its witness
  const steps = new Map<string, Witness>();
  for (const w of byCode.values()) {
    for (const s of connectionSteps(L, w.before, w.after, model.instances[w.action]!)) {
      if (!s.changed) continue;
      const key = `${s.connection}|${s.from}|${s.event}|${s.to}`;
      if (!steps.has(key)) steps.set(key, w);
      if (!s.allowed && !perTransition) violations.push(report(model, w.before, w.after, w.action, `${s.label}: ${s.from} --${s.event}--> ${s.to} is not in its lifecycle table`));
    }
  }
  return { states: seen.size, transitions, steps, violations, ms: Date.now() - t0 };
}

/** A failing step: the connection, the action, and the state pair (the fields that changed in full). */
function report(model: ReplModel, before: Uint8Array, after: Uint8Array, action: number, what: string): string {
  const b = model.describe(before);
  const a = model.describe(after);
  const diff = Object.keys(b).filter((k) => b[k] !== a[k]).map((k) => `${k}: ${b[k]} -> ${a[k]}`);
  return `${what}\n  action: ${model.actionNames[action]}\n  changed: ${diff.join(', ')}\n  before: ${JSON.stringify(b)}\n  after:  ${JSON.stringify(a)}`;
}

