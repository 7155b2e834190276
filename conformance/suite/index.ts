// `replcheck validate DIR`: every server log of a test-suite folder (Valkey's tests/tmp, or any
// folder of Valkey logs), grouped into replication topologies, each group judged against the
// model, and the result told per group and per test window (spec/conformance.md, "Test-suite
// folders").
import { ValkeyLogError } from '../valkeylog/index.js';
import { readSuiteFolder, SuiteInputError, type SuiteFolder } from './folder.js';
import { judgeGroup, windowStatus, type JudgedGroup, type JudgeOptions } from './judge.js';
export { judgeGroup, type JudgedGroup } from './judge.js';
import { suiteVerdict, type GroupReport, type SuiteReport, type WindowGroup, type WindowReport, type WindowStatus } from './report.js';
import { readServers, type SuiteServer } from './servers.js';
import { groupServers, type Grouping } from './topology.js';
import { testWindows, type TestWindows } from './windows.js';

export { SuiteInputError } from './folder.js';
export type { SuiteReport, GroupReport, WindowReport } from './report.js';
export { formatSuiteReport } from './text.js';

export interface SuiteOptions extends JudgeOptions {
  /** Judge only these groups ("G3"); the others are listed, not judged. */
  readonly only?: readonly string[];
  /** Called after each group is judged (progress). */
  readonly onGroup?: (r: GroupReport, done: number, total: number) => void;
  /** Called with each judged group, trace and judgement included (the HTML report draws them). */
  readonly onJudged?: (j: JudgedGroup) => void;
}

export interface SuiteLayout {
  readonly folder: SuiteFolder;
  readonly servers: SuiteServer[];
  readonly grouping: Grouping;
  readonly windows: TestWindows;
}

/** Read a folder and find its servers, groups and test windows (no validation). Throws SuiteInputError. */
export function suiteLayout(dir: string): SuiteLayout {
  const folder = readSuiteFolder(dir);
  const servers: SuiteServer[] = [];
  const skipped = folder.skipped;
  for (const f of folder.logs) {
    try {
      servers.push(...readServers(servers.length, f));
    } catch (e) {
      if (e instanceof ValkeyLogError) { skipped.push({ rel: f.rel, reason: `not a Valkey log: ${e.message.replace(`${f.path}:`, 'line ')}` }); continue; }
      throw e;
    }
  }
  if (servers.length === 0) throw new SuiteInputError(dir, `no Valkey server logs here: ${skipped.map((s) => `${s.rel} (${s.reason})`).join('; ')}`);
  return { folder, servers, grouping: groupServers(servers), windows: testWindows(servers, folder.results) };
}

const STATUS_RANK: readonly WindowStatus[] = ['violates', 'gave-up', 'error', 'not judged', 'conforms', 'no events'];

export function validateSuite(dir: string, opts: SuiteOptions = {}): SuiteReport {
  const t0 = performance.now();
  const layout = suiteLayout(dir);
  const { servers, grouping, windows } = layout;
  const only = opts.only?.length ? new Set(opts.only.map((x) => x.toUpperCase())) : undefined;
  if (only) {
    const unknown = [...only].filter((x) => !grouping.groups.some((g) => g.id === x));
    if (unknown.length) throw new SuiteInputError(dir, `no group ${unknown.join(', ')} here (groups: ${grouping.groups.map((g) => g.id).join(', ') || 'none'})`);
  }
  const todo = grouping.groups.filter((g) => !only || only.has(g.id));
  const judged: JudgedGroup[] = [];
  for (const g of todo) {
    const j = judgeGroup(servers, windows, g, opts);
    judged.push(j);
    opts.onGroup?.(j.report, judged.length, todo.length);
    opts.onJudged?.(j);
  }
  return assembleSuiteReport(layout, judged, performance.now() - t0);
}

/** The suite report from its layout and its judged groups (all of them, or some). */
export function assembleSuiteReport(layout: SuiteLayout, judged: readonly JudgedGroup[], totalMs = 0): SuiteReport {
  const { folder, servers, grouping, windows } = layout;
  const groups = judged.map((j) => j.report);
  const tests: WindowReport[] = windows.windows.map((w) => {
    const gs: WindowGroup[] = [];
    for (const { report: r, marks } of judged) {
      const ms = marks.filter((m) => m.window === w.index);
      const inSpan = r.tests.some((t) => t.index === w.index);
      if (ms.length === 0 && !inSpan) continue;
      gs.push({
        group: r.name,
        events: ms.filter((m) => m.inTrace).length,
        explained: ms.filter((m) => m.status === 'explained').length,
        notJudged: ms.filter((m) => m.status === 'not judged').length,
        status: r.verdict === 'error' ? 'error' : windowStatus(r.verdict, ms),
      });
    }
    const statuses = gs.map((x) => x.status);
    const verdict = STATUS_RANK.find((s) => statuses.includes(s)) ?? 'no events';
    return { index: w.index, name: w.name, ...(w.file ? { file: w.file } : {}), ...(w.harness ? { harness: w.harness } : {}), groups: gs, verdict };
  });
  const harness = folder.results ? folder.results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {}) : undefined;
  const notes = [...grouping.notes];
  if (grouping.groups.length === 0) notes.push('no server replicated from another: nothing to judge');
  return {
    dir: folder.dir,
    verdict: grouping.groups.length === 0 ? 'error' : suiteVerdict(groups),
    servers: servers.length,
    groups,
    tests,
    standalone: grouping.standalone.map((i) => servers[i]!.rel),
    skipped: folder.skipped.map((s) => ({ file: s.rel, reason: s.reason })),
    ...(harness ? { harness } : {}),
    notes,
    timing: { totalMs },
  };
}
