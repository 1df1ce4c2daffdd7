// The expression language on its own: parsing, errors with columns, and value semantics.
import { describe, expect, it } from 'vitest';
import type { Rec } from '../../src/pipeline/types.js';
import { compileExpr, ExprError } from '../../src/stages/filter-expr.js';

const rec = (value: Record<string, unknown>, kind?: 'customer' | 'inventory'): Rec =>
  ({ value, raw: value, source: 't', line: 1, origin: 't', pos: 1, kind }) as Rec;
const test = (expr: string, value: Record<string, unknown>): unknown => compileExpr(expr, 'condition')(rec(value));
const value = (expr: string, v: Record<string, unknown>): unknown => compileExpr(expr, 'value')(rec(v));

function errorAt(expr: string, want: 'condition' | 'value' = 'condition'): { column: number; message: string } {
  try {
    compileExpr(expr, want);
  } catch (err) {
    if (err instanceof ExprError) return { column: err.column, message: err.message };
    throw err;
  }
  throw new Error(`no error for ${expr}`);
}

describe('filter expressions', () => {
  it.each([
    ['quantity > 10', { quantity: 11 }, true],
    ['quantity > 10', { quantity: '9' }, false],
    ['quantity > 10', { quantity: '11' }, true], // CSV text that looks like a number compares as a number
    ['quantity >= 10 and quantity <= 12', { quantity: 10 }, true],
    ['quantity < 10', {}, false], // missing never orders
    ['not quantity < 10', {}, true],
    ['country == "DE"', { country: 'DE' }, true],
    ["country != 'DE'", { country: 'FR' }, true],
    ['country in ("DE","FR")', { country: 'FR' }, true],
    ['country in ("DE","FR")', { country: 'US' }, false],
    ['country not in ("DE","FR")', { country: 'US' }, true],
    ['quantity in (1, 2, 3)', { quantity: '2' }, true],
    ['email =~ /@example\\.com$/i', { email: 'A@EXAMPLE.COM' }, true],
    ['email !~ /@example\\.com$/', { email: 'a@example.org' }, true],
    ['email =~ "^a"', { email: 'abc' }, true],
    ['email =~ /x/', {}, false],
    ['exists(email)', { email: '  ' }, false],
    ['exists(email)', { email: 'a@b.co' }, true],
    ['phone == null', { phone: '' }, true],
    ['phone == null', { phone: '1' }, false],
    ['active == true', { active: 'TRUE' }, true],
    ['active == false', { active: true }, false],
    ['`unit price` > 3', { 'unit price': 4 }, true],
    ['quantity * unit_price > 100', { quantity: 3, unit_price: '40' }, true],
    ['-quantity < -2', { quantity: 3 }, true],
    ['a == 1 or b == 1 and c == 1', { a: 1 }, true], // and binds tighter than or
    ['(a == 1 or b == 1) and c == 1', { a: 1 }, false],
    ['a == 1 && !(b == 2) || false', { a: 1, b: 3 }, true],
    ['signup_date >= "2023-01-01"', { signup_date: '2023-05-05' }, true], // ISO dates order as text
    ['id == "007"', { id: '7' }, false], // text equality stays text
    ['id == 7', { id: '007' }, true], // a number literal reads the text as a number
    ['kind == "customer"', {}, false],
    ['constructor == null', {}, true], // prototype names are not fields
  ])('%s on %j is %s', (expr, v, want) => {
    expect(test(expr, v)).toBe(want);
  });

  it('reads the decided kind when the record does not carry it', () => {
    expect(compileExpr('kind == "inventory"', 'condition')(rec({}, 'inventory'))).toBe(true);
  });

  it('computes values for set', () => {
    expect(value('quantity * unit_price', { quantity: '3', unit_price: 2.5 })).toBe(7.5);
    expect(value('quantity * unit_price', { quantity: '3' })).toBeNull();
    expect(value('a / b', { a: 1, b: 0 })).toBeNull();
    expect(value('"x"', {})).toBe('x');
    expect(value('country in ("DE")', { country: 'DE' })).toBe(true);
  });

  it.each([
    ['quantity > ', 11, 'expected a value'],
    ['quantity = 10', 9, "use '=='"],
    ['quantity', 0, 'expected a condition'],
    ['a == 1 and b', 11, 'expected a condition'],
    ['a == "x', 5, 'unclosed "'],
    ['a =~ /(/', 5, 'bad regular expression'],
    ['a =~ /x/g', 5, "flag 'g'"],
    ['a in (b)', 6, 'expected a literal'],
    ['a == 1 b == 2', 7, "expected 'and', 'or'"],
    ['a # 1', 2, "unexpected '#'"],
    ['', 0, 'empty'],
  ])('%j fails at column %i', (expr, column, message) => {
    const err = errorAt(expr);
    expect(err.message).toContain(message);
    expect(err.column).toBe(column);
  });

  it('never evaluates user text as code', () => {
    expect(errorAt('process.exit(1)').message).toMatch(/unexpected '\.'|expected/);
  });
});
