// The functions of the expression language, as ONE table: the parser checks calls
// against it (name, arity), the evaluator takes the argument kinds and the
// implementation from it, and `recflow stages` / docs/stages.md print its docs.
//
// Wrong types and missing values (documented in docs/stages.md, "Functions"):
// each argument is converted to its kind first; a missing value (absent, null,
// blank text) or a value of the wrong kind ("abc" where a number is needed) makes
// the call null without running it. Only the `any` and `field` kinds
// (coalesce, exists, is_null) see missing values as they are.
import { isMissing } from '../contract/fields.js';

/**
 * number: a number or numeric text. int: a whole number. text: any non-missing value as text
 * (numbers and booleans too). str: like text but blank or empty text is kept (a separator, a
 * search string). date: a date or timestamp text, as epoch milliseconds. any: the value as is.
 * field: a field name, written as such (checked by the parser).
 */
export type ArgKind = 'number' | 'int' | 'text' | 'str' | 'date' | 'any' | 'field';
export type Returns = 'number' | 'text' | 'bool' | 'any';

export interface FnSpec {
  name: string;
  /** Parameter names and kinds; when max is Infinity the last one repeats. */
  params: readonly (readonly [string, ArgKind])[];
  min: number;
  max: number;
  returns: Returns;
  doc: string;
  /** Called with converted, non-null arguments (except for `any`/`field` kinds), in a buffer it must not keep. */
  impl: (args: unknown[]) => unknown;
}

const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DAY_MS = 86_400_000;

/** `round half away from zero` on the decimal digits of x (its shortest round-trip text), not on x * 10^d. */
export function roundDecimal(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x; // never -0
  const quick = digits >= 0 && digits <= 15 ? roundScaled(x, digits) : undefined;
  if (quick !== undefined) return quick;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const all = m[2]! + (m[3] ?? '');
  const point = m[2]!.length + Number(m[4] ?? 0); // digits before the decimal point
  const keep = point + digits; // digits of `all` that stay
  if (keep >= all.length) return x;
  if (keep < 0) return 0;
  let kept = all.slice(0, keep);
  if (all.charCodeAt(keep) >= 53 /* '5' */) kept = increment(kept);
  const carried = kept.length - keep; // 0 or 1 (999 → 1000)
  const text = `${m[1]}${kept || '0'}e${point + carried - kept.length}`;
  const z = Number(text);
  return z === 0 ? 0 : z;
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The fast path of roundDecimal, for when the float and the decimal text cannot disagree:
 * |x| * 10^d below 2^30 has an error under 5e-7, so a fraction further than 1e-6 from .5
 * rounds the same way; q / 10^d of two exact doubles is correctly rounded, like parsing
 * the text "qe-d". Near a half it gives up (undefined) and the digits decide.
 */
function roundScaled(x: number, digits: number): number | undefined {
  const p = POW10[digits]!;
  const scaled = Math.abs(x) * p;
  if (!(scaled < 2 ** 30)) return undefined;
  const whole = Math.floor(scaled);
  const frac = scaled - whole;
  if (Math.abs(frac - 0.5) <= 1e-6) return undefined;
  const q = frac > 0.5 ? whole + 1 : whole;
  return q === 0 ? 0 : (x < 0 ? -q : q) / p;
}

function increment(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i--;
  return (i < 0 ? '1' : digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1)) + '0'.repeat(digits.length - 1 - i);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A date (`2024-05-01`, taken as UTC midnight) or timestamp (no offset = UTC) → epoch ms; null when not one. */
export function parseDate(s: string): number | null {
  const m = DATE_RE.exec(s.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null; // 2024-02-30
  const utc = Date.UTC(y, mo - 1, d);
  const day = y < 100 ? new Date(utc).setUTCFullYear(y) : utc; // Date.UTC reads 0024 as 1924
  if (m[4] === undefined) return day;
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = Number(m[6] ?? 0);
  if (h > 23 || mi > 59 || sec > 59) return null;
  const ms = m[7] ? Number(m[7].slice(1).padEnd(3, '0').slice(0, 3)) : 0; // digits, not 0.57 * 1000
  let offset = 0;
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(-2));
    if (oh > 23 || om > 59) return null;
    offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return day + ((h * 60 + mi) * 60 + sec) * 1000 + ms - offset;
}

function daysInMonth(y: number, mo: number): number {
  if (mo !== 2) return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** Argument kind → converter; null means "missing or wrong kind". */
export const CONVERT: Record<ArgKind, (v: unknown) => unknown> = {
  number: (v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    return typeof v === 'string' && NUM_RE.test(v.trim()) ? Number(v) : null;
  },
  int: (v) => {
    const n = CONVERT.number(v);
    return Number.isInteger(n) ? n : null;
  },
  text: (v) => (isMissing(v) ? null : asText(v)),
  str: (v) => (v === undefined || v === null ? null : asText(v)),
  date: (v) => (typeof v === 'string' ? parseDate(v) : null),
  any: (v) => v,
  field: (v) => v,
};

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Code points in s (a surrogate pair counts once). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const SURROGATE_RE = /[\uD800-\uDFFF]/;

/** substr by code points; start < 0 counts from the end; past the end gives "". */
function substr(s: string, start: number, length: number | undefined): string | null {
  if (length !== undefined && length < 0) return null;
  const wide = SURROGATE_RE.test(s);
  const cps = wide ? Array.from(s) : null;
  const n = cps ? cps.length : s.length;
  const from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
  const to = length === undefined ? n : Math.min(n, from + length);
  return cps ? cps.slice(from, to).join('') : s.slice(from, to);
}

// now(): one instant per run (per process), taken the first time an expression uses it.
let runNow: string | undefined;
export function runInstant(): string {
  return (runNow ??= new Date().toISOString());
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const num = (a: unknown[], i: number): number => a[i] as number;
const txt = (a: unknown[], i: number): string => a[i] as string;
const noNegZero = (z: number): number => (z === 0 ? 0 : z);

function fold(a: unknown[], pick: (x: number, y: number) => number): number {
  let best = num(a, 0);
  for (let i = 1; i < a.length; i++) best = pick(best, num(a, i));
  return best;
}

type P = readonly [string, ArgKind];
const x: P = ['x', 'number'];
const s: P = ['s', 'text'];
const d: P = ['d', 'date'];
const p: P = ['p', 'str'];

export const FUNCTIONS: readonly FnSpec[] = [
  { name: 'round', params: [x, ['digits', 'int']], min: 1, max: 2, returns: 'number',
    doc: 'x rounded to `digits` decimals (default 0; negative: tens, hundreds...), half away from zero on the decimal value: round(2.675, 2) = 2.68, round(-2.5) = -3',
    impl: (a) => roundDecimal(num(a, 0), a.length > 1 ? num(a, 1) : 0) },
  { name: 'floor', params: [x], min: 1, max: 1, returns: 'number', doc: 'the largest whole number <= x', impl: (a) => noNegZero(Math.floor(num(a, 0))) },
  { name: 'ceil', params: [x], min: 1, max: 1, returns: 'number', doc: 'the smallest whole number >= x', impl: (a) => noNegZero(Math.ceil(num(a, 0))) },
  { name: 'abs', params: [x], min: 1, max: 1, returns: 'number', doc: 'x without its sign', impl: (a) => Math.abs(num(a, 0)) },
  { name: 'min', params: [['a', 'number'], ['b', 'number']], min: 2, max: Infinity, returns: 'number',
    doc: 'the smallest of the numbers', impl: (a) => fold(a, Math.min) },
  { name: 'max', params: [['a', 'number'], ['b', 'number']], min: 2, max: Infinity, returns: 'number',
    doc: 'the largest of the numbers', impl: (a) => fold(a, Math.max) },
  { name: 'lower', params: [s], min: 1, max: 1, returns: 'text', doc: 's in lower case', impl: (a) => txt(a, 0).toLowerCase() },
  { name: 'upper', params: [s], min: 1, max: 1, returns: 'text', doc: 's in upper case', impl: (a) => txt(a, 0).toUpperCase() },
  { name: 'trim', params: [s], min: 1, max: 1, returns: 'text', doc: 's without leading and trailing white space', impl: (a) => txt(a, 0).trim() },
  { name: 'len', params: [s], min: 1, max: 1, returns: 'number', doc: 'the length of s in code points (not UTF-16 units: 😀 counts 1, 👍🏽 with its skin tone 2)', impl: (a) => codePoints(txt(a, 0)) },
  { name: 'concat', params: [['a', 'str'], ['b', 'str']], min: 2, max: Infinity, returns: 'text',
    doc: 'the texts joined; blank texts are kept (separators), a null or absent one makes the result null',
    impl: (a) => {
      let out = '';
      for (let i = 0; i < a.length; i++) out += txt(a, i);
      return out;
    } },
  { name: 'substr', params: [s, ['start', 'int'], ['length', 'int']], min: 2, max: 3, returns: 'text',
    doc: 'the characters of s from `start` (0-based code points; negative counts from the end), `length` of them or all the rest; past the end gives ""',
    impl: (a) => substr(txt(a, 0), num(a, 1), a.length > 2 ? num(a, 2) : undefined) },
  { name: 'replace', params: [s, ['old', 'str'], ['new', 'str']], min: 3, max: 3, returns: 'text',
    doc: 'every occurrence of the text `old` in s replaced by `new` (literal text, not a regex; an empty `old` changes nothing)',
    impl: (a) => (txt(a, 1) === '' ? txt(a, 0) : txt(a, 0).split(txt(a, 1)).join(txt(a, 2))) },
  { name: 'starts_with', params: [s, p], min: 2, max: 2, returns: 'bool', doc: 's begins with the text p (case-sensitive)', impl: (a) => txt(a, 0).startsWith(txt(a, 1)) },
  { name: 'ends_with', params: [s, p], min: 2, max: 2, returns: 'bool', doc: 's ends with the text p (case-sensitive)', impl: (a) => txt(a, 0).endsWith(txt(a, 1)) },
  { name: 'contains', params: [s, p], min: 2, max: 2, returns: 'bool', doc: 's contains the text p (case-sensitive)', impl: (a) => txt(a, 0).includes(txt(a, 1)) },
  { name: 'coalesce', params: [['a', 'any'], ['b', 'any']], min: 2, max: Infinity, returns: 'any',
    doc: 'the first value that is not missing (absent, null or blank text), else null',
    impl: (a) => {
      for (let i = 0; i < a.length; i++) if (!isMissing(a[i])) return a[i];
      return null;
    } },
  { name: 'exists', params: [['field', 'field']], min: 1, max: 1, returns: 'bool', doc: 'the field is present and not blank', impl: (a) => !isMissing(a[0]) },
  { name: 'is_null', params: [['v', 'any']], min: 1, max: 1, returns: 'bool', doc: 'v is missing: absent, null or blank text', impl: (a) => isMissing(a[0]) },
  { name: 'now', params: [], min: 0, max: 0, returns: 'text',
    doc: 'the time the run started, as an ISO timestamp in UTC; the same for every record of a run', impl: () => runInstant() },
  { name: 'date', params: [['ts', 'date']], min: 1, max: 1, returns: 'text', doc: 'the UTC day of a date or timestamp, as YYYY-MM-DD', impl: (a) => isoDay(num(a, 0)) },
  { name: 'year', params: [d], min: 1, max: 1, returns: 'number', doc: 'the year of a date or timestamp (UTC)', impl: (a) => new Date(num(a, 0)).getUTCFullYear() },
  { name: 'month', params: [d], min: 1, max: 1, returns: 'number', doc: 'the month, 1-12 (UTC)', impl: (a) => new Date(num(a, 0)).getUTCMonth() + 1 },
  { name: 'day', params: [d], min: 1, max: 1, returns: 'number', doc: 'the day of the month, 1-31 (UTC)', impl: (a) => new Date(num(a, 0)).getUTCDate() },
  { name: 'days_between', params: [['a', 'date'], ['b', 'date']], min: 2, max: 2, returns: 'number',
    doc: 'whole calendar days from the UTC day of a to that of b (b − a; negative when b is earlier)',
    impl: (a) => Math.floor(num(a, 1) / DAY_MS) - Math.floor(num(a, 0) / DAY_MS) },
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.name, f]));

/** Function names are matched case-insensitively, like the keywords. */
export function findFunction(name: string): FnSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The kind of argument i (the last parameter repeats for variadic functions). */
export function argKind(f: FnSpec, i: number): ArgKind {
  return f.params[Math.min(i, f.params.length - 1)]![1];
}

/** `round(x[, digits])`, `min(a, b, ...)`. */
export function signature(f: FnSpec): string {
  const names = f.params.map((q) => q[0]);
  let args = names.slice(0, f.min).join(', ');
  for (const opt of names.slice(f.min, Number.isFinite(f.max) ? f.max : names.length)) args += args ? `[, ${opt}]` : `[${opt}]`;
  if (!Number.isFinite(f.max)) args += ', ...';
  return `${f.name}(${args})`;
}
