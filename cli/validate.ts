// `replcheck validate`: is a recorded trace (JSON Lines) or a set of Valkey log files a run the
// model allows? Verdicts: conforms (0), violates (1), error (2: input problem), gave-up (3).
import { readFileSync, statSync } from 'node:fs';
import { formatDiagnosis } from '../conformance/diagnose.js';
import { readTrace } from '../conformance/trace/read.js';
import { TraceInputError, type Trace } from '../conformance/trace/types.js';
import { exitCode, resultFromInputError, type ValidationResult } from '../conformance/validate.js';
import { formatWidened, judgeTrace } from '../conformance/judge.js';
import { traceFromValkeyLogs, type LogConversion } from '../conformance/fromlogs.js';
import { ValkeyLogError } from '../conformance/valkeylog/index.js';
import { ConfigError } from '../model/config.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from '../model/profiles.js';
import { formatSuiteReport, SuiteInputError, validateSuite } from '../conformance/suite/index.js';
import { parseArgs, UsageError } from './args.js';
import { sequenceOfJudgedTrace } from '../conformance/sequence.js';
import { writeDiagram } from './diagram.js';
import { checkHtmlName, suiteHtml, validationHtml, writeHtml, type SuiteGroupExtras } from './html.js';

export const VALIDATE_USAGE = `usage: replcheck validate [FILE...] [--profile V] [--json] [--tolerance MS] [--max-candidates N] [--trace-out FILE] [--mid-run] [--diagram FILE] [--html FILE]
       replcheck validate DIR [--profile V] [--json] [--tolerance MS] [--max-candidates N] [--group G]... [--diagnoses] [--html FILE]
  FILE: one trace (JSON Lines; "-" or none = stdin), or Valkey log files (primary.log replica.log ...)
  DIR: a folder of Valkey server logs, e.g. the tests/tmp of Valkey's own test suite (server.*/stdout) or
       of scripts/valkey-suite.sh (.valkey/runs/VERSION): the servers are grouped into replication
       topologies by port and time, each group is judged, and the report is per group and per test;
       --group G judges only group G (G1, G2, ...), --diagnoses prints each failing group's whole diagnosis
  --diagram FILE: the judged events as a sequence diagram, Mermaid (.mmd) or SVG (.svg)
  --html FILE: one self-contained HTML report (verdict, figures, diagnosis, sequence diagrams, every event
       linked to its log line; for DIR per test and per group)
  --profile V: judge with the Valkey version profile V (8.0.1, 8.1.1, 9.1.2) instead of the one the logs'
       start-up lines name (Valkey logs) or the trace header names (traces)
  --mid-run: the trace or logs start mid-run: judge them from the model states within the deepest
       breadth-first layer of at most 100,000 states that can show a first event, or just after an
       action the start cut (automatic for a Valkey log that does not begin with the server's start-up
       banner); no run from there explaining an event is "gave up", not "violates": a deeper state
       might have
  exit: 0 conforms, 1 violates, 2 error (bad input), 3 gave up (candidate cap, or a mid-run start explains nothing)`;

/**
 * Is this file a replcheck trace rather than a Valkey log? A trace's first non-blank line is a JSON
 * header with "format" (or, headerless, an event with "seq"); a Valkey log in log-format json, or a
 * docker json-file log, also starts with "{" but carries "pid"/"log" instead.
 */
function looksLikeTrace(path: string): boolean {
  let text: string;
  try { text = readFileSync(path, 'utf8').slice(0, 65536); } catch { return true; /* let the trace reader report it */ }
  if (text.charCodeAt(0) === 0x1f) return false; // gzip: a compressed log (traces are not read compressed)
  const first = (text.split('\n').find((l) => l.trim() !== '') ?? '').replace(/^\uFEFF/, '').trim();
  if (!first.startsWith('{')) return false;
  try {
    const o = JSON.parse(first) as Record<string, unknown>;
    if (o && typeof o === 'object' && ('format' in o || 'seq' in o)) return true;
    return !('pid' in o || 'log' in o || 'message' in o);
  } catch {
    return true; // let the trace reader say which line is not JSON
  }
}

export async function runValidate(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const p = parseArgs(argv, {
    json: { type: 'bool' },
    tolerance: { type: 'number' },
    'max-candidates': { type: 'int' },
    'trace-out': { type: 'string' },
    diagram: { type: 'string' },
    html: { type: 'string' },
    group: { type: 'string', repeat: true },
    diagnoses: { type: 'bool' },
    profile: { type: 'string' },
    'mid-run': { type: 'bool' },
    help: { type: 'bool' },
  });
  if (p.flags.help) { out(VALIDATE_USAGE); return 0; }
  const profile = p.flags.profile as string | undefined;
  if (profile !== undefined && !isProfileName(profile)) throw new UsageError(`--profile ${profile}: unknown profile; known: ${PROFILE_NAMES.join(', ')}`);
  const files = p.positional.length ? p.positional : ['-'];
  const json = p.flags.json === true;
  const htmlFile = p.flags.html as string | undefined;
  checkHtmlName(htmlFile);
  const command = ['replcheck', 'validate', ...argv].join(' ');
  if (files.length === 1 && isDirectory(files[0]!)) return runSuite(files[0]!, p.flags, json, out, err, command);
  const diagramFile = p.flags.diagram as string | undefined;
  if (diagramFile !== undefined && !/\.(mmd|svg)$/i.test(diagramFile)) throw new UsageError(`--diagram ${diagramFile}: expected a .mmd (Mermaid) or .svg file name`);
  if (p.flags.group !== undefined || p.flags.diagnoses) throw new UsageError('--group and --diagnoses apply to a folder of logs (replcheck validate DIR)');
  let trace: Trace;
  let conversion: LogConversion | undefined;
  try {
    if (files.length === 1 && (files[0] === '-' || looksLikeTrace(files[0]!))) {
      trace = await readTrace(files[0]!);
      if (profile !== undefined) trace = { ...trace, header: { ...trace.header, model: { ...trace.header.model, set: { ...(trace.header.model.set ?? {}), profile } } } };
    } else {
      if (files.includes('-')) throw new UsageError('Valkey logs are read from files, not stdin');
      conversion = traceFromValkeyLogs(files, profile !== undefined ? { profile: profile as ProfileName } : {});
      trace = conversion.trace;
      if (p.flags['trace-out']) {
        const { writeTrace } = await import('../conformance/trace/write.js');
        await writeTrace(p.flags['trace-out'] as string, trace);
      }
    }
  } catch (e) {
    if (e instanceof TraceInputError) return report(resultFromInputError(e), undefined, json, out);
    if (e instanceof ValkeyLogError) {
      const w = e as ValkeyLogError & { file?: string; line?: number };
      return report(resultFromInputError(new TraceInputError([{ file: w.file ?? files.join(' '), line: w.line ?? 0, pointer: '', message: e.message.replace(`${w.file}:${w.line}: `, "") }])), undefined, json, out);
    }
    throw e;
  }
  let result: ValidationResult;
  try {
    result = judgeTrace(trace, {
      ...(p.flags.tolerance !== undefined ? { toleranceMs: p.flags.tolerance as number } : conversion ? { toleranceMs: conversion.toleranceMs } : {}),
      ...(p.flags['max-candidates'] !== undefined ? { maxCandidates: p.flags['max-candidates'] as number } : {}),
      ...(p.flags['mid-run'] === true || conversion?.summary.midRun ? { midRun: true } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      return report(resultFromInputError(new TraceInputError([{ file: trace.file ?? '<trace>', line: 1, pointer: '/model', message: e.message }])), conversion, json, out);
    }
    if (e instanceof TraceInputError) result = resultFromInputError(e);
    else throw e;
  }
  if (diagramFile !== undefined) {
    writeDiagram(diagramFile, sequenceOfJudgedTrace(trace, result));
    err(`wrote ${diagramFile} (sequence diagram of the judged ${conversion ? 'logs' : 'trace'})\n`);
  }
  if (htmlFile !== undefined) {
    writeHtml(htmlFile, validationHtml({ trace, result, ...(conversion ? { conversion } : {}), diagram: sequenceOfJudgedTrace(trace, result), command }));
    err(`wrote ${htmlFile} (HTML report)\n`);
  }
  return report(result, conversion, json, out);
}

function isDirectory(path: string): boolean {
  if (path === '-') return false;
  try { return statSync(path).isDirectory(); } catch { return false; }
}

/** `replcheck validate DIR`: every replication group of a folder of server logs (conformance/suite). */
function runSuite(dir: string, flags: Record<string, unknown>, json: boolean, out: (s: string) => void, err: (s: string) => void, command: string): number {
  if (flags['trace-out'] !== undefined) throw new UsageError('--trace-out writes one trace; a folder holds several groups (judge one with --group G, or give its log files)');
  if (flags.diagram !== undefined) throw new UsageError('--diagram draws one judged run; a folder holds several groups: --html FILE draws each group, or give one group\'s log files');
  const htmlFile = flags.html as string | undefined;
  const extras = new Map<string, SuiteGroupExtras>();
  try {
    const r = validateSuite(dir, {
      ...(flags.tolerance !== undefined ? { toleranceMs: flags.tolerance as number } : {}),
      ...(flags['max-candidates'] !== undefined ? { maxCandidates: flags['max-candidates'] as number } : {}),
      ...(flags.group !== undefined ? { only: (flags.group as string[]).map(String) } : {}),
      ...(flags.profile !== undefined ? { profile: flags.profile as ProfileName } : {}),
      onGroup: (g, done, total) => err(`${g.name} ${g.verdict} (${done}/${total}, ${((g.timing.readMs + g.timing.validateMs) / 1000).toFixed(1)} s)\n`),
      ...(htmlFile !== undefined ? { onJudged: (j) => { if (j.judged) extras.set(j.report.name, { ...j.judged, diagram: sequenceOfJudgedTrace(j.judged.trace, j.judged.result) }); } } : {}),
    });
    if (htmlFile !== undefined) {
      writeHtml(htmlFile, suiteHtml(r, extras, command));
      err(`wrote ${htmlFile} (HTML report, ${r.groups.length} groups)\n`);
    }
    out(json ? JSON.stringify(r, null, 2) : formatSuiteReport(r, { diagnoses: flags.diagnoses === true }));
    return exitCode(r.verdict);
  } catch (e) {
    if (!(e instanceof SuiteInputError)) throw e;
    const r = resultFromInputError(new TraceInputError([{ file: e.file, line: 0, pointer: '', message: e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message }]));
    if (json) out(JSON.stringify({ verdict: r.verdict, dir, errors: r.errors }, null, 2));
    else out([`verdict: error`, ...r.errors!.map((x) => `error: ${x.file}: ${x.message}`)].join('\n'));
    return exitCode(r.verdict);
  }
}

function report(r: ValidationResult, conv: LogConversion | undefined, json: boolean, out: (s: string) => void): number {
  if (json) {
    out(JSON.stringify({ ...r, ...(conv ? { logs: conv.summary, profile: conv.profile, warnings: conv.warnings } : {}) }, null, 2));
    return exitCode(r.verdict);
  }
  const lines: string[] = [];
  if (conv) {
    lines.push(`logs: ${conv.summary.nodes.map((n) => `${n.name}=${n.file}${n.port ? ` (port ${n.port})` : ''}`).join(', ')}; log level ${conv.summary.level}; ${r.events} events`);
    lines.push(`profile: ${conv.profile.name} (${conv.profile.reason})`);
    if (conv.summary.cutAt) lines.push(`judged up to: ${conv.summary.cutAt}`);
    if (conv.summary.midRun) lines.push(`started mid-run: ${conv.summary.midRun}`);
    for (const w of conv.warnings) lines.push(`warning: ${w.file}:${w.line}: ${w.message}`);
  }
  if (r.midRun) lines.push(`started mid-run: judged from the ${r.midRun.candidates.toLocaleString('en-US')} start candidates (states that can show a first event, or just after an action the start cut) among ${r.midRun.states.toLocaleString('en-US')} model states (every state within ${r.midRun.depth} steps of the start${r.midRun.complete ? ': all reachable states' : ''})`);
  const widened = formatWidened(r);
  if (widened) lines.push(widened);
  lines.push(`verdict: ${r.verdict}`);
  lines.push(`events: ${r.events}, explained: ${r.matched}; candidates: max ${r.stats.maxCandidates}, mean ${r.stats.candidates.mean.toFixed(1)}; ${Math.round(r.stats.eventsPerSecond).toLocaleString('en-US')} events/s`);
  if (r.errors) for (const e of r.errors) lines.push(`error: ${e.file}:${e.line}${e.pointer ? ` at ${e.pointer}` : ''}: ${e.message}`);
  if (r.gaveUp) lines.push(`gave up at event seq ${r.gaveUp.seq}${r.gaveUp.line !== undefined ? ` (line ${r.gaveUp.line})` : ''}: ${r.gaveUp.reason}`);
  if (r.failure) lines.push(formatDiagnosis(r.failure));
  if (conv && conv.attributions.length) {
    lines.push('attribution of output-buffer overflows:');
    for (const a of conv.attributions) lines.push(`  ${a}`);
  }
  out(lines.join('\n'));
  return exitCode(r.verdict);
}
