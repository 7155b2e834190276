// Every committed capture, of every Valkey version (traces/valkey-<version>/<scenario>/), has the raw
// layout of a capture run and is readable by the Valkey log reader: no reader error, one node per
// log file, primary first, events found. Whether a capture CONFORMS to the model is not asked here
// (the model follows 8.0.1; test/conformance/real-logs.test.ts judges the 8.0.1 ones): the summary
// printed at the end lists every capture with its reader figures for whoever adds version profiles.
// A capture whose scenario did not pass its own checks must be one the version table marks as not
// reproducible on that version, and the version's README.md must say why.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_FILES } from '../../capture/run.js';
import { SCENARIOS } from '../../capture/scenarios.js';
import { parseValkeyVersion, profileFor } from '../../capture/versions.js';
import { logFilesOf } from '../../conformance/logdir.js';
import { readValkeyLogs } from '../../conformance/valkeylog/index.js';
import { schemaErrors } from '../json-schemas.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TRACES = path.join(ROOT, 'traces');
const VERSIONS = readdirSync(TRACES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^valkey-\d+\.\d+\.\d+$/.test(d.name))
  .map((d) => d.name.slice('valkey-'.length))
  .sort();
const CAPTURES = VERSIONS.flatMap((v) =>
  readdirSync(path.join(TRACES, `valkey-${v}`), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(TRACES, `valkey-${v}`, d.name, 'primary.log')))
    .map((d) => [v, d.name] as [string, string])
    .sort(),
);

interface Row { version: string; scenario: string; pass: boolean; nodes: number; events: number; warnings: number; unrecognised: number }
const rows: Row[] = [];

afterAll(() => {
  if (rows.length === 0) return;
  const w = Math.max(...rows.map((r) => r.scenario.length));
  const lines = rows.map(
    (r) =>
      `  ${r.version.padEnd(6)} ${r.scenario.padEnd(w)}  ${r.pass ? 'pass' : 'FAIL'}  ${String(r.nodes)} nodes  ${String(r.events).padStart(4)} events  ` +
      `${String(r.warnings).padStart(3)} reader warnings (${r.unrecognised} unrecognised messages)`,
  );
  console.log(`committed captures read by the log reader (scenario checks pass/FAIL; conformance not judged here):\n${lines.join('\n')}`);
});

describe('committed captures of every Valkey version', () => {
  it('there are the 8.0.1, 8.1.1 and 9.1.2 captures, each version with every scenario', () => {
    expect(VERSIONS).toEqual(expect.arrayContaining(['8.0.1', '8.1.1', '9.1.2']));
    for (const v of VERSIONS) {
      const have = CAPTURES.filter(([cv]) => cv === v).map(([, s]) => s);
      expect(have, v).toEqual(SCENARIOS.map((s) => s.name).sort());
    }
  });

  it.each(CAPTURES)('%s %s: raw capture layout, read without reader errors', (version, scenario) => {
    const dir = path.join(TRACES, `valkey-${version}`, scenario);
    // the layout a capture run writes (no derived trace.jsonl / verdict.json)
    const files = readdirSync(dir).sort();
    for (const f of files) expect(OUTPUT_FILES, `${version}/${scenario}: unexpected file ${f}`).toContain(f);
    for (const f of ['primary.log', 'replica.log', 'driver.log', 'meta.json']) expect(files, `${version}/${scenario}`).toContain(f);

    // meta.json names this scenario and this version, and one server per log file
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.scenario).toBe(scenario);
    expect(schemaErrors('capture', meta)).toBeNull();
    expect(parseValkeyVersion(meta.valkeyVersion)?.text).toBe(version);
    const logs = logFilesOf(dir);
    expect(Object.keys(meta.servers).map((s) => `${s}.log`).sort()).toEqual(logs.map((f) => path.basename(f)).sort());
    expect(readFileSync(path.join(dir, 'primary.log'), 'utf8')).toContain(`Valkey version=${version},`);

    // the reader takes every file: no ValkeyLogError, one node per file, primary.log is the primary
    const read = readValkeyLogs(logs);
    expect(read.nodes.map((n) => n.name)).toEqual(['primary', ...logs.slice(1).map((_, i) => `replica${i + 1}`)]);
    expect(path.basename(read.nodes[0]!.file)).toBe('primary.log');
    expect(read.nodes.every((n) => n.port !== undefined), 'every listening port known').toBe(true);
    expect(read.events.length).toBeGreaterThan(10);

    // a capture that failed its own checks is a documented "not reproducible on this version"
    const pass = meta.outcome?.pass === true;
    if (!pass) {
      const { profile } = profileFor(parseValkeyVersion(meta.valkeyVersion)!);
      expect(Object.keys(profile.unreproducible), `${version}/${scenario} failed its checks but the version table does not mark it`).toContain(scenario);
      const readme = path.join(TRACES, `valkey-${version}`, 'README.md');
      expect(existsSync(readme) && readFileSync(readme, 'utf8').includes(scenario), `${readme} explains ${scenario}`).toBe(true);
    }
    rows.push({
      version, scenario, pass, nodes: read.nodes.length, events: read.events.length, warnings: read.warnings.length,
      unrecognised: read.warnings.filter((w) => /unrecognised/.test(w.message)).length,
    });
  });
});
