// Every goal of the model is reachable on `default`: check(model, {goal}) stops at a nearest goal
// state, and replaying the reported path ends in a state the goal accepts (and no earlier state of
// the path does). Goals that read the history variable are checked on the model built with it.
// The two seed goals also get their story checked step by step through the path's observations.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../model/observation.js';
import { check } from '../../engine/bfs.js';
import type { ReplModel } from '../../model/index.js';
import { RC, RS, R_RS, R_SLOT, R_SLOTS, S_PROT, S_RC, SLOT_SIZE, SLOTS } from '../../model/state.js';
import { model, statesOf } from './helpers.js';

const plain = model('default');
const withHistory = model('default', {}, {}, true);

interface Reached {
  m: ReplModel;
  states: Uint8Array[];
  actions: string[];
  /** Observations of each step (index i: the step into states[i + 1]). */
  observations: (readonly Observation[])[];
}

const memo = new WeakMap<ReplModel, Map<string, Reached>>();

/** check(m, {goal}) and its path, checked; memoised per model and goal (each search runs once). */
function reach(m: ReplModel, id: string): Reached {
  const known = memo.get(m)?.get(id);
  if (known) return known;
  const r = search(m, id);
  if (!memo.has(m)) memo.set(m, new Map());
  memo.get(m)!.set(id, r);
  return r;
}

function search(m: ReplModel, id: string): Reached {
  const goal = m.goals.find((g) => g.id === id);
  if (goal === undefined) throw new Error(`no goal ${id}`);
  const r = check(m, { goal });
  expect(r.violation).toBeUndefined();
  expect(r.verdict).toBe('complete');
  expect(r.goalReached, `${id} not reached`).not.toBeNull();
  const reached = r.goalReached!;
  expect(reached.goal).toBe(id);
  const states = statesOf(m, reached.path);
  expect(states).toHaveLength(reached.trace.length);
  expect(goal.test(states[states.length - 1]!)).toBe(true);
  for (const s of states.slice(0, -1)) expect(goal.test(s)).toBe(false); // nearest
  const observations = reached.path.actions.map((a, i) => m.observe(states[i]!, a, states[i + 1]!));
  return { m, states, actions: reached.path.actions.map((a) => m.actionNames[a]!), observations };
}

const needsHistory = (m: ReplModel, id: string) => (m.goals.find((g) => g.id === id) as { needsHistory?: boolean } | undefined)?.needsHistory === true;

describe('every goal is reachable on default', () => {
  it('the model declares the two seed goals', () => {
    const ids = plain.goals.map((g) => g.id);
    expect(ids).toContain('seed-lack-of-backlog');
    expect(ids).toContain('leftover-rdb-client');
    expect(new Set(ids).size).toBe(ids.length);
  });

  for (const g of plain.goals) {
    it(g.id, () => {
      reach(needsHistory(plain, g.id) ? withHistory : plain, g.id);
    });
  }
});

describe('the seed goals tell their story', () => {
  it('leftover-rdb-client: a protected rdb client of an earlier attempt lingers while the replica runs a new one', () => {
    const { m, states, actions } = reach(plain, 'leftover-rdb-client');
    const last = states[states.length - 1]!;
    const b = m.layout.replicaBase[0]!;
    expect([RS.RDB_HANDSHAKE, RS.SETID_WAIT, RS.MAIN_PSYNC_WAIT, RS.TRANSFER]).toContain(last[b + R_RS]);
    const lingering = Array.from({ length: SLOTS }, (_, k) => k).filter((k) => last[b + R_SLOTS + k * SLOT_SIZE + S_RC] === RC.LINGER);
    expect(lingering.length).toBeGreaterThan(0);
    for (const k of lingering) {
      expect(last[b + R_SLOT], 'the lingering client is not the current attempt\'s').not.toBe(k + 1);
      expect(last[b + R_SLOTS + k * SLOT_SIZE + S_PROT], 'a lingering client is protected').toBe(1);
    }
    // the new attempt began after the first: the replica connected twice
    expect(actions.filter((a) => a === 'Connect[r1]')).toHaveLength(2);
  });

  it('seed-lack-of-backlog: main channel dropped for its output buffer during the load, then PSYNC refused for lack of backlog', () => {
    const m = needsHistory(plain, 'seed-lack-of-backlog') ? withHistory : plain;
    const { states, observations } = reach(m, 'seed-lack-of-backlog');
    const b = m.layout.replicaBase[0]!;
    const kinds = observations.map((o) => o.map((x) => x.kind));
    // the drop: a primary cob_overflow that frees the main client while the replica is in transfer
    const drop = observations.findIndex((o, i) => o.some((x) => x.kind === 'primary.cob_overflow') && states[i]![b + R_RS] === RS.TRANSFER);
    expect(drop, `no output-buffer drop during the transfer in ${JSON.stringify(kinds)}`).toBeGreaterThanOrEqual(0);
    expect(observations[drop]!.some((x) => x.kind === 'primary.replica_lost')).toBe(true);
    // then the load completes, the replica reconnects and its PSYNC is refused for lack of backlog
    const rest = kinds.slice(drop + 1).flat();
    expect(rest).toContain('replica.load_done');
    expect(rest.indexOf('replica.connect')).toBeGreaterThan(rest.indexOf('replica.load_done'));
    const refused = observations.slice(drop + 1).flat().find((x) => x.kind === 'primary.psync_refused');
    expect(refused?.fields.reason).toEqual({ op: 'lit', value: 'backlog' });
  });

  it('cob-drop-during-load without faults: the drop is an output-buffer overflow, not a CLIENT KILL', () => {
    // On `default` the nearest such state is reached by KillMain (a fault), which the goal's test
    // cannot tell from an overflow; with no fault budget the drop must come from the limit.
    const { observations } = reach(model('default', { faults: 0 }), 'cob-drop-during-load');
    const kinds = observations.flat().map((o) => o.kind);
    expect(kinds).toContain('primary.cob_overflow');
    expect(kinds).not.toContain('primary.client_killed');
  });
});
