// Judging one replication group with the existing pipeline: its slices of the server logs →
// readValkeyLogTexts → traceFromLogs → judgeTrace (conformance/judge.ts). The group's report says
// where each of its events lies (test window) and how far it was judged.
import { formatDiagnosis } from '../diagnose.js';
import { traceFromLogs, type LogConversion } from '../fromlogs.js';
import type { ProfileName } from '../../model/profiles.js';
import { TraceInputError, type Trace } from '../trace/types.js';
import type { ValidationResult } from '../validate.js';
import { judgeTrace } from '../judge.js';
import { readValkeyLogTexts, ValkeyLogError, type LogEvent, type ValkeyLogs } from '../valkeylog/index.js';
import { KIND_NAMES } from '../../model/vocabulary.js';
import { ConfigError } from '../../model/config.js';
import { groupOverflows, type WindowRef } from './overflows.js';
import type { GroupFile, GroupReport, WindowStatus } from './report.js';
import type { SuiteServer } from './servers.js';
import { sliceText, type Topology } from './topology.js';
import type { TestWindows } from './windows.js';

export interface JudgeOptions {
  /** Events of different servers within this many ms may be reordered (default: the log conversion's). */
  readonly toleranceMs?: number;
  /** validate()'s candidate cap (default: validate's). */
  readonly maxCandidates?: number;
  /** Judge with this version profile instead of the one the logs' start-up lines name. */
  readonly profile?: ProfileName;
}

/** Where each of the group's events lies and how it was judged, for the per-test report. */
export interface EventMark {
  readonly window: number;
  readonly status: 'explained' | 'failed' | 'gave-up' | 'not judged';
  /** An event of the trace (else a replication line after the cut, left out of the trace). */
  readonly inTrace: boolean;
}

export interface JudgedGroup {
  readonly report: GroupReport;
  readonly marks: EventMark[];
  /** The group's trace and its judgement, when the logs could be read and judged (for diagrams). */
  readonly judged?: { readonly trace: Trace; readonly result: ValidationResult };
}

const range = (a: number, b: number): string => (a === b ? `${a}` : `${a}–${b}`);

export function judgeGroup(servers: readonly SuiteServer[], windows: TestWindows, g: Topology, opts: JudgeOptions = {}): JudgedGroup {
  const t0 = performance.now();
  const byPath = new Map(g.members.map((m) => [servers[m.server]!.path, servers[m.server]!]));
  const rel = (file: string): string => byPath.get(file)?.rel ?? file;
  const where = (e: { file: string; line: number }): string => `${rel(e.file)}:${e.line}`;
  const win = (file: string, line: number): WindowRef | undefined => {
    const s = byPath.get(file);
    const w = s ? windows.windowOf(s.id, line) : -1;
    return w >= 0 ? { index: w, name: windows.windows[w]!.name } : undefined;
  };
  const shorten = (text: string): string => {
    let out = text;
    for (const [p, s] of byPath) out = out.split(p).join(s.rel);
    return out;
  };
  const port = (id: number): string => (servers[id]!.port !== undefined ? `:${servers[id]!.port}` : servers[id]!.rel);
  const prim = g.members.find((m) => m.server === g.primary);
  const reps = g.members.filter((m) => m !== prim);
  const topology = `${prim ? `primary ${port(prim.server)} (${servers[prim.server]!.rel})` : `primary :${g.primaryPort} (no log)`} ← ${reps.length === 1 ? 'replica' : 'replicas'} ${reps.map((m) => `${port(m.server)} (${servers[m.server]!.rel})`).join(', ')}`;
  const testsOf = new Set<number>();
  for (const m of g.members) {
    const s = servers[m.server]!;
    for (const l of s.log.logLines) if (l.line >= m.slice.from && l.line <= m.slice.to) { const w = windows.windowOf(s.id, l.line); if (w >= 0) testsOf.add(w); }
  }
  const tests = [...testsOf].sort((a, b) => a - b).map((i) => ({ index: i, name: windows.windows[i]!.name }));
  const filesOf = (logs?: ValkeyLogs): GroupFile[] => g.members.map((m) => {
    const s = servers[m.server]!;
    const node = logs?.nodes.find((n) => n.file === s.path);
    return {
      file: s.rel, ...(node ? { node: node.name } : {}), role: m.role, ...(s.port !== undefined ? { port: s.port } : {}),
      lines: `${m.startup ? `${range(m.startup.from, m.startup.to)} (start-up), ` : ''}${range(m.slice.from, m.slice.to)}`,
    };
  });
  const base = { name: g.id, topology, tests, notes: [...g.notes] };
  const fail = (message: string, logs?: ValkeyLogs, conv?: LogConversion): JudgedGroup => ({
    report: {
      ...base, files: filesOf(logs), verdict: 'error', events: conv?.trace.events.length ?? 0, explained: 0, error: shorten(message),
      warnings: (conv?.warnings ?? []).map((w) => ({ at: where(w), message: shorten(w.message) })),
      timing: { readMs: performance.now() - t0, validateMs: 0, eventsPerSecond: 0, maxCandidates: 0 },
    },
    marks: [],
  });

  let logs: ValkeyLogs;
  let conv: LogConversion;
  try {
    logs = readValkeyLogTexts(g.members.map((m) => ({ file: servers[m.server]!.path, content: sliceText(servers[m.server]!, m) })));
    conv = traceFromLogs(logs, opts.profile ? { profile: opts.profile } : {});
  } catch (e) {
    if (e instanceof ValkeyLogError) return fail(e.message);
    return fail(`internal error while reading the logs: ${(e as Error).stack ?? String(e)}`);
  }
  let result: ValidationResult;
  const t1 = performance.now();
  try {
    result = judgeTrace(conv.trace, {
      toleranceMs: opts.toleranceMs ?? conv.toleranceMs,
      ...(opts.maxCandidates !== undefined ? { maxCandidates: opts.maxCandidates } : {}),
    }, `group ${g.id}`);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof TraceInputError) return fail(e.message, logs, conv);
    // one group's crash must not take the others' report with it: said as this group's error
    return fail(`internal error while validating: ${(e as Error).stack ?? String(e)}`, logs, conv);
  }
  const t2 = performance.now();

  // How far each event was judged: before the first unexplained (or give-up) event, explained.
  const stop = result.failure?.event.index ?? result.gaveUp?.index ?? Infinity;
  const inTrace = new Set<string>();
  const marks: EventMark[] = conv.trace.events.map((e, i) => {
    const src = e.src!;
    inTrace.add(`${src.file}:${src.line}`);
    return { window: win(src.file, src.line)?.index ?? -1, status: i < stop ? 'explained' : i === stop ? (result.failure ? 'failed' : 'gave-up') : 'not judged', inTrace: true };
  });
  // Replication lines the conversion left out because they lie after the cut: not judged.
  const known = new Set<string>(KIND_NAMES);
  for (const e of logs.events) {
    if (!known.has(e.kind) || e.derived || inTrace.has(`${e.file}:${e.line}`)) continue;
    if (e.kind === 'primary.cob_overflow' && e.fields.class !== 'replica') continue;
    if (e.kind === 'primary.fullresync') continue;
    marks.push({ window: win(e.file, e.line)?.index ?? -1, status: 'not judged', inTrace: false });
  }
  const judgedKeys = new Set(conv.trace.events.filter((_, i) => i < stop).map((e) => `${e.src!.file}:${e.src!.line}`));
  const attributions = new Map<string, string>();
  for (const a of conv.attributions) {
    const m = /^(.*?:\d+): /.exec(a);
    if (m) attributions.set(m[1]!, shorten(a));
  }
  const overflows = groupOverflows(logs.events as LogEvent[], {
    where, windowOf: (e) => win(e.file, e.line), attributions,
    judged: (e) => judgedKeys.has(`${e.file}:${e.line}`),
  });
  const f = result.failure;
  const report: GroupReport = {
    ...base,
    files: filesOf(logs),
    verdict: result.verdict,
    events: result.events,
    explained: result.matched,
    profile: `${conv.profile.name} (${conv.profile.reason})`,
    ...(conv.summary.cutAt ? { cutAt: shorten(conv.summary.cutAt) } : {}),
    ...(f ? {
      failure: {
        at: f.event.src ? shorten(f.event.src) : `seq ${f.event.seq}`, seq: f.event.seq, node: f.node, kind: f.kind,
        ...(f.connection ? { connection: f.connection } : {}), fields: f.fields, message: shorten(f.message),
        ...(() => { const e = conv.trace.events[f.event.index]; const w = e?.src ? win(e.src.file, e.src.line) : undefined; return w ? { test: w } : {}; })(),
        text: shorten(formatDiagnosis(f)), diagnosis: JSON.parse(shorten(JSON.stringify(f))) as unknown,
      },
    } : {}),
    ...(result.gaveUp ? {
      gaveUp: {
        ...(result.gaveUp.src ? { at: shorten(result.gaveUp.src) } : {}), reason: result.gaveUp.reason,
        ...(() => { const e = conv.trace.events[result.gaveUp!.index]; const w = e?.src ? win(e.src.file, e.src.line) : undefined; return w ? { test: w } : {}; })(),
      },
    } : {}),
    ...(result.errors ? { error: result.errors.map((e) => shorten(`${e.file}:${e.line}: ${e.message}`)).join('; ') } : {}),
    ...(overflows.length ? { overflows } : {}),
    warnings: conv.warnings.map((w) => ({ at: where(w), message: shorten(w.message) })),
    timing: { readMs: t1 - t0, validateMs: t2 - t1, eventsPerSecond: result.stats.eventsPerSecond, maxCandidates: result.stats.maxCandidates },
  };
  return { report, marks, judged: { trace: conv.trace, result } };
}

/** A group's status in one window, from its events' marks there. */
export function windowStatus(verdict: GroupReport['verdict'], marks: readonly EventMark[]): WindowStatus {
  if (marks.length === 0) return 'no events';
  if (marks.some((m) => m.status === 'failed')) return 'violates';
  if (marks.some((m) => m.status === 'gave-up')) return 'gave-up';
  if (verdict === 'error') return 'error';
  if (marks.some((m) => m.status === 'not judged')) return 'not judged';
  return 'conforms';
}
