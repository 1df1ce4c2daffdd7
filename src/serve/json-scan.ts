// A check that one NDJSON line is a JSON object, made on its bytes, and where its top-level
// "kind" string is. The receiver takes bodies of many thousand lines: JSON.parse builds every
// record only to count it by kind (bench/RESULTS.md, "Session 9"). It answers "not sure" (false)
// for anything unusual, and the caller then parses the body with JSON.parse as before, so
// it need only be sound: whatever it accepts, JSON.parse accepts as an object.
// The bytes must be valid UTF-8 (the caller checks the whole body once).

/** Where a line's kind is, after a scan that returned true. */
export interface KindSpan {
  /** Bytes of the last top-level "kind" when its value is a plain string (no escapes); -1: none or not a string. */
  start: number;
  end: number;
  /** The value is a string with escapes: decode buf[start, end) with JSON.parse (quotes included). */
  escaped: boolean;
}

const MAX_DEPTH = 64;
const Q = 0x22; // "
const BS = 0x5c; // \
const FAIL = -1;

// Each step takes the bytes, where it starts and where the line ends, and returns where it
// stopped, or FAIL; positions in arguments, not module state, keep the loops in registers.

/** The byte at i, or -1 past the line: nothing reads beyond it. */
const at = (b: Uint8Array, i: number, end: number): number => (i < end ? b[i]! : -1);

function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
    i++;
  }
  return i;
}

/** Set by str(): whether the string it read had escapes. */
let hadEscape = false;

/** A string from its opening quote at i; returns the index after the closing quote. */
function str(b: Uint8Array, i: number, end: number): number {
  hadEscape = false;
  i++;
  while (i < end) {
    const c = b[i]!;
    if (c === Q) return i + 1;
    if (c < 0x20) return FAIL;
    if (c !== BS) {
      i++;
      continue;
    }
    hadEscape = true;
    const e = at(b, i + 1, end);
    if (e === 0x75) {
      // \uXXXX
      for (let k = 2; k < 6; k++) if (!isHex(at(b, i + k, end))) return FAIL;
      i += 6;
    } else if (e === Q || e === BS || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2;
    } else {
      return FAIL;
    }
  }
  return FAIL;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function digits(b: Uint8Array, i: number, end: number): number {
  const from = i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i > from ? i : FAIL;
}

function num(b: Uint8Array, i: number, end: number): number {
  if (at(b, i, end) === 0x2d) i++;
  if (at(b, i, end) === 0x30) i++;
  else if ((i = digits(b, i, end)) < 0) return FAIL;
  if (at(b, i, end) === 0x2e && (i = digits(b, i + 1, end)) < 0) return FAIL;
  const e = at(b, i, end);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = at(b, i, end);
    if (sign === 0x2b || sign === 0x2d) i++;
    return digits(b, i, end);
  }
  return i;
}

function word(b: Uint8Array, i: number, end: number, w: string): number {
  for (let k = 0; k < w.length; k++) if (at(b, i + k, end) !== w.charCodeAt(k)) return FAIL;
  return i + w.length;
}

function value(b: Uint8Array, i: number, end: number, depth: number): number {
  const c = at(b, i, end);
  if (c === Q) return str(b, i, end);
  if (c === 0x7b) return obj(b, i, end, depth + 1, null);
  if (c === 0x5b) return arr(b, i, end, depth + 1);
  if (c === 0x74) return word(b, i, end, 'true');
  if (c === 0x66) return word(b, i, end, 'false');
  if (c === 0x6e) return word(b, i, end, 'null');
  return num(b, i, end);
}

function arr(b: Uint8Array, i: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = ws(b, i + 1, end);
  if (at(b, i, end) === 0x5d) return i + 1;
  for (;;) {
    i = value(b, ws(b, i, end), end, depth);
    if (i < 0) return FAIL;
    i = ws(b, i, end);
    const c = at(b, i, end);
    if (c === 0x5d) return i + 1;
    if (c !== 0x2c) return FAIL;
    i++;
  }
}

/** An object from its '{' at i; at the top (kind given), notes its last "kind" member. */
function obj(b: Uint8Array, i: number, end: number, depth: number, kind: KindSpan | null): number {
  if (depth > MAX_DEPTH) return FAIL;
  i = ws(b, i + 1, end);
  if (at(b, i, end) === 0x7d) return i + 1;
  for (;;) {
    i = ws(b, i, end);
    if (at(b, i, end) !== Q) return FAIL;
    const keyAt = i;
    i = str(b, i, end);
    if (i < 0) return FAIL;
    // a key spelt with escapes might be "kind": not sure, let JSON.parse decide
    if (kind !== null && hadEscape) return FAIL;
    const isKind = kind !== null && i - keyAt === 6 && b[keyAt + 1] === 0x6b && b[keyAt + 2] === 0x69 && b[keyAt + 3] === 0x6e && b[keyAt + 4] === 0x64;
    i = ws(b, i, end);
    if (at(b, i, end) !== 0x3a) return FAIL;
    const valueAt = ws(b, i + 1, end);
    i = value(b, valueAt, end, depth);
    if (i < 0) return FAIL;
    if (isKind) setKind(kind, b[valueAt] === Q, valueAt, i);
    i = ws(b, i, end);
    const c = at(b, i, end);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return FAIL;
    i++;
  }
}

function setKind(kind: KindSpan, isString: boolean, from: number, to: number): void {
  if (!isString) {
    kind.start = kind.end = -1;
    kind.escaped = false;
  } else if (hadEscape) {
    kind.start = from;
    kind.end = to;
    kind.escaped = true;
  } else {
    kind.start = from + 1;
    kind.end = to - 1;
    kind.escaped = false;
  }
}

/**
 * True when bytes[start, end) are exactly one JSON object, with no white space around it
 * (JSON.parse accepts it); `kind` then says where its top-level "kind" string is.
 * False: not sure; parse the line with JSON.parse.
 */
export function scanObjectLine(bytes: Uint8Array, start: number, end: number, kind: KindSpan): boolean {
  if (end - start < 2 || bytes[start] !== 0x7b || bytes[end - 1] !== 0x7d) return false;
  kind.start = kind.end = -1;
  kind.escaped = false;
  return obj(bytes, start, end, 0, kind) === end;
}
