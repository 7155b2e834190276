// Regression tests for model bugs found by the model tests (fixed: HandleMainPsync now takes the
// main client's reference before it frees a lingering rdb client; the offset-span bound is a state
// constraint, so a lazy trim can no longer stall the model at maxOffset).
//
// The bug was: HandleMainPsync frees a lingering rdb client (which trims the backlog) between its backlog
// range check and attaching the main client, so the main client can reference a block that was
// just trimmed. `attachMain` then computes block index -1 and `addRef` increments the byte before
// the refcount array: `configChangesLeft` (G_RC - 1 = G_CFG). Valkey hands the rdb client's
// buffer reference over to the main client, so the block cannot be trimmed in between.
//
// It needs the backlog to grow past the pinned block while the pinning client is not dropped for
// its output buffer, i.e. a hard limit above backlog + one block, or none (cobHard 0): schema-
// valid settings. The presets (small, default, valkey, large) all have hard <= backlog + block,
// so their checks are clean.
import { describe, expect, it } from 'vitest';
import { checkOffThread } from './offthread.js';
import { check } from '../../engine/bfs.js';
import { replayPath } from '../../engine/replay.js';
import { domainErrors } from '../../model/state.js';
import { domainInvariant, model } from './helpers.js';

// The shortest counterexample on small + cobHard 0 (12 steps): ForkFail leaves the rdb client
// lingering with a NULL pin, the first write attaches it, after two more the main PSYNC at
// ENDOFF+1 = 2 passes the range test, unpin + freeRdb trims block 2, and the main client attaches
// to block 2 anyway.
const TRACE = [
  'Connect[r1]', 'HandlePsync[r1]', 'RecvReply[r1]', 'RdbConnect[r1]', 'HandleSync[r1]', 'ForkFail',
  'Write', 'Write', 'Write', 'HandleSetId[r1]', 'RecvReply[r1]', 'HandleMainPsync[r1]',
];

function replayTrace() {
  const m = model('small', { cobHard: 0 });
  const actions = TRACE.map((name) => {
    const a = m.actionNames.indexOf(name);
    if (a < 0) throw new Error(`no action ${name}`);
    return a;
  });
  return { m, states: replayPath(m, 0, actions) };
}

describe('main PSYNC attaches to a block its own unlinking just trimmed (small + cobHard 0)', () => {
  it('the counterexample replays: every step is enabled, and before the last step the PSYNC offset is in the backlog', () => {
    const { m, states } = replayTrace();
    expect(states).toHaveLength(TRACE.length + 1);
    const before = m.describe(states[states.length - 2]!);
    expect(before['r1.rdbClient1.state']).toBe('linger');
    expect(before['r1.rdbClient1.pin']).toBe(before['backlog.head']); // pinned head block
    expect(Number(before['r1.replica.endoff']) + 1).toBe(before['backlog.head']); // ENDOFF+1 is in the backlog
  });

  it('after the main PSYNC every invariant holds and every field is in its domain', () => {
    const { m, states } = replayTrace();
    const last = states[states.length - 1]!;
    // before the fix: I3 "main client references block 2, which is not in the buffer", and
    // "configChangesLeft=1 outside [0, 0]" (the stray refcount increment)
    expect(domainErrors(m.layout, last)).toEqual([]);
    for (const inv of m.invariants) expect(inv.check(last), inv.id).toBeNull();
  });

  it('small + cobHard 0 is complete: no invariant violated, no field out of its domain', async () => {
    // 3.4 million states: off the test worker's thread (see offthread.ts)
    const r = await checkOffThread('small', { cobHard: 0 }, { domain: true });
    expect(r.violation?.invariant).toBeUndefined();
    expect(r.verdict).toBe('complete');
    expect(r.distinctStates).toBeGreaterThan(1_000_000);
  });

  it('default + cobHard 8 (above backlog + one block) is clean', () => {
    // the same bug on the main preset with only the hard limit raised (found at depth 14)
    const m = model('default', { cobHard: 8 });
    const r = check(m, { invariants: [...m.invariants, domainInvariant(m)], maxDepth: 14 });
    expect(r.violation?.invariant).toBeUndefined();
  });
});
