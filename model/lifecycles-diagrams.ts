// Regenerates spec/lifecycles.md from the lifecycle tables:
// `npm run build && node dist/model/lifecycles-diagrams.js [path]`.
import { writeFileSync } from 'node:fs';
import { lifecyclesMarkdown } from './lifecycles.js';

const out = process.argv[2] ?? 'spec/lifecycles.md';
writeFileSync(out, lifecyclesMarkdown());
process.stdout.write(`wrote ${out}\n`);
