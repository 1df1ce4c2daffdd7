// The expression language never crashes (fast-check): any text either parses or fails with
// a RecflowError that points at a column; any parsed expression, evaluated on any record
// (every JSON type, missing fields, huge and odd numbers, long strings), returns a value
// and never throws. Bad input is a parse error at start or a null/false per record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecflowError } from '../../src/errors.js';
import type { Rec } from '../../src/pipeline/types.js';
import { compileOption } from '../../src/stages/filter.js';
import { compileExpr, ExprError } from '../../src/stages/filter-expr.js';
import { FUNCTIONS } from '../../src/stages/functions.js';

const FIELDS = ['quantity', 'unit_price', 'email', 'country', 'signup_date', 'kind', 'tags', 'nested', 'missing_one'];

const quote = (s: string, q: '"' | "'" = '"'): string => q + s.replace(/\\/g, '\\\\').split(q).join(`\\${q}`) + q;

/** Odd but valid numbers, as text. */
const numberText = fc.oneof(
  fc.nat().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }).map((x) => String(x).replace('+', '')),
  fc.constantFrom('1e308', '1e999', '0.000001', '.5', '5.', '9007199254740993', '1E-400', '0'),
);
const stringLit = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', '2024-02-29', '2024-02-30T25:00:00Z', '0024-01-01', '9999-12-31T23:59:59.999+14:00', '1e5', '😀👍🏽'))
  .chain((s) => fc.constantFrom(quote(s), quote(s, "'")));
const fieldRef = fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom('`unit price`', '`a\\`b`', '`__proto__`', '`constructor`'));
const literal = fc.oneof(numberText, stringLit, fc.constantFrom('true', 'false', 'null', 'TRUE', 'Null'));
// mostly good patterns; the bad ones (lookahead, backreference, unclosed, bad flag) are parse errors
const regex = fc.oneof(
  { arbitrary: fc.constantFrom('/^a.*z$/i', '/(a+)+$/', '/[/]x/', '/\\d{2,}/', '"^\\\\w+"', '/\\u{1F600}/u', '/./s'), weight: 4 },
  { arbitrary: fc.constantFrom('/(?=x)/', '/\\1/', '/[/', '/a/q'), weight: 1 },
);
const CMP = ['==', '!=', '<', '<=', '>', '>='] as const;
const BOOL_FNS = FUNCTIONS.filter((f) => f.returns === 'bool');

/** n arguments for fn: its min, or one fewer or one more (a wrong arity is a parse error). */
const callOf = (fns: typeof FUNCTIONS, arg: () => fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...fns), fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.constantFrom(-1, 1)), fc.boolean(), fc.nat(2)).chain(([fn, delta, upper, extra]) => {
    const base = Number.isFinite(fn.max) ? fn.min + Math.min(extra, fn.max - fn.min) : fn.min + extra;
    const n = Math.max(0, base + delta);
    const name = upper ? fn.name.toUpperCase() : fn.name;
    return fc.array(fn.params[0]?.[1] === 'field' ? fieldRef : arg(), { minLength: n, maxLength: n }).map((args) => `${name}(${args.join(', ')})`);
  });

/** Expressions from the grammar: values and conditions, every function and operator, nesting. */
const { expr, cond } = fc.letrec<{ expr: string; cond: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    fieldRef,
    callOf(FUNCTIONS, () => tie('expr')),
    fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%'), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
    tie('expr').map((a) => `(${a})`),
    fc.tuple(fc.constantFrom('-', '- -'), tie('expr')).map(([o, a]) => o + a),
    tie('cond'),
  ),
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(tie('expr'), fc.constantFrom(...CMP), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
    fc.constantFrom('true', 'false'),
    callOf(BOOL_FNS, () => tie('expr')),
    fc.tuple(tie('cond'), fc.constantFrom('and', 'or', '&&', '||'), tie('cond')).map(([a, o, b]) => `${a} ${o} ${b}`),
    fc.tuple(fc.constantFrom('not ', '!', 'NOT '), tie('cond')).map(([o, a]) => o + a),
    tie('cond').map((a) => `(${a})`),
    fc.tuple(tie('expr'), fc.constantFrom(' in ', ' not in '), fc.array(literal, { minLength: 1, maxLength: 4 })).map(([a, o, l]) => `${a}${o}(${l.join(', ')})`),
    fc.tuple(tie('expr'), fc.constantFrom(' =~ ', ' !~ '), regex).map(([a, o, r]) => a + o + r),
  ),
})) as { expr: fc.Arbitrary<string>; cond: fc.Arbitrary<string> };

/** Texts near the grammar: random tokens in random order (most do not parse). */
const TOKENS = ['(', ')', '[', ']', ',', '==', '=', '!=', '<', '>=', '=~', '!~', '+', '-', '*', '/', '%', '!', '&&', '||', 'and', 'or', 'not', 'in', 'exists', 'null', '1', '2.5e3', '.', '"a"', "'b", '`q`', '`', '/x/', 'round', 'concat', 'substr', 'now', 'quantity', 'email', ' ', '\\', '#', 'é', '\u0000'];
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(''));

const LONG = 'x'.repeat(200_000);
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.double(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324, -0, 0.1 + 0.2, 3588.0000000000005, LONG, `${LONG}y`, '', '  ', '1e400', '-0', ' 12 ', '2024-01-01', '2024-13-01', 'NaN', 'Infinity', '😀'),
);
const record = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS, 'unit price'), fc.string({ maxLength: 4 })), oddValue, { maxKeys: 8 });
const recOf = (value: Record<string, unknown>): Rec => ({ value, raw: value, source: 'fuzz', line: 1, origin: 'fuzz', pos: 0 });

/** A parse error is an ExprError at a column inside the text; compileOption turns it into a RecflowError. */
function compileOrPosition(src: string, want: 'condition' | 'value'): ((r: Rec) => unknown) | null {
  try {
    return compileExpr(src, want);
  } catch (err) {
    expect(err).toBeInstanceOf(ExprError);
    const col = (err as ExprError).column;
    expect(Number.isInteger(col) && col >= 0 && col <= src.length, `column ${col} of ${JSON.stringify(src)}`).toBe(true);
    expect(() => compileOption(src, want, '--stage "filter:expr=..."')).toThrow(RecflowError);
    expect(() => compileOption(src, want, 'x')).toThrow(/ at column \d+\n/);
    return null;
  }
}

/** What an evaluation may give: for set, a value JSON can carry (no NaN or Infinity; undefined: an absent field); for filter, a boolean or null. */
function checkResult(v: unknown, want: 'condition' | 'value', value: Record<string, unknown>): void {
  if (want === 'condition') expect(v === null || typeof v === 'boolean', `condition gave ${String(v)}`).toBe(true); // null: a function given a missing value
  // a field read as 1e999 holds Infinity (lossless.ts keeps its text): passed on as read, never made
  const asRead = Object.values(value).some((x) => typeof x === 'number' && !Number.isFinite(x));
  if (typeof v === 'number' && !asRead) expect(Number.isFinite(v), `result ${v}`).toBe(true);
  expect(['undefined', 'boolean', 'number', 'string', 'object']).toContain(typeof v);
}

const RUNS = { numRuns: 400 };

describe('the expression language under random input (fast-check)', () => {
  it.each(['condition', 'value'] as const)('any text parses or fails at a column (%s)', (want) => {
    fc.assert(fc.property(fc.oneof(soup, expr, cond, fc.string({ maxLength: 30 })), (src) => void compileOrPosition(src, want)), { numRuns: 1500 });
  });

  it.each(['condition', 'value'] as const)('a parsed expression never throws on any record (%s)', (want) => {
    fc.assert(
      fc.property(want === 'condition' ? cond : expr, fc.array(record, { minLength: 1, maxLength: 4 }), (src, recs) => {
        const f = compileOrPosition(src, want);
        if (!f) return;
        for (const value of recs) checkResult(f(recOf(value)), want, value);
      }),
      RUNS,
    );
  });
});

// Cases the fuzzing found, kept as a table: each once crashed the parser or the evaluator.
describe('expressions that once crashed', () => {
  const deep = (n: number, open: string, close: string): string => open.repeat(n) + '1' + close.repeat(n);
  it.each([
    ['deep parentheses', deep(20_000, '(', ')')],
    ['a long chain', Array.from({ length: 50_000 }, () => 'quantity').join(' + ')],
    ['deep not', `${'not '.repeat(20_000)}true`],
    ['deep minus', `${'-'.repeat(20_000)}quantity`],
    ['deep calls', deep(10_000, 'abs(', ')')],
  ])('%s: a parse error at a column, not a stack overflow', (_what, src) => {
    expect(() => compileOption(src, 'value', 'x')).toThrow(/nested too deeply.* at column \d+/);
  });

  it('a number literal too large for a double is a parse error (it would compute as Infinity)', () => {
    expect(() => compileOption('quantity * 1e999', 'value', 'x')).toThrow(/the number 1e999 is too large.* at column 12\n/);
    expect(compileExpr('-1.7e308', 'value')(recOf({}))).toBe(-1.7e308);
  });

  it.each([
    ['replace to more text than a string can hold', 'replace(s, "x", s)', { s: LONG }],
    ['concat of that', 'len(concat(replace(s, "x", s), "!"))', { s: LONG }],
  ])('%s: null (the field is left out), not a RangeError', (_what, src, value) => {
    const f = compileExpr(src, 'value');
    expect(f(recOf(value))).toBe(null);
  });
});
