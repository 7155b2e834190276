// Regenerates spec/trace.schema.json: `node dist/conformance/trace/write-schema.js [path]`.
import { writeFileSync } from 'node:fs';
import { traceSchemaText } from './schema.js';

const out = process.argv[2] ?? 'spec/trace.schema.json';
writeFileSync(out, traceSchemaText());
process.stdout.write(`wrote ${out}\n`);
