// Runs the fast capture scenarios against a real valkey-server, only when one is on
// PATH (or $VALKEY_SERVER is set); otherwise the suite is skipped and says why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../capture/scenarios.js';
import { runScenario, valkeyServerBinary, valkeyVersion } from '../../capture/run.js';
import { pidAlive, registeredPids } from '../../capture/procs.js';
import { logFilesOf, validateLogs } from '../../conformance/logdir.js';

const bin = valkeyServerBinary();
const version = valkeyVersion(bin);
const fast = SCENARIOS.filter((s) => s.fast);
const title =
  version === undefined
    ? `live capture — SKIPPED: '${bin}' not found on PATH (run .ci/install-valkey.sh or set VALKEY_SERVER)`
    : `live capture against ${version.split(' ').slice(0, 3).join(' ')} (fast subset: ${fast.length} scenarios)`;

describe.skipIf(version === undefined)(title, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'replcheck-live-'));
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const s of fast) {
    // one retry: the overflow scenarios depend on a writer keeping its rate on a
    // machine that may be busy with other test files
    it(`${s.name}: expected outcome, no process left behind, and the logs conform to the model`, { timeout: s.timeoutMs + 30_000, retry: 1 }, async () => {
      const out = path.join(root, s.name);
      const r = await runScenario(s.name, out);
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
      expect(meta.valkeyVersion).toContain('v=');
      // and the model allows what real Valkey just did
      const { result, text } = validateLogs(logFilesOf(out));
      expect(result.verdict, `${s.name}: fresh capture does not conform\n${text}`).toBe('conforms');
    });
  }
});
