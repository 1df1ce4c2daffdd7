// A check that one NDJSON line is a JSON object, made on its bytes, and where its top-level
// "kind" string is. The receiver takes bodies of many thousand lines: JSON.parse builds every
// record only to count it by kind (bench/RESULTS.md, "serve"). It answers "not sure" (false)
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

let buf: Uint8Array = new Uint8Array(0);
let p = 0;
let stop = 0;

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d;
/** The byte at i, or -1 past the line: nothing reads beyond it. */
const at = (i: number): number => (i < stop ? buf[i]! : -1);

function ws(): void {
  while (p < stop && isWs(buf[p]!)) p++;
}

/** A string from the opening quote at p; p ends after the closing quote. -1: invalid; 1: had escapes; 0: plain. */
function str(): number {
  // locals, not the module's: this loop is most of the time
  const b = buf;
  const end = stop;
  let i = p + 1;
  let escaped = 0;
  while (i < end) {
    const c = b[i]!;
    if (c === Q) {
      p = i + 1;
      return escaped;
    }
    if (c < 0x20) return -1;
    if (c !== BS) {
      i++;
      continue;
    }
    escaped = 1;
    p = i;
    const e = at(i + 1);
    if (e === 0x75) {
      // \uXXXX
      for (let k = 2; k < 6; k++) if (!isHex(at(i + k))) return -1;
      i += 6;
      continue;
    }
    if (e !== Q && e !== BS && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
    i += 2;
  }
  return -1;
}

function isHex(c: number): boolean {
  return ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));
}

function digits(): boolean {
  const from = p;
  while (p < stop && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
  return p > from;
}

function num(): boolean {
  if (at(p) === 0x2d) p++;
  if (at(p) === 0x30) p++;
  else if (!digits()) return false;
  if (at(p) === 0x2e) {
    p++;
    if (!digits()) return false;
  }
  const e = at(p);
  if (e === 0x65 || e === 0x45) {
    p++;
    if (at(p) === 0x2b || at(p) === 0x2d) p++;
    if (!digits()) return false;
  }
  return true;
}

function word(w: string): boolean {
  for (let i = 0; i < w.length; i++) if (at(p + i) !== w.charCodeAt(i)) return false;
  p += w.length;
  return true;
}

function value(depth: number): boolean {
  const c = at(p);
  if (c === Q) return str() >= 0;
  if (c === 0x7b) return obj(depth + 1, null);
  if (c === 0x5b) return arr(depth + 1);
  if (c === 0x74) return word('true');
  if (c === 0x66) return word('false');
  if (c === 0x6e) return word('null');
  return num();
}

function arr(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  p++;
  ws();
  if (at(p) === 0x5d) {
    p++;
    return true;
  }
  for (;;) {
    ws();
    if (!value(depth)) return false;
    ws();
    const c = at(p);
    p++;
    if (c === 0x5d) return true;
    if (c !== 0x2c) return false;
  }
}

/** An object from the '{' at p; at the top (kind given), notes its last "kind" member. */
function obj(depth: number, kind: KindSpan | null): boolean {
  if (depth > MAX_DEPTH) return false;
  p++;
  ws();
  if (at(p) === 0x7d) {
    p++;
    return true;
  }
  for (;;) {
    ws();
    if (at(p) !== Q) return false;
    const keyAt = p;
    const keyEscaped = str();
    if (keyEscaped < 0) return false;
    // a key spelt with escapes might be "kind": not sure, let JSON.parse decide
    if (kind !== null && keyEscaped === 1) return false;
    const isKind = kind !== null && p - keyAt === 6 && buf[keyAt + 1] === 0x6b && buf[keyAt + 2] === 0x69 && buf[keyAt + 3] === 0x6e && buf[keyAt + 4] === 0x64;
    ws();
    if (at(p) !== 0x3a) return false;
    p++;
    ws();
    const valueAt = p;
    if (isKind && at(p) === Q) {
      const escaped = str();
      if (escaped < 0) return false;
      kind.start = escaped === 1 ? valueAt : valueAt + 1;
      kind.end = escaped === 1 ? p : p - 1;
      kind.escaped = escaped === 1;
    } else {
      if (!value(depth)) return false;
      if (isKind) kind.start = kind.end = -1;
    }
    ws();
    const c = at(p);
    p++;
    if (c === 0x7d) return true;
    if (c !== 0x2c) return false;
  }
}

/**
 * True when bytes[start, end) are exactly one JSON object, with no white space around it
 * (JSON.parse accepts it); `kind` then says where its top-level "kind" string is.
 * False: not sure; parse the line with JSON.parse.
 */
export function scanObjectLine(bytes: Uint8Array, start: number, end: number, kind: KindSpan): boolean {
  if (end - start < 2 || bytes[start] !== 0x7b || bytes[end - 1] !== 0x7d) return false;
  buf = bytes;
  p = start;
  stop = end;
  kind.start = kind.end = -1;
  kind.escaped = false;
  const ok = obj(0, kind) && p === end;
  buf = EMPTY;
  return ok;
}

const EMPTY = new Uint8Array(0);
