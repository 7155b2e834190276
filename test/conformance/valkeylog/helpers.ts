// Test helpers: the fixtures/*.timeline files are the excerpts of /work/shared/design/valkey-real-runs.md
// §4 (real Valkey 8.0.1 lines, each prefixed with "primary " or "replica "). Lines the doc shortened
// with "…[cut]" are dropped. Start-up banners use the exact 8.0.1 formats (src/server.c).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

export function fixture(name: string): string {
  return readFileSync(join(here, 'fixtures', name), 'utf8');
}

/** The 8.0.1 start-up lines of a server (no logo: log file set and always-show-logo no). */
export function banner(pid: number, port: number, ts = '25 Nov 2026 08:00:00'): string {
  return [
    `${pid}:C ${ts}.001 * oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo`,
    `${pid}:C ${ts}.001 * Valkey version=8.0.1, bits=64, commit=00000000, modified=0, pid=${pid}, just started`,
    `${pid}:C ${ts}.001 * Configuration loaded`,
    `${pid}:M ${ts}.002 * monotonic clock: POSIX clock_gettime`,
    `${pid}:M ${ts}.002 * Running mode=standalone, port=${port}.`,
    `${pid}:M ${ts}.003 * Server initialized`,
    `${pid}:M ${ts}.003 * Ready to accept connections tcp`,
  ].join('\n') + '\n';
}

export interface SplitLogs {
  primary: string;
  replica: string;
}

/** Split a timeline excerpt into the two servers' log lines (without banners). */
export function splitTimeline(name: string): SplitLogs {
  const out: SplitLogs = { primary: '', replica: '' };
  for (const l of fixture(`${name}.timeline`).split('\n')) {
    if (l.includes('…[cut]')) continue;
    const m = /^(primary|replica) (.*)$/.exec(l);
    if (m) out[m[1] as 'primary' | 'replica'] += m[2] + '\n';
  }
  return out;
}

const pidOf = (text: string): number => Number(/^(\d+):/m.exec(text)?.[1] ?? 1);

/** The excerpt as two complete log files (banner + lines), primary on 21000, replica on 21001. */
export function runLogs(name: string): { file: string; content: string }[] {
  const s = splitTimeline(name);
  const out: { file: string; content: string }[] = [];
  if (s.primary) out.push({ file: `${name}/primary.log`, content: banner(pidOf(s.primary), 21000) + s.primary });
  if (s.replica) {
    const rb = banner(pidOf(s.replica), 21001);
    // A replica without its REPLICAOF line in the excerpt still names the primary it connects to.
    out.push({ file: `${name}/replica.log`, content: rb + s.replica });
  }
  return out;
}
