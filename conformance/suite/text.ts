// The suite report as text for a Valkey maintainer: one block per replication group, then one
// line per test window.
import type { GroupReport, SuiteReport, WindowReport } from './report.js';
import type { WindowRef } from './overflows.js';

export interface TextOptions {
  /** Print each failing group's whole diagnosis (candidate states, why each cannot go on). */
  readonly diagnoses?: boolean;
  /** Reader warnings shown per group (default 3). */
  readonly warnings?: number;
}

const test = (w: WindowRef | undefined): string => (w ? `test [${w.index + 1}] "${w.name}"` : 'outside any test');
const secs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const indent = (text: string, pad: string): string => text.split('\n').map((l) => pad + l).join('\n');

function testsSpan(ws: readonly WindowRef[]): string {
  if (ws.length === 0) return '(none: outside any test)';
  const idx = ws.map((w) => w.index + 1);
  const runs: string[] = [];
  for (let i = 0; i < idx.length; i++) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    runs.push(i === j ? `${idx[i]}` : `${idx[i]}–${idx[j]}`);
    i = j;
  }
  return `[${runs.join(', ')}] ${ws.length === 1 ? `"${ws[0]!.name}"` : `"${ws[0]!.name}" … "${ws[ws.length - 1]!.name}"`}`;
}

export function formatGroup(g: GroupReport, opts: TextOptions = {}): string {
  const out: string[] = [];
  out.push(`${g.name}  ${g.topology}`);
  out.push(`    files: ${g.files.map((f) => `${f.file}${f.node ? ` = ${f.node}` : ''} (lines ${f.lines})`).join('; ')}`);
  out.push(`    tests: ${testsSpan(g.tests)}`);
  const time = `${secs(g.timing.readMs + g.timing.validateMs)}${g.timing.eventsPerSecond ? `, ${g.timing.eventsPerSecond} events/s` : ''}${g.timing.maxCandidates ? `, max ${g.timing.maxCandidates} candidates` : ''}`;
  if (g.verdict === 'conforms') out.push(`    verdict: conforms — ${g.events} events, all explained (${time})`);
  else if (g.verdict === 'violates' && g.failure) {
    const f = g.failure;
    out.push(`    verdict: VIOLATES — ${g.explained} of ${g.events} events explained (${time})`);
    out.push(`    first unexplained line: ${f.at} (event seq ${f.seq}, ${test(f.test)}): ${f.kind} on ${f.node}${f.connection ? ` (connection: ${f.connection})` : ''}`);
    out.push(indent(f.message, '      '));
  } else if (g.verdict === 'gave-up' && g.gaveUp) {
    out.push(`    verdict: GAVE UP — ${g.explained} of ${g.events} events explained (${time})`);
    out.push(`    at ${g.gaveUp.at ?? '?'} (${test(g.gaveUp.test)}): ${g.gaveUp.reason}`);
  } else out.push(`    verdict: ${g.verdict.toUpperCase()}${g.error ? `: ${g.error}` : ''}`);
  if (g.profile) out.push(`    profile: ${g.profile}`);
  if (g.cutAt) out.push(`    judged up to: ${g.cutAt}`);
  if (g.overflows?.length) {
    out.push('    output-buffer overflows:');
    for (const o of g.overflows) out.push(`      ${o.text}${o.judged ? '' : ' [not judged]'}`);
  }
  for (const n of g.notes) out.push(`    note: ${n}`);
  const nw = opts.warnings ?? 3;
  if (g.warnings.length) {
    out.push(`    reader warnings: ${g.warnings.length}${g.warnings.length > nw ? ` (first ${nw})` : ''}`);
    for (const w of g.warnings.slice(0, nw)) out.push(`      ${w.at}: ${w.message}`);
  }
  if (opts.diagnoses && g.failure) out.push(indent(g.failure.text, '    | '));
  return out.join('\n');
}

export function formatWindow(w: WindowReport): string {
  const groups = w.groups.map((x) => {
    if (x.status === 'no events') return `${x.group} no events`;
    if (x.status === 'error') return `${x.group} error`;
    const counts = x.events > 0 ? `${x.explained}/${x.events} events explained${x.notJudged ? `, ${x.notJudged} not judged` : ''}` : `${x.notJudged} replication line(s) after its cut, not judged`;
    return `${x.group} ${counts}${x.status === 'violates' ? ', VIOLATES here' : x.status === 'gave-up' ? ', gave up here' : ''}`;
  });
  const verdict = w.verdict === 'violates' ? 'VIOLATES' : w.verdict;
  return `  [${w.index + 1}] ${w.name}${w.harness ? ` (harness: ${w.harness})` : ''} — ${verdict}${groups.length ? `: ${groups.join('; ')}` : ''}`;
}

export function formatSuiteReport(r: SuiteReport, opts: TextOptions = {}): string {
  const out: string[] = [];
  const conforming = r.groups.filter((g) => g.verdict === 'conforms').length;
  out.push(`suite: ${r.dir}`);
  out.push(`servers: ${r.servers} logs, ${r.groups.length} replication group(s) judged, ${r.tests.length} test window(s)${r.harness ? `; harness: ${Object.entries(r.harness).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`);
  out.push(`verdict: ${r.verdict} — ${conforming} of ${r.groups.length} group(s) conform${r.timing.totalMs > 0 ? ` (${secs(r.timing.totalMs)})` : ''}`);
  if (r.standalone.length) out.push(`not in any replication (not judged): ${r.standalone.join(', ')}`);
  for (const s of r.skipped) out.push(`skipped: ${s.file}: ${s.reason}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const g of r.groups) { out.push(''); out.push(formatGroup(g, opts)); }
  if (r.tests.length) {
    out.push('');
    out.push('tests (each window runs from its "### Starting test" marker to the next one):');
    for (const w of r.tests) out.push(formatWindow(w));
  }
  return out.join('\n');
}
