import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { CsvTokenizer } from '../../src/sources/csv.js';

interface Out {
  rows: { cells: string[]; line: number }[];
  bad: { line: number; raw: string; reason: string }[];
}

/** Tokenize `text` fed in the given chunk sizes. */
function tokenize(text: string, chunks: number[] = [], maxCells = Infinity): Out {
  const out: Out = { rows: [], bad: [] };
  const t = new CsvTokenizer({
    row: (cells, line) => out.rows.push({ cells, line }),
    bad: (line, raw, reason) => out.bad.push({ line, raw, reason }),
  });
  t.maxCells = maxCells;
  let i = 0;
  for (const n of chunks) {
    if (i >= text.length) break;
    t.push(text.slice(i, i + n));
    i += n;
  }
  t.push(text.slice(i));
  t.end();
  return out;
}

function encodeCell(c: string): string {
  return /[",\r\n]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c;
}

const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', 'x'), maxLength: 8 });
const rowArb = fc.array(cell, { minLength: 1, maxLength: 5 });
const chunking = fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 });

describe('CsvTokenizer', () => {
  it('keeps BOM out, handles CRLF, quoted newlines and reports start lines', () => {
    const text = '\uFEFFa,b\r\n1,2\r\n\r\n"x\r\ny",3\r\n4,"5 ""q"""\r\n';
    const out = tokenize(text);
    expect(out.bad).toEqual([]);
    expect(out.rows).toEqual([
      { cells: ['a', 'b'], line: 1 },
      { cells: ['1', '2'], line: 2 },
      { cells: ['x\r\ny', '3'], line: 4 },
      { cells: ['4', '5 "q"'], line: 6 },
    ]);
  });

  it('rejects text after a closing quote and goes on with the next line', () => {
    const out = tokenize('a,b\n7,"bad"q\n8,9\n');
    expect(out.bad).toEqual([{ line: 2, raw: '7,"bad"q', reason: expect.stringContaining('closing quote') }]);
    expect(out.rows.map((r) => r.line)).toEqual([1, 3]);
  });

  it('rejects only the first line of a never-closed quote and rescans the rest', () => {
    const out = tokenize('a,b\n"open,1\n2,3\n4,5\n');
    expect(out.bad).toEqual([{ line: 2, raw: '"open,1', reason: expect.stringContaining('never closed') }]);
    expect(out.rows).toEqual([
      { cells: ['a', 'b'], line: 1 },
      { cells: ['2', '3'], line: 3 },
      { cells: ['4', '5'], line: 4 },
    ]);
  });

  it('turns a row with more cells than the header into a bad record with its raw text', () => {
    const out = tokenize('1,"x,y",3\n1,2\n', [], 2);
    expect(out.bad).toEqual([{ line: 1, raw: '1,"x,y",3', reason: 'row has 3 cells but the header has 2' }]);
    expect(out.rows).toEqual([{ cells: ['1', '2'], line: 2 }]);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(tokenize('5" screen,2\n').rows).toEqual([{ cells: ['5" screen', '2'], line: 1 }]);
  });

  it('reads a last line without a newline, and a 10 MB single line', () => {
    expect(tokenize('a,b\n1,2').rows[1]).toEqual({ cells: ['1', '2'], line: 2 });
    const big = 'x'.repeat(10 * 1024 * 1024);
    const out = tokenize(`a\n${big}\n`, [1000, 4 * 1024 * 1024]);
    expect(out.rows[1]!.cells[0]!.length).toBe(big.length);
  });

  it('property: well-formed CSV round-trips cell for cell with correct start lines, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), fc.boolean(), chunking, (rows, crlf, chunks) => {
        const eol = crlf ? '\r\n' : '\n';
        const lines = rows.map((r) => r.map(encodeCell).join(','));
        const text = lines.join(eol) + eol;
        const out = tokenize(text, chunks);
        expect(out.bad).toEqual([]);
        expect(out.rows.map((r) => r.cells)).toEqual(rows);
        let line = 1;
        rows.forEach((_, i) => {
          expect(out.rows[i]!.line).toBe(line);
          line += lines[i]!.split('\n').length;
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: agrees with csv-parse on well-formed input', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), (rows) => {
        const text = rows.map((r) => r.map(encodeCell).join(',')).join('\n') + '\n';
        const expected = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
        expect(tokenize(text).rows.map((r) => r.cells)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('property: never throws, and every non-empty physical line is part of a record or a bad record', () => {
    const junk = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\uFFFD'), maxLength: 60 });
    fc.assert(
      fc.property(junk, chunking, (text, chunks) => {
        const out = tokenize(text, chunks, 3);
        const physical = text.split('\n');
        const covered = new Set<number>();
        const mark = (line: number, raw: string): void => {
          const span = raw.split('\n').length;
          for (let k = 0; k < span; k++) covered.add(line + k);
        };
        for (const r of out.rows) mark(r.line, r.cells.join(','));
        for (const b of out.bad) mark(b.line, b.raw);
        physical.forEach((l, idx) => {
          if (l.replace(/\r$/, '') !== '' && !covered.has(idx + 1)) {
            // a line inside a multi-line quoted record is covered by the record's start line span
            const inside = out.rows.some((r) => r.line <= idx + 1 && idx + 1 < r.line + r.cells.join(',').split('\n').length);
            expect(inside).toBe(true);
          }
        });
      }),
      { numRuns: 500 },
    );
  });
});
