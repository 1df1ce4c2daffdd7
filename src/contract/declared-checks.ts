// One checker per declared field (docs/contracts.md "Types" and "Rules"), compiled once
// when the contract loads: a closure over the field's rules, or the built-in checker
// itself where the declaration asks for exactly what it does (an `email`, a plain `id`).
// Same protocol as fields.ts: a non-missing value in, the normalized value or BAD out.
import type { FieldDecl } from './contract-file.js';
import {
  asText,
  BAD,
  checkCountry,
  checkDate,
  checkEmail,
  checkId,
  checkName,
  checkPhone,
  checkText,
  checkTimestamp,
  checkUpperId,
  codePoints,
  fail,
  longerThan,
  parseInteger,
  parseNumber,
  type Checker,
} from './fields.js';

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const ID_EXPECT = 'is not a valid id: expected 1-64 characters of A-Z a-z 0-9 _ -';

/** The checker of one declared field. */
export function compileField(f: FieldDecl): Checker {
  switch (f.type) {
    case 'email':
      return checkEmail;
    case 'phone':
      return checkPhone;
    case 'country':
      return checkCountry;
    case 'date':
      return checkDate;
    case 'timestamp':
      return checkTimestamp;
    case 'string':
      return stringChecker(f);
    case 'id':
      return idChecker(f);
    case 'integer':
      return rangeChecker(parseInteger, 'an integer', f.min, f.max);
    case 'number':
      return rangeChecker(parseNumber, 'a number', f.min, f.max);
    case 'decimal':
      // the scale is part of the type: checked before the range (docs/contracts.md "Rules")
      return rangeChecker(decimalChecker(f.scale), 'a number', f.min, f.max);
    case 'boolean':
      return checkBoolean;
    case 'enum':
      return enumChecker(f.values.map(String));
  }
}

function caseOf(f: Extract<FieldDecl, { type: 'string' }>): (s: string) => string {
  if (f.lower) return (s) => s.toLowerCase();
  if (f.upper) return (s) => s.toUpperCase();
  return (s) => s;
}

/** `string`: text (a JSON number as written), trimmed unless trim: false, then length and pattern rules. */
function stringChecker(f: Extract<FieldDecl, { type: 'string' }>): Checker {
  const trim = f.trim !== false;
  const max = f.max_length ?? Infinity;
  const simple = trim && !f.lower && !f.upper && f.min_length === undefined && f.pattern === undefined;
  // exactly the built-in text checkers: the same values, codes and messages
  if (simple) return f.collapse ? (field, v) => checkName(field, v, max) : (field, v) => checkText(field, v, max);
  const norm = caseOf(f);
  const re = f.pattern === undefined ? null : new RegExp(f.pattern, 'u');
  const min = f.min_length ?? 0;
  const mismatch = f.expected !== undefined ? `does not match the pattern: expected ${f.expected}` : `does not match the pattern /${f.pattern}/`;
  return (field, v) => {
    const t = asText(v);
    if (t === null) return fail(field, 'too_long', v, `is not text: expected text${max === Infinity ? '' : ` of at most ${max} characters`}`);
    let s = trim ? t.trim() : t;
    if (f.collapse) s = s.replace(/\s+/g, ' ');
    s = norm(s);
    if (longerThan(s, max)) return fail(field, 'too_long', v, `is too long (${codePoints(s)} characters): expected at most ${max} characters`);
    if (min > 0 && codePoints(s) < min) return fail(field, 'out_of_range', v, `is too short (${codePoints(s)} characters): expected at least ${min} characters`);
    if (re !== null && !re.test(s)) return fail(field, 'pattern_mismatch', v, mismatch);
    return s;
  };
}

/** ASCII letters only: what the built-in ids do (`ſ`, `ı` and `K` must not become S, I, k and pass an ASCII pattern). */
const LOWER_RE = /[a-z]/;
const LOWER_RUN_RE = /[a-z]+/g;
const UPPER_RE = /[A-Z]/;
const UPPER_RUN_RE = /[A-Z]+/g;
const asciiUpper = (s: string): string => (LOWER_RE.test(s) ? s.replace(LOWER_RUN_RE, (m) => m.toUpperCase()) : s);
const asciiLower = (s: string): string => (UPPER_RE.test(s) ? s.replace(UPPER_RUN_RE, (m) => m.toLowerCase()) : s);

/** `id`: trimmed text matching `pattern` (default: 1-64 of A-Z a-z 0-9 _ -), else invalid_id. */
function idChecker(f: Extract<FieldDecl, { type: 'id' }>): Checker {
  const custom =
    f.pattern !== undefined || f.min_length !== undefined || f.max_length !== undefined || f.lower || f.trim === false || f.expected !== undefined;
  if (!custom) return f.upper ? checkUpperId : checkId;
  const re = f.pattern === undefined ? ID_RE : new RegExp(f.pattern, 'u');
  const expect =
    f.expected !== undefined ? `is not a valid id: expected ${f.expected}` : f.pattern === undefined ? ID_EXPECT : `is not a valid id: expected text matching /${f.pattern}/`;
  const norm = f.lower ? asciiLower : f.upper ? asciiUpper : (s: string) => s;
  const min = f.min_length ?? 0;
  const max = f.max_length ?? Infinity;
  return (field, v) => {
    const t = asText(v);
    if (t === null) return fail(field, 'invalid_id', v, expect);
    const s = norm(f.trim === false ? t : t.trim());
    if (!re.test(s)) return fail(field, 'invalid_id', v, expect);
    if (longerThan(s, max)) return fail(field, 'too_long', v, `is too long (${codePoints(s)} characters): expected at most ${max} characters`);
    if (min > 0 && codePoints(s) < min) return fail(field, 'out_of_range', v, `is too short (${codePoints(s)} characters): expected at least ${min} characters`);
    return s;
  };
}

/** The expectation of a range, worded as the built-in checkers word `>= 0`. */
export function rangeText(what: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `is out of range: expected ${what} from ${min} to ${max}`;
  return min !== undefined ? `is out of range: expected ${what} >= ${min}` : `is out of range: expected ${what} <= ${max}`;
}

function rangeChecker(
  parse: (field: string, v: unknown) => number | typeof BAD,
  what: string,
  min: number | undefined,
  max: number | undefined,
): Checker {
  if (min === undefined && max === undefined) return parse;
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const expect = rangeText(what, min, max);
  return (field, v) => {
    const n = parse(field, v);
    if (n === BAD) return BAD;
    return n < lo || n > hi ? fail(field, 'out_of_range', v, expect) : n;
  };
}

/** Digits after the decimal point of a number's shortest text (1.5e-7: 8). */
export function decimalsOf(text: string): number {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (m === null) return Infinity;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return Math.max(0, frac.length - Number(m[3] ?? 0));
}

/** `decimal`: a number with at most `scale` digits after the point (12.50 with scale 2), never rounded. */
function decimalChecker(scale: number): (field: string, v: unknown) => number | typeof BAD {
  return (field, v) => {
    const n = parseNumber(field, v);
    if (n === BAD) return BAD;
    const written = typeof v === 'string' ? v : String(v);
    if (decimalsOf(written) > scale) {
      return fail(field, 'invalid_number', v, `has more than ${scale} digit${scale === 1 ? '' : 's'} after the decimal point: expected at most ${scale} (it is not rounded)`);
    }
    return n;
  };
}

const BOOLEAN_EXPECT = 'is not a boolean: expected true or false (also yes/no, 1/0, any case)';

/** `boolean`: JSON true/false, 1/0, or the text true/false/yes/no/1/0 in any case. */
export function checkBoolean(field: string, v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    switch (v.trim().toLowerCase()) {
      case 'true':
      case 'yes':
      case '1':
        return true;
      case 'false':
      case 'no':
      case '0':
        return false;
    }
  }
  return fail(field, 'invalid_boolean', v, BOOLEAN_EXPECT);
}

/** `enum`: one of the values after trim, in any case; output as declared. */
function enumChecker(values: readonly string[]): Checker {
  const exact = new Set(values);
  const folded = new Map(values.map((s) => [s.toLowerCase(), s]));
  const expect = `is not allowed: expected one of ${values.join(', ')} (any case)`;
  return (field, v) => {
    const t = asText(v);
    if (t === null) return fail(field, 'invalid_enum', v, expect);
    if (exact.has(t)) return t;
    return folded.get(t.trim().toLowerCase()) ?? fail(field, 'invalid_enum', v, expect);
  };
}
