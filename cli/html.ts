// `--html FILE`: one self-contained HTML report (no network: inline CSS, inline SVG, a few lines of
// script) for `check`, `validate FILE…` and `validate DIR`. It holds what the text report says —
// verdict, figures, diagnosis — plus the sequence diagrams (cli/diagram.ts's SVG, each row linked to
// the event it draws), every judged event with the log line it was read from, and the logs
// themselves when they are small. The page needs no script to be read; the script only marks the
// page ready and highlights the linked row (test/cli/html-report.test.ts loads the reports in
// headless Chromium and checks both).
import { readFileSync, writeFileSync } from 'node:fs';
import type { CheckResult } from '../engine/bfs.js';
import type { TraceStep } from '../engine/trace.js';
import type { SequenceDiagram, SourceRef } from '../model/sequence.js';
import type { LogConversion } from '../conformance/fromlogs.js';
import type { SuiteReport } from '../conformance/suite/index.js';
import type { Trace } from '../conformance/trace/types.js';
import type { ValidationResult } from '../conformance/validate.js';
import { formatDiagnosis } from '../conformance/diagnose.js';
import { formatWidened } from '../conformance/judge.js';
import { esc, toSvg, type Groups } from './diagram.js';
import { UsageError } from './args.js';

/** Verdict words of the three commands, by how a reader should take them. */
function tone(verdict: string): 'ok' | 'bad' | 'warn' {
  if (verdict === 'conforms' || verdict === 'complete' || verdict === 'holds' || verdict === 'reached') return 'ok';
  if (verdict === 'violates' || verdict === 'violated' || verdict === 'not reached') return 'bad';
  return 'warn';
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1500px;margin:0 auto;padding:16px 24px 60px}
h1{font-size:20px;margin:8px 0 12px}h2{font-size:16px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
h3{font-size:14px;margin:16px 0 6px}
.verdict{font-size:22px;font-weight:bold;padding:14px 18px;border-radius:6px;color:#fff;margin:8px 0 14px}
.verdict.ok{background:#2e7d32}.verdict.bad{background:#c62828}.verdict.warn{background:#b26a00}
.verdict small{display:block;font-size:13px;font-weight:normal;opacity:.95}
table{border-collapse:collapse;background:#fff;margin:4px 0 10px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f0f0f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;white-space:pre-wrap;margin:4px 0 10px}
.diagnosis{border-color:#c62828;background:#fff5f5}
.diagram{overflow:auto;background:#fff;border:1px solid #ddd;padding:4px;max-height:1400px}
tr.fail td{background:#fdd;font-weight:bold}tr.unjudged td{color:#999}
.st-conforms,.st-ok{color:#2e7d32;font-weight:bold}.st-violates,.st-bad{color:#c62828;font-weight:bold}.st-warn{color:#b26a00;font-weight:bold}
.log{font:12px/1.35 ui-monospace,monospace;white-space:pre;overflow:auto;max-height:600px}
.log span{display:block}.log span.ev{background:#eef3ff}.log span.failline{background:#fbb}
:target{outline:2px solid #1565c0;background:#e3f0ff !important}
.gap{color:#999}
code{font:12px ui-monospace,monospace}
`;

/** Marks the page as read (the browser test looks for data-ready) and scrolls a #target into view. */
const SCRIPT = `document.body.dataset.ready = '1';
if (location.hash) { const t = document.getElementById(location.hash.slice(1)); if (t) t.scrollIntoView({ block: 'center' }); }`;

function page(title: string, verdict: string, subtitle: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}: ${esc(verdict)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<div class="verdict ${tone(verdict)}" id="verdict" data-verdict="${esc(verdict)}">${esc(verdict)}<small>${esc(subtitle)}</small></div>
${body}
</main><script>${SCRIPT}</script></body></html>
`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], rowClass?: (i: number) => string, rowId?: (i: number) => string | undefined): string {
  const tr = rows.map((r, i) => {
    const cls = rowClass?.(i), id = rowId?.(i);
    return `<tr${id ? ` id="${id}"` : ''}${cls ? ` class="${cls}"` : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${tr.join('\n')}</tbody></table>`;
}

const figures = (pairs: readonly [string, string][]): string =>
  `<table class="figures"><tbody>${pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('\n')}</tbody></table>`;
const n = (x: number): string => x.toLocaleString('en-US');

/** Reads log lines by file and number, each file once; a file that cannot be read gives no text. */
class LineSource {
  private readonly files = new Map<string, string[] | null>();
  lines(file: string): string[] | null {
    if (!this.files.has(file)) {
      let lines: string[] | null = null;
      try { lines = readFileSync(file, 'utf8').split('\n'); } catch { lines = null; }
      this.files.set(file, lines);
    }
    return this.files.get(file)!;
  }
  line(file: string, line: number): string | undefined { return this.lines(file)?.[line - 1]; }
}

/** A judged trace's events, each with its log line; the failing one marked, later ones greyed. */
function eventsTable(prefix: string, trace: Trace, result: ValidationResult, src: LineSource, fileLabel: (f: string) => string, logAnchor?: (r: SourceRef) => string | undefined): string {
  const stop = result.failure?.event.index ?? result.gaveUp?.index ?? (result.verdict === 'conforms' ? Infinity : result.matched);
  const rows = trace.events.map((e, i) => {
    const fields = Object.entries(e.fields).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const at = e.src ? `${fileLabel(e.src.file)}:${e.src.line}` : '';
    const target = e.src && logAnchor ? logAnchor(e.src) : undefined;
    const text = e.src ? src.line(e.src.file, e.src.line) ?? '' : '';
    return [`${e.seq}`, esc(e.node), `<code>${esc(e.kind)}</code>`, esc(fields), esc(e.conn ? `${e.conn.channel ?? ''}${e.conn.cid !== undefined ? ` #${e.conn.cid}` : ''}` : ''),
      target ? `<a href="#${target}">${esc(at)}</a>` : esc(at), `<code>${esc(text)}</code>`];
  });
  return table(['seq', 'node', 'kind', 'fields', 'connection', 'line', 'log line'], rows,
    (i) => (i === stop && result.verdict !== 'conforms' ? 'fail' : i > stop ? 'unjudged' : ''),
    (i) => { const e = trace.events[i]!; return e.src ? `${prefix}ev-${anchorOf(e.src)}` : `${prefix}seq-${e.seq}`; });
}

/** Anchor text for a source line: the file's base name and line (unique enough within one report). */
function anchorOf(r: SourceRef): string {
  return `${(r.file.split('/').slice(-2).join('-')).replace(/[^A-Za-z0-9_-]/g, '_')}-L${r.line}`;
}

/** Logs of the report: whole when short, else the lines around each event (with a note of the gaps). */
function logsSection(files: readonly string[], trace: Trace, failRef: SourceRef | undefined, src: LineSource, fileLabel: (f: string) => string): string {
  const WHOLE = 3000, CONTEXT = 4;
  const parts: string[] = [];
  for (const f of files) {
    const lines = src.lines(f);
    if (!lines) { parts.push(`<p>${esc(fileLabel(f))}: not readable now</p>`); continue; }
    const evLines = new Set(trace.events.filter((e) => e.src?.file === f).map((e) => e.src!.line));
    const keep = (i: number): boolean => {
      if (lines.length <= WHOLE) return true;
      for (let d = -CONTEXT; d <= CONTEXT; d++) if (evLines.has(i + d)) return true;
      return false;
    };
    const out: string[] = [];
    let skipped = 0;
    for (let i = 1; i <= lines.length; i++) {
      if (i === lines.length && lines[i - 1] === '') break;
      if (!keep(i)) { skipped++; continue; }
      if (skipped) { out.push(`<span class="gap">… ${skipped} lines without replication events …</span>`); skipped = 0; }
      const cls = failRef && failRef.file === f && failRef.line === i ? 'failline' : evLines.has(i) ? 'ev' : '';
      const ref = { file: f, line: i };
      const body = `${String(i).padStart(5)}  ${esc(lines[i - 1]!)}`;
      out.push(`<span id="log-${anchorOf(ref)}"${cls ? ` class="${cls}"` : ''}>${evLines.has(i) ? `<a href="#ev-${anchorOf(ref)}">${body}</a>` : body}</span>`);
    }
    if (skipped) out.push(`<span class="gap">… ${skipped} lines without replication events …</span>`);
    parts.push(`<details${lines.length <= WHOLE ? ' open' : ''}><summary>${esc(fileLabel(f))} (${n(lines.length)} lines${lines.length > WHOLE ? `, shown around its ${evLines.size} event lines` : ''})</summary><div class="log">${out.join('')}</div></details>`);
  }
  return parts.join('\n');
}

/** The diagnosis: its headline and the last matched events shown; the candidate states (long) folded. */
function diagnosisBlock(text: string, message: string, id: string): string {
  const cut = text.indexOf('\ncandidate states');
  const head = cut >= 0 ? text.slice(0, cut) : text;
  const rest = cut >= 0 ? text.slice(cut + 1) : '';
  return `<pre class="diagnosis" id="${id}">${esc(head)}</pre><p><b>Why:</b> ${esc(message)}</p>`
    + (rest ? `<details><summary>the candidate states and why none of them explains the line</summary><pre>${esc(rest)}</pre></details>` : '');
}

function diagramBlock(d: SequenceDiagram & { groups?: Groups }, link?: (r: SourceRef) => string | undefined): string {
  const svg = toSvg(d, link).replace(/^<svg /, '<svg role="img" class="seq" ');
  return `<div class="diagram" id="diagram">${svg}</div>`;
}

export interface ValidationReportInput {
  readonly trace: Trace;
  readonly result: ValidationResult;
  readonly conversion?: LogConversion;
  readonly diagram: SequenceDiagram & { groups?: Groups };
  readonly command: string;
}

/** The report of `replcheck validate FILE…`. */
export function validationHtml(o: ValidationReportInput): string {
  const { trace, result: r, conversion: conv } = o;
  const src = new LineSource();
  const files = conv ? conv.summary.nodes.map((x) => x.file) : [...new Set(trace.events.flatMap((e) => (e.src ? [e.src.file] : [])))];
  // lines are named by the file's base name when that is unambiguous (the figures give whole paths)
  const base = (f: string): string => f.split('/').pop() ?? f;
  const unique = new Set(files.map(base)).size === files.length;
  const label = (f: string): string => (unique ? base(f) : f);
  const failEvent = r.failure ? trace.events[r.failure.event.index] : r.gaveUp ? trace.events[r.gaveUp.index] : undefined;
  const body: string[] = [];
  const fig: [string, string][] = [
    ['command', `<code>${esc(o.command)}</code>`],
    ['events', `${n(r.events)}, explained ${n(r.matched)}`],
    ['candidates', `max ${n(r.stats.maxCandidates)}, mean ${r.stats.candidates.mean.toFixed(1)}`],
    ['speed', `${n(Math.round(r.stats.eventsPerSecond))} events/s (${(r.stats.elapsedMs / 1000).toFixed(2)} s)`],
    ['tolerance', `${r.settings.toleranceMs} ms between servers`],
  ];
  if (conv) {
    fig.unshift(['logs', conv.summary.nodes.map((x) => `${esc(x.name)} = <code>${esc(x.file)}</code>${x.port ? ` (port ${x.port})` : ''}`).join('<br>')],
      ['profile', esc(`${conv.profile.name} (${conv.profile.reason})`)], ['log level', esc(conv.summary.level)]);
    if (conv.summary.cutAt) fig.push(['judged up to', esc(conv.summary.cutAt)]);
    if (conv.summary.midRun) fig.push(['started mid-run', esc(conv.summary.midRun)]);
  } else if (trace.file) fig.unshift(['trace', `<code>${esc(trace.file)}</code>`]);
  const widened = formatWidened(r);
  if (widened) fig.push(['sizes', esc(widened.replace(/^sizes: /, ''))]);
  body.push('<h2>Figures</h2>', figures(fig));
  if (r.failure) {
    const at = failEvent?.src ? `<p>First line no run of the model explains: <a href="#ev-${anchorOf(failEvent.src)}">${esc(`${failEvent.src.file}:${failEvent.src.line}`)}</a></p>` : '';
    body.push('<h2>Diagnosis</h2>', at, diagnosisBlock(formatDiagnosis(r.failure), r.failure.message, 'diagnosis'));
  }
  if (r.gaveUp) body.push('<h2>Gave up</h2>', `<pre class="diagnosis" id="diagnosis">${esc(`event seq ${r.gaveUp.seq}: ${r.gaveUp.reason}`)}</pre>`);
  if (r.errors?.length) body.push('<h2>Input errors</h2>', `<pre class="diagnosis" id="diagnosis">${esc(r.errors.map((e) => `${e.file}:${e.line}${e.pointer ? ` at ${e.pointer}` : ''}: ${e.message}`).join('\n'))}</pre>`);
  if (conv?.attributions.length) body.push('<h2>Output-buffer overflows: whose connection</h2>', `<ul>${conv.attributions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`);
  if (conv?.warnings.length) body.push('<h2>Reader warnings</h2>', `<ul>${conv.warnings.map((w) => `<li>${esc(`${w.file}:${w.line}: ${w.message}`)}</li>`).join('')}</ul>`);
  body.push('<h2>Sequence diagram</h2>', '<p>Each sync attempt is a band; each row links to its event below; an overflow is drawn on the client whose id its line names.</p>',
    diagramBlock(o.diagram, (ref) => `#ev-${anchorOf(ref)}`));
  body.push(`<h2>Events (${n(trace.events.length)})</h2>`, eventsTable('', trace, r, src, label, (ref) => `log-${anchorOf(ref)}`));
  if (files.length) body.push('<h2>Logs</h2>', logsSection(files, trace, failEvent?.src, src, label));
  const subtitle = r.verdict === 'conforms' ? `every one of the ${n(r.events)} events is explained by a run of the model`
    : r.verdict === 'violates' ? `${n(r.matched)} of ${n(r.events)} events explained; the next one is not (see the diagnosis)`
      : r.verdict === 'gave-up' ? `${n(r.matched)} of ${n(r.events)} events explained, then gave up` : 'the input could not be judged';
  return page('replcheck validate', r.verdict, subtitle, body.join('\n'));
}

export interface SuiteGroupExtras {
  readonly trace: Trace;
  readonly result: ValidationResult;
  readonly diagram: SequenceDiagram & { groups?: Groups };
}

/** The report of `replcheck validate DIR`: tests, then groups with their diagrams and events. */
export function suiteHtml(r: SuiteReport, extras: ReadonlyMap<string, SuiteGroupExtras>, command: string): string {
  const src = new LineSource();
  const rel = (f: string): string => (f.startsWith(r.dir) ? f.slice(r.dir.length).replace(/^\/+/, '') : f);
  const body: string[] = [];
  const harness = r.harness ? Object.entries(r.harness).map(([k, v]) => `${k} ${v}`).join(', ') : 'no results file';
  body.push('<h2>Figures</h2>', figures([
    ['command', `<code>${esc(command)}</code>`], ['folder', `<code>${esc(r.dir)}</code>`],
    ['servers', `${r.servers} (${r.standalone.length} never replicated: not judged)`], ['groups', `${r.groups.length}: ${['conforms', 'violates', 'gave-up', 'error'].map((v) => `${r.groups.filter((g) => g.verdict === v).length} ${v}`).join(', ')}`],
    ['tests', `${r.tests.length} test windows; harness: ${esc(harness)}`], ['time', `${(r.timing.totalMs / 1000).toFixed(1)} s`],
  ]));
  body.push('<h2>Tests</h2>', table(['#', 'test', 'harness', 'verdict', 'groups'], r.tests.map((t) => [
    `${t.index}`, esc(t.name) + (t.file ? ` <small>(${esc(t.file)})</small>` : ''), esc(t.harness ?? ''), `<span class="st-${tone(t.verdict)}">${esc(t.verdict)}</span>`,
    t.groups.map((g) => `<a href="#group-${g.group}">${g.group}</a> ${esc(g.status)} (${g.explained}/${g.events}${g.notJudged ? `, ${g.notJudged} not judged` : ''})`).join('<br>'),
  ]), (i) => (r.tests[i]!.verdict === 'violates' ? 'fail' : '')));
  body.push('<h2>Groups</h2>', table(['group', 'topology', 'verdict', 'events', 'tests', 'first unexplained line'], r.groups.map((g) => [
    `<a href="#group-${g.name}">${g.name}</a>`, esc(g.topology), `<span class="st-${tone(g.verdict)}">${esc(g.verdict)}</span>`, `${g.explained}/${g.events}`,
    esc(g.tests.map((t) => t.name).join('; ')), esc(g.failure?.at ?? g.gaveUp?.at ?? g.error ?? ''),
  ])));
  for (const g of r.groups) {
    const x = extras.get(g.name);
    const parts: string[] = [`<section id="group-${g.name}"><h2>${g.name}: <span class="st-${tone(g.verdict)}">${esc(g.verdict)}</span></h2>`, `<p>${esc(g.topology)}</p>`];
    parts.push(figures([
      ['events', `${g.events}, explained ${g.explained}`], ['profile', esc(g.profile ?? '')], ...(g.cutAt ? [['judged up to', esc(g.cutAt)] as [string, string]] : []),
      ['files', g.files.map((f) => `<code>${esc(f.file)}</code> ${esc(f.node ?? '')} ${f.role}${f.port ? ` :${f.port}` : ''}, lines ${esc(f.lines)}`).join('<br>')],
      ['tests', esc(g.tests.map((t) => `${t.index} ${t.name}`).join('; '))],
      ['speed', `${n(Math.round(g.timing.eventsPerSecond))} events/s, max ${n(g.timing.maxCandidates)} candidates`],
    ]));
    if (g.failure) parts.push(`<h3>Diagnosis${g.failure.test ? ` (in test ${esc(g.failure.test.name)})` : ''}</h3>`, diagnosisBlock(g.failure.text, g.failure.message, `diagnosis-${g.name}`));
    if (g.gaveUp) parts.push('<h3>Gave up</h3>', `<pre class="diagnosis">${esc(`${g.gaveUp.at ?? ''} ${g.gaveUp.reason}`)}</pre>`);
    if (g.error) parts.push('<h3>Error</h3>', `<pre class="diagnosis">${esc(g.error)}</pre>`);
    if (g.overflows?.length) parts.push('<h3>Output-buffer overflows</h3>', `<ul>${g.overflows.map((o) => `<li${o.fromEarlierTest || o.currentSync === false ? ' class="st-bad"' : ''}>${esc(o.text)}</li>`).join('')}</ul>`);
    if (g.warnings.length) parts.push('<h3>Reader warnings</h3>', `<ul>${g.warnings.map((w) => `<li>${esc(`${w.at}: ${w.message}`)}</li>`).join('')}</ul>`);
    if (g.notes.length) parts.push(`<ul>${g.notes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
    if (x) {
      const open = g.verdict !== 'conforms' ? ' open' : '';
      // the diagram always open (a maintainer scrolls through the groups); the events of failing groups only
      const prefix = `${g.name}-`;
      parts.push(`<details open><summary>sequence diagram</summary>${diagramBlock(x.diagram, (ref) => `#${prefix}ev-${anchorOf(ref)}`).replace('id="diagram"', `id="diagram-${g.name}"`)}</details>`);
      parts.push(`<details${open}><summary>events (${x.trace.events.length})</summary>${eventsTable(prefix, x.trace, x.result, src, rel)}</details>`);
    }
    parts.push('</section>');
    body.push(parts.join('\n'));
  }
  if (r.skipped.length) body.push('<h2>Files not judged</h2>', `<ul>${r.skipped.map((s) => `<li><code>${esc(s.file)}</code>: ${esc(s.reason)}</li>`).join('')}</ul>`);
  if (r.notes.length) body.push('<h2>Notes</h2>', `<ul>${r.notes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
  const bad = r.groups.filter((g) => g.verdict !== 'conforms').length;
  return page('replcheck validate (folder)', r.verdict, `${r.groups.length} replication groups, ${r.groups.length - bad} conform${bad ? `, ${bad} do not` : ''}; ${r.tests.length} tests`, body.join('\n'));
}

export interface CheckReportInput {
  readonly command: string;
  readonly preset: string;
  readonly config: Record<string, unknown>;
  readonly result: CheckResult;
  readonly goalId?: string;
  readonly diagram?: SequenceDiagram;
}

/** The report of `replcheck check`: verdict, figures, action coverage, and the counterexample or goal run. */
export function checkHtml(o: CheckReportInput): string {
  const r = o.result;
  const body: string[] = [];
  body.push('<h2>Figures</h2>', figures([
    ['command', `<code>${esc(o.command)}</code>`], ['model', esc(`${r.model}, preset ${o.preset}, profile ${String(o.config.profile)}`)],
    ['constants', `<code>${esc(Object.entries(o.config).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' '))}</code>`],
    ['states', `${n(r.distinctStates)} distinct, ${n(r.generatedStates)} generated, depth ${r.maxDepth} (TLC depth ${r.tlcDepth})`],
    ['time', `${(r.durationMs / 1000).toFixed(2)} s, ${n(Math.round(r.statesPerSecond))} generated states/s, ${r.bytesPerState.toFixed(1)} bytes/state`],
    ['invariants', `${esc(r.invariants.join(', '))}${r.deadlockChecked ? ', deadlock' : ' (deadlock not checked)'}`],
    ...(r.reason ? [['stopped', esc(r.reason)] as [string, string]] : []),
  ]));
  const path = r.violation?.trace ?? r.goalReached?.trace;
  if (r.violation) body.push('<h2>Violation</h2>', `<pre class="diagnosis" id="diagnosis">${esc(`${r.violation.invariant}: ${r.violation.message}`)}</pre>`);
  if (o.goalId !== undefined) body.push(`<h2>Goal ${esc(o.goalId)}</h2>`, `<p>${r.goalReached ? `reached; the shortest run has ${r.goalReached.trace.length - 1} steps` : `not reached${r.verdict === 'complete' ? ': no reachable state satisfies it' : ' within the bounds explored'}`}</p>`);
  if (o.diagram) body.push('<h2>Sequence diagram</h2>', diagramBlock(o.diagram));
  if (path) body.push(`<h2>${r.violation ? 'Shortest counterexample' : 'Shortest run'} (${path.length - 1} steps)</h2>`, stepsTable(path));
  body.push('<h2>Actions fired</h2>', table(['action family', 'fired'], Object.entries(r.actions).map(([k, v]) => [esc(k), n(v)])));
  if (r.neverFired.length) body.push('<h2>Never fired</h2>', `<p>${esc(r.neverFired.join(', '))}</p>`);
  const verdict = r.violation ? 'violated' : o.goalId !== undefined ? (r.goalReached ? 'reached' : 'not reached') : r.verdict;
  const subtitle = r.violation ? `${r.violation.invariant}, shortest counterexample ${r.violation.trace.length - 1} steps`
    : `${n(r.distinctStates)} distinct states, ${r.verdict}${o.goalId !== undefined ? `; goal ${o.goalId}` : ''}`;
  return page(`replcheck check, preset ${o.preset}`, verdict, subtitle, body.join('\n'));
}

function stepsTable(t: readonly TraceStep[]): string {
  return table(['step', 'action', 'variables it changed'], t.map((s, i) => [
    `${i}`, esc(i === 0 ? 'initial state' : s.action ?? ''),
    `<code>${esc(i === 0 ? Object.entries(s.state).filter(([, v]) => v !== 0 && v !== 'none').map(([k, v]) => `${k}=${String(v)}`).join(' ') : s.changed.map((k) => `${k}=${String(s.state[k])}`).join(' '))}</code>`,
  ]), undefined, (i) => `step-${i}`);
}

/** `--html` takes an .html (or .htm) file name. */
export function checkHtmlName(file: string | undefined): void {
  if (file !== undefined && !/\.html?$/i.test(file)) throw new UsageError(`--html ${file}: expected an .html file name`);
}

export function writeHtml(file: string, html: string): void {
  writeFileSync(file, html);
}
