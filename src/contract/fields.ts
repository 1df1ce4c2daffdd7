// Shared field checkers of the record contract (records.md), built for the hot path:
// regexes compiled once, no closures, no allocation unless a value must change or an
// error is reported.
//
// Protocol: a checker gets the field name, a value that is NOT missing (the caller
// checks that first) and a numeric argument (a length limit where relevant). It
// returns the normalized value, or BAD after reporting the error through fail().
import type { ErrorCode, RecordError } from '../pipeline/types.js';
import { countryCode } from './countries.js';
import { normalizeDate, normalizeTimestamp } from './datetime.js';

export const BAD: unique symbol = Symbol('bad');
export type Checked = unknown;
export type Checker = (field: string, v: unknown, arg: number) => Checked;

// ---------------------------------------------------------------------------
// Error collection. One record is checked at a time (synchronously), so the
// errors of the current record live here; the array is created on the first error.

let errs: RecordError[] | null = null;
let quiet = false;

/** Start a record. `q` = quiet: checkers still return BAD but record nothing. */
export function beginRecord(q: boolean): void {
  errs = null;
  quiet = q;
}

/** The errors of the current record (null when none) and reset. */
export function takeErrors(): RecordError[] | null {
  const e = errs;
  errs = null;
  return e;
}

export function report(field: string | null, code: ErrorCode, message: string): void {
  if (quiet) return;
  const e: RecordError = { field, code, message };
  if (errs === null) errs = [e];
  else errs.push(e);
}

/** Report `<field> <value> <detail>` and return BAD. */
export function fail(field: string, code: ErrorCode, v: unknown, detail: string): typeof BAD {
  if (!quiet) report(field, code, `${field} ${describe(v)} ${detail}`);
  return BAD;
}

export function reportMissing(field: string): void {
  if (!quiet) report(field, 'missing_required', `${field} is required but missing (absent, null or blank)`);
}

const MAX_SHOWN = 60;

/** A short, safe rendering of a value for messages. */
export function describe(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > MAX_SHOWN ? v.slice(0, MAX_SHOWN) + '…' : v);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'object':
      return v === null ? 'null' : Array.isArray(v) ? '(an array)' : '(an object)';
    default:
      return `(a ${typeof v})`;
  }
}

// ---------------------------------------------------------------------------
// Basic value helpers.

/** records.md "Missing values": absent (undefined), null, or a string blank after trim. */
export function isMissing(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n === 0) return true;
  const c = v.charCodeAt(0);
  if (c > 32 && c < 127) return false; // fast path: starts with a visible ASCII char
  return v.trim().length === 0;
}

/**
 * A value read as text: a string as is, a finite JSON number as String(n);
 * anything else (boolean, object, array) is not text: null.
 */
export function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Length in Unicode code points is greater than max. */
export function longerThan(s: string, max: number): boolean {
  const n = s.length;
  if (n <= max) return false;
  if (n > 2 * max) return true;
  return codePoints(s) > max;
}

export function codePoints(s: string): number {
  let count = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

// ---------------------------------------------------------------------------
// Regexes, compiled once.

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const SKU_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const HAS_LOWER_RE = /[a-z]/;
// local: 1-64 code points, no whitespace, no @; domain: >= 2 labels of LDH, 1-63
// chars, no leading/trailing '-'; TLD: 2-63 ASCII letters.
const EMAIL_RE =
  /^[^\s@]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/u;
const PHONE_STRIP_RE = /[ .()-]/g;
const PHONE_HAS_STRIP_RE = /[ .()-]/;
const PHONE_RE = /^\+?[0-9]{7,15}$/;
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER_RE = /^[+-]?\d+$/;
// whitespace that collapsing would change: a run of 2+, or any whitespace other than ' '
const WS_TO_COLLAPSE_RE = /\s\s|[^\S ]/;
const WS_RUN_RE = /\s+/g;

const ID_EXPECT = 'is not a valid id: expected 1-64 characters of A-Z a-z 0-9 _ -';
const SKU_EXPECT = 'is not a valid id: expected 1-64 characters of A-Z a-z 0-9 _ - .';

// ---------------------------------------------------------------------------
// Checkers.

/** customer_id: trimmed, case kept. */
export function checkId(field: string, v: unknown): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'invalid_id', v, ID_EXPECT);
  const s = t.trim();
  return ID_RE.test(s) ? s : fail(field, 'invalid_id', v, ID_EXPECT);
}

/** warehouse_id: as checkId, uppercased. */
export function checkUpperId(field: string, v: unknown): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'invalid_id', v, ID_EXPECT);
  const s = t.trim();
  if (!ID_RE.test(s)) return fail(field, 'invalid_id', v, ID_EXPECT);
  return HAS_LOWER_RE.test(s) ? s.toUpperCase() : s;
}

/** sku: also allows '.', uppercased. */
export function checkSku(field: string, v: unknown): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'invalid_id', v, SKU_EXPECT);
  const s = t.trim();
  if (!SKU_RE.test(s)) return fail(field, 'invalid_id', v, SKU_EXPECT);
  return HAS_LOWER_RE.test(s) ? s.toUpperCase() : s;
}

const EMAIL_EXPECT = 'is not a valid address: expected name@domain.tld';

export function checkEmail(field: string, v: unknown): Checked {
  if (typeof v !== 'string') return fail(field, 'invalid_email', v, EMAIL_EXPECT);
  const s = v.trim();
  if (!EMAIL_RE.test(s)) return fail(field, 'invalid_email', v, EMAIL_EXPECT);
  return s.toLowerCase();
}

const PHONE_EXPECT =
  'is not a valid phone number: expected an optional leading + then 7-15 digits (spaces, -, ., ( and ) are ignored)';

export function checkPhone(field: string, v: unknown): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'invalid_phone', v, PHONE_EXPECT);
  let s = t.trim();
  if (PHONE_HAS_STRIP_RE.test(s)) s = s.replace(PHONE_STRIP_RE, '');
  return PHONE_RE.test(s) ? s : fail(field, 'invalid_phone', v, PHONE_EXPECT);
}

const COUNTRY_EXPECT = 'is not an ISO 3166-1 alpha-2 country code: expected an assigned code such as DE, US or GB';

export function checkCountry(field: string, v: unknown): Checked {
  if (typeof v !== 'string') return fail(field, 'invalid_country', v, COUNTRY_EXPECT);
  const c = countryCode(v.length === 2 ? v : v.trim());
  return c !== null ? c : fail(field, 'invalid_country', v, COUNTRY_EXPECT);
}

/** Names: trimmed, inner whitespace runs collapsed to one space; limit on that result. */
export function checkName(field: string, v: unknown, max: number): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'too_long', v, `is not text: expected text of at most ${max} characters`);
  let s = t.trim();
  if (WS_TO_COLLAPSE_RE.test(s)) s = s.replace(WS_RUN_RE, ' ');
  return longerThan(s, max) ? failTooLong(field, v, s, max) : s;
}

/** Plain text (city, category, supplier): trimmed; limit on the trimmed value. */
export function checkText(field: string, v: unknown, max: number): Checked {
  const t = asText(v);
  if (t === null) return fail(field, 'too_long', v, `is not text: expected text of at most ${max} characters`);
  const s = t.trim();
  return longerThan(s, max) ? failTooLong(field, v, s, max) : s;
}

function failTooLong(field: string, v: unknown, s: string, max: number): typeof BAD {
  return fail(field, 'too_long', v, `is too long (${codePoints(s)} characters): expected at most ${max} characters`);
}

const DATE_EXPECT =
  'is not a valid date: expected a real calendar date YYYY-MM-DD (or an ISO 8601 timestamp)';

export function checkDate(field: string, v: unknown): Checked {
  if (typeof v !== 'string') return fail(field, 'invalid_date', v, DATE_EXPECT);
  const d = normalizeDate(v.trim());
  return d !== null ? d : fail(field, 'invalid_date', v, DATE_EXPECT);
}

const TS_EXPECT =
  'is not a valid timestamp: expected ISO 8601 YYYY-MM-DD[THH:MM[:SS[.sss]]][Z|+HH:MM|-HH:MM] with every part in range';

export function checkTimestamp(field: string, v: unknown): Checked {
  if (typeof v !== 'string') return fail(field, 'invalid_timestamp', v, TS_EXPECT);
  const d = normalizeTimestamp(v.trim());
  return d !== null ? d : fail(field, 'invalid_timestamp', v, TS_EXPECT);
}

const NUMBER_EXPECT =
  'is not a number: expected digits with an optional sign, decimal point and exponent (e.g. 1234.50), without separators or currency signs';

/** A finite number >= 0 (JSON number or numeric string); -0 becomes 0. */
export function checkNonNegNumber(field: string, v: unknown): Checked {
  const n = parseNumber(field, v);
  if (n === BAD) return BAD;
  if (n < 0) return fail(field, 'out_of_range', v, 'is out of range: expected a number >= 0');
  return n;
}

const INTEGER_EXPECT = 'is not an integer: expected a whole number (e.g. 42) within the safe integer range';

/** A safe integer >= 0 (JSON integer or string of digits); -0 becomes 0. */
export function checkNonNegInteger(field: string, v: unknown): Checked {
  const n = parseInteger(field, v);
  if (n === BAD) return BAD;
  if (n < 0) return fail(field, 'out_of_range', v, 'is out of range: expected an integer >= 0');
  return n;
}

export const LOYALTY_TIERS: readonly string[] = Object.freeze(['bronze', 'silver', 'gold', 'platinum']);
const TIER_EXPECT = 'is not allowed: expected one of bronze, silver, gold, platinum (any case)';

export function checkTier(field: string, v: unknown): Checked {
  if (typeof v !== 'string') return fail(field, 'invalid_enum', v, TIER_EXPECT);
  switch (v) {
    case 'bronze':
    case 'silver':
    case 'gold':
    case 'platinum':
      return v;
  }
  const s = v.trim().toLowerCase();
  switch (s) {
    case 'bronze':
    case 'silver':
    case 'gold':
    case 'platinum':
      return s;
  }
  return fail(field, 'invalid_enum', v, TIER_EXPECT);
}

// ---------------------------------------------------------------------------
// Signed parsers for kinds declared in a contract file (declared-checks.ts): the
// same syntax as the checkers above, the range left to the caller.

/** A finite number (JSON number or numeric string), -0 as 0; BAD after reporting invalid_number. */
export function parseNumber(field: string, v: unknown): number | typeof BAD {
  let n: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return fail(field, 'invalid_number', v, NUMBER_EXPECT);
    n = v;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (!NUMBER_RE.test(s)) return fail(field, 'invalid_number', v, NUMBER_EXPECT);
    n = +s;
    if (!Number.isFinite(n)) return fail(field, 'invalid_number', v, 'is not a finite number: expected a value within the range of a double');
  } else {
    return fail(field, 'invalid_number', v, NUMBER_EXPECT);
  }
  return n === 0 ? 0 : n;
}

/** A safe integer (JSON integer or string of digits), -0 as 0; BAD after reporting invalid_integer. */
export function parseInteger(field: string, v: unknown): number | typeof BAD {
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (!INTEGER_RE.test(s)) return fail(field, 'invalid_integer', v, INTEGER_EXPECT);
    n = +s;
  } else {
    return fail(field, 'invalid_integer', v, INTEGER_EXPECT);
  }
  if (!Number.isSafeInteger(n)) return fail(field, 'invalid_integer', v, INTEGER_EXPECT);
  return n === 0 ? 0 : n;
}
