// The lifecycle tables (model/lifecycles.ts) against the model: every per-connection step of the
// reachable state graphs of the `small`, `default` and `operator` presets is a row of its table, and every row
// is taken by some step (no dead rows). Also: spec/lifecycles.md is the generated text, the tables
// are real typescript-fsm machines, and every trace event kind is attributed to a connection.
//
// `small` is checked transition by transition with connectionSteps. `default` (~3.3 million states,
// ~20 million transitions, ~20 s) is enumerated completely with a fast per-transition byte compare:
// each distinct (connection, from, action family, to) keeps its first transition as a witness, and
// connectionSteps judges every witness, so every step is still checked against its table.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'typescript-fsm';
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, type Kind } from '../../conformance/vocabulary.js';
import { fingerprint, WordView } from '../../engine/hash.js';
import { StateQueue } from '../../engine/state-queue.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel, type ReplModel } from '../../model/index.js';
import {
  connectionOfKind, connectionsOf, connectionSteps, KIND_CONNECTIONS, LIFECYCLES, lifecycleViolations, lifecyclesMarkdown, mermaid,
  PRIMARY_MAIN, PRIMARY_RDB, REPLICA_MAIN, REPLICA_RDB, type Attribution,
} from '../../model/lifecycles.js';
import { DS_NAMES, MC_NAMES, RC_NAMES, RS_NAMES } from '../../model/state.js';

const committed = fileURLToPath(new URL('../../spec/lifecycles.md', import.meta.url));

/** A step one connection took, with the first model transition that took it. */
interface Witness {
  before: Uint8Array;
  after: Uint8Array;
  action: number;
}

interface Exploration {
  model: ReplModel;
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
 * lifecycleViolations (slow, exact); otherwise judge one witness per distinct step. Yields to the
 * event loop now and then.
 */
async function explore(preset: string, perTransition: boolean, overrides: Record<string, unknown> = {}): Promise<Exploration> {
  const t0 = Date.now();
  const model = buildModel(resolveConfig(preset, [overrides]));
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
  let expanded = 0;
  while (queue.length > 0) {
    // let vitest's worker talk to its parent now and then (a long synchronous run times its RPC out)
    if (++expanded % 50_000 === 0) await new Promise((r) => setImmediate(r));
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
  return { model, states: seen.size, transitions, steps, violations, ms: Date.now() - t0 };
}

/** A failing step: the connection, the action, and the state pair (the fields that changed in full). */
function report(model: ReplModel, before: Uint8Array, after: Uint8Array, action: number, what: string): string {
  const b = model.describe(before);
  const a = model.describe(after);
  const diff = Object.keys(b).filter((k) => b[k] !== a[k]).map((k) => `${k}: ${b[k]} -> ${a[k]}`);
  return `${what}\n  action: ${model.actionNames[action]}\n  changed: ${diff.join(', ')}\n  before: ${JSON.stringify(b)}\n  after:  ${JSON.stringify(a)}`;
}

function rowKeys(): string[] {
  return LIFECYCLES.flatMap((lc) => lc.rows().map((r) => `${lc.connection}|${r.from}|${r.event}|${r.to}`));
}

describe('lifecycle tables', () => {
  it('are typescript-fsm state machines over the model\'s state names and action families', () => {
    const pairs = [[REPLICA_MAIN, RS_NAMES], [REPLICA_RDB, DS_NAMES], [PRIMARY_MAIN, MC_NAMES], [PRIMARY_RDB, RC_NAMES]] as const;
    for (const [lc, names] of pairs) {
      expect(lc).toBeInstanceOf(StateMachine);
      expect([...lc.states]).toEqual(names);
      expect(lc.getState()).toBe(lc.initial);
      for (const r of lc.rows()) {
        expect(names).toContain(r.from);
        expect(names).toContain(r.to);
      }
    }
    expect(REPLICA_MAIN.can('Connect')).toBe(true);
    expect(REPLICA_MAIN.getNextState('Connect')).toBe('psync_wait');
    expect(REPLICA_MAIN.allows('idle', 'Connect', 'psync_wait')).toBe(true);
    expect(REPLICA_MAIN.allows('idle', 'Connect', 'connected')).toBe(false);
    expect(PRIMARY_RDB.allows('linger', 'GraceExpire', 'none')).toBe(true);
  });

  it('connectionSteps reports each connection, and a change not in its table', () => {
    const model = buildModel(resolveConfig('small'));
    const L = model.layout;
    const s0 = new Uint8Array(model.stateBytes);
    model.initStates((s) => s0.set(s));
    const connect = model.instances.findIndex((i) => i.def.family === 'Connect');
    let s1: Uint8Array | null = null;
    model.successors(s0, (a, next) => { if (a === connect) s1 = next.slice(); });
    expect(s1).not.toBeNull();
    const steps = connectionSteps(L, s0, s1!, model.instances[connect]!);
    expect(steps.map((s) => s.connection)).toEqual(['replica main channel', 'replica rdb channel', 'primary main-channel client', 'primary rdb client', 'primary rdb client']);
    expect(steps.filter((s) => s.changed).map((s) => `${s.label}: ${s.from}->${s.to} ${s.allowed}`)).toEqual([
      'r1 replica main channel: idle->psync_wait true',
      'r1 primary main-channel client: none->normal true',
    ]);
    // the same change under another family is not a row
    expect(lifecycleViolations(L, s0, s1!, 'Tick')).toEqual([
      'r1 replica main channel: idle --Tick--> psync_wait is not in its lifecycle table (action Tick)',
      'r1 primary main-channel client: none --Tick--> normal is not in its lifecycle table (action Tick)',
    ]);
  });

  it('spec/lifecycles.md equals the text generated from the tables', () => {
    // regenerate with: npm run build && node dist/model/lifecycles-diagrams.js
    expect(readFileSync(committed, 'utf8')).toBe(lifecyclesMarkdown());
    for (const lc of LIFECYCLES) expect(lifecyclesMarkdown()).toContain(mermaid(lc));
  });

  it('mermaid() draws every row', () => {
    for (const lc of LIFECYCLES) {
      const text = mermaid(lc);
      expect(text.startsWith(`stateDiagram-v2\n  [*] --> ${lc.initial}\n`)).toBe(true);
      for (const r of lc.rows()) expect(text).toMatch(new RegExp(`^  ${r.from} --> ${r.to}: (.*, )?${r.event}(, .*)?$`, 'm'));
    }
  });
});

describe('lifecycle tables against the model', () => {
  let small: Exploration;
  let dflt: Exploration;
  let operator: Exploration;
  let small912: Exploration;
  beforeAll(async () => {
    small = await explore('small', true);
    dflt = await explore('default', false);
    operator = await explore('operator', false);
    small912 = await explore('small', false, { profile: '9.1.2', operatorKinds: ['ToggleDisklessSync', 'ReplicaofNoOne'], freeConfig: true });
    // eslint-disable-next-line no-console
    console.log(`lifecycles: small ${small.states} states / ${small.transitions} transitions in ${small.ms} ms; default ${dflt.states} states / ${dflt.transitions} transitions in ${dflt.ms} ms; operator ${operator.states} states / ${operator.transitions} transitions in ${operator.ms} ms`);
  }, 600_000);

  it('every per-connection step of the small preset is a row of its table', () => {
    expect(small.states).toBeGreaterThan(100_000);
    expect(small.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the default preset (complete state graph) is a row of its table', () => {
    expect(dflt.states).toBeGreaterThan(3_000_000);
    expect(dflt.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the operator preset (toggles, REPLICAOF NO ONE, disk-target sync) is a row of its table', () => {
    expect(operator.states).toBeGreaterThan(1_000_000);
    expect(operator.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the small preset with profile 9.1.2 and disk-target syncs (bio-thread download) is a row of its table', () => {
    expect(small912.states).toBeGreaterThan(100_000);
    expect(small912.violations.join('\n\n')).toBe('');
  });

  it('every row of every table is taken by the model (no dead rows)', () => {
    const taken = new Set([...small.steps.keys(), ...dflt.steps.keys(), ...operator.steps.keys(), ...small912.steps.keys()]);
    expect(rowKeys().filter((k) => !taken.has(k))).toEqual([]);
  });
});

describe('connectionOfKind', () => {
  const allowed: Attribution[] = ['replica main channel', 'replica rdb channel', 'primary main-channel client', 'primary rdb client', 'fork child', 'none'];

  it('maps every vocabulary kind, and nothing else', () => {
    expect(Object.keys(KIND_CONNECTIONS).sort()).toEqual([...KIND_NAMES].sort());
    for (const k of KIND_NAMES) {
      expect(allowed).toContain(connectionOfKind(k));
      for (const c of KIND_CONNECTIONS[k]) expect(allowed).toContain(c);
    }
    expect(() => connectionOfKind('no.such' as Kind)).toThrow(/unknown event kind/);
  });

  it('agrees with the vocabulary\'s connection and node', () => {
    for (const k of KIND_NAMES) {
      const def = KINDS[k] as { node: string; conn?: string };
      const c = connectionOfKind(k);
      if (def.node === 'env') expect(c).toBe('none');
      if (def.node === 'replica') expect(c.startsWith('replica ')).toBe(true);
      if (def.node === 'primary') expect(c.startsWith('replica ')).toBe(false);
      const want: Record<string, Attribution> = def.node === 'replica'
        ? { main: 'replica main channel', rdb: 'replica rdb channel' }
        : { main: 'primary main-channel client', rdb: 'primary rdb client', child: 'fork child' };
      if (def.conn && def.conn !== 'other') expect([k, c]).toEqual([k, want[def.conn]]);
    }
  });
});
