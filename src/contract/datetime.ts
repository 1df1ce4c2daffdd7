// ISO 8601 dates and timestamps, parsed by hand (no Date parsing, no regex, no
// allocation on the happy path). See records.md "Dates" and "Timestamps".
//
// Accepted (after trim):
//   YYYY-MM-DD
//   YYYY-MM-DD(T| )HH:MM[:SS[.f+]][Z|+HH:MM|-HH:MM]
// - year 0001-9999; real calendar dates (leap years: /4, not /100, except /400);
// - hour 00-23, minute 00-59, second 00-59 (no leap second 60);
// - fractional seconds: one or more digits, truncated to milliseconds;
// - a zone only after a time; no zone means UTC; offsets +-00:00 .. +-23:59
//   (the RFC 3339 grammar);
// - `T` and `Z` uppercase only, `.` as decimal mark only, exactly one space.
// A timestamp whose UTC instant falls outside 0001-01-01..9999-12-31 is invalid
// (its ISO form would need an expanded year).

// Results of the last successful parse (the parser is synchronous, not re-entrant).
let pY = 0;
let pMo = 0;
let pD = 0;
let pH = 0;
let pMi = 0;
let pS = 0;
let pMs = 0;
let pOff = 0; // minutes east of UTC

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Digit value of the char at i, or -1. Caller guarantees i < s.length. */
function dig(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Two-digit number at i, or -1. Caller guarantees i + 1 < s.length. */
function two(s: string, i: number): number {
  const a = dig(s, i);
  const b = dig(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `YYYY-MM-DD` at the start of s, a real calendar date with year >= 1. Sets pY/pMo/pD. */
function parseDatePart(s: string): boolean {
  if (s.length < 10) return false;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = y1 * 100 + y2;
  const mo = two(s, 5);
  const d = two(s, 8);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return false;
  pY = y;
  pMo = mo;
  pD = d;
  return true;
}

/** The whole string is a date or timestamp as described above. Sets the p* results. */
function parseIso(s: string): boolean {
  if (!parseDatePart(s)) return false;
  const n = s.length;
  pH = 0;
  pMi = 0;
  pS = 0;
  pMs = 0;
  pOff = 0;
  if (n === 10) return true;
  const sep = s.charCodeAt(10);
  if ((sep !== 84 /* T */ && sep !== 32) || n < 16 || s.charCodeAt(13) !== 58) return false;
  const h = two(s, 11);
  const mi = two(s, 14);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return false;
  pH = h;
  pMi = mi;
  let i = 16;
  if (i < n && s.charCodeAt(i) === 58 /* : */) {
    if (i + 2 >= n) return false;
    const sec = two(s, i + 1);
    if (sec < 0 || sec > 59) return false;
    pS = sec;
    i += 3;
    if (i < n && s.charCodeAt(i) === 46 /* . */) {
      i++;
      const start = i;
      let ms = 0;
      while (i < n) {
        const dd = dig(s, i);
        if (dd < 0) break;
        if (i - start < 3) ms = ms * 10 + dd;
        i++;
      }
      const used = i - start;
      if (used === 0) return false;
      if (used === 1) ms *= 100;
      else if (used === 2) ms *= 10;
      pMs = ms;
    }
  }
  if (i === n) return true;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */) return i + 1 === n;
  if ((z !== 43 && z !== 45) || i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
  const oh = two(s, i + 1);
  const om = two(s, i + 4);
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
  pOff = z === 45 ? -(oh * 60 + om) : oh * 60 + om;
  return true;
}

const MIN_MS = daysFromCivil(1, 1, 1) * 86_400_000;
const MAX_MS = daysFromCivil(9999, 12, 31) * 86_400_000 + 86_399_999;

/**
 * signup_date rule: a real `YYYY-MM-DD`, or a full timestamp of which the date
 * as written is kept. Returns `YYYY-MM-DD` or null. `s` is already trimmed.
 */
export function normalizeDate(s: string): string | null {
  if (s.length === 10) return parseDatePart(s) ? s : null;
  return parseIso(s) ? s.slice(0, 10) : null;
}

/** Timestamp rule: returns `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC) or null. `s` is already trimmed. */
export function normalizeTimestamp(s: string): string | null {
  if (!parseIso(s)) return null;
  if (pOff === 0) {
    // Already UTC: the date as written is the UTC date; build the string directly.
    return (
      (s.length === 10 ? s : s.slice(0, 10)) +
      'T' +
      PAD2[pH] +
      ':' +
      PAD2[pMi] +
      ':' +
      PAD2[pS] +
      '.' +
      PAD3[pMs] +
      'Z'
    );
  }
  const ms =
    (daysFromCivil(pY, pMo, pD) * 1440 + pH * 60 + pMi - pOff) * 60_000 + pS * 1000 + pMs;
  if (ms < MIN_MS || ms > MAX_MS) return null;
  return new Date(ms).toISOString();
}
