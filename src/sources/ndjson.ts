// A streaming NDJSON line reader: one JSON object per physical line.
// Not the `ndjson` package: we need the line number of every record and a
// parse_error for a bad line without stopping the stream.
//
// A line longer than the record limit is rejected (too_long) with a preview and the
// rest of it skipped as it comes, without holding it: memory stays bounded by the
// limit, and line numbers stay right.

import { MAX_DEPTH, nestsDeeperThan, parseRecordText } from '../contract/lossless.js';
import type { Fields } from '../pipeline/types.js';
import { PREVIEW_CHARS, preview, tooLongReason, utf8Longer } from './limits.js';
import { LineTokenizer } from './line-start.js';

export interface NdjsonHandler {
  row(value: Fields, line: number): void;
  /** A line that is not a record: its text (a preview when too long), why, and the code. */
  bad(line: number, raw: string, reason: string, code?: 'parse_error' | 'too_long'): void;
}

export interface NdjsonOptions {
  /** Longest line in UTF-8 bytes (default 16 MiB). */
  maxRecordBytes?: number;
}

export class NdjsonTokenizer extends LineTokenizer {
  /** Text of the line being read, in the pieces it came in (joined once, at its end). */
  private parts: string[] = [];
  private partChars = 0;
  /** UTF-8 bytes of `parts`, once counting them matters (-1: not counted yet). */
  private partBytes = -1;

  constructor(
    private readonly handler: NdjsonHandler,
    opts: NdjsonOptions = {},
  ) {
    super(opts.maxRecordBytes);
  }

  push(text: string, final = false): void {
    const rest = this.begin(text, final);
    if (rest === null) return;
    text = rest;
    let i = 0;
    if (this.parts.length > 0) {
      const nl = text.indexOf('\n', i);
      if (nl === -1 && !final) {
        this.hold(i === 0 ? text : text.slice(i));
        return;
      }
      const end = nl === -1 ? text.length : nl;
      this.parts.push(text.slice(i, end));
      const whole = this.parts.join('');
      this.clear();
      this.lineAt(stripCr(whole));
      this.line++;
      if (nl === -1) return;
      i = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      this.lineAt(text.slice(i, nl > i && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      this.line++;
      i = nl + 1;
    }
    if (i >= text.length) return;
    if (final) {
      this.lineAt(stripCr(text.slice(i)));
      this.line++;
    } else {
      this.hold(text.slice(i));
    }
  }

  end(): void {
    this.push('', true);
  }

  /** Keep the start of a line for the next push, or reject it once it is too long. */
  private hold(text: string): void {
    this.parts.push(text);
    this.partChars += text.length;
    if (this.partChars * 3 <= this.max) return; // cannot be over the limit yet
    this.partBytes = this.partBytes < 0 ? utf8Bytes(this.parts) : this.partBytes + Buffer.byteLength(text);
    if (this.partChars <= this.max && this.partBytes <= this.max) return;
    const head = headOf(this.parts, PREVIEW_CHARS); // not a join of it all: that would copy the whole line
    this.clear();
    this.handler.bad(this.line, preview(head, this.max), tooLongReason(this.max), 'too_long');
    this.skipping = true;
  }

  private clear(): void {
    this.parts = [];
    this.partChars = 0;
    this.partBytes = -1;
  }

  private lineAt(text: string): void {
    if (text.trim().length === 0) return; // empty lines are not records
    if (utf8Longer(text, this.max)) {
      this.handler.bad(this.line, preview(text, this.max), tooLongReason(this.max), 'too_long');
      return;
    }
    if (nestsDeeperThan(text)) {
      this.handler.bad(this.line, text, `nested deeper than ${MAX_DEPTH} levels of objects and arrays; flatten the record`);
      return;
    }
    let value: unknown;
    try {
      value = parseRecordText(text);
    } catch (err) {
      this.handler.bad(this.line, text, `not valid JSON: ${(err as Error).message}`);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.handler.bad(this.line, text, 'expected a JSON object on this line');
      return;
    }
    this.handler.row(value as Fields, this.line);
  }
}

/** The first `n` characters (or all) of the text in `parts`. */
function headOf(parts: string[], n: number): string {
  let head = '';
  for (const p of parts) {
    head += p.length > n - head.length ? p.slice(0, n - head.length) : p;
    if (head.length >= n) break;
  }
  return head;
}

function utf8Bytes(parts: string[]): number {
  let n = 0;
  for (const p of parts) n += Buffer.byteLength(p);
  return n;
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}
