// Real Valkey 8.0.1 logs (traces/valkey-8.0.1/<scenario>/*.log) against the model:
//  - every captured scenario conforms (validateLogs: converts and validates, writes nothing);
//  - tampered copies (a protocol line removed, two lines swapped, an offset or a client id changed)
//    are rejected, and the diagnosis points at the tampered file at or after the tampered line;
//  - the seed: a replica-class output-buffer overflow of an rdb channel (cmd=sync) is bound, by the
//    validator's client-id registers, to the sync whose "Sending to replica … client-id N" line
//    announced that id — the earlier attempt, not a later one.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { logFilesOf, validateLogs } from '../../conformance/logdir.js';
import type { Observation } from '../../model/observation.js';
import { Engine, pendHead, type Cand } from '../../conformance/trace/reference-engine.js';
import type { ValidationResult } from '../../conformance/validate.js';
import { resolveConfig } from '../../model/config.js';
import { buildModel } from '../../model/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LOGS = path.join(ROOT, 'traces/valkey-8.0.1');
const SCENARIOS = readdirSync(LOGS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(LOGS, d.name, 'primary.log')))
  .map((d) => d.name)
  .sort();

// ---- every scenario conforms ----------------------------------------------------------------------

const summary: { scenario: string; verdict: string; events: number; maxCandidates: number; ms: number }[] = [];

describe('real Valkey 8.0.1 logs conform', () => {
  afterAll(() => {
    if (summary.length === 0) return;
    const w = Math.max(...summary.map((s) => s.scenario.length));
    const lines = summary.map((s) => `  ${s.scenario.padEnd(w)}  ${s.verdict.padEnd(9)}  ${String(s.events).padStart(4)} events  max ${String(s.maxCandidates).padStart(5)} candidates  ${String(Math.round(s.ms)).padStart(5)} ms`);
    console.log(`real logs (traces/valkey-8.0.1):\n${lines.join('\n')}\n  total ${Math.round(summary.reduce((a, s) => a + s.ms, 0))} ms`);
  });

  it('the scenarios are there, with Valkey logs only (driver.log and meta.json are not read)', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(17);
    for (const s of SCENARIOS) {
      const files = logFilesOf(path.join(LOGS, s)).map((f) => path.basename(f));
      expect(files[0], s).toBe('primary.log');
      expect(files, s).not.toContain('driver.log');
      expect(files.some((f) => f.startsWith('replica')), s).toBe(true);
    }
  });

  it.each(SCENARIOS)('%s', (scenario) => {
    const dir = path.join(LOGS, scenario);
    const before = readdirSync(dir).sort();
    const t0 = performance.now();
    const { result, conversion, text } = validateLogs(logFilesOf(dir));
    const ms = performance.now() - t0;
    summary.push({ scenario, verdict: result.verdict, events: result.events, maxCandidates: result.stats.maxCandidates, ms });
    expect(readdirSync(dir).sort(), 'validateLogs writes nothing into the committed folder').toEqual(before);
    expect(result.verdict, text).toBe('conforms');
    expect(result.events).toBe(conversion.trace.events.length);
    expect(result.matched).toBe(result.events);
    expect(result.events).toBeGreaterThan(10);
    // every event points back at its log line
    for (const e of conversion.trace.events) expect(e.src, `seq ${e.seq}`).toBeDefined();
  });
});

// ---- tampered copies ---------------------------------------------------------------------------------

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** "14305:M 25 Nov 2026 09:30:11.101 * " — pid, role, timestamp and level: kept when messages move. */
const PREFIX = /^(\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ . )(.*)$/;
const msgOf = (line: string): string => PREFIX.exec(line)![2]!;
const withMsg = (line: string, msg: string): string => PREFIX.exec(line)![1]! + msg;

interface Tampered { dir: string; file: string; result: ValidationResult; text: string }

/** Copy a scenario's logs to a temp dir, edit one file's lines, validate the copy. */
function tamper(scenario: string, file: string, edit: (lines: string[]) => void): Tampered {
  const dir = mkdtempSync(path.join(os.tmpdir(), `replcheck-${scenario}-`));
  temps.push(dir);
  for (const f of readdirSync(path.join(LOGS, scenario))) if (f.endsWith('.log')) cpSync(path.join(LOGS, scenario, f), path.join(dir, f));
  const p = path.join(dir, file);
  const lines = readFileSync(p, 'utf8').split('\n');
  const copy = [...lines];
  edit(lines);
  expect(lines, 'the edit changed the file').not.toEqual(copy);
  writeFileSync(p, lines.join('\n'));
  const { result, text } = validateLogs(logFilesOf(dir));
  return { dir, file: p, result, text };
}

/** 0-based index of the only line (or the n-th line) matching `re`. */
function lineIndex(lines: readonly string[], re: RegExp, nth = 0): number {
  const hits = lines.map((l, i) => (re.test(l) ? i : -1)).filter((i) => i >= 0);
  expect(hits.length, `lines matching ${re}`).toBeGreaterThan(nth);
  return hits[nth]!;
}

function srcOf(ref: { src?: string }): { file: string; line: number } | undefined {
  if (!ref.src) return undefined;
  const m = /^(.*):(\d+)$/.exec(ref.src)!;
  return { file: m[1]!, line: Number(m[2]) };
}

/**
 * The tampering is found: verdict "violates", and the unexplained event — or, with interleaving,
 * one of the equally unexplainable events that could have come next — is in the tampered file at
 * or after the tampered (1-based) line.
 */
function expectCaught(t: Tampered, line: number, label: string): void {
  expect(t.result.verdict, `${label}\n${t.text}`).toBe('violates');
  const f = t.result.failure!;
  const blamed = [f.event, ...(f.alternatives ?? [])].map(srcOf).filter((x) => x !== undefined);
  console.log(`${label}: violates at ${f.event.src}${f.alternatives?.length ? ` (or ${f.alternatives.map((a) => a.src).join(', ')})` : ''}\n${t.text.split('\n').filter((l) => !/^ {2}(common|\[)|^ {6}- enabled/.test(l)).slice(0, 14).join('\n')}`);
  expect(blamed.some((b) => b.file === t.file && b.line >= line), `${label}: blamed ${blamed.map((b) => `${b.file}:${b.line}`).join(', ')}; tampered ${t.file}:${line}\n${t.text}`).toBe(true);
}

describe('tampered real logs are rejected', () => {
  const S = 'leftover-rdb-client';
  const primary = () => readFileSync(path.join(LOGS, S, 'primary.log'), 'utf8').split('\n');
  const replica = () => readFileSync(path.join(LOGS, S, 'replica.log'), 'utf8').split('\n');
  const ACCEPTED = /Partial resynchronization request from .* accepted/;
  const ENDOFF = /Sending to replica .* RDB end offset (\d+) and client-id (\d+)/;
  const MAIN_PSYNC = /Trying a partial resynchronization using main channel \(request \w+:(\d+)\)/;

  it('(a) the primary\'s "Partial resynchronization request … accepted" removed', () => {
    const k = lineIndex(primary(), ACCEPTED);
    const t = tamper(S, 'primary.log', (L) => { L.splice(k, 1); });
    expectCaught(t, k + 1, 'remove primary.log accepted');
  });

  it('(a) the replica\'s "Trying a partial resynchronization using main channel" (the accepted one) removed', () => {
    const k = lineIndex(replica(), MAIN_PSYNC, 1);
    const t = tamper(S, 'replica.log', (L) => { L.splice(k, 1); });
    expectCaught(t, k + 1, 'remove replica.log main-channel PSYNC');
  });

  it('(a) in other scenarios: the accepted main-channel PSYNC removed', () => {
    for (const s of ['full-sync-with-writes', 'kill-replica-during-load']) {
      const lines = readFileSync(path.join(LOGS, s, 'primary.log'), 'utf8').split('\n');
      const k = lineIndex(lines, ACCEPTED);
      const t = tamper(s, 'primary.log', (L) => { L.splice(k, 1); });
      expectCaught(t, k + 1, `${s}: remove primary.log accepted`);
    }
  });

  it('(b) "Sending to replica … RDB end offset" and the main-channel PSYNC acceptance swapped (messages only, timestamps stay)', () => {
    const L0 = primary();
    const i = lineIndex(L0, ENDOFF, 1);
    const j = lineIndex(L0, ACCEPTED);
    expect(i).toBeLessThan(j);
    const t = tamper(S, 'primary.log', (L) => {
      const [a, b] = [L[i]!, L[j]!];
      L[i] = withMsg(a, msgOf(b));
      L[j] = withMsg(b, msgOf(a));
    });
    expectCaught(t, i + 1, 'swap ENDOFF and accepted');
  });

  it('(b) in full-sync-with-writes: the same swap', () => {
    const s = 'full-sync-with-writes';
    const L0 = readFileSync(path.join(LOGS, s, 'primary.log'), 'utf8').split('\n');
    const i = lineIndex(L0, ENDOFF);
    const j = lineIndex(L0, ACCEPTED);
    const t = tamper(s, 'primary.log', (L) => {
      const [a, b] = [L[i]!, L[j]!];
      L[i] = withMsg(a, msgOf(b));
      L[j] = withMsg(b, msgOf(a));
    });
    expectCaught(t, i + 1, `${s}: swap ENDOFF and accepted`);
  });

  it('(c) the RDB end offset changed: the main-channel PSYNC is no longer ENDOFF+1', () => {
    const L0 = primary();
    const i = lineIndex(L0, ENDOFF, 1);
    const endoff = Number(ENDOFF.exec(L0[i]!)![1]);
    const t = tamper(S, 'primary.log', (L) => { L[i] = L[i]!.replace(`end offset ${endoff} `, `end offset ${endoff - 1} `); });
    expectCaught(t, i + 1, 'ENDOFF - 1');
  });

  it('(c) the replica\'s main-channel PSYNC offset changed', () => {
    const L0 = replica();
    const k = lineIndex(L0, MAIN_PSYNC, 1);
    const off = Number(MAIN_PSYNC.exec(L0[k]!)![1]);
    const t = tamper(S, 'replica.log', (L) => { L[k] = L[k]!.replace(`:${off})`, `:${off + 1})`); });
    expectCaught(t, k + 1, 'main-channel PSYNC offset + 1');
  });

  it('(c) the primary\'s accepted offset changed', () => {
    const L0 = primary();
    const k = lineIndex(L0, ACCEPTED);
    const t = tamper(S, 'primary.log', (L) => { L[k] = L[k]!.replace(/starting from offset (\d+)/, (_, n: string) => `starting from offset ${Number(n) + 1}`); });
    expectCaught(t, k + 1, 'accepted offset + 1');
  });

  // a client id no "Sending to replica … client-id N" line announced: the client of no sync
  const strangerCid = (lines: readonly string[]): number => Math.max(...lines.map((l) => Number(ENDOFF.exec(l)?.[2] ?? 0))) + 100;

  it('(d) "Remove psync waiting replica … with cid N" names a client of no sync', () => {
    const L0 = primary();
    const k = lineIndex(L0, /Remove psync waiting replica .* with cid \d+, repl buffer block/);
    const cid = strangerCid(L0);
    const t = tamper(S, 'primary.log', (L) => { L[k] = L[k]!.replace(/with cid \d+/, `with cid ${cid}`); });
    expectCaught(t, k + 1, `Remove psync waiting … cid ${cid}`);
  });

  it('(d) the output-buffer overflow line names a client of no sync', () => {
    const L0 = primary();
    const k = lineIndex(L0, /Client id=\d+ .*flags=S.* closed for overcoming of output buffer limits|Client id=\d+ .*cmd=sync/);
    const cid = strangerCid(L0);
    const t = tamper(S, 'primary.log', (L) => { L[k] = L[k]!.replace(/Client id=\d+/, `Client id=${cid}`); });
    expectCaught(t, k + 1, `COB overflow of client id=${cid}`);
  });

  it('(d) the output-buffer overflow line names the LATER sync\'s rdb client (before it exists)', () => {
    const L0 = primary();
    const k = lineIndex(L0, /Client id=\d+ .*cmd=sync/);
    const later = Number(ENDOFF.exec(L0[lineIndex(L0, ENDOFF, 1)]!)![2]);
    const t = tamper(S, 'primary.log', (L) => { L[k] = L[k]!.replace(/Client id=\d+/, `Client id=${later}`); });
    expectCaught(t, k + 1, `COB overflow of client id=${later}`);
  });

  it('(d) in cob-overflow-small-backlog: the second sync\'s "Remove psync waiting … cid N" names a client of no sync', () => {
    // (this scenario's overflow is the main channel's, whose id no handshake line announces: the
    // validator binds it at the overflow, so changing that id alone is not detectable)
    const s = 'cob-overflow-small-backlog';
    const L0 = readFileSync(path.join(LOGS, s, 'primary.log'), 'utf8').split('\n');
    const k = lineIndex(L0, /Remove psync waiting replica .* with cid \d+/, 1);
    const cid = strangerCid(L0);
    const t = tamper(s, 'primary.log', (L) => { L[k] = L[k]!.replace(/with cid \d+/, `with cid ${cid}`); });
    expectCaught(t, k + 1, `${s}: Remove psync waiting … cid ${cid}`);
  });
});

// ---- the seed: whose rdb client overflowed -----------------------------------------------------------

/**
 * Validate with provenance (conformance/trace/reference-engine.ts, track = true) and, for event `index`, return
 * per surviving run the observation that explained it and the registers just before it.
 * validate() does not expose the matched run or its registers, so this re-runs the engine.
 */
function explainedBy(files: readonly string[], index: number, toleranceMs: number, trace: ReturnType<typeof validateLogs>['conversion']['trace']): { obs: Observation; regs: Record<string, unknown>; bindings: Map<string, number> }[] {
  const h = trace.header.model;
  const model = buildModel(resolveConfig(h.preset, [h.set ?? {}]));
  const engine = new Engine(model, trace, { toleranceMs, maxCandidates: 100_000, maxClosure: 1_000_000 });
  let cands: Cand[] = engine.initial(true);
  for (let step = 0; step < trace.events.length; step++) {
    const out = engine.step(cands, step, true);
    expect(out.kind, `event ${step} of ${files.join(' ')}`).toBe('ok');
    if (out.kind !== 'ok') return [];
    cands = out.next;
  }
  const res: { obs: Observation; regs: Record<string, unknown>; bindings: Map<string, number> }[] = [];
  for (const final of cands) {
    // the chain of candidates from the initial state to this run's end, oldest first
    const chain: Cand[] = [];
    for (let c: Cand | null = final; c; c = c.via?.parent ?? null) chain.unshift(c);
    /** The observation that explained the event consumed by chain[i] (from chain[i-1]). */
    const obsAt = (i: number): Observation => {
      const c = chain[i]!;
      const p = chain[i - 1]!;
      const ev = trace.events[c.via!.event]!;
      if (c.via!.actions.length === 0) return p.pend![pendHead(p.pend, engine.nodeIndex.get(ev.node)!)]!.obs;
      return engine.observeFiltered(p.sk, p.s, c.via!.actions[c.via!.actions.length - 1]!, c.s).observed[0]!;
    };
    // which event last bound each register ("set", or "eq" on an unbound register)
    const bindings = new Map<string, number>();
    for (let i = 1; i < chain.length; i++) {
      const c = chain[i]!;
      if (c.via!.event < 0) continue;
      const ob = obsAt(i);
      if (c.via!.event === index) {
        res.push({ obs: ob, regs: chain[i - 1]!.regs.toObject(), bindings: new Map(bindings) });
      }
      for (const [, sp] of Object.entries(ob.fields)) {
        if (sp.op === 'set' || (sp.op === 'eq' && chain[i - 1]!.regs.get(sp.reg) === undefined)) bindings.set(sp.reg, c.via!.event);
      }
      for (const r of ob.clear ?? []) bindings.delete(r);
    }
  }
  return res;
}

describe('the seed: an rdb channel\'s output-buffer overflow belongs to the sync that announced its client id', () => {
  const ENDOFF = /Sending to replica .* RDB end offset (\d+) and client-id (\d+)/;
  const cases = ['leftover-rdb-client', 'leftover-rdb-client-new-sync'].filter((s) => SCENARIOS.includes(s));

  it.each(cases)('%s', (scenario) => {
    const files = logFilesOf(path.join(LOGS, scenario));
    const { result, conversion, text } = validateLogs(files);
    expect(result.verdict, `the attribution needs a conforming run\n${text}`).toBe('conforms');
    const trace = conversion.trace;
    const primaryLog = files.find((f) => path.basename(f) === 'primary.log')!;
    const lines = readFileSync(primaryLog, 'utf8').split('\n');
    // the syncs, from the raw log: line of "Sending to replica … client-id N", and N
    const syncs = lines.map((l, i) => ({ line: i + 1, cid: Number(ENDOFF.exec(l)?.[2] ?? NaN) })).filter((s) => !Number.isNaN(s.cid));
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    const cobs = trace.events.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'primary.cob_overflow' && e.fields.cmd === 'sync');
    expect(cobs.length, 'an rdb channel (cmd=sync) overflowed').toBeGreaterThanOrEqual(1);
    for (const { e, i } of cobs) {
      const cid = e.fields.cid as number;
      const owner = syncs.find((s) => s.cid === cid)!;
      expect(owner, `a "Sending to replica … client-id ${cid}" line`).toBeDefined();
      if (scenario === 'leftover-rdb-client') expect(owner, 'the first sync').toBe(syncs[0]);
      const later = syncs.filter((s) => s.line > owner.line);
      expect(later.length, 'a later sync exists').toBeGreaterThan(0);
      const ownerEvent = trace.events.findIndex((x) => x.kind === 'primary.endoff_sent' && x.src?.line === owner.line);
      expect(ownerEvent).toBeGreaterThanOrEqual(0);

      // 1. the validator's binding, in every run that explains the whole trace
      const runs = explainedBy(files, i, conversion.toleranceMs, trace);
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) {
        const spec = run.obs.fields.cid!;
        expect(run.obs.kind).toBe('primary.cob_overflow');
        expect(spec.op, 'the overflow is checked against a register').toBe('eq');
        const reg = (spec as { reg: string }).reg;
        expect(reg, 'an rdb client id register, not the main channel\'s').toMatch(/^r\d+\.rdb\d+\.cid$/);
        expect(run.regs[reg], `register ${reg} before the overflow`).toBe(cid);
        expect(run.bindings.get(reg), `${reg} was bound by the "Sending to replica … client-id ${cid}" line`).toBe(ownerEvent);
        for (const s of later) expect(run.regs[reg]).not.toBe(s.cid);
      }
      console.log(`${scenario}: overflow at primary.log:${e.src!.line} (client id=${cid}) is bound to the rdb client of the sync announced at primary.log:${owner.line}; later syncs: ${later.map((s) => `client-id ${s.cid} at line ${s.line}`).join(', ')}`);

      // 2. the conversion's attribution text says the same
      const att = conversion.attributions.find((a) => a.includes(`primary.log:${e.src!.line}:`));
      expect(att, conversion.attributions.join('\n')).toBeDefined();
      expect(att).toContain(`client id=${cid}`);
      expect(att).toContain(`primary.log:${owner.line}`);
    }
  });
});
