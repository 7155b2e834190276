// The lifecycle tables (model/lifecycles.ts) against the model: every per-connection step of the
// reachable state graphs of the `small` and `operator` presets and of two variants of `small`
// (profile 9.1.2 with disk-target syncs and diskless loads; abandoned main-channel PSYNCs answered;
// two classic replicas syncing to disk, so that one attaches to the other's running disk child)
// is a row of its table, and every row is taken by some step (no dead rows). The `default` preset's
// complete graph is checked in presets.test.ts (the same search that pins its counts). Also:
// spec/lifecycles.md is the generated text, the tables are real typescript-fsm machines, and every
// trace event kind is attributed to a connection.
//
// `small` is checked transition by transition with lifecycleViolations; the others are enumerated
// completely with a fast per-transition byte compare: each distinct (connection, from, action
// family, to) keeps its first transition as a witness, and connectionSteps judges every witness, so
// every step is still checked against its table.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'typescript-fsm';
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND_NAMES, KINDS, type Kind } from '../../model/vocabulary.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';
import {
  connectionOfKind, connectionSteps, KIND_CONNECTIONS, LIFECYCLES, lifecycleViolations, lifecyclesMarkdown, mermaid,
  PRIMARY_MAIN, PRIMARY_RDB, REPLICA_MAIN, REPLICA_RDB, type Attribution,
} from '../../model/lifecycles.js';
import { DS_NAMES, MC_NAMES, RC_NAMES, RS_NAMES } from '../../model/state.js';
import { explore, type Exploration } from './explore.js';

const committed = fileURLToPath(new URL('../../spec/lifecycles.md', import.meta.url));

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
  let operator: Exploration;
  let small912: Exploration;
  let abandoned: Exploration;
  let twoDisk: Exploration;
  beforeAll(async () => {
    small = await explore('small', true);
    operator = await explore('operator', false);
    small912 = await explore('small', false, { profile: '9.1.2', operatorKinds: ['ToggleDisklessSync', 'ToggleDisklessLoad', 'ReplicaofNoOne'], freeConfig: true });
    abandoned = await explore('small', false, { abandonedPsync: true });
    twoDisk = await explore('small', false, { replicas: 2, replicaDual: [false, false], disklessSync: false, faults: 0 });
    // eslint-disable-next-line no-console
    console.log(`lifecycles: ${[['small', small], ['operator', operator], ['small 9.1.2', small912], ['small abandoned', abandoned], ['small two classic replicas to disk', twoDisk]].map(([n, e]) => `${n} ${(e as Exploration).states} states / ${(e as Exploration).transitions} transitions in ${(e as Exploration).ms} ms`).join('; ')} (the default preset: presets.test.ts)`);
  }, 1_200_000);

  it('every per-connection step of the small preset is a row of its table', () => {
    expect(small.states).toBeGreaterThan(100_000);
    expect(small.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the operator preset (toggles, REPLICAOF NO ONE, disk-target sync, diskless load) is a row of its table', () => {
    expect(operator.states).toBeGreaterThan(1_000_000);
    expect(operator.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the small preset with profile 9.1.2 and disk-target syncs (bio-thread download) is a row of its table', () => {
    expect(small912.states).toBeGreaterThan(100_000);
    expect(small912.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the small preset with abandoned main-channel PSYNCs answered is a row of its table', () => {
    expect(abandoned.states).toBeGreaterThan(1_000_000);
    expect(abandoned.violations.join('\n\n')).toBe('');
  });

  it('every per-connection step of the small preset with two classic replicas syncing to disk (one attaches to the other\'s disk child) is a row of its table', () => {
    expect(twoDisk.states).toBeGreaterThan(100_000);
    expect(twoDisk.violations.join('\n\n')).toBe('');
  });

  it('every row of every table is taken by the model (no dead rows)', () => {
    const taken = new Set([...small.steps.keys(), ...operator.steps.keys(), ...small912.steps.keys(), ...abandoned.steps.keys(), ...twoDisk.steps.keys()]);
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
