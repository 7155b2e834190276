// `replcheck simulate`: a reproducible random run of the model, written as a trace (JSON Lines).
import { createWriteStream } from 'node:fs';
import { simulateTrace } from '../conformance/simtrace.js';
import { formatTrace } from '../conformance/trace/write.js';
import { buildModel } from '../model/index.js';
import { parseArgs, UsageError } from './args.js';
import { CONFIG_FLAGS, configFromArgs } from './config.js';

export const SIMULATE_USAGE = `usage: replcheck simulate [--preset P] [--profile V] [--config FILE] [--set key=value]... [--seed N] [--steps N]
                         [--faults RATE] [--out FILE]
  RATE: weight of each enabled fault action relative to 1 for every other action (default 0.05)
  writes the trace to stdout (or FILE); the run ends early only if the model has no enabled action`;

export async function runSimulate(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const p = parseArgs(argv, {
    ...CONFIG_FLAGS,
    seed: { type: 'int' },
    steps: { type: 'int' },
    faults: { type: 'number' },
    out: { type: 'string' },
    help: { type: 'bool' },
  });
  if (p.flags.help) { out(SIMULATE_USAGE); return 0; }
  if (p.positional.length) throw new UsageError(`simulate takes no positional arguments (got "${p.positional[0]}")`);
  const { preset, config, set } = configFromArgs(p);
  const rate = (p.flags.faults as number | undefined) ?? 0.05;
  if (rate < 0) throw new UsageError(`--faults expects a rate >= 0, got ${rate}`);
  const model = buildModel(config);
  const { trace, end, steps } = simulateTrace(model, {
    seed: (p.flags.seed as number | undefined) ?? 1,
    steps: (p.flags.steps as number | undefined) ?? 1000,
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
  err(`simulated ${steps} model steps (${end === 'deadlock' ? 'ended: no action enabled' : 'all steps taken'}), ${trace.events.length} events\n`);
  return 0;
}
