// User regexes (`field =~ /re/flags` in filter and set) run on RE2 (re2js, pure JS):
// matching time is linear in the text whatever the pattern, so `(a+)+$` cannot stall
// a run, and signals are handled between batches as usual. The JavaScript-only
// constructs that need backtracking (backreferences, lookaround) are refused here, at
// their position, with the reason; the JavaScript spellings of plain characters
// (\u00e9, \u{1F600}, \cA, [^], [\b]) are rewritten to RE2's, so they keep working.
import { RE2JS, RE2JSSyntaxException } from 're2js';

const WHY = 'recflow runs regexes in linear time (RE2)';
const ANY = '\\x00-\\x{10FFFF}';
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/** A pattern that cannot be used; `offset` is in the pattern's text, or -1 for the pattern as a whole. */
export class RegexError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** A compiled user regex: RE2 underneath, printed as it was written. */
export class UserRegex {
  constructor(
    readonly source: string,
    readonly flags: string,
    private readonly re: RE2JS,
  ) {}
  test(text: string): boolean {
    return this.re.test(text);
  }
  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}

/** Compile `source` with flags from i, m, s, u; throws RegexError. */
export function compileRegex(source: string, flags: string): UserRegex {
  let bits = 0;
  for (let k = 0; k < flags.length; k++) {
    const f = flags[k]!;
    if (!Object.hasOwn(FLAG_BITS, f)) throw new RegexError(-1, `regular expression flag '${f}' is not supported (use i, m, s or u)`);
    if (flags.indexOf(f) !== k) throw new RegexError(-1, `regular expression flag '${f}' is given twice`);
    bits |= FLAG_BITS[f]!;
  }
  try {
    return new UserRegex(source, flags, RE2JS.compile(toRe2(source), bits));
  } catch (err) {
    if (err instanceof RegexError) throw err;
    if (err instanceof RE2JSSyntaxException) {
      // RE2 quotes the part it refuses: point at it when it is a part of what the user wrote
      const part = err.input ?? '';
      const at = part !== '' && part !== source ? source.indexOf(part) : -1;
      throw new RegexError(at, `bad regular expression: ${err.error}${at >= 0 ? `: \`${part}\`` : ''}`);
    }
    throw new RegexError(-1, `bad regular expression: ${(err as Error).message}`);
  }
}

/** The pattern in RE2 syntax, or a RegexError at the first construct RE2 cannot run. */
function toRe2(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    if (c === '\\') {
      const [text, used] = escape(src, i, inClass);
      out += text;
      i += used;
    } else if (inClass) {
      if (c === ']') inClass = false;
      const posix = c === '[' && src[i + 1] === ':' ? src.indexOf(':]', i + 2) : -1; // [[:alpha:]]
      const end = posix >= 0 ? posix + 2 : i + 1;
      out += src.slice(i, end);
      i = end;
    } else if (c === '[') {
      // JavaScript: `[^]` is any character, `[]` none, and `]` first in a class closes it
      if (src.startsWith('[^]', i)) {
        out += `[${ANY}]`;
        i += 3;
      } else if (src.startsWith('[]', i)) {
        out += `[^${ANY}]`;
        i += 2;
      } else {
        inClass = true;
        const start = src[i + 1] === '^' ? 2 : 1;
        out += src.slice(i, i + start);
        i += start;
      }
    } else {
      if (src.startsWith('(?=', i) || src.startsWith('(?!', i)) throw new RegexError(i, `lookahead (?= and (?! is not supported: ${WHY}`);
      if (src.startsWith('(?<=', i) || src.startsWith('(?<!', i)) throw new RegexError(i, `lookbehind (?<= and (?<! is not supported: ${WHY}`);
      out += c;
      i++;
    }
  }
  return out;
}

const UNICODE_ESCAPE = /\\u(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))/y;

/** The escape at `i` in RE2 syntax, and how many characters of `src` it took. */
function escape(src: string, i: number, inClass: boolean): [string, number] {
  const n = src[i + 1] ?? '';
  if (!inClass && ((n >= '1' && n <= '9') || (n === 'k' && src[i + 2] === '<'))) {
    throw new RegexError(i, `backreferences are not supported: ${WHY}`);
  }
  if (n === 'u') {
    UNICODE_ESCAPE.lastIndex = i;
    const m = UNICODE_ESCAPE.exec(src);
    if (!m) throw new RegexError(i, 'bad regular expression: \\u needs 4 hex digits or {hex}; RE2 also takes \\x{00e9}');
    return [`\\x{${m[1] ?? m[2]}}`, m[0].length];
  }
  const letter = src[i + 2] ?? '';
  if (n === 'c' && /^[A-Za-z]$/.test(letter)) return [hexEscape(letter.charCodeAt(0) % 32), 3];
  if (n === 'b' && inClass) return [hexEscape(8), 2]; // backspace in a JavaScript class
  return [src.slice(i, i + 2), 2];
}

function hexEscape(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}
