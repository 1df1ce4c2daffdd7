// Number texts kept as read (parseLossless / stringifyLossless) and the nesting bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  copyTexts,
  mayHoldLossyNumber,
  MAX_DEPTH,
  nestsDeeperThan,
  numberRoundTrips,
  parseLossless,
  stringifyLossless,
  textsOf,
} from '../../src/contract/lossless.js';

/** Any JSON number token: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
const numberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{0,25}$/)).map(([a, b]) => `${a}${b}`)),
    fc.option(fc.stringMatching(/^\d{1,20}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^\d{1,3}$/)).map((p) => p.join('')), {
      nil: undefined,
    }),
  )
  .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}${exp ?? ''}`);

const TRICKY = ['12345678901234567890123', '1e999', '-0', '1.0', '1E5', '-0.0', '0.0000001', '9007199254740993', '1e+21', '100', '0.1', '-5'];
const anyNumber = fc.oneof(numberText, fc.constantFrom(...TRICKY));
/** Keys V8 does not reorder (no integer-like keys), `__proto__` and `constructor` among them. */
const key = fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_ "\\]{0,6}$/), fc.constantFrom('__proto__', 'constructor', 'toString'));

/** JSON text with numbers written as given: what a well-behaved writer of the record wrote. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyNumber,
    fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map((a) => `[${a.join(',')}]`),
    tie('object'),
  ),
  object: fc
    .uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => k })
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
})).object;

function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const kids = Array.isArray(v) ? v : Object.values(v as object);
  return 1 + Math.max(0, ...kids.map(depthOf));
}

describe('parseLossless / stringifyLossless', () => {
  it.each([
    ['{"a":12345678901234567890123}'],
    ['{"a":1e999,"b":[-0,1.0,1E5],"c":{"d":-0.0}}'],
    ['{"__proto__":{"x":1.50},"constructor":1e2}'],
    ['{"s":"1.0, \\"2.0\\", [1e5]","n":1.0}'],
    ['{"a\\"b":1.0}'],
  ])('writes %s back as read', (text) => {
    expect(stringifyLossless(parseLossless(text))).toBe(text);
  });

  it('values are the doubles JSON.parse gives; only the text is kept beside them', () => {
    const v = parseLossless('{"big":12345678901234567890123,"inf":1e999,"z":-0}') as Record<string, number>;
    expect(v.big).toBe(1.2345678901234568e22);
    expect(v.inf).toBe(Infinity);
    expect(Object.is(v.z, -0)).toBe(true);
    v.big = 5; // a changed value is written as it is now
    expect(stringifyLossless(v)).toBe('{"big":5,"inf":1e999,"z":-0}');
  });

  it('blanks between tokens are allowed; the output is compact', () => {
    expect(stringifyLossless(parseLossless('{ "a" : [ 1.0 , 2 ,\t1e5 ] , "b" : 1.10 }'))).toBe('{"a":[1.0,2,1e5],"b":1.10}');
  });

  it('copyTexts carries the texts of the kept keys to a copy; a copy without texts uses `top`', () => {
    const raw = parseLossless('{"a":1.0,"b":2.0,"c":{"d":3.0}}') as Record<string, unknown>;
    const copy = { a: raw.a, c: raw.c, e: 1 };
    copyTexts(raw, copy, (k) => k !== 'b');
    expect(stringifyLossless(copy)).toBe('{"a":1.0,"c":{"d":3.0},"e":1}');
    const other = { b: raw.b, c: raw.c };
    expect(stringifyLossless(other, textsOf(raw), raw)).toBe('{"b":2.0,"c":{"d":3.0}}');
  });

  it('property: text → value → text is the identity, and the value equals JSON.parse', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const v = parseLossless(text);
        expect(v).toEqual(JSON.parse(text));
        expect(stringifyLossless(v)).toBe(text);
      }),
      { numRuns: 1500 },
    );
  });

  it('property: a number that does not round-trip is always caught by the cheap test', () => {
    fc.assert(
      fc.property(anyNumber, fc.constantFrom('{"a":#}', '{"a": #,"b":1}', '[#]', '[1,#]', '{"a":[1,\n#]}', '{"a":\t#}', '{"t":"10:20","n":#}'), (t, where) => {
        if (!numberRoundTrips(t)) expect(mayHoldLossyNumber(where.replace('#', t)), t).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('a record without such numbers stays plain JSON (no side table)', () => {
    const v = parseLossless('{"a":1.5,"b":[1,2,3],"c":"1.0"}') as object;
    expect(textsOf(v)).toBeUndefined();
  });
});

describe('nestsDeeperThan', () => {
  it('is exact at the bound, and skips brackets inside strings', () => {
    const nest = (d: number): string => '{"x":' + '['.repeat(d - 1) + ']'.repeat(d - 1) + '}';
    expect(nestsDeeperThan(nest(MAX_DEPTH))).toBe(false);
    expect(nestsDeeperThan(nest(MAX_DEPTH + 1))).toBe(true);
    expect(nestsDeeperThan(`{"s":"${'['.repeat(5000)}"}`)).toBe(false);
    expect(nestsDeeperThan(`{"s":"\\\\","t":${'['.repeat(3)}${']'.repeat(3)}}`, 3)).toBe(true);
    expect(nestsDeeperThan(`{"s":"\\"[[[[","t":1}`, 1)).toBe(false);
  });

  it('property: agrees with the depth of the parsed value', () => {
    fc.assert(
      fc.property(jsonText, fc.integer({ min: 1, max: 6 }), (text, max) => {
        expect(nestsDeeperThan(text, max)).toBe(depthOf(JSON.parse(text)) > max);
      }),
      { numRuns: 1000 },
    );
  });
});
