// JSON text of records with numbers kept as read, and a bound on nesting depth.
//
// Node 20 has neither JSON.rawJSON nor the reviver's source text, so a number a double
// would change (12345678901234567890123, 1e999, -0, 1.0, 1E5) is kept beside the value:
// the record holds the double (stages compare and compute as before) and a side table,
// per object or array, holds the text; stringifyLossless() writes the text back when the
// value is still that double. Only lines where a cheap test finds a suspicious number
// pay for the scan, and only when the texts are wanted: a record whose only such
// numbers are in fields the contract normalizes (lifetime_value 952.70) never is.

/** Deepest nesting a record may have (the record object itself is depth 1). */
export const MAX_DEPTH = 1000;

// The side tables are hidden (non-enumerable symbol) properties of the containers
// themselves, not WeakMaps: with WeakMap entries, measured +40 MB peak RSS and 8% CPU
// on NDJSON where one line in seven has a 952.70-like number (the entries kept the
// decoded input alive until a full GC). Spread, JSON and equality skip them.

/** On an object or array: its keys' number texts (object key or array index as text). */
const TEXTS: unique symbol = Symbol('recflow.numberTexts');
/** On an object or array: true when it holds number texts somewhere inside. */
const MARK: unique symbol = Symbol('recflow.holdsTexts');
/** On a parsed record whose text may hold such numbers: that text, until scanned (then ''). */
const LINE: unique symbol = Symbol('recflow.lineText');

interface Hidden {
  [TEXTS]?: Map<string, string>;
  [MARK]?: boolean;
  [LINE]?: string;
}

function hide(o: object, key: typeof TEXTS | typeof MARK | typeof LINE, value: unknown): void {
  if (Object.hasOwn(o, key)) (o as Record<symbol, unknown>)[key] = value;
  else if (Object.isExtensible(o)) Object.defineProperty(o, key, { value, writable: true });
}

function textsIn(o: object): Map<string, string> | undefined {
  return Object.hasOwn(o, TEXTS) ? (o as Hidden)[TEXTS] : undefined;
}

function marked(o: object): boolean {
  return (o as Hidden)[MARK] === true && Object.hasOwn(o, MARK);
}

/** Any texts at all: until then, every stringify is plain JSON.stringify. */
let anyTexts = false;

/** As mayHoldLossyNumber, for array elements (after '[' or ','); only lines with a '[' need it. */
const IN_ARRAY_RE = /[,[]\s*(?:-0(?![.\d])|-?(?:\d+(?:\.\d+)?[eE]|\d+\.\d*0(?!\d)|[\d.]{16}|0\.0{6}))/;

/**
 * May hold a number token whose text is not String(Number(text)): one with an exponent,
 * -0, a fraction ending in 0, 16 or more characters, or 0.000000... (printed with an
 * exponent). A token with none of those has at most 15 digits and prints back as written.
 * In an object a number follows a ':', in an array a '[' or ','; hits inside strings only
 * cost a scan (lossless.test.ts checks this against the exact rule).
 */
export function mayHoldLossyNumber(text: string): boolean {
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let k = i + 1;
    let c = text.charCodeAt(k);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++k);
    if (((c >= 48 && c <= 57) || c === 45) && !plainNumberAt(text, k)) return true;
  }
  return text.indexOf('[') !== -1 && IN_ARRAY_RE.test(text);
}

/** The number token at i surely prints back as written (false: it may not). */
function plainNumberAt(text: string, i: number): boolean {
  const n = text.length;
  let j = i;
  let c = text.charCodeAt(j);
  if (c === 45 /* - */) c = text.charCodeAt(++j);
  if (c < 48 || c > 57) return true; // not a number
  const first = j;
  let last = c;
  let point = -1;
  for (j++; j < n; j++) {
    c = text.charCodeAt(j);
    if (c >= 48 && c <= 57) last = c;
    else if (c === 46 /* . */ && point === -1) point = j;
    else if (c === 101 || c === 69 /* e E */) return false;
    else break;
  }
  if (j - i > 15) return numberRoundTrips(text.slice(i, j));
  if (point !== -1 && last === 48) return false; // 1.0, 2.50
  if (text.charCodeAt(first) === 48) {
    if (point === -1) return first === i; // -0
    if (text.startsWith('000000', point + 1)) return false;
  }
  return true;
}

/** The token's text survives a double: JSON.stringify(JSON.parse(t)) === t. */
export function numberRoundTrips(t: string): boolean {
  return String(Number(t)) === t;
}

/** Index just past the string that starts at text[i] (a '"'); text.length when unclosed. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; ; ) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let b = q - 1;
    while (text.charCodeAt(b) === 92 /* \ */) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1; // an even run of backslashes: the quote is real
    j = q + 1;
  }
}

/**
 * The text nests deeper than `max` (strings are skipped). Lines too short to hold
 * that many brackets, or holding too few, are decided without a scan.
 */
export function nestsDeeperThan(text: string, max = MAX_DEPTH): boolean {
  if (text.length <= 2 * max) return false;
  let opens = 0;
  for (let i = text.indexOf('[', 0); i !== -1 && opens <= max; i = text.indexOf('[', i + 1)) opens++;
  for (let i = text.indexOf('{', 0); i !== -1 && opens <= max; i = text.indexOf('{', i + 1)) opens++;
  if (opens <= max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) i = skipString(text, i) - 1;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** One level of the scan: the container (null when it cannot be matched) and where we are in it. */
interface Level {
  node: object | null;
  isArray: boolean;
  key: string;
  index: number;
  /** node is marked (it holds a text somewhere inside). */
  marked: boolean;
}

/**
 * Walk `text` (already parsed into `value` by JSON.parse) and record the text of every
 * number that does not round-trip, by container and key. Iterative: depth costs no stack.
 */
function attachTexts(text: string, value: object): void {
  const stack: Level[] = [];
  let top: Level | undefined;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const isArray = c === 91;
      const v = top === undefined ? value : childOf(top);
      const ok = v !== null && typeof v === 'object' && Array.isArray(v) === isArray;
      if (top !== undefined) stack.push(top);
      top = { node: ok ? v : null, isArray, key: '', index: 0, marked: false };
      expectKey = !isArray;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      top = stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      if (top !== undefined) {
        top.index++;
        expectKey = !top.isArray;
      }
    } else if (c === 34 /* " */) {
      const end = skipString(text, i);
      if (expectKey && top !== undefined) {
        const raw = text.slice(i + 1, end - 1);
        top.key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        expectKey = false;
      }
      i = end - 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      const t = text.slice(i, j);
      if (top !== undefined && top.node !== null && !numberRoundTrips(t)) {
        const key = top.isArray ? String(top.index) : top.key;
        let m = textsIn(top.node);
        if (m === undefined) hide(top.node, TEXTS, (m = new Map()));
        m.set(key, t);
        if (!top.marked) markPath(top, stack);
      }
      i = j - 1;
    }
  }
}

/**
 * Mark the containers that hold a text, the way down from the top included: any of them
 * may be written alone (a dead-letter row's record inside a parsed list of rows).
 */
function markPath(top: Level, stack: Level[]): void {
  for (let k = stack.length; k >= 0; k--) {
    const l = k === stack.length ? top : stack[k]!;
    if (l.marked) break;
    l.marked = true;
    if (l.node !== null) hide(l.node, MARK, true);
  }
}

/** The value at the scan position of a level: the container a '{' or '[' there opens. */
function childOf(l: Level): unknown {
  const node = l.node as Record<string, unknown> | unknown[] | null;
  if (node === null) return null;
  if (Array.isArray(node)) return node[l.index];
  return Object.hasOwn(node, l.key) ? node[l.key] : null;
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/**
 * JSON.parse, plus the texts of numbers a double would change (see the top of the
 * file), for every object and array inside. Throws what JSON.parse throws.
 */
export function parseLossless(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value !== null && typeof value === 'object' && mayHoldLossyNumber(text)) {
    anyTexts = true;
    attachTexts(text, value);
  }
  return value;
}

/**
 * As parseLossless for one record: the scan for the texts is left until they are wanted
 * (hasTexts on the record), which for most records is never.
 */
export function parseRecordText(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value !== null && typeof value === 'object' && mayHoldLossyNumber(text)) {
    hide(value, LINE, text);
    anyTexts = true;
  }
  return value;
}

/** The value (a parsed record or a copy made of one) has number texts inside. */
export function hasTexts(value: unknown): boolean {
  if (!anyTexts || value === null || typeof value !== 'object') return false;
  const text = (value as Hidden)[LINE];
  if (text !== undefined && text !== '' && Object.hasOwn(value, LINE)) {
    (value as Hidden)[LINE] = '';
    attachTexts(text, value);
  }
  return marked(value);
}

/** The number texts held for the keys of one object or array (undefined: none). */
export function textsOf(container: object): ReadonlyMap<string, string> | undefined {
  return hasTexts(container) ? textsIn(container) : undefined;
}

/** Some parsed value may hold number texts (until then nothing needs looking at). */
export function textsSeen(): boolean {
  return anyTexts;
}

/**
 * `to` is made from `from` (a copy with some of its keys): give it the texts of the
 * keys `keep` accepts, and mark it as holding texts when `from` does.
 */
export function copyTexts(from: object, to: object, keep: (key: string) => boolean = () => true): void {
  if (!hasTexts(from)) return;
  hide(to, MARK, true);
  const m = textsIn(from);
  if (m === undefined) return;
  let out: Map<string, string> | undefined;
  for (const [k, t] of m) {
    if (!keep(k)) continue;
    out ??= new Map();
    out.set(k, t);
  }
  if (out !== undefined) hide(to, TEXTS, out);
}

// A placeholder for a number text while JSON.stringify runs: a private-use character
// and a random tag that no input can guess, then the index of the text.
const TAG = '\uE000' + Math.random().toString(36).slice(2, 10) + Math.random().toString(36).slice(2, 10);
const PLACEHOLDER_RE = new RegExp(`"${TAG}(\\d+)"`, 'g');

/**
 * JSON.stringify(value), with numbers written as read where their texts are known and
 * the value still is that number. `top` stands in for the texts of `value` itself when
 * it has none of its own (a copy a stage made). Plain JSON.stringify unless `value` or
 * `marked` holds texts.
 */
export function stringifyLossless(value: unknown, top?: ReadonlyMap<string, string>, marked: unknown = value): string {
  if (!anyTexts || (top === undefined && !hasTexts(marked) && !hasTexts(value))) return JSON.stringify(value);
  const found: string[] = [];
  const json = JSON.stringify(value, function (this: object, key: string, v: unknown): unknown {
    if (typeof v !== 'number') return v;
    const m = textsIn(this) ?? (this === value ? top : undefined);
    const t = m?.get(key);
    if (t === undefined || !Object.is(Number(t), v)) return v;
    found.push(t);
    return TAG + (found.length - 1);
  });
  return found.length === 0 ? json : json.replace(PLACEHOLDER_RE, (_, i: string) => found[Number(i)]!);
}
