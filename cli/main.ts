#!/usr/bin/env node
// replcheck command line: parses arguments, calls one function, prints. Exit codes: 0 ok,
// 1 violation / does not conform, 2 bad input, 3 gave up (validate), 130 interrupted.
import { ConfigError } from '../model/config.js';
import { UsageError } from './args.js';
import { CHECK_USAGE, runCheck } from './check.js';
import { SIMULATE_USAGE, runSimulate } from './simulate.js';
import { VALIDATE_USAGE, runValidate } from './validate.js';
import { SWEEP_USAGE } from './sweep.js';
import { ZOO_USAGE, runZoo } from './zoo.js';

const USAGE = `replcheck: model of Valkey dual-channel replication, its checker, and a conformance checker

${CHECK_USAGE}

${SIMULATE_USAGE}

${VALIDATE_USAGE}

${ZOO_USAGE}

${SWEEP_USAGE}

usage: replcheck capture --scenario NAME --out DIR | --list | --chaos --seed N --out DIR

usage: replcheck chaos --runs N [--version V] ...   (a chaos campaign; replcheck chaos --help)`;

const out = (s: string) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); };
const err = (s: string) => { process.stderr.write(s); };

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'check': return runCheck(rest, out, err);
    case 'simulate': return runSimulate(rest, out, err);
    case 'validate': return runValidate(rest, out, err);
    case 'zoo': return runZoo(rest, out, err);
    case 'sweep': {
      const { runSweep } = await import('./sweep.js');
      return runSweep(rest, out, err);
    }
    case 'chaos': {
      const { runChaosCampaign } = await import('./chaos.js');
      return runChaosCampaign(rest, out, err);
    }
    case 'capture': {
      const { runCapture } = await import('./capture.js');
      return runCapture(rest, out, err);
    }
    case undefined: case 'help': case '--help': case '-h': out(USAGE); return cmd === undefined ? 2 : 0;
    default: throw new UsageError(`unknown command "${cmd}"; commands: check, simulate, validate, zoo, sweep, capture, chaos`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`replcheck: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`replcheck: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
