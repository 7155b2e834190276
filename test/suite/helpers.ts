// Building suite folders for tests: server logs in Valkey's line format with the harness's marker
// lines, laid out like Valkey's tests/tmp (server.<pid>.<n>/stdout).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 02 Dec 2026 08:00:00.000 UTC */
export const T0 = Date.UTC(2026, 11, 2, 8, 0, 0, 0);

export function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** One entry of a server log: a log line at T0 + `at` ms, or a harness marker. */
export type Entry = { at: number; msg: string; role?: 'M' | 'S' | 'C'; level?: '.' | '-' | '*' | '#'; pid?: number } | { marker: string };

export class ServerLog {
  readonly entries: Entry[] = [];
  constructor(public pid: number, readonly port: number, readonly version = '8.1.1') {}

  /** "### Starting server for test NAME" (NAME "" outside a test), then the start-up lines. */
  start(at: number, test = ''): this {
    this.entries.push({ marker: `### Starting server for test ${test}` });
    return this.banner(at);
  }

  /** "### Restarting server for test NAME", then the start-up lines of a new process. */
  restart(at: number, pid: number, test = ''): this {
    this.entries.push({ marker: `### Restarting server for test ${test}` });
    this.pid = pid;
    return this.banner(at);
  }

  private banner(at: number): this {
    for (const [i, msg] of [
      'oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo',
      `Valkey version=${this.version}, bits=64, commit=00000000, modified=0, pid=${this.pid}, just started`,
      'Configuration loaded',
      `Running mode=standalone, port=${this.port}.`,
      'Server initialized',
      'Ready to accept connections tcp',
    ].entries()) this.log(at + (i < 3 ? 0 : 1), msg);
    return this;
  }

  test(name: string, file = 'tests/integration/x.tcl'): this {
    this.entries.push({ marker: `### Starting test ${name} in ${file}` });
    return this;
  }

  log(at: number, msg: string, role: 'M' | 'S' | 'C' = 'M', level: '.' | '-' | '*' | '#' = '*'): this {
    this.entries.push({ at, msg, role, level, pid: this.pid });
    return this;
  }

  /** REPLICAOF host:port as Valkey logs it (role S from then on). */
  replicaof(at: number, port: number): this {
    this.log(at, `Connecting to PRIMARY 127.0.0.1:${port}`, 'S');
    this.log(at, 'PRIMARY <-> REPLICA sync started', 'S');
    this.log(at, `REPLICAOF 127.0.0.1:${port} enabled (user request from 'id=3 addr=127.0.0.1:40000 laddr=127.0.0.1:${this.port} fd=11 name= user=default lib-name= lib-ver=')`, 'S');
    return this;
  }

  /** REPLICAOF NO ONE. */
  noOne(at: number): this {
    return this.log(at, `PRIMARY MODE enabled (user request from 'id=3 addr=127.0.0.1:40000 laddr=127.0.0.1:${this.port} fd=11 name= user=default lib-name= lib-ver=')`);
  }

  shutdown(at: number, role: 'M' | 'S' = 'M'): this {
    this.log(at, 'User requested shutdown...', role);
    this.log(at, 'Valkey is now ready to exit, bye bye...', role, '#');
    return this;
  }

  text(): string {
    return this.entries.map((e) => ('marker' in e ? e.marker : `${e.pid ?? this.pid}:${e.role ?? 'M'} ${stamp(T0 + e.at)} ${e.level ?? '*'} ${e.msg}`)).join('\n') + '\n';
  }
}

/** A folder like tests/tmp: server.<run>.<n>/stdout (n = 1, 3, 5, …) and valkey.conf.<run>.<n+1>. */
export function suiteFolder(logs: readonly ServerLog[], run = 4242): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'replcheck-suite-'));
  logs.forEach((l, i) => {
    const n = 2 * i + 1;
    const sdir = path.join(dir, `server.${run}.${n}`);
    mkdirSync(sdir);
    writeFileSync(path.join(sdir, 'stdout'), l.text());
    writeFileSync(path.join(sdir, 'stderr'), '');
    writeFileSync(path.join(dir, `valkey.conf.${run}.${n + 1}`), `port ${l.port}\ndir ./tests/tmp/server.${run}.${n}\n`);
  });
  return dir;
}
