// The published JSON Schemas of every --json output (spec/json/), compiled once with ajv.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../spec/json');
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const cache = new Map<string, ValidateFunction>();

/** The validator of spec/json/NAME.schema.json. */
export function jsonSchema(name: 'check' | 'validate' | 'validate-dir' | 'chaos' | 'liveness' | 'zoo' | 'capture' | 'sweep'): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    // schemas refer to each other (liveness -> check): load the check schema first
    if (name === 'liveness' && !ajv.getSchema('replcheck/spec/json/check.schema.json')) jsonSchema('check');
    v = ajv.compile(JSON.parse(readFileSync(path.join(DIR, `${name}.schema.json`), 'utf8')) as object);
    cache.set(name, v);
  }
  return v;
}

/** Valid against the schema, or the errors as one message. */
export function schemaErrors(name: Parameters<typeof jsonSchema>[0], value: unknown): string | null {
  const v = jsonSchema(name);
  return v(value) ? null : ajv.errorsText(v.errors, { separator: '\n' });
}

/** A campaign.jsonl row against chaos.schema.json's $defs/row. */
export function chaosRowErrors(value: unknown): string | null {
  jsonSchema('chaos');
  let v = cache.get('chaos-row');
  if (!v) {
    v = ajv.compile({ $ref: 'replcheck/spec/json/chaos.schema.json#/$defs/row' });
    cache.set('chaos-row', v);
  }
  return v(value) ? null : ajv.errorsText(v.errors, { separator: '\n' });
}
