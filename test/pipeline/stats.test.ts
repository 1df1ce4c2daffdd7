// Reject counters: a worker counts a piece's rejects and the main thread adds the counts
// up in input order; that must give what counting every row on one thread gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RejectCounts, RunStats } from '../../src/pipeline/stats.js';
import type { Rejected } from '../../src/pipeline/types.js';

const codes = ['invalid_email', 'missing_required', 'too_long', 'parse_error'] as const;

const row = fc.record({
  source: fc.constantFrom('a.csv', 'b.csv'),
  line: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
  kind: fc.constantFrom('customer', 'inventory', null),
  errors: fc.array(fc.constantFrom(...codes), { minLength: 1, maxLength: 3 }).map((cs) => cs.map((code) => ({ field: null, code, message: code }))),
}).map((r): Rejected => ({ ...r, record: {} }) as Rejected);

describe('RejectCounts', () => {
  it('counts per kind and per code (a code twice in one row counts once), with the first three places per code', () => {
    const c = new RejectCounts();
    c.countRejected([
      { source: 'a.csv', line: 2, kind: 'customer', errors: [{ field: 'email', code: 'invalid_email', message: 'x' }, { field: 'alt', code: 'invalid_email', message: 'y' }], record: {} },
      { source: 'a.csv', line: 5, kind: null, errors: [{ field: null, code: 'parse_error', message: 'z' }], record: 'x' },
      { source: 'k', line: null, kind: 'customer', errors: [{ field: 'email', code: 'invalid_email', message: 'x' }], record: {} },
    ]);
    expect(c.rejected).toBe(3);
    expect(c.rejectedByKind).toEqual({ customer: 2, unknown: 1 });
    expect(c.rejectedByCode).toEqual({ invalid_email: 2, parse_error: 1 });
    expect(c.examples).toEqual({ invalid_email: ['a.csv:2', 'k'], parse_error: ['a.csv:5'] });
  });

  it('pieces counted apart and added up in order equal the rows counted on one thread', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 6 }), (rows, cuts) => {
        const one = new RunStats();
        one.countRejected(rows);
        const merged = new RunStats();
        const at = [...new Set(cuts.map((c) => Math.min(c, rows.length)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...at, rows.length]) {
          const piece = new RejectCounts();
          piece.countRejected(rows.slice(from, to));
          // as the worker's result arrives: a structured clone, a plain object
          merged.addRejects(structuredClone({ ...piece }));
          from = to;
        }
        expect(merged.rejected).toBe(one.rejected);
        expect(merged.rejectedByKind).toEqual(one.rejectedByKind);
        expect(merged.rejectedByCode).toEqual(one.rejectedByCode);
        expect(merged.examples).toEqual(one.examples);
      }),
    );
  });

  it('RunStats tells its onRejected hook every row it counts', () => {
    const seen: Rejected[][] = [];
    const s = new RunStats();
    s.onRejected = (rows) => seen.push(rows);
    const rows: Rejected[] = [{ source: 'a.csv', line: 1, kind: null, errors: [{ field: null, code: 'parse_error', message: 'm' }], record: '' }];
    s.countRejected(rows);
    expect(seen).toEqual([rows]);
    expect(s.rejected).toBe(1);
  });
});
