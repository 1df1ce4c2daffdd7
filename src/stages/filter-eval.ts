// Evaluation of filter expressions: how values compare, and the AST compiled to
// closures (built once per expression, then one call per record).
import { isMissing } from '../contract/fields.js';
import type { Rec } from '../pipeline/types.js';
import { fieldOf } from './define.js';
import type { Node } from './filter-expr.js';
import { argKind, CONVERT, type FnSpec } from './functions.js';

const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

// Value semantics (documented in docs/stages.md): a missing value (absent, null,
// blank text) equals only null; `==` compares as numbers when one side is a
// JSON number; ordering compares as numbers when both sides look like numbers,
// else as text; arithmetic needs numbers and gives null otherwise.

function isNumeric(v: unknown): boolean {
  return typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' && NUM_RE.test(v.trim());
}
function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && NUM_RE.test(v.trim()) ? Number(v) : NaN;
}
function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  return s === 'true' ? true : s === 'false' ? false : undefined;
}

export function equals(a: unknown, b: unknown): boolean {
  const ma = isMissing(a);
  const mb = isMissing(b);
  if (ma || mb) return ma && mb;
  if (typeof a === 'number' || typeof b === 'number') return toNum(a) === toNum(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = toBool(a);
    return x !== undefined && x === toBool(b);
  }
  return typeof a === 'string' && a === b;
}

export function order(a: unknown, b: unknown): number | undefined {
  if (isMissing(a) || isMissing(b)) return undefined;
  if (isNumeric(a) && isNumeric(b)) return Math.sign(toNum(a) - toNum(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function asMatchText(v: unknown): string | null {
  if (isMissing(v)) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** An expression of a record, or of whatever `T` fields are read from. */
type Fn<T = Rec> = (r: T) => unknown;
/** How a field is read from what the closures are given (they only hand it on to this). */
export type FieldReader<T> = (r: T, name: string) => unknown;

/** The AST as nested closures on records, built once per expression. */
export function compileNode(n: Node): Fn {
  return compileOn(n, fieldOf);
}

/** The AST as nested closures on anything `read` reads fields from (a record, a field list). */
export function compileOn<T>(n: Node, read: FieldReader<T>): Fn<T> {
  switch (n.t) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'field': {
      const name = n.name;
      return (r) => read(r, name);
    }
    case 'call':
      return compileCall(n.fn, n.args, read);
    case 'and': {
      const a = compileOn(n.a, read);
      const b = compileOn(n.b, read);
      return (r) => a(r) === true && b(r) === true;
    }
    case 'or': {
      const a = compileOn(n.a, read);
      const b = compileOn(n.b, read);
      return (r) => a(r) === true || b(r) === true;
    }
    case 'not': {
      const a = compileOn(n.a, read);
      return (r) => a(r) !== true;
    }
    case 'cmp': {
      const a = compileOn(n.a, read);
      const b = compileOn(n.b, read);
      switch (n.op) {
        case '==': return (r) => equals(a(r), b(r));
        case '!=': return (r) => !equals(a(r), b(r));
        case '<': return (r) => (order(a(r), b(r)) ?? 0) < 0;
        case '<=': return (r) => { const o = order(a(r), b(r)); return o !== undefined && o <= 0; };
        case '>': return (r) => (order(a(r), b(r)) ?? 0) > 0;
        default: return (r) => { const o = order(a(r), b(r)); return o !== undefined && o >= 0; };
      }
    }
    case 'in': {
      const a = compileOn(n.a, read);
      const list = n.list;
      const texts = list.every((x) => typeof x === 'string') ? new Set(list as string[]) : null;
      const neg = n.neg;
      return (r) => {
        const v = a(r);
        const hit = texts !== null && typeof v === 'string' && !isMissing(v) ? texts.has(v) : list.some((x) => equals(v, x));
        return hit !== neg;
      };
    }
    case 'match': {
      const a = compileOn(n.a, read);
      const re = n.re;
      const neg = n.neg;
      return (r) => {
        const s = asMatchText(a(r));
        return (s !== null && re.test(s)) !== neg;
      };
    }
    case 'neg': {
      const a = compileOn(n.a, read);
      return (r) => {
        const x = toNum(a(r));
        return Number.isFinite(x) ? -x : null;
      };
    }
    case 'arith': {
      const a = compileOn(n.a, read);
      const b = compileOn(n.b, read);
      const op = n.op;
      return (r) => {
        const x = toNum(a(r));
        const y = toNum(b(r));
        const z = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
        return Number.isFinite(z) ? z : null;
      };
    }
  }
}

/**
 * A call: each argument converted to its kind (functions.ts), null when one that must be
 * there is missing or of the wrong kind. One argument buffer per call site, filled per
 * record: no allocation per call. The one- and two-argument shapes skip the loop.
 */
function compileCall<T>(fn: FnSpec, nodes: Node[], read: FieldReader<T>): Fn<T> {
  const impl = fn.returns === 'text' ? noRangeError(fn.impl) : fn.impl;
  const n = nodes.length;
  const lax = nodes.map((_, i) => argKind(fn, i) === 'any' || argKind(fn, i) === 'field');
  // a literal argument is converted once, here, not per record ("2024-01-01" parsed once)
  const conv = nodes.map((a, i) => (a.t === 'lit' ? same : CONVERT[argKind(fn, i)]));
  const args = nodes.map((a, i): Fn<T> => {
    if (a.t !== 'lit') return compileOn(a, read);
    const v = CONVERT[argKind(fn, i)](a.v);
    return () => v;
  });
  const call = callShape(impl, args, conv, lax);
  if (nodes.some((a) => a.t !== 'lit')) return call;
  // only literals (now() too: one instant per run): computed once
  const v = call(NO_RECORD as T); // no field is read: any argument does
  return () => v;
}

/**
 * A text function whose result would be longer than a string can be (replace() of a long
 * text into itself, about 512 MiB in V8) gives null, like any other value it cannot make,
 * instead of a RangeError that would stop the run.
 */
function noRangeError(impl: FnSpec['impl']): FnSpec['impl'] {
  return (args) => {
    try {
      return impl(args);
    } catch (err) {
      if (err instanceof RangeError) return null;
      throw err;
    }
  };
}

const same = (v: unknown): unknown => v;
const NO_RECORD: unknown = { value: {} };

function callShape<T>(impl: FnSpec['impl'], args: Fn<T>[], conv: ((v: unknown) => unknown)[], lax: boolean[]): Fn<T> {
  const n = args.length;
  const buf: unknown[] = new Array(n).fill(undefined);
  if (n === 0) return () => impl(buf);
  if (n === 1) {
    const [a, ca, la] = [args[0]!, conv[0]!, lax[0]!];
    return (r) => {
      const x = ca(a(r));
      if (x === null && !la) return null;
      buf[0] = x;
      return impl(buf);
    };
  }
  if (n === 2 && !lax[0] && !lax[1]) {
    const [a, b, ca, cb] = [args[0]!, args[1]!, conv[0]!, conv[1]!];
    return (r) => {
      const x = ca(a(r));
      if (x === null) return null;
      const y = cb(b(r));
      if (y === null) return null;
      buf[0] = x;
      buf[1] = y;
      return impl(buf);
    };
  }
  return (r) => {
    for (let i = 0; i < n; i++) {
      const x = conv[i]!(args[i]!(r));
      if (x === null && !lax[i]) return null;
      buf[i] = x;
    }
    return impl(buf);
  };
}
