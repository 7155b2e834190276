// Simulated traces of the replication model against the validator (in-process):
//  - random simulated traces (presets small and default) conform, and so does every prefix;
//  - every single mutation of short simulated traces is judged like an independent brute-force
//    oracle judges it (see `oracle` below);
//  - mutations of register fields (offsets, client ids) that break an `eq` relation are rejected;
//  - the committed fixtures under traces/simulated/ conform.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../engine/simulate.js';
import { allMutations, reattributeConn, reattributeNode, type Mutant } from '../../conformance/mutate.js';
import type { FieldSpec, Observation } from '../../model/observation.js';
import { simulateTrace } from '../../conformance/simtrace.js';
import { formatDiagnosis } from '../../conformance/diagnose.js';
import { readTrace } from '../../conformance/trace/read.js';
import type { FieldValue, Trace, TraceEvent } from '../../conformance/trace/types.js';
import { validate } from '../../conformance/validate.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel, type ReplModel } from '../../model/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FAULT_WEIGHT = 0.05;

const models = new Map<string, ReplModel>();
function modelOf(preset: string): ReplModel {
  let m = models.get(preset);
  if (!m) models.set(preset, (m = buildModel(resolveConfig(preset))));
  return m;
}

/** A simulated trace exactly as `replcheck simulate` makes it, plus the observation behind each event. */
function simulated(preset: string, seed: number, steps: number): { trace: Trace; specs: Observation[] } {
  const model = modelOf(preset);
  const isFault = (a: number) => model.instances[a]!.def.fault === true;
  const { trace } = simulateTrace(model, { seed, steps, faultWeight: FAULT_WEIGHT, isFault, preset, set: {} });
  // the same walk again, keeping the observations (simtrace turns each into one event, in order)
  const specs: Observation[] = [];
  simulate(model, { seed, steps, weight: (a) => (isFault(a) ? FAULT_WEIGHT : 1), onStep: (a, prev, next) => { specs.push(...model.observe(prev, a, next)); } });
  expect(specs.length).toBe(trace.events.length);
  specs.forEach((o, i) => expect(`${o.kind}@${o.node}`).toBe(`${trace.events[i]!.kind}@${trace.events[i]!.node}`));
  return { trace, specs };
}

function cut(t: Trace, n: number): Trace {
  return { header: t.header, events: t.events.slice(0, n) };
}

// ---- the oracle ------------------------------------------------------------------------------------
//
// Runs of the model that produce the trace, enumerated exhaustively in trace order. An action's
// first observation is the event at the current position; its later observations are owed by their
// node, in order, before anything else of that node (spec/trace.md, "Conformance"). Enumerating all
// runs up to length N and keeping their observation sequences is exponential (5-10 enabled actions
// per state); walking them in trace order, dropping a run as soon as its next observation differs
// from the trace, enumerates the same runs that matter. Partial runs reaching the same (state, owed
// observations, registers) are merged.
//
// With every kind observed, almost every action emits an event, so a run explaining N events has
// about N actions. Not all: since 44bbd6f MainEOF in the plain PSYNC handshake (back to CONNECT)
// emits nothing. Such silent actions may fire any number of times between two events; the oracle
// closes each partial run under them (finitely many states) and counts them.
//
// Two views: `literal` compares kind, node and literal fields (lit, in) only (register-checked
// fields skipped); `registers` also checks set/eq(/unlike)/ge/ne with its own register file.

type Regs = ReadonlyMap<string, FieldValue>;

function fits(ob: Observation, ev: TraceEvent, regs: Regs, withRegs: boolean): Regs | null {
  if (ob.kind !== ev.kind || ob.node !== ev.node) return null;
  const r = new Map(regs);
  for (const [f, sp] of Object.entries(ob.fields) as [string, FieldSpec][]) {
    const v = ev.fields[f];
    if (sp.op === 'any') continue;
    if (sp.op === 'lit') {
      if (v !== undefined && v !== sp.value) return null;
      continue;
    }
    if (sp.op === 'in') {
      if (v !== undefined && !sp.values.includes(v)) return null;
      continue;
    }
    if (!withRegs) continue;
    if (v === undefined) {
      if (sp.op === 'set') r.delete(sp.reg);
      continue;
    }
    const plus = 'plus' in sp ? sp.plus ?? 0 : 0;
    const bound = r.get(sp.reg);
    const unshift = typeof v === 'number' ? v - plus : v;
    switch (sp.op) {
      case 'set': r.set(sp.reg, unshift); break;
      case 'eq':
        if (bound === undefined) {
          // a fresh binding may not name a value another register (`unlike`) already holds
          if (sp.unlike?.some((u) => r.get(u) === v)) return null;
          r.set(sp.reg, unshift);
        } else if (v !== (typeof bound === 'number' ? bound + plus : bound)) return null;
        break;
      case 'ge':
        if (bound !== undefined && (typeof bound !== 'number' || typeof v !== 'number' || v < bound + plus)) return null;
        break;
      case 'ne':
        if (bound !== undefined && bound === v) return null;
        break;
      case 'mono':
        if (typeof v !== 'number' || (bound !== undefined && (typeof bound !== 'number' || v < bound + plus))) return null;
        r.set(sp.reg, unshift);
        break;
      default:
        throw new Error(`oracle: FieldSpec op ${JSON.stringify((sp as { op: string }).op)} is not implemented here`);
    }
  }
  for (const c of ob.clear ?? []) r.delete(c);
  return r;
}

interface Partial { s: Uint8Array; owed: ReadonlyMap<string, readonly Observation[]>; regs: Regs }

function partialKey(p: Partial): string {
  const owed = [...p.owed].filter(([, l]) => l.length > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, l]) => [n, l.map((o) => JSON.stringify(o))]);
  const regs = [...p.regs].sort(([a], [b]) => (a < b ? -1 : 1));
  return `${Array.from(p.s).join(',')}|${JSON.stringify(owed)}|${JSON.stringify(regs)}`;
}

/** Silent transitions (no event at all) the oracle met, by action name. */
const silentSeen = new Map<string, number>();

/** Every partial run reachable from `runs` by silent actions (including `runs`). */
function silentClosure(model: ReplModel, runs: readonly Partial[]): Partial[] {
  const seen = new Map<string, Partial>();
  const queue: Partial[] = [];
  for (const p of runs) { const k = partialKey(p); if (!seen.has(k)) { seen.set(k, p); queue.push(p); } }
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!;
    model.successors(p.s, (a, nx) => {
      if (model.observe(p.s, a, nx).length > 0) return;
      silentSeen.set(model.actionNames[a]!, (silentSeen.get(model.actionNames[a]!) ?? 0) + 1);
      const q = { s: nx.slice(), owed: p.owed, regs: p.regs };
      const k = partialKey(q);
      if (!seen.has(k)) { seen.set(k, q); queue.push(q); }
    });
  }
  return queue;
}

/** How many events (a prefix) some run of `model` produces, in strict order with every kind observed. */
function explained(model: ReplModel, trace: Trace, withRegs: boolean): number {
  let runs: Partial[] = [];
  model.initStates((s) => runs.push({ s: s.slice(), owed: new Map(), regs: new Map() }));
  for (const ev of trace.events) {
    const next = new Map<string, Partial>();
    const add = (p: Partial) => { const k = partialKey(p); if (!next.has(k)) next.set(k, p); };
    for (const p of silentClosure(model, runs)) {
      const owed = p.owed.get(ev.node) ?? [];
      if (owed.length > 0) {
        // the node owes an observation: nothing else of this node may come first
        const r = fits(owed[0]!, ev, p.regs, withRegs);
        if (r) add({ s: p.s, owed: new Map([...p.owed, [ev.node, owed.slice(1)]]), regs: r });
        continue;
      }
      model.successors(p.s, (a, nx) => {
        const obs = model.observe(p.s, a, nx);
        if (obs.length === 0) return; // silent: in the closure above
        const r = fits(obs[0]!, ev, p.regs, withRegs);
        if (!r) return;
        const owedNext = new Map(p.owed);
        for (const o of obs.slice(1)) owedNext.set(o.node, [...(owedNext.get(o.node) ?? []), o]);
        add({ s: nx.slice(), owed: owedNext, regs: r });
      });
    }
    runs = [...next.values()];
    if (runs.length === 0) return trace.events.indexOf(ev);
  }
  return trace.events.length;
}

/** Can some run of `model` produce `trace`? */
function oracle(model: ReplModel, trace: Trace, withRegs: boolean): boolean {
  return explained(model, trace, withRegs) === trace.events.length;
}

// ---- which mutations touch what -------------------------------------------------------------------

type Touch = 'structure' | 'literal' | 'register' | 'conn';

/** For each event field: its FieldSpec in the generating run. */
function specOf(specs: readonly Observation[], i: number, field: string): FieldSpec | undefined {
  return specs[i]!.fields[field];
}

/**
 * Does field `field` of event i take part in an `eq` relation with another event of the trace
 * (as the generating run binds registers)? Then changing its value alone breaks that relation.
 */
function eqTied(specs: readonly Observation[], n: number, i: number, field: string): boolean {
  const sp = specOf(specs, i, field);
  if (!sp || !('reg' in sp)) return false;
  const reg = sp.reg;
  const target = `${i}:${field}`;
  // replay the generating run's register bindings for `reg`: who binds it, who is checked against it
  let binder: string | null = null;
  for (let j = 0; j < n; j++) {
    const ob = specs[j]!;
    for (const [f, s] of Object.entries(ob.fields)) {
      if (!('reg' in s) || s.reg !== reg) continue;
      const key = `${j}:${f}`;
      if (s.op === 'set') binder = key;
      else if (s.op === 'eq') {
        if (binder === null) binder = key;
        else if (key === target || binder === target) return true;
      }
    }
    if (ob.clear?.includes(reg)) binder = null;
  }
  return false;
}

function touchOf(mu: Mutant): Touch {
  const d = mu.description;
  if (d.startsWith('re-attribute') && d.includes('connection')) return 'conn';
  if (!d.startsWith('set ')) return 'structure';
  return 'literal'; // refined by the caller with the field's spec
}

// ---- tests -------------------------------------------------------------------------------------------

describe('simulated traces conform', () => {
  it('random seeds, presets small and default (about 1,000 model steps each)', () => {
    fc.assert(fc.property(fc.constantFrom('small', 'default'), fc.nat(), fc.integer({ min: 200, max: 1500 }), (preset, seed, steps) => {
      const model = modelOf(preset);
      const { trace } = simulateTrace(model, { seed, steps, faultWeight: FAULT_WEIGHT, isFault: (a) => model.instances[a]!.def.fault === true, preset, set: {} });
      const r = validate(model, trace);
      expect(r.verdict, r.failure ? formatDiagnosis(r.failure) : r.gaveUp?.reason).toBe('conforms');
      expect(r.matched).toBe(trace.events.length);
      expect(r.events).toBe(trace.events.length);
    }), { numRuns: 24 });
  });

  it('with a higher fault rate', () => {
    fc.assert(fc.property(fc.constantFrom('small', 'default'), fc.nat(), (preset, seed) => {
      const model = modelOf(preset);
      const { trace } = simulateTrace(model, { seed, steps: 600, faultWeight: 1, isFault: (a) => model.instances[a]!.def.fault === true, preset, set: {} });
      const r = validate(model, trace);
      expect(r.verdict, r.failure ? formatDiagnosis(r.failure) : '').toBe('conforms');
    }), { numRuns: 10 });
  });

  it('every prefix of a conforming trace conforms', () => {
    fc.assert(fc.property(fc.constantFrom('small', 'default'), fc.nat(), (preset, seed) => {
      const { trace } = simulated(preset, seed, 80);
      const cuts = new Set([0, 1, 2, trace.events.length - 1, ...Array.from({ length: 12 }, (_, k) => Math.floor((k * trace.events.length) / 12))]);
      for (const n of cuts) {
        const r = validate(modelOf(preset), cut(trace, n), { diagnose: false });
        expect(r.verdict, `prefix of ${n} events`).toBe('conforms');
      }
    }), { numRuns: 12 });
  });
});

describe('mutations of short simulated traces: the validator agrees with a brute-force oracle', () => {
  it('the oracle accepts simulated traces (and names the silent actions it closed over)', () => {
    silentSeen.clear();
    for (const preset of ['small', 'default']) {
      for (let seed = 1; seed <= 6; seed++) {
        const { trace } = simulated(preset, seed, 40);
        expect(oracle(modelOf(preset), trace, true), `${preset} seed ${seed}`).toBe(true);
        expect(oracle(modelOf(preset), trace, false), `${preset} seed ${seed}`).toBe(true);
      }
    }
    console.log(`silent transitions (no event although every kind is observed): ${silentSeen.size ? [...silentSeen].map(([a, n]) => `${a} ${n}`).join(', ') : 'none'}`);
  });

  // BUG (since 44bbd6f): MainEOF[r] in the plain PSYNC handshake (replica psync_wait, main channel
  // closed by the primary, e.g. after KillMain) emits no observation at all, so a simulated trace
  // skips the step (default seed 6: ToggleDualChannel, Connect, Tick, KillMain, MainEOF <silent>,
  // Connect ...). test/model/domains.test.ts ("no silent transition") fails on the same step.
  it('every model step of a simulated run shows in its trace (no silent step)', () => {
    const silent = new Map<string, string>();
    for (const preset of ['small', 'default']) {
      const model = modelOf(preset);
      const isFault = (a: number) => model.instances[a]!.def.fault === true;
      for (let seed = 1; seed <= 40; seed++) {
        let step = 0;
        simulate(model, { seed, steps: 200, weight: (a) => (isFault(a) ? FAULT_WEIGHT : 1), onStep: (a, prev, next) => {
          step++;
          if (model.observe(prev, a, next).length === 0 && !silent.has(model.actionNames[a]!)) silent.set(model.actionNames[a]!, `${preset} seed ${seed} step ${step}`);
        } });
      }
    }
    expect(Object.fromEntries(silent)).toEqual({});
  });

  const stats = { conforms: 0, violates: 0, literalOnlyDiffers: 0, registerTied: 0 };

  it('every single mutation (drop, duplicate, swap, field change, node and connection change)', () => {
    fc.assert(fc.property(fc.constantFrom('small', 'default'), fc.nat(), fc.integer({ min: 30, max: 60 }), (preset, seed, len) => {
      const model = modelOf(preset);
      const full = simulated(preset, seed, len);
      const trace = cut(full.trace, len);
      const specs = full.specs.slice(0, len);
      const n = trace.events.length;
      const mutants: { mu: Mutant; touch: Touch; tied: boolean }[] = [];
      const fieldOf = (d: string) => /field (\w+):/.exec(d)?.[1];
      for (const mu of allMutations(trace)) {
        let touch = touchOf(mu);
        let tied = false;
        if (touch === 'literal') {
          const i = Number(/^set #(\d+)/.exec(mu.description)![1]);
          const f = fieldOf(mu.description)!;
          const sp = specOf(specs, i, f);
          if (sp && sp.op !== 'lit' && sp.op !== 'any' && sp.op !== 'in') {
            touch = 'register';
            tied = eqTied(specs, n, i, f);
          }
        }
        mutants.push({ mu, touch, tied });
      }
      // one replica: allMutations has no node or connection changes; make some
      for (let i = 0; i < n; i += 3) {
        const e = trace.events[i]!;
        for (const other of trace.header.nodes) if (other.name !== e.node) mutants.push({ mu: reattributeNode(trace, i, other.name), touch: 'structure', tied: false });
        if (i % 9 === 0) mutants.push({ mu: reattributeConn(trace, i, { cid: 4242 }), touch: 'conn', tied: false });
      }
      for (const { mu, touch, tied } of mutants) {
        const res = validate(model, mu.trace, { diagnose: false });
        const got = res.verdict;
        const upTo = explained(model, mu.trace, true);
        const exact = upTo === mu.trace.events.length;
        expect(got, `${preset} seed ${seed} len ${len}: ${mu.description}`).toBe(exact ? 'conforms' : 'violates');
        // and it stops at the same event: the longest prefix some run explains
        expect(res.matched, mu.description).toBe(upTo);
        if (!exact) expect(res.failure!.event.index, mu.description).toBe(upTo);
        if (touch !== 'register' && touch !== 'conn') {
          // kinds, nodes, literal fields: membership of the register-free observation sequence
          // decides (a register relation could in principle also break; counted, never seen)
          const lit = oracle(model, mu.trace, false);
          if (!lit) expect(got, `${mu.description}: no run produces these kinds/nodes/literals`).toBe('violates');
          if (lit === exact) expect(got, mu.description).toBe(lit ? 'conforms' : 'violates');
          else stats.literalOnlyDiffers++;
        }
        if (touch === 'register' && tied) {
          expect(got, `${preset} seed ${seed}: ${mu.description} breaks an eq relation`).toBe('violates');
          stats.registerTied++;
        }
        if (touch === 'conn') expect(got, 'connections are not judged').toBe('conforms');
        stats[got === 'conforms' ? 'conforms' : 'violates']++;
      }
    }), { numRuns: 12 });
    console.log(`mutations: ${stats.conforms} conform, ${stats.violates} violate; register fields tied by eq: ${stats.registerTied}; literal-only view differs (registers decided): ${stats.literalOnlyDiffers}`);
    expect(stats.conforms).toBeGreaterThan(20);
    expect(stats.violates).toBeGreaterThan(200);
    expect(stats.registerTied).toBeGreaterThan(5);
  });
});

describe('committed simulated fixtures (traces/simulated/)', () => {
  const dir = path.join(ROOT, 'traces/simulated');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();

  it('there are fixtures, and the README records how each was made', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    for (const f of files) expect(readme, f).toContain(f);
  });

  it.each(files)('%s conforms', async (f) => {
    const t = await readTrace(path.join(dir, f));
    expect(t.header.source).toBe('simulated');
    const model = buildModel(resolveConfig(t.header.model.preset, [t.header.model.set ?? {}]));
    const r = validate(model, t);
    expect(r.verdict, r.failure ? formatDiagnosis(r.failure) : '').toBe('conforms');
    expect(r.matched).toBe(t.events.length);
  });

  it('node re-attributions between two replicas (and every other single mutation) of the two-replica fixture: validator = oracle', async () => {
    const t = await readTrace(path.join(dir, 'default-2replicas-seed6.jsonl'));
    const model = buildModel(resolveConfig(t.header.model.preset, [t.header.model.set ?? {}]));
    expect(model.nodes).toEqual(['primary', 'replica1', 'replica2']);
    const short = cut(t, 40);
    let moved = 0;
    for (const mu of allMutations(short)) {
      const upTo = explained(model, mu.trace, true);
      const res = validate(model, mu.trace, { diagnose: false });
      expect(res.verdict, mu.description).toBe(upTo === mu.trace.events.length ? 'conforms' : 'violates');
      expect(res.matched, mu.description).toBe(upTo);
      if (mu.description.includes('to node replica')) moved++;
    }
    expect(moved).toBeGreaterThan(10);
  });
});
