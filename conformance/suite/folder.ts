// What a test-suite folder holds: the server logs (Valkey's harness: server.<pid>.<n>/stdout, with
// the server's configuration in valkey.conf.<pid>.<n+1>; or any folder of plain *.log files), and,
// when scripts/valkey-suite.sh made it, the harness's results (results.tsv).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseLine } from '../valkeylog/lines.js';

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
  /** Files that are not Valkey logs (no log line at all), with the reason; not judged. */
  readonly skipped: { rel: string; reason: string }[];
  /** The harness's verdicts (results.tsv), in the order it printed them. */
  readonly results?: HarnessResult[];
}

/** Files of a folder that are never server logs even though they end in .log. */
const NOT_SERVER_LOGS = new Set(['driver.log']);

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new SuiteInputError(file, `cannot read: ${(e as Error).message}`);
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

/** Some line is a Valkey log line (a quick look; the reader decides for real). */
function hasLogLine(content: string): boolean {
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf('\n', start);
    if (end < 0) end = content.length;
    const raw = content.slice(start, end);
    if (!raw.startsWith('###') && raw.trim() !== '' && parseLine(raw, '', 0).type === 'log') return true;
    start = end + 1;
  }
  return false;
}

/**
 * The server logs of DIR: every server.<pid>.<n>/stdout (Valkey's harness) and every *.log file
 * directly in DIR. Throws SuiteInputError for a DIR that is not a readable folder, an unreadable
 * file, or a folder with no Valkey log at all.
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
    } else if (name.endsWith('.log') && !NOT_SERVER_LOGS.has(name)) {
      try { if (!statSync(full).isFile()) continue; } catch (e) { throw new SuiteInputError(full, `cannot read: ${(e as Error).message}`); }
      candidates.push({ rel: name });
    }
  }
  const logs: SuiteLogFile[] = [];
  const skipped: { rel: string; reason: string }[] = [];
  for (const c of candidates) {
    const p = path.join(dir, c.rel);
    const content = readText(p);
    if (!hasLogLine(content)) {
      skipped.push({ rel: c.rel, reason: content.trim() === '' ? 'empty' : 'no Valkey log line (the server wrote nothing, or this is not a Valkey log)' });
      continue;
    }
    logs.push({ path: p, rel: c.rel, content, ...(c.confPort !== undefined ? { confPort: c.confPort } : {}) });
  }
  if (logs.length === 0) {
    throw new SuiteInputError(dir, candidates.length === 0
      ? 'no Valkey server logs here (expected server.*/stdout folders of Valkey\'s test harness, or *.log files)'
      : `no Valkey server logs here: ${skipped.map((s) => `${s.rel} (${s.reason})`).join(', ')}`);
  }
  let results: HarnessResult[] | undefined;
  if (entries.includes('results.tsv')) results = parseResults(readText(path.join(dir, 'results.tsv')));
  return { dir, logs, skipped, ...(results ? { results } : {}) };
}
