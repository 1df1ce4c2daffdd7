// Strings that match a contract's `pattern` (a JavaScript regular expression), for
// `generate --contract`. The usual subset: literals, classes, \d \w \s, groups,
// alternation, quantifiers, anchors. Lookarounds and back references are refused.
// Two modes: random (from an Rng) and counting (value number n, for unique keys:
// `^O[0-9]{6}$` gives O000000, O000001, ... as n counts up).
import type { Rng } from './prng.js';

type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; opts: Node[] }
  | { t: 'set'; chars: string[] }
  | { t: 'rep'; node: Node; min: number; max: number };

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const POOL = [...(LOWER + UPPER + DIGITS)];
/** `*` and `+` repeat at most this many times more than their minimum. */
const OPEN_EXTRA = 4;
/** Counts above this are treated as this (no float overflow in counting mode). */
const BIG = 1e15;

const set = (chars: string): Node => ({ t: 'set', chars: [...chars] });
const lit = (ch: string): Node => ({ t: 'set', chars: [ch] });
const EMPTY: Node = { t: 'seq', items: [] };

class Parser {
  i = 0;
  constructor(readonly src: string) {}

  fail(what: string): never {
    throw new Error(`${what} at position ${this.i} of /${this.src}/ cannot be generated`);
  }

  alt(): Node {
    const opts = [this.seq()];
    while (this.src[this.i] === '|') {
      this.i++;
      opts.push(this.seq());
    }
    return opts.length === 1 ? opts[0]! : { t: 'alt', opts };
  }

  seq(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { t: 'seq', items };
  }

  quantified(node: Node): Node {
    const c = this.src[this.i];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : min + OPEN_EXTRA;
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i))!;
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? min + OPEN_EXTRA : Number(m[3]);
    } else return node;
    if (this.src[this.i] === '?') this.i++; // lazy: the same strings
    return { t: 'rep', node, min, max };
  }

  atom(): Node {
    const c = this.src[this.i++]!;
    switch (c) {
      case '^':
      case '$':
        return EMPTY;
      case '.':
        return { t: 'set', chars: POOL };
      case '[':
        return this.cls();
      case '(':
        return this.group();
      case '\\':
        return this.escape(false);
      default:
        return lit(c);
    }
  }

  group(): Node {
    if (this.src[this.i] === '?') {
      const m = /^\?(:|<[A-Za-z_]\w*>)/.exec(this.src.slice(this.i));
      if (m === null) this.fail('a lookaround');
      this.i += m[0].length;
    }
    const inner = this.alt();
    if (this.src[this.i++] !== ')') this.fail('an unclosed group');
    return inner;
  }

  /** An escape; in a class, only single characters and \d \w \s are kept. */
  escape(inClass: boolean): Node {
    const c = this.src[this.i++];
    if (c === undefined) this.fail('a trailing backslash');
    switch (c) {
      case 'd':
        return set(DIGITS);
      case 'w':
        return set(LOWER + UPPER + DIGITS + '_');
      case 's':
        return lit(' ');
      case 'D':
      case 'W':
      case 'S':
        return set(c === 'D' ? LOWER : c === 'W' ? '-.' : LOWER + DIGITS);
      case 'b':
      case 'B':
        return inClass ? lit('\b') : EMPTY;
      case 'p':
      case 'P': {
        const m = /^\{[^}]*\}/.exec(this.src.slice(this.i));
        if (m === null) this.fail('a property escape');
        this.i += m[0].length;
        return set(c === 'p' ? LOWER + UPPER : DIGITS);
      }
      case 't':
        return lit('\t');
      case 'n':
        return lit('\n');
      case 'u':
      case 'x': {
        const m = c === 'x' ? /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i)) : /^(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{4})/.exec(this.src.slice(this.i));
        if (m === null) this.fail('an escape');
        this.i += m[0].length;
        return lit(String.fromCodePoint(parseInt(m[0].replace(/[{}]/g, ''), 16)));
      }
      default:
        if (/[1-9]/.test(c) || c === 'k') this.fail('a back reference');
        return lit(c);
    }
  }

  cls(): Node {
    const negate = this.src[this.i] === '^';
    if (negate) this.i++;
    const chars = new Set<string>();
    let first = true;
    while (this.i < this.src.length && (this.src[this.i] !== ']' || first)) {
      first = false;
      const from = this.classChar(chars);
      if (from !== null && this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        const to = this.classChar(chars);
        if (to === null) this.fail('a range');
        for (let cp = from.codePointAt(0)!; cp <= to.codePointAt(0)!; cp++) chars.add(String.fromCodePoint(cp));
      } else if (from !== null) chars.add(from);
    }
    if (this.src[this.i++] !== ']') this.fail('an unclosed class');
    const list = negate ? POOL.filter((ch) => !chars.has(ch)) : [...chars];
    if (list.length === 0) this.fail('an empty class');
    return { t: 'set', chars: list };
  }

  /** One character of a class, or null after adding a whole escape class (\d) to `into`. */
  classChar(into: Set<string>): string | null {
    const c = String.fromCodePoint(this.src.codePointAt(this.i)!);
    this.i += c.length;
    if (c !== '\\') return c;
    const node = this.escape(true) as { t: 'set'; chars: string[] };
    if (node.chars.length === 1) return node.chars[0]!;
    for (const ch of node.chars) into.add(ch);
    return null;
  }
}

/** How many strings a node makes (capped at BIG). */
function count(n: Node): number {
  switch (n.t) {
    case 'set':
      return n.chars.length;
    case 'seq':
      return Math.min(BIG, n.items.reduce((p, x) => p * count(x), 1));
    case 'alt':
      return Math.min(BIG, n.opts.reduce((s, x) => s + count(x), 0));
    case 'rep': {
      const c = count(n.node);
      let total = 0;
      for (let k = n.min; k <= n.max && total < BIG; k++) total += c ** k;
      return Math.min(BIG, total);
    }
  }
}

function random(n: Node, rng: Rng): string {
  switch (n.t) {
    case 'set':
      return rng.pick(n.chars);
    case 'seq':
      return n.items.map((x) => random(x, rng)).join('');
    case 'alt':
      return random(rng.pick(n.opts), rng);
    case 'rep': {
      let s = '';
      for (let k = rng.range(n.min, n.max); k > 0; k--) s += random(n.node, rng);
      return s;
    }
  }
}

/** String number v (0 <= v < count(n)) of a node, the leftmost part changing slowest. */
function nth(n: Node, v: number): string {
  switch (n.t) {
    case 'set':
      return n.chars[v % n.chars.length]!;
    case 'seq': {
      let weight = n.items.reduce((p, x) => Math.min(BIG, p * count(x)), 1);
      return n.items
        .map((x) => {
          weight = Math.max(1, weight / count(x));
          const part = Math.floor(v / weight) % count(x);
          return nth(x, part);
        })
        .join('');
    }
    case 'alt': {
      for (const o of n.opts) {
        const c = count(o);
        if (v < c) return nth(o, v);
        v -= c;
      }
      return nth(n.opts[0]!, 0);
    }
    case 'rep': {
      const c = count(n.node);
      // the fewest repetitions that hold v more values: shorter strings first
      let k = n.min;
      while (k < n.max && v >= c ** k) v -= c ** k++;
      let s = '';
      for (let j = k - 1; j >= 0; j--) s += nth(n.node, Math.floor(v / c ** j) % c);
      return s;
    }
  }
}

export interface PatternSampler {
  /** A random matching string. */
  random(rng: Rng): string;
  /** Matching string number v, or null when the pattern has fewer than v + 1 strings. */
  nth(v: number): string | null;
}

/** A sampler for `pattern`; throws (with the reason) for what it cannot generate. */
export function patternSampler(pattern: string): PatternSampler {
  const p = new Parser(pattern);
  const root = p.alt();
  if (p.i < pattern.length) p.fail('an unmatched )');
  const total = count(root);
  return {
    random: (rng) => random(root, rng),
    nth: (v) => (v < total ? nth(root, v) : null),
  };
}
