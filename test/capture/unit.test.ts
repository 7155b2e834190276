// Capture harness pieces that need no valkey-server.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePort, findFreePorts, LOOPBACK } from '../../capture/ports.js';
import { SCENARIOS, findScenario } from '../../capture/scenarios.js';
import { lineTime } from '../../capture/scenarios.js';
import { LogWatcher } from '../../capture/logwatch.js';
import { cobKind, P } from '../../capture/patterns.js';
import { baseServerOptions, mergeOptions, optionsToArgv, shellQuote } from '../../capture/server.js';
import { valkeyTimestamp } from '../../capture/timefmt.js';
import { parseClientList, parseInfo } from '../../capture/run-context.js';
import { pidAlive } from '../../capture/procs.js';
import { captureMain } from '../../capture/cli.js';
import { runScenario } from '../../capture/run.js';

describe('findFreePorts', () => {
  it('returns distinct, bindable loopback ports', async () => {
    const ports = await findFreePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(65536);
      // the port really is free again: we can bind it on 127.0.0.1
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(p, LOOPBACK, () => s.close(() => resolve()));
      });
    }
  });

  it('findFreePort gives one port; bad counts are rejected', async () => {
    expect(await findFreePort()).toBeGreaterThan(0);
    await expect(findFreePorts(0)).rejects.toThrow();
  });
});

describe('scenario list', () => {
  const required = [
    'full-sync-with-writes',
    'cob-overflow-small-backlog',
    'cob-overflow-soft-limit',
    'local-buffer-limit',
    'kill-main-channel',
    'kill-rdb-channel',
    'kill-rdb-child',
    'kill-replica-during-load',
    'dual-channel-one-side',
    'normal-clients-overflow',
    'leftover-rdb-client',
    'leftover-rdb-client-new-sync',
  ];

  it('has every required scenario, unique kebab-case names', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    for (const n of required) expect(findScenario(n), n).toBeDefined();
    expect(findScenario('no-such-scenario')).toBeUndefined();
  });

  it('each has a one-line description, a doc reference, servers and a bounded timeout', () => {
    for (const s of SCENARIOS) {
      expect(s.description.length, s.name).toBeGreaterThan(10);
      expect(s.description, s.name).not.toMatch(/\n/);
      expect(s.doc, s.name).toMatch(/^S\d/);
      expect(s.servers.slice(0, 2), s.name).toEqual(['primary', 'replica']);
      expect(s.timeoutMs, s.name).toBeGreaterThan(0);
      expect(s.timeoutMs, s.name).toBeLessThanOrEqual(120_000);
      expect(typeof s.fast).toBe('boolean');
    }
  });

  it('has a non-empty fast subset whose worst-case bound stays within CI budget', () => {
    const fast = SCENARIOS.filter((s) => s.fast);
    expect(fast.length).toBeGreaterThan(0);
    // measured total is ~25 s; the hard bounds must not allow an unbounded CI run
    expect(fast.reduce((a, s) => a + s.timeoutMs, 0)).toBeLessThanOrEqual(15 * 60_000);
  });
});

describe('server command line', () => {
  it('base options carry the doc §2.2 settings, scenario options override or append', () => {
    const base = baseServerOptions(12345, '/tmp/d', '/tmp/o/primary.log');
    const argv = optionsToArgv(mergeOptions(base, [['dual-channel-replication-enabled', 'no'], ['replicaof', '127.0.0.1 999']]));
    const s = argv.join(' ');
    for (const want of [
      '--port 12345',
      '--bind 127.0.0.1',
      '--loglevel debug',
      '--daemonize no',
      '--appendonly no',
      '--enable-debug-command yes',
      '--hide-user-data-from-log no',
      '--repl-diskless-sync yes',
      '--repl-diskless-sync-delay 0',
      '--dual-channel-replication-enabled no',
    ])
      expect(s).toContain(want);
    expect(s).not.toContain('--dual-channel-replication-enabled yes');
    expect(argv.slice(argv.indexOf('--save'), argv.indexOf('--save') + 2)).toEqual(['--save', '']);
    expect(argv.slice(-3)).toEqual(['--replicaof', '127.0.0.1', '999']);
    expect(shellQuote(['valkey-server', '--save', '', "it's"])).toBe(`valkey-server --save '' 'it'\\''s'`);
  });
});

describe('log parsing helpers', () => {
  it('valkeyTimestamp round-trips through lineTime', () => {
    const d = new Date(2026, 10, 25, 8, 24, 18, 149);
    expect(valkeyTimestamp(d)).toBe('25 Nov 2026 08:24:18.149');
    expect(lineTime(`123:M ${valkeyTimestamp(d)} * hello`)).toBe(d.getTime());
    expect(lineTime('garbage')).toBeNaN();
  });

  it('classifies COB overflow lines by flags and cmd (doc §5.2)', () => {
    const line = (flags: string, cmd: string) =>
      `Client id=10 addr=127.0.0.1:1 laddr=127.0.0.1:2 fd=12 name= age=0 idle=0 flags=${flags} db=0 omem=1 events= cmd=${cmd} user=default scheduled to be closed ASAP for overcoming of output buffer limits.`;
    const kind = (flags: string, cmd: string) => cobKind(P.cob.exec(line(flags, cmd))![1]!);
    expect(kind('SA', 'sync')).toBe('rdb-channel');
    expect(kind('S', 'psync')).toBe('main-channel');
    expect(kind('N', 'get')).toBe('normal');
    expect(kind('P', 'subscribe')).toBe('pubsub');
    expect(kind('O', 'monitor')).toBe('monitor');
  });

  it('LogWatcher reads only whole lines, incrementally, and waits with a bound', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-unit-'));
    try {
      const f = path.join(dir, 'x.log');
      const w = new LogWatcher(f);
      expect(w.poll()).toBe(0); // missing file
      fs.writeFileSync(f, '1:M 25 Nov 2026 08:00:00.000 * Done loading RDB, keys loaded: 5, keys expired: 0.\n1:M 25 Nov 2026 08:00:00.001 * par');
      expect(w.poll()).toBe(1);
      expect(w.count(P.loadDone)).toBe(1);
      fs.appendFileSync(f, 'tial\n');
      expect(w.poll()).toBe(2);
      expect(w.lines[1]).toMatch(/partial$/);
      const t0 = Date.now();
      expect(await w.waitFor(/never/, 100)).toBe(-1);
      expect(Date.now() - t0).toBeLessThan(2000);
      setTimeout(() => fs.appendFileSync(f, '1:S 25 Nov 2026 08:00:01.000 * Connection with primary lost.\n'), 50);
      expect(await w.waitFor(P.primaryLost, 5000)).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses INFO and CLIENT LIST', () => {
    expect(parseInfo('# Replication\r\nrole:master\r\nslave0:ip=1,port=2\r\n')).toEqual({ role: 'master', slave0: 'ip=1,port=2' });
    expect(parseClientList('id=7 addr=a:1 flags=S cmd=psync\nid=8 flags=S cmd=sync\n').map((c) => c.id)).toEqual(['7', '8']);
  });

  it('pidAlive is false for a pid that cannot exist', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(2 ** 22 + 12345)).toBe(false);
  });
});

describe('capture CLI and runScenario argument handling', () => {
  it('lists scenarios and rejects bad usage', async () => {
    const log = console.log;
    const err = console.error;
    const out: string[] = [];
    console.log = (s: string) => out.push(s);
    console.error = () => {};
    try {
      expect(await captureMain(['--list'])).toBe(0);
      expect(await captureMain(['--scenario', 'full-sync-with-writes'])).toBe(2); // no --out
      expect(await captureMain(['--bogus'])).toBe(2);
    } finally {
      console.log = log;
      console.error = err;
    }
    expect(out.length).toBe(SCENARIOS.length);
    expect(out.join('\n')).toContain('leftover-rdb-client');
  });

  it('runScenario rejects unknown scenarios and a missing binary without starting anything', async () => {
    await expect(runScenario('nope', os.tmpdir())).rejects.toThrow(/unknown scenario/);
    await expect(runScenario('full-sync-with-writes', os.tmpdir(), { valkeyServer: '/nonexistent/valkey-server' })).rejects.toThrow(
      /cannot run/,
    );
  });
});
