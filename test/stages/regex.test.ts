// Regexes in filter/set expressions run on RE2 (linear time): the flags of the language
// keep their meaning, patterns RE2 cannot run are refused at the column where they are,
// and a pattern that backtracks for ever in JavaScript answers at once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rec } from '../../src/pipeline/types.js';
import { compileExpr, ExprError } from '../../src/stages/filter-expr.js';
import { FIXTURES, runCli, tempDir } from '../support/cli.js';

const rec = (value: Record<string, unknown>): Rec => ({ value, raw: value, source: 't', line: 1, origin: 't', pos: 1 }) as Rec;
const test = (expr: string, value: Record<string, unknown>): unknown => compileExpr(expr, 'condition')(rec(value));

function errorAt(expr: string): { column: number; message: string } {
  try {
    compileExpr(expr, 'condition');
  } catch (err) {
    if (err instanceof ExprError) return { column: err.column, message: err.message };
    throw err;
  }
  throw new Error(`no error for ${expr}`);
}

const LINEAR = 'recflow runs regexes in linear time (RE2)';

describe('regexes in expressions: RE2 syntax, linear time', () => {
  it.each([
    // the flags the language takes: i, m, s, u
    ['email =~ /@example\\.com$/i', { email: 'ANN@EXAMPLE.COM' }, true],
    ['email =~ /@example\\.com$/', { email: 'ANN@EXAMPLE.COM' }, false],
    ['t =~ /^b$/m', { t: 'a\nb\nc' }, true],
    ['t =~ /^b$/', { t: 'a\nb\nc' }, false],
    ['t =~ /a.c/s', { t: 'a\nc' }, true],
    ['t =~ /a.c/', { t: 'a\nc' }, false],
    ['t =~ /^.$/u', { t: '😀' }, true],
    ['t =~ /^.$/', { t: '😀' }, true], // RE2: `.` is one character (code point), with or without u
    ['t =~ /^é$/i', { t: 'É' }, true],
    ['t =~ /^\\p{Lu}/', { t: 'Élise' }, true],
    ['t =~ /^\\x{e9}/', { t: 'é' }, true],
    // JavaScript spellings of characters keep working
    ['t =~ /^\\u00e9\\u{1F600}$/', { t: 'é😀' }, true],
    ['t =~ /^[\\u00e0-\\u00ff]+$/', { t: 'éè' }, true],
    ['t =~ /\\cA/', { t: 'x\u0001' }, true],
    ['t =~ /^x[^]y$/', { t: 'x\ny' }, true],
    ['t =~ /a[]/', { t: 'a' }, false],
    ['t =~ /[\\b]/', { t: '\b' }, true],
    ['t =~ /\\\\u0041/', { t: '\\u0041' }, true], // an escaped backslash, then text
    ['t =~ /[[:upper:]]/', { t: 'aB' }, true], // RE2 POSIX classes
    ['t =~ /(?i)^ab/', { t: 'AB' }, true], // RE2 inline flags
    ['t =~ /^(?P<y>\\d{4})-(?<m>\\d\\d)$/', { t: '2024-05' }, true], // named groups, both spellings
    ['t =~ /\\d{3}-\\d{4}/', { t: 'call 555-1234' }, true],
    ['t =~ /[/]x\\/y/', { t: '/x/y' }, true], // a slash in a class or escaped does not end the regex
    ['t !~ /^[A-Z]/', { t: 'ann' }, true],
    ['t =~ "^a.c$"', { t: 'abc' }, true], // a regex in a string
    ['n =~ /^4\\d$/', { n: 42 }, true], // a number matches as its text
    ['t =~ /x/', {}, false],
    ['t !~ /x/', {}, true],
  ])('%s on %j is %s', (expr, v, want) => {
    expect(test(expr, v)).toBe(want);
  });

  // the column is 0-based here; messages show it 1-based with a caret under it
  it.each([
    ['name =~ /(a)\\1/', 12, `backreferences are not supported: ${LINEAR}`],
    ['name =~ /(?<x>a)\\k<x>/', 16, `backreferences are not supported: ${LINEAR}`],
    ['name =~ /a(?=b)/', 10, `lookahead (?= and (?! is not supported: ${LINEAR}`],
    ['name !~ /^(?!test)/i', 10, `lookahead (?= and (?! is not supported: ${LINEAR}`],
    ['name =~ /(?<=@)x/', 9, `lookbehind (?<= and (?<! is not supported: ${LINEAR}`],
    ['a == 1 or name =~ /x(?<!y)/', 20, `lookbehind (?<= and (?<! is not supported: ${LINEAR}`],
    ['name =~ /x\\u00e/', 10, '\\u needs 4 hex digits'],
    ['name =~ /[\\1]/', 10, 'bad regular expression: invalid escape sequence: `\\1`'],
    ['name =~ /x/ii', 8, "flag 'i' is given twice"],
    ['name =~ "(a)\\\\1"', 12, `backreferences are not supported: ${LINEAR}`], // in a string: the column of the source text
    ['name =~ /[a\\1]\\1/', 14, `backreferences are not supported: ${LINEAR}`],
    ['name =~ /a**/', 10, 'bad regular expression: invalid nested repetition operator: `**`'],
    ['name =~ /a{2,1}/', 10, 'bad regular expression: invalid repeat count: `{2,1}`'],
    ['name =~ /(a/', 8, 'bad regular expression: missing closing )'],
    ['name =~ /x/g', 8, "flag 'g' is not supported (use i, m, s or u)"],
    ['name =~ /x/y', 8, "flag 'y'"],
  ])('%s is refused at column %i: %s', (expr, column, message) => {
    const err = errorAt(expr);
    expect(err.message).toContain(message);
    expect(err.column).toBe(column);
  });

  it('(a+)+$ on 100,000 a and a ! answers at once (native RegExp: for ever)', () => {
    const f = compileExpr('t =~ /(a+)+$/', 'condition');
    const t0 = performance.now();
    expect(f(rec({ t: 'a'.repeat(100_000) + '!' }))).toBe(false);
    expect(f(rec({ t: 'a'.repeat(100_000) }))).toBe(true);
    console.log(`(a+)+$ on 100,001 characters: ${(performance.now() - t0).toFixed(1)} ms`);
  });

  // Ordinary patterns mean what they meant with RegExp: random patterns of the common
  // constructs, random texts, every flag combination, RE2 against the native engine.
  it('agrees with RegExp on ordinary patterns (fast-check)', () => {
    const atom = fc.constantFrom('a', 'b', 'A', '1', '.', '\\d', '\\w', '[ab]', '[^a]', '[a-c]', '\\.', '-', ' ', '\\b');
    const quant = fc.constantFrom('', '', '?', '*', '+', '{2}', '{1,2}', '*?');
    const piece = fc.tuple(atom, quant).map(([a, q]) => (a === '\\b' ? a : a + q));
    const seq = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
    const alt = fc.array(seq, { minLength: 1, maxLength: 2 }).map((s) => (s.length > 1 ? `(${s.join('|')})` : s[0]!));
    const pattern = fc.tuple(fc.constantFrom('', '^'), fc.array(alt, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '$'))
      .map(([a, b, c]) => a + b.join('') + c);
    const flags = fc.subarray(['i', 'm', 's']).map((f) => f.join(''));
    const text = fc.array(fc.constantFrom('a', 'b', 'A', 'B', '1', '.', '-', ' ', '\n', 'c'), { maxLength: 12 }).map((c) => c.join(''));
    fc.assert(
      fc.property(pattern, flags, fc.array(text, { minLength: 1, maxLength: 5 }), (p, fl, texts) => {
        const f = compileExpr(`t =~ /${p}/${fl}`, 'condition');
        const native = new RegExp(p, fl);
        for (const t of texts) {
          const want = t.trim() !== '' && native.test(t); // blank text is a missing value: it never matches
          expect(f(rec({ t })), `/${p}/${fl} on ${JSON.stringify(t)}`).toBe(want);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('recflow run with a regex RE2 cannot run', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir('recflow-regex-')));
  afterAll(() => cleanup());

  it.each([
    ['filter:expr=first_name =~ /^(\\w)\\1/', 'backreferences are not supported', 21],
    ['set:field=x,expr=email =~ /(?<=@)gmail/', 'lookbehind (?<= and (?<! is not supported', 11],
  ])('%s: exit 2 before any output, with the column', async (stage, message, column) => {
    const out = join(dir, `out-${column}.ndjson`);
    const res = await runCli(['run', join(FIXTURES, 'customers.csv'), '--stage', stage, '--to', out]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${message}: ${LINEAR} at column ${column}`);
    expect(res.stderr).toMatch(new RegExp(`\\n {4}${' '.repeat(column - 1)}\\^`)); // the caret under the construct
    expect(existsSync(out)).toBe(false);
  });
});
