// `--stage NAME[:k=v,k2=v2]` → { name, options }.
//
// Quoting rule: a value that starts with `"` or `'` runs to the matching quote
// (backslash escapes the quote and itself) and must be followed by `,` or the end.
// An unquoted value runs to the next comma that is followed by `key=`, so lists
// and expressions rarely need quotes: `select:fields=a,b,c` and
// `filter:expr=country in ("DE","FR"),on_drop=reject` both work as written.
// The name ends at the first `:`; module paths with `:` in them are not supported.
import { RecflowError } from '../errors.js';

/** A stage as the user gave it, before its options are checked. */
export type { StageRef } from '../pipeline/types.js';
import type { StageRef } from '../pipeline/types.js';

export function stageRefFromFlag(spec: string, baseDir = process.cwd(), where = `--stage ${JSON.stringify(spec)}`): StageRef {
  const p = parseStageSpec(spec, where);
  return { name: p.name, options: p.options, where, baseDir };
}

export interface ParsedSpec {
  name: string;
  options: Record<string, string>;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]*/;
/** `,` then optional spaces, a key and `=` that is not `==`: where an unquoted value ends. */
const NEXT_PAIR_RE = /,\s*[A-Za-z_][A-Za-z0-9_-]*\s*=(?!=)/g;

/** Names of built-in stages look like `dedupe`; anything with a slash or a JS extension is a module path. */
export function isModulePath(name: string): boolean {
  return name.includes('/') || name.includes('\\') || /\.(mjs|cjs|js|ts|mts)$/i.test(name);
}

/** Option keys accept kebab-case too: `on-drop` is `on_drop`. */
export function optionKey(key: string): string {
  return key.replaceAll('-', '_');
}

export function parseStageSpec(text: string, where = `--stage ${JSON.stringify(text)}`): ParsedSpec {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const fail = (col: number, msg: string): never => {
    throw new RecflowError('usage', `${where}: ${msg} at column ${col + 1}`);
  };
  if (name === '') fail(0, 'expected a stage name (see `recflow stages`)');
  const options: Record<string, string> = {};
  if (colon < 0) return { name, options };
  let i = colon + 1;
  const n = text.length;
  const skipSpaces = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  skipSpaces();
  if (i >= n) return { name, options };
  for (;;) {
    skipSpaces();
    const key = KEY_RE.exec(text.slice(i))?.[0];
    if (!key) fail(i, 'expected an option name (key=value)');
    const keyAt = i;
    i += key!.length;
    skipSpaces();
    if (text[i] !== '=') fail(i, `expected '=' after option '${key}'`);
    i++;
    skipSpaces();
    let value: string;
    const q = text[i];
    if (q === '"' || q === "'") {
      const start = i;
      value = '';
      i++;
      while (i < n && text[i] !== q) {
        if (text[i] === '\\' && (text[i + 1] === q || text[i + 1] === '\\')) i++;
        value += text[i++];
      }
      if (i >= n) fail(start, `unclosed ${q} in the value of '${key}'`);
      i++;
      skipSpaces();
      if (i < n && text[i] !== ',') fail(i, `expected ',' after the quoted value of '${key}'`);
    } else {
      NEXT_PAIR_RE.lastIndex = i;
      const m = NEXT_PAIR_RE.exec(text);
      const end = m ? m.index : n;
      value = text.slice(i, end).trim();
      i = end;
    }
    const k = optionKey(key!);
    if (Object.hasOwn(options, k)) fail(keyAt, `option '${key}' is given twice`);
    Object.defineProperty(options, k, { value, enumerable: true, writable: true, configurable: true }); // even `__proto__`
    if (i >= n) return { name, options };
    i++; // the comma
  }
}
