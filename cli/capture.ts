// `replcheck capture`: run a scenario on real valkey-server processes (capture/), then convert
// the raw logs into trace.jsonl and validate them, writing verdict.json beside them.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { captureMain, setConvertAndValidate } from '../capture/cli.js';
import { validateLogDir } from '../conformance/logdir.js';

export async function runCapture(argv: readonly string[], out: (s: string) => void, _err: (s: string) => void): Promise<number> {
  setConvertAndValidate(async (outDir) => {
    const { result, conversion, text } = validateLogDir(outDir);
    writeFileSync(path.join(outDir, 'verdict.json'), JSON.stringify({ verdict: result.verdict, events: result.events, matched: result.matched, failure: result.failure ?? null, gaveUp: result.gaveUp ?? null, attributions: conversion.attributions, warnings: conversion.warnings }, null, 2) + '\n');
    out(`${path.basename(outDir)}: ${text.split('\n').find((l) => l.startsWith('verdict:'))} (${readdirSync(outDir).filter((f) => f.endsWith('.log')).join(', ')})`);
    return result.verdict === 'conforms' ? 0 : 1;
  });
  return captureMain([...argv]);
}
