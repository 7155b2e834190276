// spec/model.md must name every action, invariant, goal and state variable exactly as the code
// and the CLI output do (the "Done when"; the before-stop hook reminds of it too).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATOR_FAMILIES, resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

const spec = readFileSync(path.join(process.cwd(), 'spec', 'model.md'), 'utf8');

describe('spec/model.md is in step with the model', () => {
  // default with every operator family has every family (toggles need configChanges > 0 and no
  // freeConfig; SendBulkDone needs a disk-target fork to be possible; faults are all enabled)
  // (profile 9.1.2 for DownloadNoticed, which exists only with bioDiskDownload; abandonedPsync for HandleAbandonedPsync)
  const m = buildModel(resolveConfig('default', [{ replicas: 2, operatorKinds: [...OPERATOR_FAMILIES], profile: '9.1.2', abandonedPsync: true }]), {}, { history: true });

  it('has a section for every action family, in the order of model/actions.ts', () => {
    const headings = [...spec.matchAll(/^#### (\w+) \(params:/gm)].map((x) => x[1]);
    expect(headings).toEqual([...m.families]);
  });

  it('names every invariant and step invariant id', () => {
    for (const inv of [...m.invariants, ...(m.transitionInvariants ?? [])]) expect(spec, inv.id).toContain(`\`${inv.id}\``);
  });

  it('names every goal id', () => {
    for (const g of m.goals) expect(spec, g.id).toContain(`\`${g.id}\``);
  });

  it('names every state variable (as describe() prints it, with rN. for the replica and rdbClientS. for the slot)', () => {
    const names = Object.keys(m.describe(new Uint8Array(m.stateBytes))).filter((n) => !n.startsWith('r2.'));
    const generic = (n: string) => n.replace(/^r1\./, 'rN.').replace(/\.rdbClient\d\./, '.rdbClientS.').replace(/^block\d+\./, 'block<k>.');
    const missing = [...new Set(names.map(generic))].filter((n) => !spec.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
});
