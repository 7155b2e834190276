// The lifecycle tables (model/lifecycles.ts) against the complete reachable graph of the `default`
// preset (the main job): every per-connection step is a row of its table. Its own file so that it
// runs beside lifecycles.test.ts (the other graphs, and the dead-row check).
import { beforeAll, describe, expect, it } from 'vitest';
import { explore, type Exploration } from './explore.js';

describe('lifecycle tables against the default preset', () => {
  let dflt: Exploration;
  beforeAll(async () => {
    dflt = await explore('default', false);
    // eslint-disable-next-line no-console
    console.log(`lifecycles: default ${dflt.states} states / ${dflt.transitions} transitions in ${dflt.ms} ms`);
  }, 1_800_000);

  it('every per-connection step of the default preset (complete state graph) is a row of its table', () => {
    expect(dflt.states).toBeGreaterThan(3_000_000);
    expect(dflt.violations.join('\n\n')).toBe('');
  });
});
