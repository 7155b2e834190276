// Real runs' sizes are not logged, so a log preset names `wider` sizes that judge a trace its own
// sizes reject (conformance/judge.ts). That is sound only if the wider sizes add behaviours and
// remove none: checked here on every preset that names some, and on a model small enough to
// enumerate, where every state and transition of the narrow sizes must be one of the wide sizes.
import { describe, expect, it } from 'vitest';
import { PRESETS, WIDENABLE_FIELDS, resolveConfig, type ModelConfig } from '../../model/config.js';
import { buildModel, type ReplModel } from '../../model/index.js';
import { widerSettings } from '../../conformance/judge.js';

/**
 * A state's description as a key: encodings differ between sizes, and a longer offset span has
 * more buffer blocks (an unused one has refcount 0), so unused blocks are left out.
 */
function key(m: ReplModel, s: Uint8Array): string {
  return JSON.stringify(Object.entries(m.describe(s)).filter(([k, v]) => !(/^block\d+\.refcount$/.test(k) && v === 0)));
}

/** Every reachable state, keyed by its description, with its bytes. */
function reachable(m: ReplModel): Map<string, Uint8Array> {
  const seen = new Map<string, Uint8Array>();
  const queue: Uint8Array[] = [];
  const add = (s: Uint8Array) => {
    const k = key(m, s);
    if (seen.has(k)) return;
    const c = s.slice();
    seen.set(k, c);
    queue.push(c);
  };
  m.initStates(add);
  for (let i = 0; i < queue.length; i++) m.successors(queue[i]!, (_, next) => add(next));
  return seen;
}

/** The transitions of `s` as "action -> described successor". */
function transitions(m: ReplModel, s: Uint8Array): Set<string> {
  const out = new Set<string>();
  m.successors(s, (a, next) => out.add(`${m.actionNames[a]} -> ${key(m, next)}`));
  return out;
}

describe('wider sizes of a log preset', () => {
  it('widen only monotone fields, upwards', () => {
    const withWider = Object.entries(PRESETS).filter(([, p]) => p.wider);
    expect(withWider.map(([n]) => n)).toContain('valkey');
    for (const [name, p] of withWider) {
      for (const [k, v] of Object.entries(p.wider!)) {
        expect(WIDENABLE_FIELDS as readonly string[], `${name}.wider.${k}`).toContain(k);
        expect(v, `${name}.wider.${k}`).toBeGreaterThan(p.config[k as keyof ModelConfig] as number);
      }
      expect(widerSettings(resolveConfig(name), name)).toEqual(p.wider);
      // a header that already asks for more keeps its own value
      expect(widerSettings(resolveConfig(name, [{ kernelBuffer: 3, maxOffset: 20 }]), name)).toBeUndefined();
    }
    expect(widerSettings(resolveConfig('small'), 'small')).toBeUndefined();
  });

  it('a bigger kernel buffer and a longer offset span keep every state and transition', () => {
    const narrowSet = { faults: 0, maxOffset: 3, cobHard: 1 };
    const narrow = buildModel(resolveConfig('small', [narrowSet]));
    const wide = buildModel(resolveConfig('small', [{ ...narrowSet, kernelBuffer: 2, maxOffset: 4 }]));
    const n = reachable(narrow);
    const w = reachable(wide);
    expect(n.size).toBeGreaterThan(10_000);
    expect(w.size).toBeGreaterThan(n.size); // the widening adds states: the test is not vacuous
    let checked = 0;
    for (const [k, s] of n) {
      const ws = w.get(k);
      expect(ws, `narrow state missing from the wide sizes: ${k}`).toBeDefined();
      if (checked++ % 16 !== 0) continue; // transitions of a sample: all of them would take minutes
      const wt = transitions(wide, ws!);
      for (const t of transitions(narrow, s)) expect(wt.has(t), `${k}: ${t}`).toBe(true);
    }
  }, 120_000);
});
