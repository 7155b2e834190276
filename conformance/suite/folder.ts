// What a test-suite folder holds: the server logs (Valkey's harness: server.<pid>.<n>/stdout, with
// the server's configuration in valkey.conf.<pid>.<n+1>; or any folder of plain *.log files), and,
// when scripts/valkey-suite.sh made it, the harness's results (results.tsv).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeLogBytes, ValkeyLogError } from '../valkeylog/files.js';

export class SuiteInputError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SuiteInputError';
  }
}

export interface SuiteLogFile {
  /** Path as given (DIR joined with the relative path). */
  readonly path: string;
  /** Path relative to DIR, for reports ("server.3086.1/stdout", "primary.log"). */
  readonly rel: string;
  readonly content: string;
  /** Listening port from the harness's configuration file for this server, when there is one. */
  readonly confPort?: number;
}

export interface HarnessResult {
  readonly status: 'ok' | 'err' | 'exception' | 'skip' | 'ignore' | 'timeout';
  /** Test name as the harness prints it (without " in FILE"). */
  readonly test: string;
  readonly ms?: number;
}

export interface SuiteFolder {
  readonly dir: string;
  readonly logs: SuiteLogFile[];
  /** Files that turned out not to be Valkey logs (no log line at all), with the reason; not judged. */
  readonly skipped: { rel: string; reason: string }[];
  /** The harness's verdicts (results.tsv), in the order it printed them. */
  readonly results?: HarnessResult[];
}

/** Files of a folder that are never server logs even though they end in .log. */
const NOT_SERVER_LOGS = new Set(['driver.log']);

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new SuiteInputError(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    return decodeLogBytes(file, bytes);
  } catch (e) {
    if (e instanceof ValkeyLogError) throw new SuiteInputError(file, `cannot read: ${e.got}`);
    throw e;
  }
}

/** Port and data directory of a harness configuration file (valkey.conf.<pid>.<n>). */
function confInfo(text: string): { port?: number; dir?: string } {
  const port = /^port (\d+)\s*$/m.exec(text);
  const dir = /^dir (\S+)\s*$/m.exec(text);
  return { ...(port ? { port: +port[1]! } : {}), ...(dir ? { dir: dir[1]! } : {}) };
}

/** A line "status<TAB>duration_ms<TAB>test" per test, after a header line (scripts/valkey-suite.sh). */
export function parseResults(text: string): HarnessResult[] {
  const out: HarnessResult[] = [];
  for (const line of text.split('\n')) {
    const [status, ms, ...rest] = line.split('\t');
    if (!status || status === 'status' || rest.length === 0) continue;
    if (!['ok', 'err', 'exception', 'skip', 'ignore', 'timeout'].includes(status)) continue;
    out.push({ status: status as HarnessResult['status'], test: rest.join('\t'), ...(ms && /^\d+$/.test(ms) ? { ms: +ms } : {}) });
  }
  return out;
}

/**
 * The candidate server logs of DIR: every server.<pid>.<n>/stdout (Valkey's harness) and every
 * *.log (or *.log.gz) file directly in DIR, as text. Throws SuiteInputError for a DIR that is not a
 * readable folder, an unreadable file, or a folder with no candidate at all (whether a candidate is
 * a Valkey log is the reader's to say: see suiteLayout).
 */
export function readSuiteFolder(dir: string): SuiteFolder {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new SuiteInputError(dir, 'not a directory');
    entries = readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch (e) {
    if (e instanceof SuiteInputError) throw e;
    throw new SuiteInputError(dir, `cannot read the folder: ${(e as Error).message}`);
  }
  const confPorts = new Map<string, number>();
  for (const name of entries) {
    if (!/^valkey\.conf\.\d+\.\d+$/.test(name)) continue;
    const info = confInfo(readText(path.join(dir, name)));
    if (info.port !== undefined && info.dir) confPorts.set(path.basename(info.dir), info.port);
  }
  const candidates: { rel: string; confPort?: number }[] = [];
  for (const name of entries) {
    const full = path.join(dir, name);
    if (/^server\.[\w.-]+$/.test(name)) {
      let isDir = false;
      try { isDir = statSync(full).isDirectory(); } catch (e) { throw new SuiteInputError(full, `cannot read: ${(e as Error).message}`); }
      if (!isDir) continue;
      let inner: string[];
      try { inner = readdirSync(full); } catch (e) { throw new SuiteInputError(full, `cannot read the folder: ${(e as Error).message}`); }
      if (!inner.includes('stdout')) continue;
      const port = confPorts.get(name);
      candidates.push({ rel: `${name}/stdout`, ...(port !== undefined ? { confPort: port } : {}) });
    } else if ((name.endsWith('.log') || name.endsWith('.log.gz')) && !NOT_SERVER_LOGS.has(name)) {
      try { if (!statSync(full).isFile()) continue; } catch (e) { throw new SuiteInputError(full, `cannot read: ${(e as Error).message}`); }
      candidates.push({ rel: name });
    }
  }
  const logs: SuiteLogFile[] = [];
  const skipped: { rel: string; reason: string }[] = [];
  for (const c of candidates) {
    const p = path.join(dir, c.rel);
    logs.push({ path: p, rel: c.rel, content: readText(p), ...(c.confPort !== undefined ? { confPort: c.confPort } : {}) });
  }
  if (logs.length === 0) throw new SuiteInputError(dir, 'no Valkey server logs here (expected server.*/stdout folders of Valkey\'s test harness, or *.log files)');
  let results: HarnessResult[] | undefined;
  if (entries.includes('results.tsv')) results = parseResults(readText(path.join(dir, 'results.tsv')));
  return { dir, logs, skipped, ...(results ? { results } : {}) };
}
