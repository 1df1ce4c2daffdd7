// The tokens of the `filter` expression language (filter-expr.ts parses them) and its error.
import { compileRegex, RegexError, type UserRegex } from './filter-regex.js';

export class ExprError extends Error {
  constructor(
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

export type Tok =
  | { k: 'num'; v: number; at: number }
  | { k: 'str'; v: string; at: number; cols: number[] }
  | { k: 're'; v: UserRegex; at: number }
  | { k: 'id'; v: string; at: number; quoted: boolean }
  | { k: 'op'; v: string; at: number }
  | { k: 'end'; at: number };

const NUM_TOKEN_RE = /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/y;
const ID_RE = /[A-Za-z_][A-Za-z0-9_]*/y;
const OPS = ['==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '+', '-', '*', '/', '%'];
export const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null', 'exists']);

export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const prev = toks[toks.length - 1];
    if (/[0-9.]/.test(c)) {
      NUM_TOKEN_RE.lastIndex = i;
      const m = NUM_TOKEN_RE.exec(src);
      if (!m) throw new ExprError(at, `unexpected '${c}'`);
      const v = Number(m[0]);
      if (!Number.isFinite(v)) throw new ExprError(at, `the number ${m[0]} is too large (the largest is about 1.8e308)`);
      toks.push({ k: 'num', v, at });
      i += m[0].length;
    } else if (c === '"' || c === "'" || c === '`') {
      let s = '';
      const cols: number[] = []; // where each character of s is in src: a regex in a string reports its errors there
      i++;
      while (i < src.length && src[i] !== c) {
        cols.push(i);
        if (src[i] === '\\' && i + 1 < src.length) {
          const e = src[++i]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        } else s += src[i];
        i++;
      }
      if (i >= src.length) throw new ExprError(at, `unclosed ${c}`);
      i++;
      toks.push(c === '`' ? { k: 'id', v: s, at, quoted: true } : { k: 'str', v: s, at, cols });
    } else if (c === '/' && prev?.k === 'op' && (prev.v === '=~' || prev.v === '!~')) {
      let body = '';
      let inClass = false;
      i++;
      while (i < src.length && (src[i] !== '/' || inClass)) {
        if (src[i] === '\\' && i + 1 < src.length) body += src[i++];
        else if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        body += src[i++];
      }
      if (i >= src.length) throw new ExprError(at, 'unclosed regular expression: expected a closing /');
      i++;
      const flags = /^[a-z]*/.exec(src.slice(i))![0];
      i += flags.length;
      toks.push({ k: 're', v: makeRegex(body, flags, at, (o) => at + 1 + o), at });
    } else if (/[A-Za-z_]/.test(c)) {
      ID_RE.lastIndex = i;
      const word = ID_RE.exec(src)![0];
      toks.push({ k: 'id', v: word, at, quoted: false });
      i += word.length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) {
        if (c === '=') throw new ExprError(at, "use '==' to compare");
        throw new ExprError(at, `unexpected '${c}'`);
      }
      toks.push({ k: 'op', v: op, at });
      i += op.length;
    }
  }
  toks.push({ k: 'end', at: src.length });
  return toks;
}

/** `column(offset)`: where a character of the pattern is in the expression; errors of the whole pattern point at `at`. */
export function makeRegex(body: string, flags: string, at: number, column: (offset: number) => number): UserRegex {
  try {
    return compileRegex(body, flags);
  } catch (err) {
    if (!(err instanceof RegexError)) throw err;
    throw new ExprError(err.offset < 0 ? at : column(err.offset), err.message);
  }
}

export function describeTok(t: Tok): string {
  if (t.k === 'end') return 'the end';
  if (t.k === 'str') return JSON.stringify(t.v);
  if (t.k === 're') return String(t.v);
  return `'${t.v}'`;
}
