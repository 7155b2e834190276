// Why a trace does not conform: the first event no candidate run explains, the events matched just
// before it (and by which actions), the candidate states there (grouped by the describe() fields that
// differ), and for each shown candidate why the event cannot happen: enabled actions, actions that
// emit the kind with the wrong node or fields (field, expected value from the register, actual
// value), pending obligations, or — when nothing enabled emits the kind — which actions of the model
// emit it and that their guards are false (with the model's optional explain() hook).
import type { ObservableModel } from '../model/observation.js';
import type { Kind } from '../model/vocabulary.js';
import type { Trace, FieldValue } from './trace/types.js';
import {
  Engine, applyObs, clearRegs, obsText, pendHead, provenance, stateKey,
  type Cand, type FieldMismatch,
} from './trace/reference-engine.js';

/**
 * Optional hook a model may implement: why `action` is not enabled in state `s`, in protocol words
 * (e.g. "replica1 is not connected (link = down)"). The diagnosis calls it, when present, for the
 * actions that could emit the unexplained event but are disabled in a candidate state.
 */
export interface ExplainingModel extends ObservableModel {
  explain?(s: Uint8Array, action: number): string;
  /** The connection an event kind concerns (e.g. "primary rdb client"). */
  connectionOf?(kind: Kind, fields?: Readonly<Record<string, FieldValue>>): string;
  /** Each connection's lifecycle state in s (e.g. {"r1 replica main channel": "setid_wait"}). */
  connections?(s: Uint8Array): Record<string, string>;
}

export interface EventRef {
  /** 0-based index in the trace's event list (file order). */
  readonly index: number;
  readonly seq: number;
  /** Line of the event in the trace file, when read from one. */
  readonly line?: number;
  /** "file:line" of the original log line (event `src`), when present. */
  readonly src?: string;
}

export function eventRef(trace: Trace, index: number): EventRef {
  const e = trace.events[index];
  if (e === undefined) return { index, seq: -1 };
  const line = trace.lines?.[index];
  return {
    index,
    seq: e.seq,
    ...(line !== undefined ? { line } : {}),
    ...(e.src !== undefined ? { src: `${e.src.file}:${e.src.line}` } : {}),
  };
}

export interface MatchedEvent extends EventRef {
  readonly node: string;
  readonly kind: Kind;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Actions of one explaining run fired for this event: silent ones, then the matching one
   * ("(pending)" when it matched an obligation of an earlier action). */
  readonly explainedBy: readonly string[];
}

export interface SameKindMismatch {
  readonly action: string;
  /** The observation the action would emit, e.g. "replica.psync@replica1 {offset:eq off+1}". */
  readonly observation: string;
  /** "node", "fields", "pending" (the node owes an earlier observation) or "position" (the kind is
   * emitted, but not as the action's first observation). */
  readonly problem: 'node' | 'fields' | 'pending' | 'position';
  readonly mismatches: readonly FieldMismatch[];
  readonly text: string;
}

export interface Why {
  /** The node of the event owes this observation first. */
  readonly pending?: { readonly node: string; readonly action: string; readonly expected: string; readonly mismatches: readonly FieldMismatch[]; readonly text: string };
  /** Enabled actions and what they would emit (observed kinds only; [] = silent). */
  readonly enabled: readonly { readonly action: string; readonly emits: readonly string[] }[];
  /** Enabled actions that emit the event's kind but do not fit. */
  readonly sameKind: readonly SameKindMismatch[];
  /** When no enabled action emits the kind: the actions that can, all disabled here. */
  readonly disabled?: readonly { readonly action: string; readonly explanation?: string }[];
  /** The same, as sentences. */
  readonly text: readonly string[];
}

export interface CandidateGroup {
  readonly count: number;
  /** Lifecycle state of every connection (when the model provides them). */
  readonly connections?: Readonly<Record<string, string>>;
  /** describe() fields whose values differ between candidates. */
  readonly state: Readonly<Record<string, string | number | boolean>>;
  readonly registers: Readonly<Record<string, FieldValue>>;
  readonly pending: readonly string[];
  readonly why: Why;
}

export interface Diagnosis {
  readonly event: EventRef;
  readonly node: string;
  /** The connection the event concerns (when the model says). */
  readonly connection?: string;
  readonly kind: Kind;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** One paragraph. */
  readonly message: string;
  /** The last few matched events before it, oldest first. */
  readonly before: readonly MatchedEvent[];
  readonly candidates: {
    /** Candidate states examined (the silent closure of the surviving runs). */
    readonly total: number;
    readonly truncated?: boolean;
    readonly shown: number;
    /** describe() fields equal in every candidate. */
    readonly common: Readonly<Record<string, string | number | boolean>>;
    readonly groups: readonly CandidateGroup[];
  };
  /** Actions of the model known to emit the event's kind (learned by observing). */
  readonly emitters: { readonly actions: readonly string[]; readonly exploredStates: number; readonly complete: boolean };
  /** With interleaving: other events that could also have come next, none explainable either. */
  readonly alternatives?: readonly EventRef[];
}

export interface DiagnoseInput {
  /** Events consumed by every candidate. */
  readonly step: number;
  /** File index of the event reported as unexplained. */
  readonly index: number;
  /** Surviving candidates before the failing event. */
  readonly candidates: readonly Cand[];
  /** Candidates `step - historyStep` events earlier, to recover how the last events were matched. */
  readonly history: readonly Cand[];
  readonly historyStep: number;
  readonly maxGroups: number;
  /**
   * When `candidates` and `history` are samples of larger sets (the fast engine's sets can hold
   * millions): the exact number of candidate states at the failing event. The diagnosis then
   * examines the sample's closure and reports this total (truncated).
   */
  readonly closureTotal?: number;
}

const MAX_EXAMINED = 10_000;
const EXPLORE_BUDGET = 20_000;

/** What each action has been seen to emit (all kinds, before filtering), learned lazily. */
class EmitMap {
  readonly kinds = new Map<number, Set<string>>();
  exploredStates = 0;
  complete = false;
  constructor(private readonly model: ObservableModel) {}
  note(action: number, obs: readonly { kind: string }[]): void {
    if (obs.length === 0) return;
    let set = this.kinds.get(action);
    if (!set) this.kinds.set(action, (set = new Set()));
    for (const o of obs) set.add(o.kind);
  }
  emitters(kind: string): number[] {
    const out: number[] = [];
    for (const [a, ks] of this.kinds) if (ks.has(kind)) out.push(a);
    return out.sort((x, y) => x - y);
  }
  /** Bounded breadth-first exploration from the initial states, observing every transition. */
  explore(extra: readonly Uint8Array[]): void {
    const seen = new Set<string>();
    const queue: Uint8Array[] = [];
    const push = (s: Uint8Array) => {
      const k = stateKey(s);
      if (seen.has(k) || seen.size >= EXPLORE_BUDGET) return;
      seen.add(k);
      queue.push(s.slice());
    };
    this.model.initStates(push);
    for (const s of extra) push(s);
    let qi = 0;
    for (; qi < queue.length; qi++) {
      const s = queue[qi]!;
      this.model.successors(s, (a, nx) => {
        this.note(a, this.model.observe(s, a, nx));
        push(nx);
      });
    }
    this.exploredStates = seen.size;
    this.complete = seen.size < EXPLORE_BUDGET;
  }
}

function fmt(v: unknown): string {
  return JSON.stringify(v);
}

function mismatchText(m: FieldMismatch): string {
  return `field ${m.field}: expected ${m.expected}, trace has ${m.actual === undefined ? 'nothing' : fmt(m.actual)}`;
}

export function diagnose(engine: Engine, input: DiagnoseInput): Diagnosis {
  const model = engine.model as ExplainingModel;
  const trace = engine.trace;
  const names = model.actionNames;
  const emit = new EmitMap(model);

  // 1. Re-run the last few steps with provenance.
  let tracked: Cand[] = input.history.map((c) => ({ ...c, via: { parent: null, actions: [], event: -1 } }));
  for (let st = input.historyStep; st < input.step; st++) {
    const out = engine.step(tracked, st, true);
    if (out.kind !== 'ok') break; // cannot happen: the same steps succeeded before
    tracked = out.next;
  }
  if (input.step === 0 || tracked.length === 0) tracked = input.candidates.map((c) => ({ ...c, via: { parent: null, actions: [], event: -1 } }));
  const before: MatchedEvent[] = [];
  const prov = tracked[0] ? provenance(tracked[0]) : [];
  for (const p of prov) {
    if (p.event < 0) continue;
    const e = trace.events[p.event]!;
    const matched = p.actions.length > 0 ? p.actions.map((a) => names[a] ?? `#${a}`) : [];
    before.push({ ...eventRef(trace, p.event), node: e.node, kind: e.kind, fields: e.fields, explainedBy: matched.length > 0 ? matched : ['(pending)'] });
  }

  // 2. The candidate states at the failing event: the silent closure of the survivors.
  const closure: Cand[] = [];
  let total = 0;
  engine.step(tracked, input.step, true, (c) => {
    total++;
    if (closure.length < MAX_EXAMINED) closure.push(c);
  });
  if (input.closureTotal !== undefined && input.closureTotal > total) total = input.closureTotal;
  const ev = trace.events[input.index]!;
  const evNode = engine.nodeIndex.get(ev.node)!;

  // 3. Group by the describe() fields that differ, plus registers and pending obligations.
  const descs = closure.map((c) => model.describe(c.s));
  const keys = new Set<string>();
  for (const d of descs) for (const k of Object.keys(d)) keys.add(k);
  const differing: string[] = [];
  const common: Record<string, string | number | boolean> = {};
  for (const k of keys) {
    const first = descs[0]?.[k];
    if (descs.every((d) => d[k] === first) && first !== undefined) common[k] = first;
    else differing.push(k);
  }
  const groups = new Map<string, { rep: Cand; desc: Record<string, string | number | boolean>; count: number }>();
  closure.forEach((c, i) => {
    const state: Record<string, string | number | boolean> = {};
    for (const k of differing) {
      const v = descs[i]![k];
      if (v !== undefined) state[k] = v;
    }
    const gk = JSON.stringify(state) + '\u0003' + c.regs.key + '\u0003' + (c.pend ?? []).map((p) => p.key).join('\u0002');
    const g = groups.get(gk);
    if (g) g.count++;
    else groups.set(gk, { rep: c, desc: state, count: 1 });
  });

  // 4. Why, per shown group.
  const shown = [...groups.values()].slice(0, input.maxGroups);
  const whys: Why[] = [];
  const needExplore: boolean[] = [];
  for (const g of shown) {
    const c = g.rep;
    const enabled: { action: string; emits: string[] }[] = [];
    const sameKind: SameKindMismatch[] = [];
    const text: string[] = [];
    let emitsKind = false;
    let pending: Why['pending'];
    const head = pendHead(c.pend, evNode);
    if (head >= 0) {
      const item = c.pend![head]!;
      const mism: FieldMismatch[] = [];
      let t: string;
      if (item.obs.kind !== ev.kind) {
        t = `${ev.node} must first log ${obsText(item.obs)} (still owed by action ${names[item.action]}), but the trace has ${ev.kind}`;
      } else {
        applyObs(item.obs, ev.fields, c.regs, mism);
        t = `${ev.node} owes ${obsText(item.obs)} (from action ${names[item.action]}), but ${mism.map(mismatchText).join('; ')}`;
      }
      pending = { node: ev.node, action: names[item.action] ?? `#${item.action}`, expected: obsText(item.obs), mismatches: mism, text: t };
      text.push(t);
    }
    model.successors(c.s, (a, nx) => {
      const raw = model.observe(c.s, a, nx);
      emit.note(a, raw);
      const f = engine.filter(raw);
      const name = names[a] ?? `#${a}`;
      enabled.push({ action: name, emits: f.observed.map(obsText) });
      f.observed.forEach((o, i) => {
        if (o.kind !== ev.kind) return;
        emitsKind = true;
        if (i > 0) {
          const t = `${name} emits ${ev.kind} only after ${obsText(f.observed[0]!)}`;
          sameKind.push({ action: name, observation: obsText(o), problem: 'position', mismatches: [], text: t });
          text.push(t);
          return;
        }
        if (o.node !== ev.node) {
          const t = `${name} emits ${ev.kind} on ${o.node}, not on ${ev.node}`;
          sameKind.push({ action: name, observation: obsText(o), problem: 'node', mismatches: [], text: t });
          text.push(t);
          return;
        }
        if (head >= 0) {
          const t = `${name} would emit ${ev.kind} on ${ev.node}, but ${ev.node} still owes ${obsText(c.pend![head]!.obs)}`;
          sameKind.push({ action: name, observation: obsText(o), problem: 'pending', mismatches: [], text: t });
          text.push(t);
          return;
        }
        const mism: FieldMismatch[] = [];
        applyObs(o, ev.fields, f.preClear ? clearRegs(c.regs, f.preClear) : c.regs, mism);
        const t = mism.length > 0
          ? `${name} emits ${ev.kind} on ${ev.node}, but ${mism.map(mismatchText).join('; ')}`
          : `${name} emits ${ev.kind} on ${ev.node} and fits; it is not chosen because another event must come first`;
        sameKind.push({ action: name, observation: obsText(o), problem: 'fields', mismatches: mism, text: t });
        text.push(t);
      });
    });
    if (enabled.length === 0) text.unshift('no action is enabled (deadlock or end of the model\'s behaviour)');
    else {
      const loud = enabled.filter((e) => e.emits.length > 0).map((e) => `${e.action} (${e.emits.join(', ')})`);
      const silent = enabled.filter((e) => e.emits.length === 0).map((e) => e.action);
      text.unshift(`enabled: ${[...loud, ...(silent.length ? [`silent: ${silent.join(', ')}`] : [])].join('; ')}`);
    }
    // which registers of this candidate hold the event's values (e.g. which client a cid names)
    const regs = c.regs.toObject();
    for (const [field, v] of Object.entries(ev.fields)) {
      if (typeof v !== 'number') continue;
      const hits = Object.entries(regs).filter(([, rv]) => rv === v).map(([rn]) => rn);
      if (hits.length > 0) text.push(`the event's ${field}=${v} is register ${hits.join(', ')} in this candidate`);
    }
    whys.push({ ...(pending ? { pending } : {}), enabled, sameKind, text });
    needExplore.push(!emitsKind);
  }

  // 5. Which actions can emit the kind at all (learned by observing; explored lazily).
  if (emit.emitters(ev.kind).length === 0 || needExplore.some((x) => x)) emit.explore(closure.slice(0, 100).map((c) => c.s));
  const emitterIdx = emit.emitters(ev.kind);
  const emitterNames = emitterIdx.map((a) => names[a] ?? `#${a}`);
  const groupsOut: CandidateGroup[] = shown.map((g, gi) => {
    let why = whys[gi]!;
    if (needExplore[gi]) {
      const disabled = emitterIdx.slice(0, 8).map((a) => {
        const explanation = typeof model.explain === 'function' ? safeExplain(model, g.rep.s, a) : undefined;
        return { action: names[a] ?? `#${a}`, ...(explanation !== undefined ? { explanation } : {}) };
      });
      const t = emitterIdx.length === 0
        ? `no action of the model was seen to emit ${ev.kind} (explored ${emit.exploredStates} states${emit.complete ? ', all of them' : ''})`
        : `no enabled action emits ${ev.kind}; ${emitterNames.length > 8 ? `${emitterNames.length} actions emit it, e.g. ` : 'it is emitted by '}` +
          `${disabled.map((d) => d.action + (d.explanation ? (/ is enabled$/.test(d.explanation) ? ` (enabled, but in this state its effect does not produce ${ev.kind})` : ` (${d.explanation})`) : '')).join(', ')}` +
          `${disabled.every((d) => d.explanation && / is enabled$/.test(d.explanation)) ? '' : ', and the disabled ones have false guards here'}`;
      why = { ...why, disabled, text: [...why.text, t] };
    }
    const conns = typeof model.connections === 'function' ? model.connections(g.rep.s) : undefined;
    return { count: g.count, ...(conns ? { connections: conns } : {}), state: g.desc, registers: g.rep.regs.toObject(), pending: (g.rep.pend ?? []).map((p) => obsText(p.obs)), why };
  });

  // 6. Interleaving: the other events that could have come next.
  let alternatives: ReturnType<typeof eventRef>[] | undefined;
  if (engine.interleaving && tracked.length > 0) {
    const alts = new Set<number>();
    for (const c of tracked) for (const j of engine.eligible(c, input.step)) if (j !== input.index) alts.add(j);
    if (alts.size > 0) alternatives = [...alts].sort((a, b) => a - b).map((j) => eventRef(trace, j));
  }

  const ref = eventRef(trace, input.index);
  const where = [ref.line !== undefined ? `line ${ref.line}` : null, ref.src ? `from ${ref.src}` : null].filter(Boolean).join(', ');
  const firstWhy = groupsOut[0]?.why.text.slice(1).join('; ') || groupsOut[0]?.why.text.join('; ') || '';
  const message =
    `event seq ${ev.seq} (index ${input.index}${where ? `, ${where}` : ''}) ${ev.kind} on ${ev.node} ${fmt(ev.fields)} ` +
    `cannot be explained: ${total} candidate state${total === 1 ? '' : 's'} after ${input.step} matched event${input.step === 1 ? '' : 's'}` +
    (firstWhy ? `; ${groups.size > 1 ? 'e.g. ' : ''}${firstWhy}` : '');
  const connection = typeof model.connectionOf === 'function' ? model.connectionOf(ev.kind, ev.fields) : undefined;
  return {
    event: ref,
    node: ev.node,
    ...(connection ? { connection } : {}),
    kind: ev.kind,
    fields: ev.fields,
    message,
    before,
    candidates: { total, ...(total > closure.length ? { truncated: true } : {}), shown: groupsOut.length, common, groups: groupsOut },
    emitters: { actions: emitterNames, exploredStates: emit.exploredStates, complete: emit.complete },
    ...(alternatives ? { alternatives } : {}),
  };
}

function safeExplain(model: ExplainingModel, s: Uint8Array, a: number): string | undefined {
  try {
    return model.explain!(s, a);
  } catch (e) {
    return `explain() threw: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Human-readable rendering of a diagnosis (the CLI's non-JSON output). */
export function formatDiagnosis(d: Diagnosis): string {
  const out: string[] = [];
  const loc = (r: EventRef) => `seq ${r.seq}${r.line !== undefined ? ` (line ${r.line})` : ''}${r.src ? ` [${r.src}]` : ''}`;
  out.push(`VIOLATION at event ${loc(d.event)}: ${d.kind} on ${d.node} ${fmt(d.fields)}${d.connection ? ` (connection: ${d.connection})` : ''}`);
  if (d.before.length > 0) {
    out.push('last matched events:');
    for (const b of d.before) out.push(`  ${loc(b)} ${b.kind} on ${b.node} ${fmt(b.fields)}  <- ${b.explainedBy.join(' ; ')}`);
  }
  out.push(`candidate states: ${d.candidates.total}${d.candidates.truncated ? ' (a sample of at most 10000 examined)' : ''}, ${d.candidates.shown} group(s) shown`);
  const common = Object.entries(d.candidates.common).map(([k, v]) => `${k}=${v}`).join(' ');
  if (common) out.push(`  common: ${common}`);
  d.candidates.groups.forEach((g, i) => {
    const st = Object.entries(g.state).map(([k, v]) => `${k}=${v}`).join(' ');
    const regs = Object.entries(g.registers).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    out.push(`  [${i + 1}] ${g.count} candidate(s)${st ? ` ${st}` : ''}${regs ? ` | registers ${regs}` : ''}${g.pending.length ? ` | pending ${g.pending.join(', ')}` : ''}`);
    if (g.connections) out.push(`      connections: ${Object.entries(g.connections).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    for (const t of g.why.text) out.push(`      - ${t}`);
  });
  if (d.emitters.actions.length > 0) out.push(`actions that emit ${d.kind}: ${d.emitters.actions.slice(0, 12).join(', ')}${d.emitters.actions.length > 12 ? ', …' : ''}`);
  if (d.alternatives) out.push(`other events that could have come next: ${d.alternatives.map(loc).join(', ')}`);
  return out.join('\n');
}
