// Random walks (engine/simulate, seeds drawn by fast-check) on `small`, `default` (with and without
// the history variable, and with #1149's ghost) and `valkey`: every state lies in the declared domains (domainErrors) and
// satisfies every invariant, and every step's observations can be computed and are well-formed
// events of the trace vocabulary, never an empty list (the simulator relies on every step being
// visible in the trace it writes). On `small` the last property is also checked exhaustively, for
// every transition of the reachable state graph.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../model/observation.js';
import { fieldsOf, KIND_NAMES, KINDS, type Kind } from '../../model/vocabulary.js';
import { check } from '../../engine/bfs.js';
import type { Model } from '../../engine/model.js';
import { simulate } from '../../engine/simulate.js';
import { buildModel, type ReplModel } from '../../model/index.js';
import { resolveConfig } from '../../model/config.js';
import { domainErrors } from '../../model/state.js';
import { brief, model } from './helpers.js';
import { observationsOffThread } from './offthread.js';

const KNOWN = new Set<string>(KIND_NAMES);
const TYPE_OF = { int: 'number', string: 'string', bool: 'boolean' } as const;

/** What is wrong with one step's observations (empty = fine; an empty list is judged elsewhere). */
function observationErrors(m: ReplModel, obs: readonly Observation[]): string[] {
  const errs: string[] = [];
  for (const o of obs) {
    if (!KNOWN.has(o.kind)) { errs.push(`kind "${o.kind}" is not in the vocabulary`); continue; }
    const def = KINDS[o.kind as Kind];
    const nodeOk = def.node === 'env' ? o.node === 'env' : def.node === 'primary' ? o.node === 'primary' : o.node !== 'primary' && m.nodes.includes(o.node);
    if (!nodeOk) errs.push(`${o.kind} on node "${o.node}" (a ${def.node} event; nodes ${m.nodes.join(', ')})`);
    const fields = fieldsOf(o.kind as Kind);
    for (const [name, spec] of Object.entries(o.fields)) {
      const f = fields[name];
      if (f === undefined) { errs.push(`${o.kind} has undeclared field "${name}"`); continue; }
      if (spec.op === 'lit') {
        const ok = typeof spec.value === TYPE_OF[f.type] && (f.type !== 'int' || Number.isInteger(spec.value));
        if (!ok) errs.push(`${o.kind}.${name} = ${JSON.stringify(spec.value)}, not a ${f.type}`);
      }
    }
    for (const [name, f] of Object.entries(fields)) if (f.required && !(name in o.fields)) errs.push(`${o.kind} lacks required field "${name}"`);
  }
  return errs;
}

/** Everything checked of one state (empty = fine). */
function stateErrors(m: ReplModel, s: Uint8Array): string[] {
  const errs = domainErrors(m.layout, s).map((e) => `domain: ${e}`);
  for (const inv of m.invariants) {
    const msg = inv.check(s);
    if (msg !== null) errs.push(`${inv.id}: ${msg}`);
  }
  return errs;
}

const STEPS = 3000;
const CASES: { name: string; build: () => ReplModel; runs: number }[] = [
  { name: 'small', build: () => model('small'), runs: 30 },
  { name: 'default', build: () => model('default'), runs: 30 },
  { name: 'default with the history variable', build: () => model('default', {}, {}, true), runs: 15 },
  { name: 'valkey', build: () => model('valkey'), runs: 30 },
  // the ghost of #1149's fix property I13-down-since, which only the zoo builds
  { name: 'default (8.1.1) with the ghost rN.replica.downSince', build: () => buildModel(resolveConfig('default', [{ profile: '8.1.1' }]), {}, { fixProperties: ['I13-down-since'] }), runs: 15 },
];

/** Silent steps seen by the walks: "<case>: <action instance>" -> where (first occurrence). */
const silentInWalks = new Map<string, string>();

describe('random walks stay in the domains and satisfy the invariants; observations are well-formed', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.runs} walks of ${STEPS} steps`, () => {
      const m = c.build();
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
          let step = 0;
          let first = true;
          const fail = (what: string, errs: string[]): never => {
            throw new Error(`seed ${seed}, step ${step} (${what}):\n  ${errs.join('\n  ')}`);
          };
          const walk = simulate(m, {
            seed,
            steps: STEPS,
            onStep: (a, prev, next) => {
              step++;
              if (first) {
                first = false;
                const e = stateErrors(m, prev);
                if (e.length) fail('initial state', e);
              }
              let obs: readonly Observation[] = [];
              try {
                obs = m.observe(prev, a, next);
              } catch (e) {
                fail(`observe(${m.actionNames[a]}) threw`, [String(e)]);
              }
              const key = `${c.name}: ${m.actionNames[a]}`;
              if (obs.length === 0 && !silentInWalks.has(key)) silentInWalks.set(key, `seed ${seed}, step ${step}, from ${brief(m, prev)}`);
              const oe = observationErrors(m, obs);
              if (oe.length) fail(m.actionNames[a]!, oe);
              const se = stateErrors(m, next);
              if (se.length) fail(`state after ${m.actionNames[a]}`, se);
            },
          });
          // every preset is deadlock-free (the exhaustive checks say so), so a walk never gets stuck
          expect(walk.end).toBe('steps');
          expect(walk.actions).toHaveLength(STEPS);
        }),
        { numRuns: c.runs },
      );
    });
  }

  it('no step of those walks was silent (an empty observation list)', () => {
    expect(Object.fromEntries(silentInWalks)).toEqual({});
  });
});

describe('no silent transition', () => {
  // off the test worker's thread (offthread.ts): millions of transitions, each observed
  it('small: every transition of the reachable state graph has a well-formed, non-empty observation list', async () => {
    const m = model('small');
    const r = await observationsOffThread('small');
    expect(r.verdict).toBe('complete');
    const problems = new Map<string, string>(); // action instance -> first problem
    for (const { name, obs, from } of r.lists) {
      if (problems.has(name)) continue;
      const errs = observationErrors(m, obs);
      if (obs.length === 0) errs.push('no observation (a silent step)');
      if (errs.length) problems.set(name, `${errs.join('; ')} from ${brief(m, Uint8Array.from(from))}`);
    }
    expect(Object.fromEntries(problems)).toEqual({});
    // every instance that can fire on small was looked at
    const fired = new Set(r.lists.map((x) => x.name));
    expect(fired.size).toBeGreaterThan(0);
    for (const f of m.families) if (!r.neverFired.includes(f)) expect([...fired].some((n) => n === f || n.startsWith(`${f}[`)), f).toBe(true);
  }, 600_000);
});
