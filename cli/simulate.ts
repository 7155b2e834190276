// `replcheck simulate`: a reproducible random run of the model, written as a trace (JSON Lines).
import { createWriteStream, writeFileSync } from 'node:fs';
import { toItf } from '../engine/itf.js';
import { replayPath } from '../engine/replay.js';
import { describeTrace } from '../engine/trace.js';
import { simulateTrace } from '../conformance/simtrace.js';
import { formatTrace } from '../conformance/trace/write.js';
import { buildModel } from '../model/index.js';
import { parseArgs, UsageError } from './args.js';
import { CONFIG_FLAGS, configFromArgs } from './config.js';

/** Every state carries every variable (~200 of them): beyond this an ITF file runs into gigabytes. */
const ITF_MAX_STEPS = 100_000;

export const SIMULATE_USAGE = `usage: replcheck simulate [--preset P] [--profile V] [--config FILE] [--set key=value]... [--seed N] [--steps N]
                         [--faults RATE] [--out FILE] [--itf FILE]
  RATE: weight of each enabled fault action relative to 1 for every other action (default 0.05)
  --itf FILE: the run's model states, each with the action that led to it, in the Informal Trace Format
       (spec/itf.schema.json; every variable in every state, so at most ${ITF_MAX_STEPS.toLocaleString('en-US')} steps)
  writes the trace to stdout (or FILE); the run ends early only if the model has no enabled action`;

export async function runSimulate(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const p = parseArgs(argv, {
    ...CONFIG_FLAGS,
    seed: { type: 'int' },
    steps: { type: 'int' },
    faults: { type: 'number' },
    out: { type: 'string' },
    itf: { type: 'string' },
    help: { type: 'bool' },
  });
  if (p.flags.help) { out(SIMULATE_USAGE); return 0; }
  if (p.positional.length) throw new UsageError(`simulate takes no positional arguments (got "${p.positional[0]}")`);
  const { preset, config, set } = configFromArgs(p);
  const rate = (p.flags.faults as number | undefined) ?? 0.05;
  if (rate < 0) throw new UsageError(`--faults expects a rate >= 0, got ${rate}`);
  const itfFile = p.flags.itf as string | undefined;
  if (itfFile === '') throw new UsageError('--itf expects a file name');
  const wantSteps = (p.flags.steps as number | undefined) ?? 1000;
  if (itfFile !== undefined && wantSteps > ITF_MAX_STEPS) throw new UsageError(`--itf writes every variable of every state: at most ${ITF_MAX_STEPS.toLocaleString('en-US')} steps (got --steps ${wantSteps})`);
  const model = buildModel(config);
  const { trace, end, steps, initIndex, actions } = simulateTrace(model, {
    seed: (p.flags.seed as number | undefined) ?? 1,
    steps: wantSteps,
    faultWeight: rate,
    isFault: (a) => model.instances[a]!.def.fault === true,
    preset,
    set,
  });
  const text = formatTrace(trace);
  const file = p.flags.out as string | undefined;
  if (file && file !== '-') {
    await new Promise<void>((resolve, reject) => {
      const s = createWriteStream(file);
      s.on('error', reject);
      s.end(text, () => resolve());
    });
  } else {
    await new Promise<void>((resolve) => { if (process.stdout.write(text)) resolve(); else process.stdout.once('drain', resolve); });
  }
  if (itfFile !== undefined) {
    const path = describeTrace(model, replayPath(model, initIndex, actions), actions);
    writeFileSync(itfFile, JSON.stringify(toItf(path, { source: 'replcheck simulate', preset, seed: (p.flags.seed as number | undefined) ?? 1, description: `simulated run of ${steps} steps`, config }), null, 1) + '\n');
    err(`wrote ${itfFile} (ITF, ${path.length} states)\n`);
  }
  err(`simulated ${steps} model steps (${end === 'deadlock' ? 'ended: no action enabled' : 'all steps taken'}), ${trace.events.length} events\n`);
  return 0;
}
