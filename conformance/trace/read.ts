// Reading a trace (spec/trace.md) from a string, a file or stdin. Every problem becomes a
// TraceIssue naming the file, the 1-based line and a JSON pointer into that line; the reader
// collects up to `maxIssues` of them and throws one TraceInputError. It never throws anything
// else, whatever the input.
import { createReadStream, readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { KINDS, type Kind } from '../../model/vocabulary.js';
import { traceSchemas, kindDefName, TRACE_SCHEMA_ID } from './schema.js';
import {
  TraceInputError, pointerToken,
  type Trace, type TraceEvent, type TraceHeader, type TraceIssue, type NodeRole,
} from './types.js';

export interface ReadOptions {
  /** Name used in issues; default "<string>" for parseTrace, the path (or "<stdin>") otherwise. */
  readonly file?: string;
  /** Stop after this many issues (default 20). */
  readonly maxIssues?: number;
}

interface Validators {
  header: ValidateFunction;
  kinds: Map<string, ValidateFunction>;
}

let validators: Validators | undefined;

function getValidators(): Validators {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, discriminator: true, strict: true, allowUnionTypes: true });
  const { document } = traceSchemas();
  ajv.addSchema(document);
  const get = (def: string): ValidateFunction => {
    const v = ajv.getSchema(`${TRACE_SCHEMA_ID}#/$defs/${def}`);
    if (!v) throw new Error(`internal: schema $defs/${def} missing`);
    return v;
  };
  const kinds = new Map<string, ValidateFunction>();
  for (const k of Object.keys(KINDS)) kinds.set(k, get(kindDefName(k as Kind)));
  validators = { header: get('header'), kinds };
  return validators;
}

function ajvIssues(file: string, line: number, errors: readonly ErrorObject[] | null | undefined): TraceIssue[] {
  const out: TraceIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let pointer = e.instancePath;
    let message = e.message ?? 'invalid';
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'required') {
      pointer += '/' + pointerToken(String(p.missingProperty));
      message = 'missing required property';
    } else if (e.keyword === 'additionalProperties') {
      pointer += '/' + pointerToken(String(p.additionalProperty));
      message = 'unknown property (not in the vocabulary for this kind)';
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify(p.allowedValue)}`;
    } else if (e.keyword === 'enum') {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      message = allowed.length <= 8 ? `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : 'not an allowed value';
    }
    const key = pointer + '\0' + message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, line, pointer, message });
  }
  if (out.length === 0) out.push({ file, line, pointer: '', message: 'does not match the schema' });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Incremental reader: feed lines in order, then call finish(). */
export class TraceParser {
  private readonly file: string;
  private readonly maxIssues: number;
  private readonly issues: TraceIssue[] = [];
  private lineNo = 0;
  private header: TraceHeader | undefined;
  private headerFailed = false;
  private roles = new Map<string, NodeRole>();
  private observes: Set<string> | undefined;
  private lastSeq = 0;
  private lastTs = new Map<string, number>();
  private readonly events: TraceEvent[] = [];
  private readonly lines: number[] = [];

  constructor(opts: ReadOptions = {}) {
    this.file = opts.file ?? '<string>';
    this.maxIssues = Math.max(1, opts.maxIssues ?? 20);
  }

  private issue(line: number, pointer: string, message: string): void {
    this.issues.push({ file: this.file, line, pointer, message });
    if (this.issues.length >= this.maxIssues) throw new TraceInputError(this.issues);
  }

  /** Feed the next line of the file (without its newline). Throws TraceInputError when the
   * issue budget is exhausted or the header is invalid. */
  line(raw: string): void {
    const n = ++this.lineNo;
    let text = raw;
    if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    if (this.headerFailed) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.issue(n, '', `bad JSON: ${msg}`);
      if (this.header === undefined) this.failHeader();
      return;
    }
    if (this.header === undefined) this.readHeader(n, value);
    else this.readEvent(n, value);
  }

  private failHeader(): never {
    this.headerFailed = true;
    throw new TraceInputError(this.issues);
  }

  private readHeader(n: number, value: unknown): void {
    const v = getValidators();
    if (!isObject(value)) {
      this.issue(n, '', 'the first line must be the trace header (a JSON object with "format":"replcheck-trace")');
      this.failHeader();
    }
    if (value.format !== 'replcheck-trace') {
      this.issue(n, '/format', `the first line must be the trace header: "format" must be "replcheck-trace", got ${describeValue(value.format)}`);
      this.failHeader();
    }
    if (!safeValidate(v.header, value)) {
      for (const i of ajvIssues(this.file, n, v.header.errors)) this.issue(i.line, i.pointer, i.message);
      this.failHeader();
    }
    const h = value as unknown as TraceHeader;
    h.nodes.forEach((node, i) => {
      if (this.roles.has(node.name)) this.issue(n, `/nodes/${i}/name`, `duplicate node name ${JSON.stringify(node.name)}`);
      if ((node.role === 'env') !== (node.name === 'env')) {
        this.issue(n, `/nodes/${i}/role`, 'the environment node is named "env" and has role "env"');
      }
      this.roles.set(node.name, node.role);
    });
    if (this.issues.length > 0) this.failHeader();
    this.roles.set('env', 'env');
    this.observes = h.observes === undefined ? undefined : new Set(h.observes);
    this.header = h;
  }

  private readEvent(n: number, value: unknown): void {
    if (!isObject(value)) {
      this.issue(n, '', 'an event must be a JSON object');
      return;
    }
    const kind = value.kind;
    if (kind === undefined) {
      this.issue(n, '/kind', 'missing required property');
      return;
    }
    if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(KINDS, kind)) {
      this.issue(n, '/kind', `unknown kind ${describeValue(kind)} (not in model/vocabulary.ts)`);
      return;
    }
    const validate = getValidators().kinds.get(kind)!;
    if (!safeValidate(validate, value)) {
      for (const i of ajvIssues(this.file, n, validate.errors)) this.issue(i.line, i.pointer, i.message);
      return;
    }
    const ev = value as unknown as TraceEvent;
    const before = this.issues.length;
    const role = this.roles.get(ev.node);
    const wantRole = KINDS[ev.kind].node;
    if (role === undefined) {
      this.issue(n, '/node', `unknown node ${JSON.stringify(ev.node)} (the header declares ${[...this.roles.keys()].map((r) => JSON.stringify(r)).join(', ')})`);
    } else if (role !== wantRole) {
      this.issue(n, '/node', `kind ${ev.kind} is logged by a ${wantRole} node, but ${JSON.stringify(ev.node)} is a ${role}`);
    }
    if (this.observes !== undefined && !this.observes.has(ev.kind)) {
      this.issue(n, '/kind', `kind ${ev.kind} is not in the header's "observes" list`);
    }
    if (ev.seq <= this.lastSeq) {
      this.issue(n, '/seq', `seq ${ev.seq} is not greater than the previous event's seq ${this.lastSeq}`);
    }
    if (ev.ts !== undefined) {
      const last = this.lastTs.get(ev.node);
      if (last !== undefined && ev.ts < last) {
        this.issue(n, '/ts', `timestamp goes backwards on node ${ev.node}: ${ev.ts} < ${last}`);
      }
    }
    if (this.issues.length > before) return;
    this.lastSeq = ev.seq;
    if (ev.ts !== undefined) this.lastTs.set(ev.node, ev.ts);
    this.events.push(ev);
    this.lines.push(n);
  }

  /** The trace read so far; throws TraceInputError if any line had a problem. */
  finish(): Trace {
    if (this.header === undefined && this.issues.length === 0) {
      this.issues.push({ file: this.file, line: Math.max(1, this.lineNo), pointer: '', message: 'empty trace: expected a header line' });
    }
    if (this.issues.length > 0 || this.header === undefined) throw new TraceInputError(this.issues);
    return { header: this.header, events: this.events, file: this.file, lines: this.lines };
  }
}

function safeValidate(v: ValidateFunction, value: unknown): boolean {
  try {
    return v(value) === true;
  } catch {
    v.errors = [{ instancePath: '', schemaPath: '', keyword: 'internal', params: {}, message: 'value could not be validated' }];
    return false;
  }
}

function wrapUnexpected(file: string, e: unknown): TraceInputError {
  if (e instanceof TraceInputError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new TraceInputError([{ file, line: 0, pointer: '', message: `cannot read trace: ${msg}` }]);
}

/** Parse a whole trace held in a string. */
export function parseTrace(text: string, opts: ReadOptions = {}): Trace {
  const file = opts.file ?? '<string>';
  try {
    const p = new TraceParser({ ...opts, file });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (start < text.length) p.line(text.slice(start));
        break;
      }
      p.line(text.slice(start, nl));
      start = nl + 1;
    }
    return p.finish();
  } catch (e) {
    throw wrapUnexpected(file, e);
  }
}

/** Read a trace file synchronously; "-" reads stdin. */
export function readTraceFileSync(path: string, opts: ReadOptions = {}): Trace {
  const file = opts.file ?? (path === '-' ? '<stdin>' : path);
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw wrapUnexpected(file, e);
  }
  return parseTrace(text, { ...opts, file });
}

/** Read a trace from a file (streaming, for large traces); "-" reads stdin. */
export async function readTrace(path: string, opts: ReadOptions = {}): Promise<Trace> {
  const file = opts.file ?? (path === '-' ? '<stdin>' : path);
  try {
    const p = new TraceParser({ ...opts, file });
    const stream = path === '-' ? process.stdin : createReadStream(path);
    stream.setEncoding('utf8');
    let rest = '';
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = rest + chunk;
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        p.line(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      text = '';
    }
    if (rest.length > 0) p.line(rest);
    return p.finish();
  } catch (e) {
    throw wrapUnexpected(file, e);
  }
}
