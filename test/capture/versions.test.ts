// The capture harness's version table (capture/versions.ts): version detection from
// `valkey-server --version`, the row a version gets, and each row's log patterns against
// messages taken from real 8.0.1, 8.1.1 and 9.1.2 logs. Needs no valkey-server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { P, type Patterns } from '../../capture/patterns.js';
import { detectValkey, valkeyServerBinary } from '../../capture/run.js';
import { SCENARIOS } from '../../capture/scenarios.js';
import { PROFILES, compareVersions, dualChannelPrefixed, parseValkeyVersion, profileFor } from '../../capture/versions.js';

const VERSION_LINES = {
  '8.0.1': 'Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=39f7c371e0a96e3d',
  '8.1.1': 'Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=384b3c0d511f998a',
  '9.1.2': 'Valkey server v=9.1.2 sha=00000000:0 malloc=jemalloc-5.3.1 bits=64 build=9108e8f1788612b',
};

describe('version detection', () => {
  it('parses the --version line of each installed version', () => {
    for (const [text, line] of Object.entries(VERSION_LINES)) expect(parseValkeyVersion(line)?.text).toBe(text);
    expect(parseValkeyVersion(`${VERSION_LINES['8.1.1']}\n`)).toEqual({ major: 8, minor: 1, patch: 1, text: '8.1.1' });
  });

  it('rejects what is not a Valkey server version line', () => {
    expect(parseValkeyVersion('Redis server v=7.2.4 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1')).toBeUndefined();
    expect(parseValkeyVersion('valkey-cli 8.1.1')).toBeUndefined();
    expect(parseValkeyVersion('')).toBeUndefined();
  });

  it('picks the newest row not after the version; exact only for a verified version', () => {
    const row = (line: string) => profileFor(parseValkeyVersion(line)!);
    expect(row(VERSION_LINES['8.0.1'])).toMatchObject({ profile: { name: '8.0' }, exact: true });
    expect(row(VERSION_LINES['8.1.1'])).toMatchObject({ profile: { name: '8.1' }, exact: true });
    expect(row(VERSION_LINES['9.1.2'])).toMatchObject({ profile: { name: '9.1' }, exact: true });
    expect(row('Valkey server v=8.0.6 sha=0')).toMatchObject({ profile: { name: '8.0' }, exact: false });
    expect(row('Valkey server v=9.0.3 sha=0')).toMatchObject({ profile: { name: '8.1' }, exact: false });
    expect(row('Valkey server v=10.0.0 sha=0')).toMatchObject({ profile: { name: '9.1' }, exact: false });
    expect(() => row('Valkey server v=7.2.11 sha=0')).toThrow(/no dual-channel replication/);
  });

  it('the table is ordered, every row is complete and names its sources', () => {
    for (let i = 1; i < PROFILES.length; i++) expect(compareVersions(PROFILES[i - 1]!.since, PROFILES[i]!.since)).toBeLessThan(0);
    expect(PROFILES[0]!.P).toBe(P); // the 8.0 row is the harness's original pattern set
    const names = SCENARIOS.map((s) => s.name);
    for (const p of PROFILES) {
      expect(Object.keys(p.P).sort(), p.name).toEqual(Object.keys(P).sort());
      for (const v of p.verified) expect(profileFor(parseValkeyVersion(`Valkey server v=${v}`)!).profile).toBe(p);
      expect(p.sources.length, p.name).toBeGreaterThan(0);
      expect(p.publishFlood.bytes * p.publishFlood.count, p.name).toBeGreaterThanOrEqual(5 * 1024 * 1024);
      for (const s of Object.keys(p.unreproducible)) expect(names, `${p.name}: ${s}`).toContain(s);
    }
  });
});

describe('--valkey-server / VALKEY_SERVER and detectValkey', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-versions-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** A stand-in for a wrapper script: prints a fixed --version line. */
  const fake = (rel: string, versionLine: string): string => {
    const f = path.join(dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, `#!/bin/sh\necho '${versionLine}'\n`, { mode: 0o755 });
    return f;
  };

  it('accepts a wrapper script, a relative path and a directory holding bin/valkey-server', () => {
    const w = fake('v811/bin/valkey-server', VERSION_LINES['8.1.1']);
    expect(valkeyServerBinary({ valkeyServer: w })).toBe(w);
    expect(valkeyServerBinary({ valkeyServer: path.relative(process.cwd(), w) })).toBe(w);
    expect(valkeyServerBinary({ valkeyServer: path.join(dir, 'v811') })).toBe(w);
    expect(valkeyServerBinary({ valkeyServer: 'valkey-server' })).toBe('valkey-server'); // PATH lookup left to spawn
    const d = detectValkey(w);
    expect(d.version.text).toBe('8.1.1');
    expect(d.profile.name).toBe('8.1');
    expect(d.exact).toBe(true);
    expect(d.versionText).toBe(VERSION_LINES['8.1.1']);
  });

  it('takes VALKEY_SERVER when no option is given (an empty one means unset)', () => {
    const old = process.env.VALKEY_SERVER;
    try {
      const w = fake('v912/valkey-server', VERSION_LINES['9.1.2']);
      process.env.VALKEY_SERVER = w;
      expect(valkeyServerBinary()).toBe(w);
      expect(detectValkey(valkeyServerBinary()).profile.name).toBe('9.1');
      process.env.VALKEY_SERVER = '';
      expect(valkeyServerBinary()).toBe('valkey-server');
    } finally {
      if (old === undefined) delete process.env.VALKEY_SERVER;
      else process.env.VALKEY_SERVER = old;
    }
  });

  it('refuses a binary that is not a Valkey server or too old, saying why', () => {
    expect(() => detectValkey(fake('redis-server', 'Redis server v=7.2.4 sha=00000000:0 malloc=libc bits=64 build=1'))).toThrow(/not a Valkey server version line/);
    expect(() => detectValkey(fake('old/valkey-server', 'Valkey server v=7.2.11 sha=00000000:0 malloc=libc bits=64 build=1'))).toThrow(/no dual-channel/);
    expect(() => detectValkey(path.join(dir, 'missing'))).toThrow(/cannot run/);
  });
});

// ---- each row's patterns against real messages (message part of the line, as LogWatcher.msg gives it) ----

type Sample = [name: keyof Patterns, msg: string, groups?: (string | undefined)[]];
const row = (name: string) => PROFILES.find((p) => p.name === name)!;

const S80: Sample[] = [
  ['endoff', 'Sending to replica 127.0.0.1:34383 RDB end offset 204856 and client-id 8', ['204856', '8']],
  ['postpone', 'Postpone RDB client id=6 (127.0.0.1:34383) free for 60 seconds', ['6', '60']],
  ['dualAbortResult6', 'Aborting dual channel sync. Main channel psync result 6'],
  ['psyncAfterLoad', 'Dual channel sync - psync established after rdb load'],
  ['loadInBackground', 'Primary <-> REPLICA sync: Primary accepted a Partial Resynchronization, RDB load in background.'],
  ['provisionalClosed', 'Error reading from primary: Connection reset by peer'],
  ['localBufLimit', 'Replication buffer limit reached, stopping buffering.'],
  ['lackOfBacklog', 'Unable to partial resync with replica 127.0.0.1:40353 for lack of backlog (Replica request was: 5394554).', ['5394554']],
  ['loadDone', 'Done loading RDB, keys loaded: 10000, keys expired: 0.', ['10000', '0']],
];

const S81: Sample[] = [
  ['dualOffered', "Dual channel replication: Replica 127.0.0.1:43191 is capable of dual channel synchronization, and partial sync isn't possible. Full sync will continue with dedicated RDB channel."],
  ['endoff', 'Dual channel replication: Sending to replica 127.0.0.1:43191 RDB end offset 0 and client-id 6', ['0', '6']],
  ['addWaitPsync', 'Dual channel replication: Add rdb replica 127.0.0.1:43191 to waiting psync, with cid 6, no repl-backlog to track ', ['6']],
  ['mainMatchedRdb', "Dual channel replication: Remove psync waiting replica 127.0.0.1:43191 with cid 6, repl buffer block doesn't exist", ['6']],
  ['rdbChannelClosed', 'Dual channel replication: Replica 127.0.0.1:43191 rdb channel disconnected.'],
  ['postpone', 'Dual channel replication: Postpone RDB client id=6 (127.0.0.1:35449) free for 60 seconds', ['6', '60']],
  ['graceExpired', 'Dual channel replication: Replica main channel failed to establish PSYNC within the grace period (3 seconds). Freeing RDB client 5.', ['3', '5']],
  ['psyncNotPossibleDual', 'Dual channel replication: PSYNC is not possible, initialize RDB channel.'],
  ['mainPsyncSent', 'Dual channel replication: Trying a partial resynchronization using main channel (request 330839f914d295d5a8b68cff3ea25e973bf5f10c:1).', ['330839f914d295d5a8b68cff3ea25e973bf5f10c', '1']],
  ['loadInBackground', 'Dual channel replication: PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization, RDB load in background.'],
  ['streamed', 'Dual channel replication: Successfully streamed replication data into memory'],
  ['dualAbort', 'Dual channel replication: Aborting dual channel sync'],
  ['dualAbortResult6', 'Dual channel replication: Aborting dual channel sync. Main channel psync result -1 PSYNC_FULLRESYNC_DUAL_CHANNEL'],
  ['psyncAfterLoad', 'Dual channel replication: Psync established after rdb load'],
  ['provisionalClosed', 'Dual channel replication: Provisional primary closed connection'],
  ['localBufLimit', 'Dual channel replication: Replication buffer limit reached, stopping buffering.'],
  ['childStarted', 'Background RDB transfer started by pid 24793 to direct socket to replica', ['24793', 'direct socket to replica']],
  ['childStarted', 'Background RDB transfer started by pid 24793 to direct socket to replica while skipping RDB checksum for this transfer', ['24793', 'direct socket to replica']],
  ['syncIoError', 'I/O error trying to sync with PRIMARY: connection lost'],
  ['loadDone', 'Done loading RDB, keys loaded: 15000, keys expired: 0.', ['15000', '0']],
  ['lackOfBacklog', 'Unable to partial resync with replica 127.0.0.1:40353 for lack of backlog (Replica request was: 5394554).', ['5394554']],
];

const S91: Sample[] = [
  ...S81.filter(([n]) => !['localBufLimit', 'loadDone', 'lackOfBacklog'].includes(n)),
  ['localBufLimit', 'Dual channel replication: Replication buffer limit reached (1048576 bytes), stopping buffering. Further accumulation will occur on primary side.', ['1048576']],
  ['loadDone', 'Done loading RDB, keys loaded: 10596, keys expired: 0, all fields expired hashes: 0.', ['10596', '0']],
  ['lackOfBacklog', 'Unable to partial resync with replica 127.0.0.1:40353 for lack of backlog (Replica request was 07f9d7cb4dbedab45a84255e03a4bae8fbb22ce6:5394554, and I can only reply with the range [15534401, 15564164]).', ['5394554']],
  ['lackOfBacklog', 'Unable to partial resync with replica 127.0.0.1:40353 for lack of backlog (Replica request was: 07f9d7cb4dbedab45a84255e03a4bae8fbb22ce6:5394554).', ['5394554']],
  ['syncIoError', 'Replica bio thread: I/O error trying to sync with PRIMARY: connection lost'],
  ['loadInBackground', 'Dual channel replication: PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization.'],
  ['postpone', 'Dual channel replication: Postpone RDB client id=7 (127.0.0.1:40517) free for 5 seconds', ['7', '5']],
];

describe('log patterns of each row', () => {
  it.each([
    ['8.0', S80],
    ['8.1', S81],
    ['9.1', S91],
  ] as const)('row %s matches its version\'s messages and captures the right groups', (name, samples) => {
    const p = row(name).P;
    for (const [k, msg, groups] of samples) {
      const m = p[k].exec(msg);
      expect(m, `${name} ${k}: ${msg}`).not.toBeNull();
      if (groups) expect(m!.slice(1, 1 + groups.length), `${name} ${k}`).toEqual(groups);
    }
  });

  it('the 8.0 row does not take 8.1 texts that changed meaning or form, and vice versa', () => {
    const p80 = row('8.0').P;
    const p81 = row('8.1').P;
    expect(p80.endoff.test('Dual channel replication: Sending to replica 127.0.0.1:1 RDB end offset 0 and client-id 6')).toBe(false);
    expect(p81.endoff.test('Sending to replica 127.0.0.1:1 RDB end offset 0 and client-id 6')).toBe(false);
    expect(p80.dualAbortResult6.test('Dual channel replication: Aborting dual channel sync. Main channel psync result -1 PSYNC_FULLRESYNC_DUAL_CHANNEL')).toBe(false);
    expect(p81.dualAbortResult6.test('Dual channel replication: Aborting dual channel sync. Main channel psync result -1 PSYNC_TRY_LATER')).toBe(false);
    expect(p81.loadInBackground.test('Dual channel replication: PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization.')).toBe(false);
    expect(row('9.1').P.localBufLimit.test('Dual channel replication: Replication buffer limit reached, stopping buffering.')).toBe(false);
  });

  it('dualChannelPrefixed makes the prefix mandatory, whether or not the 8.0 regex allowed it', () => {
    expect(dualChannelPrefixed(/^Sending to replica (\d+)$/).source).toBe('^Dual channel replication: Sending to replica (\\d+)$');
    expect(dualChannelPrefixed(/^(?:Dual channel replication: )?Aborting dual channel sync/).source).toBe('^Dual channel replication: Aborting dual channel sync');
    expect(dualChannelPrefixed(/^x$/i).flags).toBe('i');
  });
});
