// Runs the fast capture scenarios against a real valkey-server, only when one is on PATH (or
// $VALKEY_SERVER names one: a binary, a wrapper script such as .valkey/9.1.2/bin/valkey-server, or its
// directory); otherwise the suite is skipped and says why. Any version with a row in the harness's
// version table (capture/versions.ts: 8.0.x, 8.1.x, 9.1.x, …) is driven; scenarios the table marks as
// not reproducible on that version are skipped with the reason.
//
// Whether a fresh capture conforms to the model is asserted for the versions in CONFORMANCE_ASSERTED
// (the model follows 8.0.1); for the others the verdict is printed, not asserted, and the logs must
// only be readable by the log reader. Add a row name there once the model has a profile for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../capture/scenarios.js';
import { detectValkey, runScenario, valkeyServerBinary, type DetectedValkey } from '../../capture/run.js';
import { pidAlive, registeredPids } from '../../capture/procs.js';
import { logFilesOf, validateLogs } from '../../conformance/logdir.js';
import { readValkeyLogs } from '../../conformance/valkeylog/index.js';

/** Version-table rows whose fresh captures must conform to the model. */
const CONFORMANCE_ASSERTED = new Set(['8.0']);

const bin = valkeyServerBinary();
let detected: DetectedValkey | undefined;
let why = '';
try {
  detected = detectValkey(bin);
} catch (e) {
  why = (e as Error).message;
}
const fast = SCENARIOS.filter((s) => s.fast);
const row = detected?.profile;
const title =
  detected === undefined
    ? `live capture — SKIPPED: '${bin}' not usable (${why}; run .ci/install-valkey.sh or set VALKEY_SERVER)`
    : `live capture against Valkey ${detected.version.text} (version table row ${row!.name}${detected.exact ? '' : ', not verified on this version'}; fast subset: ${fast.length} scenarios)`;

describe.skipIf(detected === undefined)(title, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'replcheck-live-'));
  const verdicts: string[] = [];
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    if (verdicts.length) console.log(`fresh captures on Valkey ${detected!.version.text} (conformance ${CONFORMANCE_ASSERTED.has(row!.name) ? 'asserted' : 'reported only'}):\n${verdicts.join('\n')}`);
  });

  for (const s of fast) {
    const notHere = row?.unreproducible[s.name];
    if (notHere !== undefined) {
      it.skip(`${s.name}: not reproducible on Valkey ${detected!.version.text} (${notHere})`, () => {});
      continue;
    }
    const conform = row !== undefined && CONFORMANCE_ASSERTED.has(row.name);
    // one retry: the overflow scenarios depend on a writer keeping its rate on a
    // machine that may be busy with other test files
    it(`${s.name}: expected outcome, no process left behind, and the logs ${conform ? 'conform to the model' : 'are readable'}`, { timeout: s.timeoutMs + 30_000, retry: 1 }, async () => {
      const out = path.join(root, s.name);
      const r = await runScenario(s.name, out, { valkeyServer: bin });
      const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail ?? ''}`);
      expect(r.error, `error: ${r.error}`).toBeUndefined();
      expect(failed, failed.join('\n')).toEqual([]);
      expect(r.pass).toBe(true);
      // every PID the run started or adopted is gone
      expect(r.pids.length).toBeGreaterThanOrEqual(2);
      expect(r.survivors).toEqual([]);
      for (const pid of r.pids.filter((p) => !r.survivors.includes(p))) {
        // a server pid must be gone; a fork child's pid too unless reused by another program
        if (pidAlive(pid)) expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toMatch(/valkey/);
      }
      expect(registeredPids()).toEqual([]);
      for (const f of ['primary.log', 'replica.log', 'driver.log', 'meta.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
      const meta = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8'));
      expect(meta.outcome.pass).toBe(true);
      expect(meta.valkeyVersion).toContain(`v=${detected!.version.text}`);
      expect(meta.versionProfile).toBe(row!.name);
      // the log reader takes the fresh logs (one node per file) ...
      const files = logFilesOf(out);
      expect(readValkeyLogs(files).nodes.length).toBe(files.length);
      // ... and, where asserted, the model allows what real Valkey just did
      if (conform) {
        const { result, text } = validateLogs(files);
        verdicts.push(`  ${s.name.padEnd(30)} ${result.verdict}`);
        expect(result.verdict, `${s.name}: fresh capture does not conform\n${text}`).toBe('conforms');
      } else {
        try {
          const { result, text } = validateLogs(files);
          verdicts.push(`  ${s.name.padEnd(30)} ${result.verdict}${result.failure ? `: ${text.split('\n').find((l) => l.startsWith('VIOLATION')) ?? ''}` : ''}`);
        } catch (e) {
          verdicts.push(`  ${s.name.padEnd(30)} validate threw: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    });
  }
});
