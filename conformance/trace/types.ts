// In-memory form of a replcheck trace (spec/trace.md): one header, then events in file order.
import type { Kind } from '../../model/vocabulary.js';

export const TRACE_FORMAT = 'replcheck-trace';
export const TRACE_VERSION = 1;

export type TraceSource = 'simulated' | 'valkey-log' | 'other';
export type NodeRole = 'primary' | 'replica' | 'env';
export type Channel = 'main' | 'rdb' | 'child' | 'other';
export type FieldValue = number | string | boolean;

export interface TraceNode {
  readonly name: string;
  readonly role: NodeRole;
  /** Free-form extra properties (address, pid, log file, …) are kept as read. */
  readonly [extra: string]: unknown;
}

export interface TraceHeader {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  readonly source: TraceSource;
  readonly nodes: readonly TraceNode[];
  /** Configuration to judge the trace against: a preset name plus overrides. */
  readonly model: { readonly preset: string; readonly set?: Readonly<Record<string, FieldValue>> };
  /** Kinds the source can observe; events of other kinds are silent. Omitted = all kinds. */
  readonly observes?: readonly Kind[];
  /** Free-form provenance (tool, seed, command line …); ignored by the validator. */
  readonly meta?: unknown;
}

export interface TraceConn {
  readonly cid?: number;
  readonly addr?: string;
  readonly channel?: Channel;
}

export interface TraceEvent {
  /** Strictly increasing, >= 1 (gaps allowed). */
  readonly seq: number;
  /** Epoch milliseconds; per node never decreasing. */
  readonly ts?: number;
  readonly node: string;
  readonly kind: Kind;
  readonly conn?: TraceConn;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Where a converted log line came from. */
  readonly src?: { readonly file: string; readonly line: number };
}

export interface Trace {
  readonly header: TraceHeader;
  readonly events: readonly TraceEvent[];
  /** File the trace was read from ("<stdin>", "<string>", …), when read. */
  readonly file?: string;
  /** Line number (1-based) of each event in `file`, parallel to `events`, when read. */
  readonly lines?: readonly number[];
}

/** One problem in a trace input, located precisely. */
export interface TraceIssue {
  readonly file: string;
  /** 1-based line number in the trace file. */
  readonly line: number;
  /** JSON pointer (RFC 6901) into that line's JSON value; "" = the whole line. */
  readonly pointer: string;
  readonly message: string;
}

/**
 * Bad trace input: unreadable file, bad JSON, schema violation, unknown node, seq or ts out of
 * order. The CLI maps it to exit code 2 and verdict "error".
 */
export class TraceInputError extends Error {
  readonly issues: readonly TraceIssue[];
  constructor(issues: readonly TraceIssue[]) {
    const first = issues[0] ?? { file: '?', line: 0, pointer: '', message: 'unknown error' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${formatIssue(first)}${more}`);
    this.name = 'TraceInputError';
    this.issues = issues;
  }
  get file(): string { return this.issues[0]?.file ?? '?'; }
  get line(): number { return this.issues[0]?.line ?? 0; }
  get pointer(): string { return this.issues[0]?.pointer ?? ''; }
}

export function formatIssue(i: TraceIssue): string {
  return `${i.file}:${i.line}${i.pointer === '' ? '' : ` at ${i.pointer}`}: ${i.message}`;
}

/** Escape one JSON-pointer reference token. */
export function pointerToken(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}
