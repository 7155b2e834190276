// Serialising a trace as JSON Lines (spec/trace.md).
import { createWriteStream, writeFileSync } from 'node:fs';
import type { Trace, TraceEvent, TraceHeader } from './types.js';

/** One event line, with keys in the canonical order (seq, ts, node, kind, conn, fields, src). */
export function eventLine(e: TraceEvent): string {
  const o: Record<string, unknown> = { seq: e.seq };
  if (e.ts !== undefined) o.ts = e.ts;
  o.node = e.node;
  o.kind = e.kind;
  if (e.conn !== undefined) o.conn = e.conn;
  o.fields = e.fields;
  if (e.src !== undefined) o.src = e.src;
  return JSON.stringify(o);
}

/** The header line, keys in canonical order. */
export function headerLine(h: TraceHeader): string {
  const o: Record<string, unknown> = {
    format: h.format, version: h.version, source: h.source, nodes: h.nodes, model: h.model,
  };
  if (h.observes !== undefined) o.observes = h.observes;
  if (h.meta !== undefined) o.meta = h.meta;
  return JSON.stringify(o);
}

/** The whole trace as JSON Lines text (ends with a newline). */
export function formatTrace(t: Pick<Trace, 'header' | 'events'>): string {
  const parts = [headerLine(t.header)];
  for (const e of t.events) parts.push(eventLine(e));
  return parts.join('\n') + '\n';
}

/** Write a trace to a file ("-" = stdout). Streams, so large traces do not build one string. */
export async function writeTrace(path: string, t: Pick<Trace, 'header' | 'events'>): Promise<void> {
  if (path !== '-' && t.events.length < 10_000) {
    writeFileSync(path, formatTrace(t));
    return;
  }
  const out = path === '-' ? process.stdout : createWriteStream(path);
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(s)) resolve();
      else out.once('drain', resolve).once('error', reject);
    });
  await write(headerLine(t.header) + '\n');
  let buf: string[] = [];
  for (const e of t.events) {
    buf.push(eventLine(e));
    if (buf.length >= 4096) {
      await write(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length > 0) await write(buf.join('\n') + '\n');
  if (path !== '-') {
    await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
