import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NdjsonTokenizer } from '../../src/sources/ndjson.js';

function read(text: string, chunks: number[] = []) {
  const rows: { value: unknown; line: number }[] = [];
  const bad: { line: number; raw: string }[] = [];
  const t = new NdjsonTokenizer({ row: (value, line) => rows.push({ value, line }), bad: (line, raw) => bad.push({ line, raw }) });
  let i = 0;
  for (const n of chunks) {
    t.push(text.slice(i, i + n));
    i += n;
  }
  t.push(text.slice(i));
  t.end();
  return { rows, bad };
}

describe('NdjsonTokenizer', () => {
  it('reads objects with line numbers, skips empty lines, rejects bad lines and goes on', () => {
    const out = read('\uFEFF{"a":1}\r\n\n   \n{oops\n[1,2]\n{"b":2}');
    expect(out.rows).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 6 },
    ]);
    expect(out.bad).toEqual([
      { line: 4, raw: '{oops' },
      { line: 5, raw: '[1,2]' },
    ]);
  });

  it('property: every line is a record, a skipped empty line, or a parse error; never throws', () => {
    const lineArb = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer(), fc.constant(null))).map((o) => JSON.stringify(o)),
      fc.string({ maxLength: 20 }),
      fc.constant(''),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 30 }), (lines, chunks) => {
        const text = lines.join('\n');
        const out = read(text, chunks);
        const seen = new Map<number, string>();
        for (const r of out.rows) seen.set(r.line, 'row');
        for (const b of out.bad) seen.set(b.line, 'bad');
        expect(out.rows.length + out.bad.length).toBe(seen.size);
        lines.forEach((l, i) => {
          if (l.includes('\n')) return;
          if (l.trim() === '') expect(seen.has(i + 1)).toBe(false);
          else expect(seen.has(i + 1)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
