// JSON text of a normalized record straight from the engine's scratch values, for
// the hot path (checkRecordJson): byte for byte what JSON.stringify gives on the
// output object, without building that object.
//
// Valid only where the object's property order is `kind` then the known fields in
// table order, i.e. no extras (V8 puts integer-like keys first): the caller falls
// back to JSON.stringify otherwise.
import {
  checkCountry,
  checkDate,
  checkId,
  checkPhone,
  checkSku,
  checkTier,
  checkTimestamp,
  checkUpperId,
  type Checker,
} from './fields.js';
import type { KindSpec } from './spec.js';

/**
 * Checkers whose results never need escaping: they only return text matched
 * against [A-Za-z0-9_.+:-] patterns (ids, digits, country codes, ISO dates, tiers).
 * Scanning costs ~25 ns a string; json.test.ts feeds hostile text to every field.
 */
const PLAIN_CHECKERS: ReadonlySet<Checker> = new Set<Checker>([
  checkId,
  checkUpperId,
  checkSku,
  checkPhone,
  checkCountry,
  checkDate,
  checkTimestamp,
  checkTier,
]);

/**
 * The constant parts of a kind's JSON. A string's opening quote is written with its
 * key and its closing quote with what follows: fewer pieces in the concatenated
 * text, whose flattening (when the line is written out) costs per piece.
 * key[i] is `,"name":`; Q = after a string (`"` first), S = before one (`"` last).
 */
export interface JsonPlan {
  /** `{"kind":"customer` (its closing quote is pending). */
  readonly head: string;
  readonly key: readonly string[];
  readonly keyQ: readonly string[];
  /** As key and keyQ, plus the opening quote of a string value. */
  readonly keyS: readonly string[];
  readonly keyQS: readonly string[];
  /** The field's value is known to need no escaping when it is a string. */
  readonly plain: readonly boolean[];
}

export function makeJsonPlan(spec: KindSpec): JsonPlan {
  const key = spec.names.map((name) => ',' + JSON.stringify(name) + ':');
  return Object.freeze({
    head: '{"kind":' + JSON.stringify(spec.kind).slice(0, -1),
    key: Object.freeze(key),
    keyQ: Object.freeze(key.map((k) => '"' + k)),
    keyS: Object.freeze(key.map((k) => k + '"')),
    keyQS: Object.freeze(key.map((k) => '"' + k + '"')),
    plain: Object.freeze(spec.fields.map((f) => PLAIN_CHECKERS.has(f.check))),
  });
}

// What JSON.stringify would escape: '"', '\', C0 controls; and any surrogate, so that
// lone ones (escaped as \udxxx) are left to JSON.stringify too (pairs are rare).
// One regex test measured faster than a charCodeAt loop (~23 against ~30 ns a field).
const NEEDS_ESCAPE_RE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * s is exactly String(Number(s)), decided syntactically: `0` or a non-zero digit
 * first, digits, optionally `.` and a non-empty fraction not ending in `0`; no sign,
 * exponent or blanks. At most 15 characters, so at most 15 significant digits: such
 * a decimal survives the round trip through a double (DBL_DIG), and no shorter one
 * maps to the same double, so it is what the shortest-digits printer gives back.
 * `0.` then 6 or more zeros is printed with an exponent (0.0000001 -> "1e-7"): no.
 * (A charCodeAt loop: ~12 ns against ~21 for the equivalent regexes.)
 */
export function isCanonicalNumber(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 15) return false;
  let c = s.charCodeAt(0);
  let i = 1;
  if (c !== 48 /* 0 */) {
    if (c < 49 || c > 57) return false;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
  }
  if (i === n) return true;
  if (s.charCodeAt(i) !== 46 /* . */ || i + 1 === n) return false;
  const point = i++;
  if (point === 1 && s.charCodeAt(0) === 48) {
    while (i < n && s.charCodeAt(i) === 48) i++;
    if (i - point > 6) return false;
  }
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.charCodeAt(n - 1) !== 48;
}

/**
 * `{"kind":...,"field":value,...}` from the normalized values in table order
 * (undefined = left out) and the raw values they came from. A number whose raw
 * text is already canonical is copied instead of formatted (the double-to-text
 * conversion is the costly part of JSON.stringify here). Null when a value is
 * neither a string, a finite number nor a boolean (no checker returns one): use JSON.stringify.
 */
export function encodeKnown(plan: JsonPlan, vals: readonly unknown[], raws: readonly unknown[]): string | null {
  const n = plan.key.length;
  let out = plan.head;
  let open = true; // the last value was a string whose closing quote is not written yet
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (v === undefined) continue;
    if (typeof v === 'string') {
      if (plan.plain[i] || !NEEDS_ESCAPE_RE.test(v)) {
        out += (open ? plan.keyQS[i]! : plan.keyS[i]!) + v;
        open = true;
      } else {
        out += (open ? plan.keyQ[i]! : plan.key[i]!) + JSON.stringify(v);
        open = false;
      }
    } else if (typeof v === 'number' && Number.isFinite(v)) {
      const r = raws[i];
      out += (open ? plan.keyQ[i]! : plan.key[i]!) + (typeof r === 'string' && isCanonicalNumber(r) ? r : String(v));
      open = false;
    } else if (typeof v === 'boolean') {
      // only declared kinds have boolean fields (contracts.md)
      out += (open ? plan.keyQ[i]! : plan.key[i]!) + (v ? 'true' : 'false');
      open = false;
    } else {
      return null;
    }
  }
  return open ? out + '"}' : out + '}';
}
