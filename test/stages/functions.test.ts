// The expression functions (src/stages/functions.ts): every function on normal values, missing
// values, wrong types and edge cases; call errors with their columns; properties with fast-check;
// and the built CLI end to end.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Rec } from '../../src/pipeline/types.js';
import { compileExpr, ExprError } from '../../src/stages/filter-expr.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, signature } from '../../src/stages/functions.js';
import { FIXTURES, ROOT, runCli, tempDir } from '../support/cli.js';
import { runStages } from './helpers.js';

type Row = Record<string, unknown>;
const rec = (value: Row): Rec => ({ value, raw: value, source: 't', line: 1, origin: 't', pos: 1 }) as Rec;
const value = (expr: string, v: Row = {}): unknown => compileExpr(expr, 'value')(rec(v));
const test = (expr: string, v: Row = {}): unknown => compileExpr(expr, 'condition')(rec(v));

function errorOf(expr: string, want: 'condition' | 'value' = 'value'): { column: number; message: string } {
  try {
    compileExpr(expr, want);
  } catch (err) {
    if (err instanceof ExprError) return { column: err.column, message: err.message };
    throw err;
  }
  throw new Error(`no error for ${expr}`);
}

// [expression, record, expected value]; null = "no value" (set leaves the field out)
const CASES: Record<string, [string, Row, unknown][]> = {
  round: [
    ['round(2.675, 2)', {}, 2.68], // 2.675 * 100 = 267.49999999999997: the decimal value decides, not the float
    ['round(1.005, 2)', {}, 1.01],
    ['round(x, 2)', { x: 1200 * 2.99 }, 3588],
    ['round(2.5)', {}, 3],
    ['round(-2.5)', {}, -3], // half away from zero, also below zero
    ['round(-2.675, 2)', {}, -2.68],
    ['round(-0.4)', {}, 0],
    ['round(9.995, 2)', {}, 10],
    ['round(1234.5678, -2)', {}, 1200],
    ['round(1250, -2)', {}, 1300],
    ['round(4, -1)', {}, 0],
    ['round(0.0000001, 2)', {}, 0],
    ['round(0.0000005, 6)', {}, 0.000001],
    ['round(1e21, 2)', {}, 1e21],
    ['round(x)', { x: '2.5' }, 3], // numeric text is a number
    ['round(x)', {}, null],
    ['round(x)', { x: ' ' }, null],
    ['round(x)', { x: 'abc' }, null],
    ['round(x)', { x: true }, null],
    ['round(2.5, 1.5)', {}, null], // digits must be whole
    ['ROUND(2.5)', {}, 3], // names are case-insensitive
  ],
  floor: [['floor(2.7)', {}, 2], ['floor(-0.5)', {}, -1], ['floor(x)', { x: 'x' }, null], ['floor(x)', {}, null]],
  ceil: [['ceil(2.1)', {}, 3], ['ceil(-0.5)', {}, 0], ['ceil(x)', { x: '1.5' }, 2], ['ceil(x)', { x: null }, null]],
  abs: [['abs(-3)', {}, 3], ['abs(x)', { x: '-1.5' }, 1.5], ['abs(x)', { x: 'minus' }, null]],
  min: [['min(3, x, 1)', { x: '2' }, 1], ['min(1, x)', {}, null], ['min(1, x)', { x: 'a' }, null], ['min(-1, -2)', {}, -2]],
  max: [['max(3, x, 1)', { x: '7' }, 7], ['max(1, x)', { x: null }, null], ['max(1.5, 1)', {}, 1.5]],
  lower: [['lower(x)', { x: 'ÄB C' }, 'äb c'], ['lower(x)', {}, null], ['lower(x)', { x: '' }, null], ['lower(12)', {}, '12']],
  upper: [['upper(x)', { x: 'straße' }, 'STRASSE'], ['upper(x)', { x: null }, null], ['upper(true)', {}, 'TRUE']],
  trim: [['trim(x)', { x: '  a b \t' }, 'a b'], ['trim(x)', { x: '   ' }, null], ['trim(x)', {}, null]],
  len: [
    ['len(x)', { x: 'héllo' }, 5],
    ['len(x)', { x: '👍🏽a' }, 3], // code points: the emoji and its skin-tone modifier, then a
    ['len(x)', { x: ' a ' }, 3],
    ['len(x)', { x: 12345 }, 5],
    ['len(x)', { x: '' }, null],
    ['len(x)', {}, null],
  ],
  concat: [
    ['concat(a, " ", b)', { a: 'Ann', b: 'Lee' }, 'Ann Lee'],
    ['concat(a, " ", b)', { a: 'Ann' }, null],
    ['concat(a, b)', { a: 'x', b: '' }, 'x'], // a part may be blank
    ['concat(1, true, "-")', {}, '1true-'],
  ],
  substr: [
    ['substr("hello", 1, 3)', {}, 'ell'],
    ['substr("hello", 2)', {}, 'llo'],
    ['substr("hello", 2, 100)', {}, 'llo'],
    ['substr("hello", 10)', {}, ''], // past the end
    ['substr("hello", 5, 1)', {}, ''],
    ['substr("hello", -3)', {}, 'llo'], // from the end
    ['substr("hello", -10, 2)', {}, 'he'],
    ['substr(x, 1, 1)', { x: 'a😀b' }, '😀'], // code points, not UTF-16 units
    ['substr(x, 2)', { x: 'a😀b' }, 'b'],
    ['substr("hello", 1, -1)', {}, null],
    ['substr("hello", x)', { x: 'one' }, null],
    ['substr("hello", 1.5)', {}, null],
    ['substr(x, 0)', {}, null],
  ],
  replace: [
    ['replace(x, "-", "")', { x: 'a-b-c' }, 'abc'], // every occurrence; an empty replacement is fine
    ['replace(x, ".", "$&")', { x: 'a.b' }, 'a$&b'], // literal, no regex or $ patterns
    ['replace(x, " ", "_")', { x: 'a b  c' }, 'a_b__c'],
    ['replace(x, "", "x")', { x: 'abc' }, 'abc'],
    ['replace(x, "a", "b")', {}, null],
    ['replace(x, y, "b")', { x: 'abc' }, null],
  ],
  starts_with: [
    ['starts_with(x, "a")', { x: 'abc' }, true],
    ['starts_with(x, "A")', { x: 'abc' }, false],
    ['starts_with(x, "a")', {}, null],
    ['starts_with(x, 12)', { x: 12345 }, true],
  ],
  ends_with: [['ends_with(x, ".com")', { x: 'a@b.com' }, true], ['ends_with(x, "z")', { x: 'abc' }, false], ['ends_with(x, "")', { x: 'abc' }, true]],
  contains: [['contains(x, " ")', { x: 'a b' }, true], ['contains(x, "q")', { x: 'abc' }, false], ['contains(x, null)', { x: 'abc' }, null]],
  coalesce: [
    ['coalesce(a, b, "x")', { a: '  ', b: null }, 'x'],
    ['coalesce(a, b)', { b: 5 }, 5],
    ['coalesce(a, b)', { a: '', b: '' }, null],
    ['coalesce(a, 1)', { a: 0 }, 0], // 0 and false are values
    ['coalesce(a, 1)', { a: false }, false],
  ],
  exists: [['exists(x)', { x: 'a' }, true], ['exists(x)', { x: ' ' }, false], ['exists(`odd name`)', { 'odd name': 1 }, true]],
  is_null: [['is_null(x)', { x: '' }, true], ['is_null(x)', { x: 0 }, false], ['is_null(round(x))', { x: 'abc' }, true]],
  now: [], // below: one instant per run
  date: [
    ['date(x)', { x: '2024-05-04T12:00:00+02:00' }, '2024-05-04'],
    ['date(x)', { x: '2024-05-04T01:00:00+02:00' }, '2024-05-03'], // the UTC day
    ['date(x)', { x: '2024-05-04 23:30:00' }, '2024-05-04'], // no offset: UTC
    ['date(x)', { x: '2024-05-04T10:00:00.250Z' }, '2024-05-04'],
    ['date(x)', { x: '2024-05-04' }, '2024-05-04'],
    ['date(x)', { x: '2024-02-30' }, null],
    ['date(x)', { x: '2024-05-04T25:00:00Z' }, null],
    ['date(x)', { x: 20240504 }, null],
    ['date(x)', { x: 'yesterday' }, null],
    ['date(x)', {}, null],
  ],
  year: [['year(x)', { x: '2024-05-04' }, 2024], ['year(x)', { x: '2023-12-31T23:00:00-02:00' }, 2024], ['year(x)', { x: 'x' }, null], ['year(x)', { x: '0024-05-04' }, 24]],
  month: [['month(x)', { x: '2024-05-04' }, 5], ['month(x)', { x: '2024-12-31T10:00:00Z' }, 12], ['month(x)', {}, null]],
  day: [['day(x)', { x: '2024-05-04' }, 4], ['day(x)', { x: '2024-02-29' }, 29], ['day(x)', { x: '2023-02-29' }, null]],
  days_between: [
    ['days_between("2024-05-01", "2024-05-31T23:00:00Z")', {}, 30],
    ['days_between("2024-03-01", "2024-02-28")', {}, -2], // 2024 is a leap year
    ['days_between("2024-01-01T23:59:59Z", "2024-01-02T00:00:01Z")', {}, 1], // calendar days
    ['days_between("2024-01-01", "2024-01-01T23:00:00Z")', {}, 0],
    ['days_between(a, "2024-01-01")', {}, null],
  ],
};

describe('expression functions', () => {
  it('every function of the table has cases here', () => {
    expect(Object.keys(CASES).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  for (const [name, cases] of Object.entries(CASES)) {
    if (cases.length === 0) continue;
    it.each(cases)(`${name}: %s on %j gives %j`, (expr, row, want) => {
      const got = value(expr, row);
      expect(got).toEqual(want);
      if (want === 0) expect(Object.is(got, -0)).toBe(false); // no -0 in the output
    });
  }

  it('now() is one instant for the whole run, an ISO timestamp in UTC', async () => {
    const before = Date.now();
    const a = value('now()');
    await new Promise((r) => setTimeout(r, 5));
    expect(value('concat(now(), "")')).toBe(a);
    expect(a).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(a as string)).toBeGreaterThanOrEqual(before - 60_000); // taken in this process
    expect(value('days_between(now(), now())')).toBe(0);
  });

  it.each([
    ['starts_with(email, "a")', { email: 'ann@x.org' }, true],
    ['starts_with(email, "a")', {}, false], // null counts as false in a filter
    ['not starts_with(email, "a")', {}, true],
    ['len(name) > 3', { name: 'Anna' }, true],
    ['len(name) > 3', {}, false],
    ['round(q * p, 2) == 3588', { q: 1200, p: 2.99 }, true],
    ['lower(country) in ("de", "fr")', { country: 'DE' }, true],
    ['is_null(phone) or exists(email)', { phone: ' ' }, true],
  ])('in a filter: %s on %j is %s', (expr, row, want) => {
    expect(test(expr, row) === true).toBe(want); // filter keeps a record only on true
  });

  it.each([
    // [expression, column, message part]
    ['rond(x)', 0, "unknown function 'rond' (did you mean 'round'?)"],
    ['quantity > 0 and lenn(name) > 3', 17, "unknown function 'lenn' (did you mean 'len'?)"],
    ['startswith(email, "a")', 0, "(did you mean 'starts_with'?)"],
    ['frobnicate(x)', 0, "unknown function 'frobnicate' (`recflow stages filter` lists the functions)"],
    ['round(x, 2, 3)', 12, 'round() takes 1 or 2 arguments (round(x[, digits])), got 3'],
    ['round()', 6, 'round() takes 1 or 2 arguments (round(x[, digits])), got 0'],
    ['replace(s, "a")', 14, 'replace() takes 3 arguments (replace(s, old, new)), got 2'],
    ['min(1)', 5, 'min() takes at least 2 arguments (min(a, b, ...)), got 1'],
    ['now(1)', 4, 'now() takes 0 arguments (now()), got 1'],
    ['lower(a, b)', 9, 'lower() takes 1 argument (lower(s)), got 2'],
    ['exists("email")', 7, 'expected a field name'],
    ['round(x', 7, "expected ',' or ')' after an argument of round()"],
    ['round(x,)', 8, 'expected a value'],
  ])('%s: error at column %i', (expr, column, message) => {
    const err = errorOf(expr);
    expect(err.message).toContain(message);
    expect(err.column).toBe(column);
  });

  it('a function that gives a value is not a condition', () => {
    expect(errorOf('lower(x)', 'condition')).toMatchObject({ column: 0, message: expect.stringContaining('expected a condition') });
    expect(() => compileExpr('lower(x) == "a"', 'condition')).not.toThrow();
  });
});

/** round half away from zero on the decimal text of x, with BigInt: a different way to the same answer. */
function referenceRound(x: number, d: number): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const frac = m[3] ?? '';
  const digits = BigInt(m[2]! + frac);
  const exp = Number(m[4] ?? 0) - frac.length; // |x| = digits * 10^exp
  const k = exp + d;
  if (k >= 0) return x === 0 ? 0 : x; // the output has no -0
  const unit = 10n ** BigInt(-k);
  let q = digits / unit;
  if (2n * (digits % unit) >= unit) q += 1n;
  const z = Number(`${m[1]}${q}e${-d}`);
  return z === 0 ? 0 : z;
}

describe('expression functions, properties', () => {
  it('round(x, d) equals the decimal-text reference', () => {
    const x = fc.oneof(
      fc.double({ min: -1e12, max: 1e12, noNaN: true }),
      fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => n / 1000), // many exact halves
    );
    fc.assert(
      fc.property(x, fc.integer({ min: -4, max: 8 }), (v, d) => {
        expect(value(`round(x, ${d})`, { x: v })).toBe(referenceRound(v, d));
      }),
      { numRuns: 2000 },
    );
  });

  it('lower, upper, len, substr and concat on random text', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(text, text, fc.nat(25), (a, b, k) => {
        expect(value('lower(a)', { a })).toBe(a.toLowerCase());
        expect(value('upper(a)', { a })).toBe(a.toUpperCase());
        expect(value('len(a)', { a })).toBe([...a].length);
        expect(value('len(concat(a, b))', { a, b })).toBe([...a].length + [...b].length);
        expect(value('substr(a, 0, len(a))', { a })).toBe(a);
        expect(value(`concat(substr(a, 0, ${k}), substr(a, ${k}))`, { a })).toBe(a); // never splits a surrogate pair
        expect(value('replace(a, b, b)', { a, b })).toBe(a);
      }),
      { numRuns: 300 },
    );
  });
});

describe('expression functions through the CLI', () => {
  const { dir, cleanup } = tempDir('recflow-fn-');
  afterAll(cleanup);
  const inventory = join(FIXTURES, 'inventory.csv');
  const customers = join(FIXTURES, 'customers.csv');

  it('set expr=round(quantity * unit_price, 2) writes 3588, not 3588.0000000000005', async () => {
    const plain = await runStages(dir, [inventory, '--stage', 'set:field=total,expr=quantity * unit_price']);
    expect(plain.out.find((r) => r.sku === 'SKU-000004')?.total).toBe(3588.0000000000005); // the problem
    const res = await runStages(dir, [inventory, '--stage', 'set:field=total,expr=round(quantity * unit_price, 2)']);
    expect(res.code).toBe(0);
    expect(res.summary!.records).toEqual(plain.summary!.records); // the fixture's bad rows are rejected by the contract pass, as without the stage
    expect(res.out.find((r) => r.sku === 'SKU-000004')?.total).toBe(3588);
    expect(res.out.find((r) => r.sku === 'SKU-000002')?.total).toBe(4949.85);
    expect(res.out).toHaveLength(plain.out.length);
  });

  it('an unknown function is exit 2 with a did-you-mean and a caret, nothing written', async () => {
    const res = await runStages(dir, [inventory, '--stage', 'set:field=total,expr=rond(quantity * unit_price, 2)']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain("option 'expr': unknown function 'rond' (did you mean 'round'?) at column 1");
    expect(res.stderr).toContain('    rond(quantity * unit_price, 2)\n    ^');
    const arity = await runStages(dir, [inventory, '--stage', 'filter:expr=starts_with(sku)']);
    expect(arity.code).toBe(2);
    expect(arity.stderr).toContain('starts_with() takes 2 arguments (starts_with(s, p)), got 1 at column 16');
  });

  it('filter:expr=starts_with(email, "a") keeps exactly the emails starting with a', async () => {
    const all = await runStages(dir, [customers]);
    const res = await runStages(dir, [customers, '--stage', 'filter:expr=starts_with(email, "a")']);
    const want = all.out.filter((r) => typeof r.email === 'string' && r.email.startsWith('a'));
    expect(want.length).toBeGreaterThan(0);
    expect(res.out).toEqual(want);
    expect(res.summary!.records.dropped).toBe(all.out.length - want.length);
  });

  it('`recflow stages filter` and docs/stages.md list every function of the table with its doc', async () => {
    const res = await runCli(['stages', 'filter']);
    const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const md = readFileSync(join(ROOT, 'docs', 'stages.md'), 'utf8');
    for (const f of FUNCTIONS) {
      expect(res.stdout).toMatch(new RegExp(`\\n  ${esc(signature(f))} +${f.returns}: ${esc(f.doc.replaceAll('`', '').split(' ')[0]!)}`));
      expect(md).toContain(`| \`${signature(f)}\` |`);
      expect(md).toContain(f.doc.replaceAll('|', '\\|'));
    }
  });

  it('now() is the same on every record of a run', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const res = await runStages(dir, [customers, '--stage', 'set:field=seen,expr=now()', '--stage', 'set:field=day,expr=date(now())']);
    const seen = new Set(res.out.map((r) => r.seen));
    expect(seen.size).toBe(1);
    const [t] = [...seen] as string[];
    expect(t! >= before && t! <= new Date().toISOString()).toBe(true);
    expect(res.out[0]!.day).toBe(t!.slice(0, 10));
  });
});
