// Several servers in one file. Constructed from the committed real 8.0.1 captures (every server's
// log merged by time into one file, as two servers with the same `logfile` write it; the files
// concatenated with cat; `docker compose logs` of the servers), each must read exactly as the
// separate files. And real files: two Valkey 8.1.1 / 9.1.2 servers started with one `logfile`,
// the replica shut down and restarted in between (fixtures/valkey-*/interleaved-*/both.log).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readValkeyLogs, readValkeyLogTexts } from '../../../conformance/valkeylog/index.js';
import { parseLogFile, parseLogFiles } from '../../../conformance/valkeylog/files.js';
import { splitServers } from '../../../conformance/valkeylog/servers.js';
import { parseLogText } from '../../../conformance/valkeylog/lines.js';
import { build, captures, compose, expectSameReading, WRAPS, type BuildOptions } from './rewrap.js';
import { banner } from './helpers.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const runs = captures();
const service = (file: string): string => `${path.basename(file, '.log')}-1`;

function mergedSameAsPlain(o: BuildOptions, label: string, expectParts: (n: number) => RegExp): void {
  expect(runs.length).toBeGreaterThanOrEqual(18);
  for (const run of runs) {
    const plain = readValkeyLogTexts(run.files);
    const b = build(`${run.name}/all.log`, run.files, o);
    const r = readValkeyLogTexts([{ file: b.file, content: b.content }]);
    expect(r.files.map((f) => f.file), `${run.name} ${label}`).toHaveLength(run.files.length);
    for (const f of r.files) {
      expect(f.file, `${run.name} ${label}`).toMatch(expectParts(run.files.length));
      expect(f.source).toBe(b.file);
    }
    expectSameReading(plain, r, [b], `${run.name} ${label}`);
  }
}

describe('several servers in one file read as separate files', () => {
  it('interleaved by time (servers appending to one file): split by pid', () => {
    mergedSameAsPlain({ merge: 'time' }, 'interleaved', () => /\/all\.log#pid\d+$/);
  });
  it('concatenated (cat primary.log replica.log): the time spans overlap, so these are not restarts', () => {
    mergedSameAsPlain({ merge: 'concat' }, 'concatenated', () => /\/all\.log#pid\d+$/);
  });
  it('docker compose logs: split by service', () => {
    mergedSameAsPlain({ merge: 'time', wrap: compose(service) }, 'compose', () => /\/all\.log#(primary|replica\d?)-1$/);
  });
  it('docker compose logs --timestamps: split by service', () => {
    mergedSameAsPlain({ merge: 'time', wrap: compose(service, WRAPS.kubectl) }, 'compose+timestamps', () => /\/all\.log#(primary|replica\d?)-1$/);
  });
  it('kubectl logs --prefix --timestamps of several pods: split by pod/container', () => {
    const kube = (t: string, l: Parameters<typeof WRAPS.kubectl>[1]): string[] => WRAPS.kubectl(t, l).map((x) => `[pod/valkey-${service(l.file).replace(/-1$/, '')}/valkey] ${x}`);
    mergedSameAsPlain({ merge: 'time', wrap: kube }, 'kubectl --prefix', () => /\/all\.log#valkey-(primary|replica\d?)\/valkey$/);
  });
  it('a compose service that wrote no Valkey line (an init container) is reported, the others read', () => {
    const run = runs.find((x) => x.name === 'full-sync-with-writes')!;
    const b = build('all.log', run.files, { merge: 'time', wrap: compose(service) });
    const init = ['init-1      | waiting for the volume', 'init-1      | done'];
    const content = init.join('\n') + '\n' + b.content;
    const fs = parseLogFiles('all.log', content);
    expect(fs.map((f) => f.file)).toEqual(['all.log#primary-1', 'all.log#replica-1']);
    expect(fs[0]!.warnings.find((w) => /hold no Valkey log line/.test(w.message))).toMatchObject({ line: 1, message: '2 line(s) of init-1 hold no Valkey log line: not judged' });
    const one = parseLogFiles('p.log', init.join('\n') + '\n' + build('p.log', [run.files[0]!], { wrap: compose(service) }).content);
    expect(one.map((f) => f.file)).toEqual(['p.log']);
    expect(one[0]!.warnings.some((w) => /2 line\(s\) of init-1 hold no Valkey log line/.test(w.message))).toBe(true);
  });
  it('interleaved, CRLF, gzip-compressed', () => {
    for (const run of runs.slice(0, 5)) {
      const plain = readValkeyLogTexts(run.files);
      const b = build(`${run.name}/all.log.gz`, run.files, { merge: 'time', eol: '\r\n' });
      const r = readValkeyLogTexts([{ file: b.file, content: gzipSync(b.content) }]);
      expectSameReading(plain, r, [b], `${run.name} gz`);
    }
  });
});

describe('interleaving versus restart', () => {
  const run = runs.find((x) => x.name === 'kill-replica-during-load')!;
  const replica = run.files.find((f) => f.file.endsWith('replica.log'))!;

  it('a replica killed and restarted (new pid, start-up banner) in a merged file stays one server with two incarnations', () => {
    const b = build('all.log', run.files, { merge: 'time' });
    const r = readValkeyLogTexts([{ file: b.file, content: b.content }]);
    const rep = r.nodes.find((n) => n.name === 'replica1')!;
    expect(rep.incarnations.map((i) => [i.restart, i.persisted, i.banner])).toEqual([[false, false, true], [true, true, true]]);
    expect(new Set(rep.incarnations.map((i) => i.pid)).size).toBe(2);
    expect(r.files).toHaveLength(2);
  });

  it('a file of one server with a restart is not split', () => {
    const parts = splitServers(parseLogText(replica.content, 'r.log').lines);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.pids).toHaveLength(2);
  });

  it('two pids whose lines alternate are two servers; the same two pids one after the other are a restart', () => {
    const a = banner(100, 21000).trimEnd().split('\n');
    const b = banner(200, 21001, '25 Nov 2026 08:00:05').trimEnd().split('\n');
    const alternating = a.flatMap((l, i) => [l, b[i]!]).join('\n') + '\n';
    expect(parseLogFiles('x.log', alternating).map((f) => [f.file, f.port, f.incarnations.length])).toEqual([['x.log#pid100', 21000, 1], ['x.log#pid200', 21001, 1]]);
    const sequential = [...a, ...b.map((l) => l.replace(/\b21001\b/, '21000'))].join('\n') + '\n';
    const one = parseLogFiles('x.log', sequential);
    expect(one.map((f) => [f.file, f.incarnations.map((i) => [i.pid, i.restart])])).toEqual([['x.log', [[100, false], [200, true]]]]);
  });

  it('a restart that keeps its pid (a container\'s pid 1) after the server was ready is a new incarnation', () => {
    const text = banner(1, 6379) + '1:M 25 Nov 2026 08:00:01.000 * Server started once\n' + banner(1, 6379, '25 Nov 2026 08:10:00');
    const f = parseLogFile('pod.log', text);
    expect(f.incarnations.map((i) => [i.pid, i.startLine, i.restart, i.banner])).toEqual([[1, 1, false, true], [1, 9, true, true]]);
    expect(f.warnings).toEqual([]);
  });

  it('parseLogFile refuses a file holding several servers (parseLogFiles splits it)', () => {
    const b = build('all.log', run.files, { merge: 'time' });
    expect(() => parseLogFile('all.log', b.content)).toThrow(/all\.log:\d+: not a Valkey log: expected the log of one server.*got "all\.log#pid\d+, all\.log#pid\d+"/);
  });
});

describe('real: two servers started with one logfile (Valkey 8.1.1 legacy, 9.1.2 logfmt/iso8601), the replica shut down and restarted', () => {
  for (const [v, dir, tz] of [['8.1.1', 'interleaved-legacy-legacy', 'UTC'], ['9.1.2', 'interleaved-logfmt-iso8601', '+01:00']] as const) {
    it(`Valkey ${v}: split into primary and replica; the replica has two incarnations, the second loaded its saved RDB`, () => {
      const file = path.join(FIX, `valkey-${v}`, dir, 'both.log');
      const text = readFileSync(file, 'utf8');
      if (tz !== 'UTC') expect(text).toContain(`${tz}" level=`);
      const r = readValkeyLogs([file]);
      expect(r.files).toHaveLength(2);
      const [p, rep] = [r.nodes.find((n) => n.role === 'primary')!, r.nodes.find((n) => n.name === 'replica1')!];
      // the ports are the ones the banners (or, with always-show-logo, the logo) announce
      const ports = [...text.matchAll(/Port: (\d+)|port=(\d+)\./g)].map((m) => +(m[1] ?? m[2])!);
      expect(new Set(ports).size).toBe(2);
      expect([p.port, rep.port].sort()).toEqual([...new Set(ports)].sort());
      expect(p.incarnations).toHaveLength(1);
      expect(rep.incarnations.map((i) => [i.restart, i.persisted, i.banner])).toEqual([[false, false, true], [true, true, true]]);
      // each server's lines are its own pids' (and its fork children's)
      for (const f of r.files) {
        const own = new Set([...f.incarnations.map((i) => i.pid), ...f.incarnations.flatMap((i) => i.childPids)]);
        for (const l of f.logLines) expect(own.has(l.pid), `${f.file}:${l.line}`).toBe(true);
      }
      expect(r.files.flatMap((f) => f.logLines).length).toBe(parseLogText(text, file).lines.filter((l) => l.type === 'log').length);
      // the replica's two syncs: a full one, then a partial resync after the restart
      expect(r.events.filter((e) => e.node === 'replica1' && e.kind === 'replica.start').map((e) => e.fields)).toContainEqual({ persisted: true });
      const accepted = r.events.filter((e) => e.kind === 'primary.psync_accepted');
      expect(accepted.length).toBeGreaterThanOrEqual(2);
      for (const e of accepted) expect(e.peer).toBe('replica1');
    });
  }
});
