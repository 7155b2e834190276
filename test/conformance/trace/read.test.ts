import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrace, readTrace, readTraceFileSync } from '../../../conformance/trace/read.js';
import { formatTrace, writeTrace } from '../../../conformance/trace/write.js';
import { TraceInputError } from '../../../conformance/trace/types.js';
import { KIND_NAMES } from '../../../model/vocabulary.js';
import { pingPong, randomWalk } from './toys.js';

const H = JSON.stringify({
  format: 'replcheck-trace', version: 1, source: 'valkey-log',
  nodes: [{ name: 'primary', role: 'primary', port: 6379 }, { name: 'replica1', role: 'replica' }],
  model: { preset: 'small', set: { backlog: 3 } },
});
const ev = (o: object) => JSON.stringify(o);
const ok1 = ev({ seq: 1, ts: 100, node: 'replica1', kind: 'replica.psync', fields: { offset: 5 }, conn: { cid: 3, channel: 'main' }, src: { file: 'r1.log', line: 12 } });

function issuesOf(text: string, file = 't.jsonl') {
  try {
    parseTrace(text, { file });
  } catch (e) {
    expect(e).toBeInstanceOf(TraceInputError);
    return (e as TraceInputError).issues;
  }
  throw new Error('expected a TraceInputError');
}

describe('trace reader', () => {
  it('reads a valid trace and keeps line numbers', () => {
    const t = parseTrace([H, '', ok1, ev({ seq: 3, node: 'primary', kind: 'primary.psync_accepted', fields: { offset: 5 } })].join('\n') + '\n', { file: 'x' });
    expect(t.events).toHaveLength(2);
    expect(t.lines).toEqual([3, 4]);
    expect(t.header.nodes[0]!.port).toBe(6379);
  });

  it.each([
    ['bad JSON', '{"seq":', 2, '', /bad JSON/],
    ['unknown kind', ev({ seq: 1, node: 'primary', kind: 'primary.nope', fields: {} }), 2, '/kind', /unknown kind "primary.nope"/],
    ['missing kind', ev({ seq: 1, node: 'primary', fields: {} }), 2, '/kind', /missing/],
    ['missing field', ev({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: {} }), 2, '/fields/offset', /missing required/],
    ['mistyped field', ev({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: '5' } }), 2, '/fields/offset', /integer/],
    ['unknown field', ev({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 5, zap: 1 } }), 2, '/fields/zap', /unknown property/],
    ['unknown node', ev({ seq: 1, node: 'replica9', kind: 'replica.psync', fields: { offset: 5 } }), 2, '/node', /unknown node "replica9"/],
    ['node of the wrong role', ev({ seq: 1, node: 'primary', kind: 'replica.psync', fields: { offset: 5 } }), 2, '/node', /replica node/],
    ['wrong channel', ev({ seq: 1, node: 'replica1', kind: 'replica.psync', fields: { offset: 5 }, conn: { channel: 'rdb' } }), 2, '/conn/channel', /"main"/],
    ['seq not an integer', ev({ seq: 1.5, node: 'replica1', kind: 'replica.connect', fields: {} }), 2, '/seq', /integer/],
    ['src without line', ev({ seq: 1, node: 'replica1', kind: 'replica.connect', fields: {}, src: { file: 'a' } }), 2, '/src/line', /missing/],
    ['an array', '[1,2]', 2, '', /JSON object/],
  ])('%s: names line and pointer', (_name, line, lineNo, pointer, msg) => {
    const is = issuesOf([H, line].join('\n'));
    expect(is[0]).toMatchObject({ file: 't.jsonl', line: lineNo, pointer });
    expect(is[0]!.message).toMatch(msg);
  });

  it('seq must increase and per-node ts must not go backwards', () => {
    const is = issuesOf([H, ok1,
      ev({ seq: 1, node: 'primary', kind: 'primary.write', fields: {} }),
      ev({ seq: 2, ts: 50, node: 'primary', kind: 'primary.write', fields: {} }),
      ev({ seq: 3, ts: 99, node: 'replica1', kind: 'replica.connect', fields: {} }),
    ].join('\n'));
    expect(is.map((i) => [i.line, i.pointer])).toEqual([[3, '/seq'], [5, '/ts']]);
    expect(is[1]!.message).toMatch(/backwards on node replica1: 99 < 100/);
  });

  it('header problems', () => {
    expect(issuesOf('')[0]).toMatchObject({ line: 1, message: expect.stringMatching(/empty/) });
    expect(issuesOf(ok1)[0]).toMatchObject({ line: 1, pointer: '/format' });
    const h = JSON.parse(H);
    expect(issuesOf(JSON.stringify({ ...h, version: 2 }))[0]).toMatchObject({ line: 1, pointer: '/version' });
    expect(issuesOf(JSON.stringify({ ...h, observes: ['replica.nope'] }))[0]).toMatchObject({ line: 1, pointer: '/observes/0' });
    expect(issuesOf(JSON.stringify({ ...h, nodes: [...h.nodes, { name: 'primary', role: 'primary' }] }))[0]).toMatchObject({ pointer: '/nodes/2/name' });
    expect(issuesOf(JSON.stringify({ ...h, model: {} }))[0]).toMatchObject({ pointer: '/model/preset' });
  });

  it('kinds outside "observes" are errors', () => {
    const h = { ...JSON.parse(H), observes: ['replica.connect'] };
    expect(issuesOf([JSON.stringify(h), ok1].join('\n'))[0]).toMatchObject({ line: 2, pointer: '/kind', message: expect.stringMatching(/observes/) });
  });

  it('collects several issues, at most maxIssues', () => {
    const lines = [H, ...Array.from({ length: 50 }, () => '{')];
    expect(issuesOf(lines.join('\n'))).toHaveLength(20);
  });

  it('never throws anything but TraceInputError on arbitrary input', () => {
    const check = (text: string) => {
      try {
        parseTrace(text);
      } catch (e) {
        if (!(e instanceof TraceInputError)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 500 });
    fc.assert(fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 6 }), (vals) => check([H, ...vals.map((v) => JSON.stringify(v))].join('\n'))), { numRuns: 500 });
    const eventish = fc.record({
      seq: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.string()),
      node: fc.constantFrom('primary', 'replica1', 'env', 'x', '__proto__'),
      kind: fc.oneof(fc.constantFrom(...KIND_NAMES), fc.string()),
      fields: fc.dictionary(fc.constantFrom('offset', 'cid', 'reason', '__proto__', 'ok'), fc.jsonValue({ maxDepth: 2 })),
      ts: fc.oneof(fc.integer(), fc.double()),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.array(eventish, { maxLength: 6 }), (evs) => check([H, ...evs.map((v) => JSON.stringify(v))].join('\n'))), { numRuns: 500 });
    check('['.repeat(100000));
    check(H + '\n' + '['.repeat(100000));
    check('\uFEFF' + H + '\r\n' + ok1 + '\r\n');
  });

  it('round-trips through the writer, files and streams', async () => {
    const t = randomWalk(pingPong(), 40, 7);
    const text = formatTrace(t);
    const back = parseTrace(text);
    expect(back.events).toEqual(t.events);
    expect(formatTrace(back)).toBe(text);
    const dir = mkdtempSync(join(tmpdir(), 'replcheck-'));
    const p = join(dir, 't.jsonl');
    await writeTrace(p, t);
    expect(readTraceFileSync(p).events).toEqual(t.events);
    expect((await readTrace(p)).events).toEqual(t.events);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, H + '\n' + ok1 + '\n{"seq":2}\n');
    await expect(readTrace(bad)).rejects.toMatchObject({ name: 'TraceInputError', issues: [{ file: bad, line: 3, pointer: '/kind' }] });
    await expect(readTrace(join(dir, 'missing.jsonl'))).rejects.toBeInstanceOf(TraceInputError);
  });
});
