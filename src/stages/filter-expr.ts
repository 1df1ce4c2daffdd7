// The expression language of `filter` (and `set expr=`): the tokens (filter-tokens.ts), a
// recursive-descent parser to an AST; filter-eval.ts compiles the AST to closures.
// No eval / new Function: user text never becomes code.
//
//   or      := and (('or' | '||') and)*
//   and     := not (('and' | '&&') not)*
//   not     := ('not' | '!') not | cmp
//   cmp     := sum [ ('=='|'!='|'<'|'<='|'>'|'>=') sum | ['not'] 'in' list | ('=~'|'!~') regex ]
//   sum     := product (('+'|'-') product)*
//   product := unary (('*'|'/'|'%') unary)*
//   unary   := '-' unary | primary
//   primary := number | string | true | false | null | field | `quoted field` | call | '(' or ')'
//   call    := name '(' [or (',' or)*] ')'     (name, arity and argument kinds: the table in functions.ts)
//   list    := '(' literal (',' literal)* ')'      ('[' ... ']' works too)
//   regex   := /pattern/flags (flags i, m, s, u) | a string; RE2 syntax, see filter-regex.ts
import type { Rec } from '../pipeline/types.js';
import { compileNode, compileOn, type FieldReader } from './filter-eval.js';
import type { UserRegex } from './filter-regex.js';
import { describeTok, ExprError, KEYWORDS, makeRegex, tokenize, type Tok } from './filter-tokens.js';
import { findFunction, FUNCTIONS, signature, type FnSpec } from './functions.js';
import { didYouMean } from './suggest.js';

export { ExprError } from './filter-tokens.js';

export type Node =
  | { t: 'lit'; v: unknown; at: number }
  | { t: 'field'; name: string; at: number }
  | { t: 'call'; fn: FnSpec; args: Node[]; at: number }
  | { t: 'and' | 'or'; a: Node; b: Node; at: number }
  | { t: 'not'; a: Node; at: number }
  | { t: 'cmp'; op: string; a: Node; b: Node; at: number }
  | { t: 'in'; a: Node; list: unknown[]; neg: boolean; at: number }
  | { t: 'match'; a: Node; re: UserRegex; neg: boolean; at: number }
  | { t: 'arith'; op: string; a: Node; b: Node; at: number }
  | { t: 'neg'; a: Node; at: number };

/**
 * Deepest nesting an expression may have (parentheses, calls, `not`, a chain of `+`):
 * the parser, the compiler and the evaluator recurse once per level, so a deeper one
 * would overflow the stack; no hand-written expression comes near it.
 */
export const MAX_NESTING = 256;

function tooDeep(at: number): ExprError {
  return new ExprError(at, `the expression is nested too deeply (more than ${MAX_NESTING} levels); split it into several stages`);
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  /** One level deeper in the parser's recursion: refused past MAX_NESTING (not a stack overflow). */
  private nest<T>(at: number, f: () => T): T {
    if (++this.depth > MAX_NESTING) throw tooDeep(at);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private get tok(): Tok {
    return this.toks[this.i]!;
  }
  private kw(word: string, offset = 0): boolean {
    const t = this.toks[this.i + offset]!;
    return t.k === 'id' && !t.quoted && t.v.toLowerCase() === word;
  }
  private op(...ops: string[]): string | undefined {
    const t = this.tok;
    return t.k === 'op' && ops.includes(t.v) ? t.v : undefined;
  }
  private fail(what: string): never {
    throw new ExprError(this.tok.at, `expected ${what}, found ${describeTok(this.tok)}`);
  }
  private expectOp(o: string): void {
    if (!this.op(o)) this.fail(`'${o}'`);
    this.i++;
  }

  parse(): Node {
    const node = this.or();
    if (this.tok.k !== 'end') this.fail("'and', 'or' or the end of the expression");
    return node;
  }
  private or(): Node {
    let a = this.and();
    while (this.kw('or') || this.op('||')) {
      const at = this.tok.at;
      this.i++;
      a = { t: 'or', a: cond(a), b: cond(this.and()), at };
    }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.kw('and') || this.op('&&')) {
      const at = this.tok.at;
      this.i++;
      a = { t: 'and', a: cond(a), b: cond(this.not()), at };
    }
    return a;
  }
  private not(): Node {
    if (this.kw('not') || this.op('!')) {
      const at = this.tok.at;
      this.i++;
      return { t: 'not', a: cond(this.nest(at, () => this.not())), at };
    }
    return this.cmp();
  }
  private cmp(): Node {
    const a = this.sum();
    const at = this.tok.at;
    const op = this.op('==', '!=', '<', '<=', '>', '>=');
    if (op) {
      this.i++;
      return { t: 'cmp', op, a, b: this.sum(), at };
    }
    if (this.kw('in') || (this.kw('not') && this.kw('in', 1))) {
      const neg = this.kw('not');
      this.i += neg ? 2 : 1;
      return { t: 'in', a, list: this.list(), neg, at };
    }
    const m = this.op('=~', '!~');
    if (m) {
      this.i++;
      const t = this.tok;
      if (t.k !== 're' && t.k !== 'str') this.fail('a regular expression like /^a.*z$/i');
      this.i++;
      const re = t.k === 're' ? t.v : makeRegex(t.v, '', t.at, (o) => t.cols[o] ?? t.at);
      return { t: 'match', a, re, neg: m === '!~', at };
    }
    return a;
  }
  private sum(): Node {
    let a = this.product();
    for (let o = this.op('+', '-'); o; o = this.op('+', '-')) {
      const at = this.tok.at;
      this.i++;
      a = { t: 'arith', op: o, a, b: this.product(), at };
    }
    return a;
  }
  private product(): Node {
    let a = this.unary();
    for (let o = this.op('*', '/', '%'); o; o = this.op('*', '/', '%')) {
      const at = this.tok.at;
      this.i++;
      a = { t: 'arith', op: o, a, b: this.unary(), at };
    }
    return a;
  }
  private unary(): Node {
    if (this.op('-')) {
      const at = this.tok.at;
      this.i++;
      const a = this.nest(at, () => this.unary());
      return a.t === 'lit' && typeof a.v === 'number' ? { t: 'lit', v: -a.v, at } : { t: 'neg', a, at };
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.tok;
    if (t.k === 'num' || t.k === 'str') {
      this.i++;
      return { t: 'lit', v: t.v, at: t.at };
    }
    if (t.k === 'op' && t.v === '(') {
      this.i++;
      const e = this.nest(t.at, () => this.or());
      this.expectOp(')');
      return e;
    }
    if (t.k === 'id') {
      const word = t.quoted ? '' : t.v.toLowerCase();
      if (word === 'true' || word === 'false' || word === 'null') {
        this.i++;
        return { t: 'lit', v: word === 'null' ? null : word === 'true', at: t.at };
      }
      const next = this.toks[this.i + 1]!;
      if (!t.quoted && (word === 'exists' || !KEYWORDS.has(word)) && next.k === 'op' && next.v === '(') return this.call(t.v, t.at);
      if (KEYWORDS.has(word)) this.fail('a value (a field, a number or a string)');
      this.i++;
      return { t: 'field', name: t.v, at: t.at };
    }
    return this.fail('a value (a field, a number or a string)');
  }
  /** `name(args)`, checked against the function table: unknown names and wrong arity fail here, at parse time. */
  private call(name: string, at: number): Node {
    const fn = findFunction(name);
    if (!fn) {
      const hint = didYouMean(name, FUNCTIONS.map((f) => f.name));
      throw new ExprError(at, `unknown function '${name}'${hint || ' (`recflow stages filter` lists the functions)'}`);
    }
    this.i += 2;
    const args: Node[] = [];
    const starts: number[] = [];
    while (!this.op(')')) {
      if (args.length > 0) this.expectOp(',');
      starts.push(this.tok.at);
      args.push(fn.params[Math.min(args.length, fn.params.length - 1)]?.[1] === 'field' ? this.fieldArg() : this.nest(at, () => this.or()));
      if (!this.op(',', ')')) this.fail(`',' or ')' after an argument of ${fn.name}()`);
    }
    if (args.length < fn.min || args.length > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : fn.max === fn.min + 1 ? `${fn.min} or ${fn.max}` : Number.isFinite(fn.max) ? `${fn.min} to ${fn.max}` : `at least ${fn.min}`;
      const where = args.length > fn.max ? starts[fn.max]! : this.tok.at;
      const plural = fn.min === 1 && fn.max === 1 ? 'argument' : 'arguments';
      throw new ExprError(where, `${fn.name}() takes ${want} ${plural} (${signature(fn)}), got ${args.length}`);
    }
    this.i++;
    return { t: 'call', fn, args, at };
  }
  private fieldArg(): Node {
    const f = this.tok;
    if (f.k !== 'id' || (!f.quoted && KEYWORDS.has(f.v.toLowerCase()))) this.fail('a field name');
    this.i++;
    return { t: 'field', name: (f as { v: string }).v, at: f.at };
  }
  private list(): unknown[] {
    const close = this.op('(') ? ')' : this.op('[') ? ']' : this.fail("a list like ('a', 'b')");
    this.i++;
    const items: unknown[] = [];
    for (;;) {
      const v = this.unary();
      if (v.t !== 'lit') throw new ExprError(v.at, 'expected a literal (a number, a string, true, false or null) in the list');
      items.push(v.v);
      if (this.op(',')) {
        this.i++;
        continue;
      }
      this.expectOp(close);
      return items;
    }
  }
}

const CONDITIONS = new Set(['and', 'or', 'not', 'cmp', 'in', 'match']);
function isCondition(n: Node): boolean {
  return CONDITIONS.has(n.t) || (n.t === 'lit' && typeof n.v === 'boolean') || (n.t === 'call' && n.fn.returns === 'bool');
}
function cond(n: Node): Node {
  if (!isCondition(n)) throw new ExprError(n.at, 'expected a condition here (like quantity > 0 or exists(email)), found a value');
  return n;
}

/** The children of a node, for walks over the tree. */
export function childrenOf(n: Node): Node[] {
  switch (n.t) {
    case 'lit':
    case 'field':
      return [];
    case 'call':
      return n.args;
    case 'and':
    case 'or':
    case 'cmp':
    case 'arith':
      return [n.a, n.b];
    default:
      return [n.a];
  }
}

/** A chain (`a + b + c ...`) deepens the tree without deepening the parser: checked here, without recursion. */
function checkDepth(root: Node): void {
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    if (d > MAX_NESTING) throw tooDeep(n.at);
    for (const c of childrenOf(n)) stack.push([c, d + 1]);
  }
}

/** The AST of an expression (field-check.ts reads its field names); throws ExprError on bad syntax. */
export function parseExpr(src: string): Node {
  if (src.trim() === '') throw new ExprError(0, 'the expression is empty');
  const ast = new Parser(tokenize(src)).parse();
  checkDepth(ast);
  return ast;
}

/** Parse and compile once; throws ExprError (with a 0-based column) on bad syntax. */
export function compileExpr(src: string, want: 'condition' | 'value'): (r: Rec) => unknown {
  return compileNode(checkedAst(src, want));
}

/** As compileExpr, with fields read from what `read` reads them from (a field list). */
export function compileExprOn<T>(src: string, want: 'condition' | 'value', read: FieldReader<T>): (r: T) => unknown {
  return compileOn(checkedAst(src, want), read);
}

function checkedAst(src: string, want: 'condition' | 'value'): Node {
  const ast = parseExpr(src);
  if (want === 'condition') cond(ast);
  return ast;
}

/** A message for an ExprError: the column, then the expression with a caret under it. */
export function explainExprError(src: string, err: ExprError): string {
  return `${err.message} at column ${err.column + 1}\n    ${src}\n    ${' '.repeat(err.column)}^`;
}
