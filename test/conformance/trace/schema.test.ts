import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { traceSchemas, traceSchemaText } from '../../../conformance/trace/schema.js';
import { KIND_NAMES, KINDS, fieldsOf } from '../../../model/vocabulary.js';

const committed = fileURLToPath(new URL('../../../spec/trace.schema.json', import.meta.url));

describe('trace schema', () => {
  it('spec/trace.schema.json equals the schema generated from the vocabulary', () => {
    // regenerate with: npm run build && node dist/conformance/trace/write-schema.js
    expect(readFileSync(committed, 'utf8')).toBe(traceSchemaText());
  });

  it('is a valid draft 2020-12 schema that ajv compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, discriminator: true, allowUnionTypes: true });
    const v = ajv.compile(traceSchemas().document);
    expect(v({ format: 'replcheck-trace', version: 1, source: 'other', nodes: [{ name: 'primary', role: 'primary', addr: '127.0.0.1:6379' }], model: { preset: 'small' } })).toBe(true);
    expect(v({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: -1 }, conn: { channel: 'main' } })).toBe(true);
    expect(v({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: {} })).toBe(false);
    expect(v({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 1 }, conn: { channel: 'rdb' } })).toBe(false);
  });

  it('has one event schema per kind with exactly the vocabulary fields', () => {
    const { kinds } = traceSchemas();
    expect(Object.keys(kinds).sort()).toEqual([...KIND_NAMES].sort());
    for (const k of KIND_NAMES) {
      const fields = (kinds[k].properties as Record<string, { properties: object; required: string[] }>).fields;
      expect(Object.keys(fields.properties).sort()).toEqual(Object.keys(fieldsOf(k)).sort());
      expect(fields.required.sort()).toEqual(Object.entries(fieldsOf(k)).filter(([, f]) => f.required).map(([n]) => n).sort());
    }
  });
});
