// `replcheck check`: model-check one configuration and print the result.
import { check, type CheckResult } from '../engine/bfs.js';
import { writeFileSync } from 'node:fs';
import { toItf } from '../engine/itf.js';
import { sequenceOfPath } from '../model/sequence.js';
import { writeDiagram } from './diagram.js';
import { checkHtml, checkHtmlName, writeHtml } from './html.js';
import { checkLiveness, type LivenessResult } from '../engine/liveness.js';
import type { ModelConfig } from '../model/config.js';
import type { TraceStep } from '../engine/trace.js';
import { buildModel, livenessOptions } from '../model/index.js';
import { parseArgs, UsageError } from './args.js';
import { CONFIG_FLAGS, configFromArgs } from './config.js';

export const CHECK_USAGE = `usage: replcheck check [--preset small|default|valkey|large] [--profile 8.0.1|8.1.1|9.1.2] [--config FILE] [--set key=value]...
                      [--max-depth N] [--max-states N] [--max-seconds N] [--max-memory-mb N]
                      [--no-deadlock] [--reach GOAL] [--json] [--progress] [--itf FILE] [--diagram FILE] [--html FILE]
       replcheck check --liveness [--property ID] [preset and settings as above] [--max-states N] [--json] [--itf FILE] [--diagram FILE]
  --itf FILE: the counterexample or the --reach path in the Informal Trace Format (spec/itf.schema.json)
  --diagram FILE: the same path as a sequence diagram, Mermaid (.mmd) or SVG (.svg)
  --html FILE: a self-contained HTML report (verdict, figures, coverage, the path and its diagram)
  --liveness: L1, L1b ([]<>good) and L-loop (no endless full sync) under weak fairness, faults off (spec/model.md §10.1); a violation is a lasso; --set writeRate=W bounds the writes per tick (E7, §10.2)
exit: 0 no violation (and the goal reached, with --reach), 1 violation found (or goal not reached), 2 bad input`;

export function runCheck(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const p = parseArgs(argv, {
    ...CONFIG_FLAGS,
    'max-depth': { type: 'int' },
    'max-states': { type: 'int' },
    'max-seconds': { type: 'number' },
    'max-memory-mb': { type: 'int' },
    'no-deadlock': { type: 'bool' },
    reach: { type: 'string' },
    json: { type: 'bool' },
    progress: { type: 'bool' },
    itf: { type: 'string' },
    diagram: { type: 'string' },
    html: { type: 'string' },
    liveness: { type: 'bool' },
    property: { type: 'string' },
    help: { type: 'bool' },
  });
  if (p.flags.help) { out(CHECK_USAGE); return 0; }
  const itfFile = p.flags.itf as string | undefined;
  if (itfFile === '') throw new UsageError('--itf expects a file name');
  const diagramFile = p.flags.diagram as string | undefined;
  if (diagramFile !== undefined && !/\.(mmd|svg)$/i.test(diagramFile)) throw new UsageError(`--diagram ${diagramFile}: expected a .mmd (Mermaid) or .svg file name`);
  const htmlFile = p.flags.html as string | undefined;
  checkHtmlName(htmlFile);
  if (p.positional.length) throw new UsageError(`check takes no positional arguments (got "${p.positional[0]}")`);
  const { preset, config } = configFromArgs(p);
  if (p.flags.liveness && htmlFile !== undefined) throw new UsageError('--html is not made for --liveness yet: use --diagram FILE and --json');
  if (p.flags.liveness) return runLiveness(p.flags, preset, config, itfFile, diagramFile, out, err);
  if (p.flags.property !== undefined) throw new UsageError('--property goes with --liveness');
  const goalId = p.flags.reach as string | undefined;
  const probe = buildModel(config);
  const wanted = goalId === undefined ? undefined : probe.goals.find((g) => g.id === goalId);
  if (goalId !== undefined && !wanted) throw new UsageError(`--reach ${goalId}: unknown goal; known: ${probe.goals.map((g) => g.id).join(', ')}`);
  // a goal about the past needs the model's history variable (more states than the plain model)
  const model = wanted?.needsHistory ? buildModel(config, {}, { history: true }) : probe;
  const goal = wanted ? model.goals.find((g) => g.id === goalId) : undefined;
  if (wanted?.needsHistory && !p.flags.json) err(`note: goal ${goalId} reads a history variable; the model is built with it, so state counts differ from the plain model\n`);

  let interrupted = false;
  const onSig = () => { interrupted = true; };
  process.on('SIGINT', onSig);
  const tty = process.stderr.isTTY === true;
  const showProgress = tty || p.flags.progress === true;
  let lastLine = 0;
  const result = check(model, {
    ...(p.flags['max-depth'] !== undefined ? { maxDepth: p.flags['max-depth'] as number } : {}),
    ...(p.flags['max-states'] !== undefined ? { maxStates: p.flags['max-states'] as number } : {}),
    ...(p.flags['max-seconds'] !== undefined ? { maxMs: (p.flags['max-seconds'] as number) * 1000 } : {}),
    ...(p.flags['max-memory-mb'] !== undefined ? { maxBytes: (p.flags['max-memory-mb'] as number) * 1024 * 1024 } : {}),
    deadlock: !p.flags['no-deadlock'],
    ...(goal ? { goal } : {}),
    shouldStop: () => interrupted,
    onProgress: (pr) => {
      // a live line on a terminal; elsewhere one line every 10 s of a long run
      const line = `states ${pr.distinct.toLocaleString('en-US')} distinct, ${pr.generated.toLocaleString('en-US')} generated, ${Math.round(pr.statesPerSecond).toLocaleString('en-US')}/s, queue ${pr.queue.toLocaleString('en-US')}, depth ${pr.depth}`;
      if (tty) err(`\r${line}\x1b[K`);
      else if (showProgress || pr.elapsedMs - lastLine >= 10_000) { err(line + '\n'); lastLine = pr.elapsedMs; }
    },
  });
  process.off('SIGINT', onSig);
  if (tty) err('\r\x1b[K');

  if (itfFile !== undefined) {
    // the path the verdict is about: the counterexample, else the goal's shortest run
    const path = result.violation?.trace ?? result.goalReached?.trace;
    if (path) {
      const meta = { source: 'replcheck check', preset, profile: String((config as unknown as Record<string, unknown>).profile),
        description: result.violation ? `counterexample: ${result.violation.invariant} violated` : `shortest run to goal ${goalId}`, config };
      writeFileSync(itfFile, JSON.stringify(toItf(path, meta), null, 1) + '\n');
      err(`wrote ${itfFile} (ITF, ${path.length} states)\n`);
    } else {
      err(`--itf ${itfFile}: not written: the check found no counterexample${goalId !== undefined ? ' and did not reach the goal' : ' (use --reach GOAL for a path)'}\n`);
    }
  }
  const verdictPath = result.violation?.trace ?? result.goalReached?.trace;
  const diagram = verdictPath && (htmlFile !== undefined || diagramFile !== undefined) ? sequenceOfPath(verdictPath, config.replicas,
    `replcheck check, preset ${preset}: ${result.violation ? `counterexample to ${result.violation.invariant}` : `shortest run to ${goalId}`} (${verdictPath.length - 1} steps)`,
    result.violation ? { text: `${result.violation.invariant}: ${result.violation.message}`, alert: true } : { text: `goal ${goalId} reached`, alert: false }) : undefined;
  if (htmlFile !== undefined) {
    writeHtml(htmlFile, checkHtml({ command: ['replcheck', 'check', ...argv].join(' '), preset, config: config as unknown as Record<string, unknown>, result, ...(goalId !== undefined ? { goalId } : {}), ...(diagram ? { diagram } : {}) }));
    err(`wrote ${htmlFile} (HTML report)\n`);
  }
  if (diagramFile !== undefined) {
    if (verdictPath && diagram) {
      writeDiagram(diagramFile, diagram);
      err(`wrote ${diagramFile} (sequence diagram, ${verdictPath.length - 1} steps)\n`);
    } else {
      err(`--diagram ${diagramFile}: not written: the check found no counterexample${goalId !== undefined ? ' and did not reach the goal' : ' (use --reach GOAL for a path)'}\n`);
    }
  }
  if (p.flags.json) {
    out(JSON.stringify({ preset, config, ...jsonResult(result) }, null, 2));
  } else {
    out(formatResult(preset, config as unknown as Record<string, unknown>, result, goalId));
  }
  if (interrupted) return 130;
  if (result.violation) return 1;
  if (goal && !result.goalReached) return 1;
  return 0;
}

function jsonResult(r: CheckResult): Record<string, unknown> {
  const o: Record<string, unknown> = {
    verdict: r.verdict,
    ...(r.reason ? { reason: r.reason } : {}),
    distinctStates: r.distinctStates,
    generatedStates: r.generatedStates,
    maxDepth: r.maxDepth,
    tlcDepth: r.tlcDepth,
    durationMs: Math.round(r.durationMs),
    statesPerSecond: Math.round(r.statesPerSecond),
    bytesPerState: Number(r.bytesPerState.toFixed(2)),
    actions: r.actions,
    neverFired: r.neverFired,
    invariants: r.invariants,
    deadlockChecked: r.deadlockChecked,
  };
  for (const k of ['fingerprintBits', 'collisionProbability'] as const) if (k in r) o[k] = (r as unknown as Record<string, unknown>)[k];
  if (r.violation) o.violation = { invariant: r.violation.invariant, message: r.violation.message, trace: compactTrace(r.violation.trace) };
  if (r.goalReached !== undefined) o.goalReached = r.goalReached ? { goal: r.goalReached.goal, trace: compactTrace(r.goalReached.trace) } : null;
  return o;
}

/** Each step: the action and only the variables that changed (the first step: the whole state). */
function compactTrace(t: readonly TraceStep[]): { action: string | null; changed: Record<string, unknown> }[] {
  return t.map((s, i) => ({ action: s.action, changed: i === 0 ? s.state : Object.fromEntries(s.changed.map((k) => [k, s.state[k]])) }));
}

const VERDICT_TEXT: Record<string, string> = {
  complete: 'complete: every reachable state was explored (closure reached)',
  bounded: 'bounded: the search stopped at the depth bound; states beyond it were not explored',
  violated: 'violated',
  'budget-exhausted': 'budget-exhausted: the search stopped before closure',
};

export function formatResult(preset: string, config: Record<string, unknown>, r: CheckResult, goalId?: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  lines.push(`model ${r.model}, preset ${preset}, profile ${String(config.profile)}`);
  lines.push(`constants: ${Object.entries(config).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ')}`);
  lines.push(`verdict: ${VERDICT_TEXT[r.verdict] ?? r.verdict}${r.reason ? ` (${r.reason})` : ''}`);
  lines.push(`states: ${n(r.distinctStates)} distinct, ${n(r.generatedStates)} generated, depth ${r.maxDepth} (TLC depth ${r.tlcDepth})`);
  lines.push(`time: ${(r.durationMs / 1000).toFixed(2)} s, ${n(Math.round(r.statesPerSecond))} generated states/s, ${r.bytesPerState.toFixed(1)} bytes/state`);
  lines.push(`invariants checked (${r.invariants.length}): ${r.invariants.join(', ')}${r.deadlockChecked ? ', deadlock' : ' (deadlock not checked)'}`);
  lines.push(`actions fired: ${Object.entries(r.actions).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  lines.push(`never fired: ${r.neverFired.length ? r.neverFired.join(', ') : '(none)'}`);
  if (r.violation) {
    lines.push('');
    lines.push(`VIOLATION of ${r.violation.invariant}: ${r.violation.message}`);
    lines.push(`shortest counterexample (${r.violation.trace.length - 1} steps):`);
    lines.push(...formatTrace(r.violation.trace));
  }
  if (goalId !== undefined) {
    lines.push('');
    if (r.goalReached) {
      lines.push(`goal ${goalId} reached; shortest run (${r.goalReached.trace.length - 1} steps):`);
      lines.push(...formatTrace(r.goalReached.trace));
    } else {
      lines.push(`goal ${goalId} not reached${r.verdict === 'complete' ? ': no reachable state satisfies it' : ' within the bounds explored'}`);
    }
  }
  return lines.join('\n');
}

export function formatTrace(t: readonly TraceStep[]): string[] {
  const out: string[] = [];
  t.forEach((s, i) => {
    if (i === 0) {
      out.push(`  0. initial state: ${Object.entries(s.state).filter(([, v]) => v !== 0 && v !== 'none').map(([k, v]) => `${k}=${v}`).join(' ')}`);
    } else {
      out.push(`  ${i}. ${s.action}`);
      for (const k of s.changed) out.push(`       ${k} = ${s.state[k]}`);
    }
  });
  return out;
}

/** `check --liveness`: each property (or the one --property names) on the configuration's graph. */
function runLiveness(flags: Record<string, unknown>, preset: string, config: ModelConfig, itfFile: string | undefined, diagramFile: string | undefined, out: (s: string) => void, err: (s: string) => void): number {
  for (const f of ['reach', 'max-depth', 'max-seconds', 'max-memory-mb', 'no-deadlock']) if (flags[f] !== undefined) throw new UsageError(`--${f} does not apply to --liveness`);
  const model = buildModel(config);
  const want = flags.property as string | undefined;
  const props = want === undefined ? model.liveness : model.liveness.filter((x) => x.id === want);
  if (props.length === 0) throw new UsageError(`--property ${want}: unknown; known: ${model.liveness.map((x) => x.id).join(', ')}`);
  const maxStates = (flags['max-states'] as number | undefined) ?? 5_000_000;
  const results: LivenessResult[] = props.map((prop) => checkLiveness(model, prop, livenessOptions(model, maxStates)));
  const fairFamilies = [...new Set(model.instances.filter((_, a) => model.fairAction(a) && !model.livenessExcluded(a)).map((i) => i.def.family))];
  const excluded = [...new Set(model.instances.filter((_, a) => model.livenessExcluded(a)).map((i) => i.def.family))];
  const violated = results.find((r) => r.lasso);
  if (violated?.lasso) {
    const { prefix, cycle } = violated.lasso;
    const path = [...prefix, ...cycle.slice(1)];
    if (itfFile !== undefined) {
      writeFileSync(itfFile, JSON.stringify(toItf(path, { source: 'replcheck check --liveness', preset, description: `lasso: ${violated.property} violated; the cycle returns to state ${prefix.length - 1}`, config }, prefix.length - 1), null, 1) + '\n');
      err(`wrote ${itfFile} (ITF lasso, ${path.length} states, loop ${prefix.length - 1})\n`);
    }
    if (diagramFile !== undefined) {
      writeDiagram(diagramFile, sequenceOfPath(path, config.replicas, `replcheck check --liveness, preset ${preset}: lasso of ${violated.property} (prefix ${prefix.length - 1} steps, cycle ${cycle.length - 1} steps from step ${prefix.length - 1})`,
        { text: `back to the state after step ${prefix.length - 1}: the cycle repeats forever (${violated.property} violated)`, alert: true }));
      err(`wrote ${diagramFile} (sequence diagram of the lasso)\n`);
    }
  } else {
    if (itfFile !== undefined) err(`--itf ${itfFile}: not written: no property was violated\n`);
    if (diagramFile !== undefined) err(`--diagram ${diagramFile}: not written: no property was violated\n`);
  }
  if (flags.json) {
    out(JSON.stringify({ preset, config, fairness: { weaklyFair: fairFamilies, excluded }, liveness: results.map((r) => ({
      property: r.property, verdict: r.verdict, states: r.states, edges: r.edges, badComponents: r.badComponents, fairComponents: r.fairComponents, durationMs: Math.round(r.durationMs),
      ...(r.lasso ? { lasso: { prefix: compactTrace(r.lasso.prefix), cycle: compactTrace(r.lasso.cycle), loop: r.lasso.prefix.length - 1 } } : {}),
    })) }, null, 2));
  } else {
    const lines = [`model ${model.name}, preset ${preset}, profile ${String(config.profile)}: liveness under weak fairness`,
      `weakly fair: ${fairFamilies.join(', ')}; not fair: writes and the operator's actions; left out (faults off, no peer slower than a timer): ${excluded.join(', ')}`];
    for (const r of results) {
      lines.push('', `${r.property}: ${r.verdict === 'holds' ? 'holds: no fair cycle avoids it' : r.verdict === 'violated' ? 'VIOLATED: a fair run that avoids it forever' : 'budget-exhausted: the graph was not built to the end (--max-states)'}`);
      lines.push(`  graph: ${r.states.toLocaleString('en-US')} states, ${r.edges.toLocaleString('en-US')} edges; ${r.badComponents} cycle component(s) avoiding it, ${r.fairComponents} of them fair; ${(r.durationMs / 1000).toFixed(2)} s`);
      if (r.lasso) {
        lines.push(`  lasso: prefix (${r.lasso.prefix.length - 1} steps):`);
        lines.push(...formatTrace(r.lasso.prefix).map((l) => '  ' + l));
        lines.push(`  cycle (${r.lasso.cycle.length - 1} steps, back to the prefix's last state, repeated forever):`);
        lines.push(...formatTrace(r.lasso.cycle).slice(1).map((l) => '  ' + l));
      }
    }
    out(lines.join('\n'));
  }
  return results.some((r) => r.verdict === 'violated') ? 1 : 0;
}
