// The record size bound in the readers: however the input is cut into chunks, and
// whether or not LineCapper cut long lines first, the same records, rejects and lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer } from '../../src/sources/csv.js';
import { LineCapper, preview, recordBytesOption } from '../../src/sources/limits.js';
import { NdjsonTokenizer } from '../../src/sources/ndjson.js';

type Out = { rows: [number, unknown][]; bad: [number, string | undefined, string][] };

function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (const n of sizes) {
    if (i >= bytes.length) break;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  if (i < bytes.length) out.push(bytes.subarray(i));
  return out;
}

/** Read `text` through a tokenizer, chunk by chunk, optionally through a LineCapper first. */
function read(kind: 'csv' | 'ndjson', text: string, max: number, sizes: number[], capped: boolean): Out {
  const out: Out = { rows: [], bad: [] };
  const handler = {
    row: (v: unknown, line: number) => out.rows.push([line, v]),
    bad: (line: number, raw: string, _reason: string, code?: string) => out.bad.push([line, code, raw]),
  };
  const tok = kind === 'csv' ? new CsvTokenizer(handler, { maxRecordBytes: max }) : new NdjsonTokenizer(handler, { maxRecordBytes: max });
  const capper = new LineCapper(max + 1);
  const decoder = new TextDecoder();
  for (const chunk of cut(Buffer.from(text), sizes)) {
    for (const part of capped ? capper.take(chunk) : [chunk]) tok.push(decoder.decode(part, { stream: true }));
  }
  tok.push(decoder.decode(), true);
  return out;
}

const ndjsonLine = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify({ a: s })),
  fc.string({ maxLength: 10 }),
  fc.constant(''),
  fc.integer({ min: 0, max: 3 }).map((d) => `{"x":${'['.repeat(d)}${']'.repeat(d)}}`),
);
const csvLine = fc.oneof(fc.stringMatching(/^[a-z,"é\r]{0,40}$/), fc.constant('a,"b\nc",d'), fc.constant(''));
const sizes = fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 40 });

describe('record size bound in the readers', () => {
  it.each(['ndjson', 'csv'] as const)('property (%s): chunking and line capping change nothing', (kind) => {
    fc.assert(
      fc.property(fc.array(kind === 'csv' ? csvLine : ndjsonLine, { maxLength: 12 }), sizes, fc.integer({ min: 8, max: 40 }), (lines, cuts, max) => {
        const text = lines.join('\n');
        const whole = read(kind, text, max, [], false);
        expect(read(kind, text, max, cuts, false)).toEqual(whole);
        expect(read(kind, text, max, cuts, true)).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it('NDJSON: a too-long line is one too_long with a preview; the next line keeps its number', () => {
    const long = `{"a":"${'x'.repeat(500)}"}`;
    const out = read('ndjson', `{"b":1}\n${long}\n{"c":2}\n`, 100, [7, 3, 50, 50, 50], true);
    expect(out.rows).toEqual([
      [1, { b: 1 }],
      [3, { c: 2 }],
    ]);
    expect(out.bad).toEqual([[2, 'too_long', long.slice(0, 33)]]); // 200 characters, or what surely fits in 100 bytes
  });

  it('counts UTF-8 bytes, not characters', () => {
    const line = `{"a":"${'é'.repeat(40)}"}`; // 88 bytes, 48 characters
    expect(read('ndjson', line, 87, [], false).bad.map((b) => b[1])).toEqual(['too_long']);
    expect(read('ndjson', line, 88, [], false).rows).toHaveLength(1);
  });

  it('preview keeps surrogate pairs whole', () => {
    expect(preview('x'.repeat(199) + '😀' + 'y')).toBe('x'.repeat(199));
    expect(preview('x'.repeat(300), 30)).toBe('x'.repeat(10));
    expect(preview('short')).toBe('short');
  });

  it.each([
    ['16777216', 16777216],
    ['512k', 512 * 1024],
    ['16m', 16 * 1024 * 1024],
    ['1', 1],
  ])('--max-record-bytes %s = %d', (v, n) => expect(recordBytesOption(v)).toBe(n));

  it.each(['0', '-1', '1.5m', 'big', '', '1t', '600m'])('--max-record-bytes %j is refused', (v) => {
    expect(() => recordBytesOption(v)).toThrow(/expected a size/);
  });
});
