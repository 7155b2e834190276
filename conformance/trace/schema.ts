// JSON Schemas (draft 2020-12) of the trace format, generated from the vocabulary table so the
// schema, the reader and the models cannot drift apart. spec/trace.schema.json is the output of
// `traceSchemaDocument()` (regenerate with `node dist/conformance/trace/write-schema.js`); a test
// checks the committed file equals the generated one.
import { KINDS, KIND_NAMES, fieldsOf, type Kind, type KindDef, type FieldType } from '../../model/vocabulary.js';
import { TRACE_FORMAT, TRACE_VERSION } from './types.js';

export type JsonSchema = { [k: string]: unknown };

export const TRACE_SCHEMA_ID = 'urn:replcheck:trace-schema:1';
export const CHANNELS = ['main', 'rdb', 'child', 'other'] as const;

export interface TraceSchemas {
  /** Schema of line 1. */
  readonly header: JsonSchema;
  /** Schema of one event line of each kind (refs point into `document`'s $defs). */
  readonly kinds: Readonly<Record<Kind, JsonSchema>>;
  /** The whole spec/trace.schema.json document: a trace line is a header or an event. */
  readonly document: JsonSchema;
}

/** $defs key of the event schema of one kind. */
export function kindDefName(kind: Kind): string {
  return `event:${kind}`;
}

const JSON_TYPE: Record<FieldType, string> = { int: 'integer', string: 'string', bool: 'boolean' };

function kindSchema(kind: Kind): JsonSchema {
  const def: KindDef = KINDS[kind];
  const fieldProps: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, fd] of Object.entries(fieldsOf(kind))) {
    fieldProps[name] = { type: JSON_TYPE[fd.type], description: fd.doc };
    if (fd.required) required.push(name);
  }
  const conn: JsonSchema = def.conn === undefined
    ? { $ref: '#/$defs/conn' }
    : {
        allOf: [{ $ref: '#/$defs/conn' }],
        type: 'object',
        properties: { channel: { const: def.conn } },
        description: `this kind is always on the ${def.conn} connection`,
      };
  return {
    title: kind,
    description: `${def.doc} (logged by a ${def.node === 'env' ? 'env' : def.node} node)`,
    type: 'object',
    required: ['seq', 'node', 'kind', 'fields'],
    additionalProperties: false,
    properties: {
      seq: { $ref: '#/$defs/seq' },
      ts: { $ref: '#/$defs/ts' },
      node: { $ref: '#/$defs/nodeName' },
      kind: { const: kind },
      conn,
      fields: {
        type: 'object',
        additionalProperties: false,
        required,
        properties: fieldProps,
      },
      src: { $ref: '#/$defs/src' },
    },
  };
}

function headerSchema(): JsonSchema {
  return {
    title: 'trace header (line 1)',
    type: 'object',
    required: ['format', 'version', 'source', 'nodes', 'model'],
    additionalProperties: false,
    properties: {
      format: { const: TRACE_FORMAT },
      version: { const: TRACE_VERSION },
      source: { enum: ['simulated', 'valkey-log', 'other'] },
      nodes: {
        description: 'nodes whose events the trace records; extra node properties are allowed',
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['name', 'role'],
          properties: {
            name: { $ref: '#/$defs/nodeName' },
            role: { enum: ['primary', 'replica', 'env'] },
          },
        },
      },
      model: {
        description: 'configuration to judge the trace against',
        type: 'object',
        required: ['preset'],
        additionalProperties: false,
        properties: {
          preset: { type: 'string', minLength: 1 },
          set: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } },
        },
      },
      observes: {
        description: 'kinds the source can observe (omitted = all); other kinds are silent',
        type: 'array',
        uniqueItems: true,
        items: { enum: [...KIND_NAMES] },
      },
      meta: { description: 'free-form provenance, ignored by the validator' },
    },
  };
}

function sharedDefs(): Record<string, JsonSchema> {
  return {
    seq: { description: 'strictly increasing, starting at 1 or more', type: 'integer', minimum: 1 },
    ts: { description: 'epoch milliseconds; never decreasing per node', type: 'number', minimum: 0 },
    nodeName: { type: 'string', minLength: 1, maxLength: 200 },
    conn: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cid: { type: 'integer', minimum: 0 },
        addr: { type: 'string' },
        channel: { enum: [...CHANNELS] },
      },
    },
    src: {
      description: 'origin of a converted log line',
      type: 'object',
      required: ['file', 'line'],
      additionalProperties: false,
      properties: { file: { type: 'string' }, line: { type: 'integer', minimum: 1 } },
    },
  };
}

/** The schemas of the trace format, generated from model/vocabulary.ts. */
export function traceSchemas(): TraceSchemas {
  const header = headerSchema();
  const kinds = {} as Record<Kind, JsonSchema>;
  for (const k of KIND_NAMES) kinds[k] = kindSchema(k);
  const defs: Record<string, JsonSchema> = { header, ...sharedDefs() };
  defs.event = {
    title: 'trace event (every line after the first)',
    type: 'object',
    required: ['kind'],
    properties: { kind: { enum: [...KIND_NAMES] } },
    discriminator: { propertyName: 'kind' },
    oneOf: KIND_NAMES.map((k) => ({ $ref: `#/$defs/${kindDefName(k)}` })),
  };
  for (const k of KIND_NAMES) defs[kindDefName(k)] = kinds[k];
  const document: JsonSchema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: TRACE_SCHEMA_ID,
    title: 'replcheck trace line',
    description:
      'A replcheck trace is JSON Lines: line 1 matches #/$defs/header, every later line matches ' +
      '#/$defs/event. GENERATED from model/vocabulary.ts by conformance/trace/schema.ts; do not edit.',
    oneOf: [{ $ref: '#/$defs/header' }, { $ref: '#/$defs/event' }],
    $defs: defs,
  };
  return { header, kinds, document };
}

/** spec/trace.schema.json's exact text. */
export function traceSchemaText(): string {
  return JSON.stringify(traceSchemas().document, null, 2) + '\n';
}
