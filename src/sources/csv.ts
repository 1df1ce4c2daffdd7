// A streaming CSV tokenizer that knows physical line numbers.
//
// Why not csv-parse here: after a malformed row csv-parse's error recovery merges
// the following lines into one record and loses line positions, and the contract
// needs every good row after a bad one and the line where each record starts.
// It is also the hot path: rows without quotes take a split(',') fast path.
// test/sources/csv.test.ts checks it against csv-parse on well-formed input.

import { PREVIEW_CHARS, preview, tooLongReason, utf8Longer } from './limits.js';
import { LineTokenizer } from './line-start.js';

/** Receives what the tokenizer finds, in input order. */
export interface CsvRowHandler {
  /** A record: its cells and the 1-based physical line where it starts. */
  row(cells: string[], line: number): void;
  /** A record that cannot be parsed: the raw text of its line(s) (a preview when too long), why, and the code. */
  bad(line: number, raw: string, reason: string, code?: 'parse_error' | 'too_long'): void;
}

export interface CsvOptions {
  /**
   * Longest record in UTF-8 bytes (default 16 MiB). A longer one is too_long; one that
   * is still open past it (a quoted field that never closes) loses its first line only.
   */
  maxRecordBytes?: number;
  /** The cell separator: one character (default ','). */
  delimiter?: string;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;

export class CsvTokenizer extends LineTokenizer {
  private buf = '';
  /** Rows with more cells than this are parse errors (set from the header). */
  maxCells = Infinity;
  /** Index in buf of the next '"' at or after the scan position (-1: none; cached to keep scans linear). */
  private nextQuote = -2;
  /**
   * Text pushed after a pending record that cannot have ended in it (no '\n'; or no '"'
   * while a quoted field is open): kept aside, unscanned, so that a long record costs
   * one scan and no copy per push.
   */
  private held: string[] | null = null;
  private pendChars = 0;
  /** UTF-8 bytes of the pending text (buf and held), once counting matters (-1: not yet). */
  private pendBytes = -1;
  /** The last scan stopped inside a quoted field: only a '"' can end the record. */
  private wantQuote = false;
  /** buf starts with text not scanned yet (the rest after a too-long record), not with one pending record. */
  private rescan = false;
  private readonly delim: string;
  private readonly delimCode: number;

  constructor(
    private readonly handler: CsvRowHandler,
    opts: CsvOptions = {},
  ) {
    super(opts.maxRecordBytes);
    this.delim = opts.delimiter ?? ',';
    this.delimCode = this.delim.charCodeAt(0);
  }

  /**
   * Feed decoded text; `final` marks the end of input. `chunkEnd` false says the
   * text stops somewhere other than where a chunk of the input ended (a parallel
   * reader cut it at a line end): the record size rule for a record still open is
   * then left for the next push, so records come out the same however the input was cut.
   */
  push(text: string, final = false, chunkEnd = true): void {
    const rest = this.begin(text, final);
    if (rest === null) return;
    text = rest;
    if (this.buf.length > 0 && !final && !this.rescan && (text.indexOf('\n') === -1 || (this.wantQuote && text.indexOf('"') === -1))) {
      this.hold(text, chunkEnd);
      return;
    }
    if (this.held !== null) {
      this.held.push(text);
      text = this.held.join('');
      this.held = null;
    }
    this.pendBytes = -1;
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.nextQuote = -2;
    this.wantQuote = false;
    this.rescan = false;
    this.scan(final, chunkEnd);
    this.pendChars = this.buf.length;
  }

  /** More of a pending record; at a chunk end, the size rule. */
  private hold(text: string, chunkEnd: boolean): void {
    if (this.wantQuote && text.indexOf('"') !== -1) this.wantQuote = false; // the field may have closed in it
    (this.held ??= []).push(text);
    this.pendChars += text.length;
    if (!chunkEnd || this.pendChars * 3 <= this.max) return;
    if (this.pendBytes < 0) this.pendBytes = Buffer.byteLength(this.buf) + this.held.reduce((n, t) => n + Buffer.byteLength(t), 0);
    else this.pendBytes += Buffer.byteLength(text);
    if (this.pendChars <= this.max && this.pendBytes <= this.max) return;
    this.buf += this.held.join('');
    this.held = null;
    this.pendBytes = -1;
    const i = this.tooLongOpen(0);
    this.buf = i >= this.buf.length ? '' : this.buf.slice(i); // scanned with the next push
    this.pendChars = this.buf.length;
    this.rescan = this.buf.length > 0;
  }

  /**
   * Start in the middle of an input, at a record boundary: the next record starts
   * on physical line `line`, and a U+FEFF there is text, not a byte order mark.
   */
  resume(line: number): this {
    this.started = true;
    this.line = line;
    return this;
  }

  /** The text pushed but not consumed yet: the start of a record that needs more input. */
  get pending(): string {
    return this.held === null ? this.buf : this.buf + this.held.join('');
  }

  /** The physical line where the next record (or the pending text) starts. */
  get lineNumber(): number {
    return this.line;
  }

  end(): void {
    this.push('', true);
  }

  private scan(final: boolean, chunkEnd = true): void {
    const buf = this.buf;
    const len = buf.length;
    let i = 0;
    while (i < len) {
      const c = buf.charCodeAt(i);
      if (c === NL) {
        i++;
        this.line++;
        continue;
      }
      if (c === CR && (i + 1 < len ? buf.charCodeAt(i + 1) === NL : !final)) {
        if (i + 1 >= len) break; // need the next chunk to see if '\n' follows
        i += 2;
        this.line++;
        continue;
      }
      const nl = buf.indexOf('\n', i);
      if (nl === -1 && !final) break;
      const end = nl === -1 ? len : nl;
      if (this.nextQuote !== -1 && this.nextQuote < i) this.nextQuote = buf.indexOf('"', i);
      if (this.nextQuote === -1 || this.nextQuote >= end) {
        const stop = end > i && buf.charCodeAt(end - 1) === CR ? end - 1 : end;
        if (stop > i) {
          const text = buf.slice(i, stop);
          if ((end - i) * 3 > this.max && utf8Longer(buf.slice(i, end), this.max)) this.tooLong(text);
          else {
            const cells = text.split(this.delim);
            if (cells.length > this.maxCells) this.tooMany(text, cells.length);
            else this.handler.row(cells, this.line);
          }
        }
        this.line++;
        i = end + 1;
        continue;
      }
      const next = this.quotedRecord(i, final);
      if (next === -1) break;
      i = next;
    }
    if (!final && chunkEnd && i < len && (len - i) * 3 > this.max && utf8Longer(i === 0 ? buf : buf.slice(i), this.max)) {
      i = this.tooLongOpen(i);
      this.rescan = i < len; // the rest is scanned again with the next push
    }
    this.buf = i >= len ? '' : buf.slice(i);
  }

  /**
   * Parse one record that holds a quote, starting at `start`. Returns the index
   * after it, or -1 when more input is needed.
   */
  private quotedRecord(start: number, final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    const cells: string[] = [];
    let j = start;
    /** First '\n' at or after j (-1: none); found once per line, not once per cell. */
    let nl = -2;
    for (;;) {
      if (buf.charCodeAt(j) === QUOTE) {
        let value = '';
        let k = j + 1;
        for (;;) {
          const q = buf.indexOf('"', k);
          if (q === -1 || (q + 1 >= len && !final)) {
            if (!final) {
              this.wantQuote = q === -1;
              return -1;
            }
            return this.badFirstLine(start, 'a quoted field is never closed', true, len); // open to the end: judged on all of it
          }
          if (buf.charCodeAt(q + 1) === QUOTE) {
            value += buf.slice(k, q + 1);
            k = q + 2;
            continue;
          }
          value += buf.slice(k, q);
          j = q + 1;
          break;
        }
        cells.push(value);
        const after = j < len ? buf.charCodeAt(j) : -1;
        if (after === this.delimCode) {
          j++;
          continue;
        }
        if (after === NL || after === -1) return this.emit(cells, start, j, final);
        if (after === CR && j + 1 < len && buf.charCodeAt(j + 1) === NL) return this.emit(cells, start, j + 1, final);
        if (after === CR && j + 1 >= len && !final) return -1;
        // Reject only the record's first line: a stray quote often swallowed the lines after it.
        return this.badFirstLine(start, `unexpected text after the closing quote of field ${cells.length}`, final, j);
      }
      const comma = buf.indexOf(this.delim, j);
      if (nl !== -1 && nl < j) nl = buf.indexOf('\n', j);
      if (nl === -1 && !final) return -1;
      const lineEnd = nl === -1 ? len : nl;
      if (comma !== -1 && comma < lineEnd) {
        cells.push(buf.slice(j, comma)); // a quote inside an unquoted field is kept as text
        j = comma + 1;
        continue;
      }
      const stop = lineEnd > j && buf.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
      cells.push(buf.slice(j, stop));
      return this.emit(cells, start, lineEnd, final);
    }
  }

  /** Emit a record that ends at `nlIndex` (the '\n', or len at end of input). */
  private emit(cells: string[], start: number, nlIndex: number, final: boolean): number {
    if (nlIndex >= this.buf.length && !final) return -1;
    // too long: its first line only, as when the limit is met before the record ends
    if ((nlIndex - start) * 3 > this.max && utf8Longer(this.buf.slice(start, nlIndex), this.max)) return this.tooLongOpen(start);
    if (cells.length > this.maxCells) this.tooMany(stripCr(this.buf.slice(start, nlIndex)), cells.length);
    else this.handler.row(cells, this.line);
    this.line += 1 + countNewlines(this.buf, start, nlIndex);
    return nlIndex + 1;
  }

  private tooMany(raw: string, n: number): void {
    this.handler.bad(this.line, raw, `row has ${n} cells but the header has ${this.maxCells}`);
  }

  private tooLong(text: string): void {
    this.handler.bad(this.line, preview(text, this.max), tooLongReason(this.max), 'too_long');
  }

  /**
   * A record still open past the limit (an unclosed quote, or one huge line): reject its
   * first physical line and rescan from the next one; when that line has not ended yet,
   * drop the rest of it as it comes.
   */
  private tooLongOpen(start: number): number {
    const buf = this.buf;
    this.handler.bad(this.line, preview(buf.slice(start, start + PREVIEW_CHARS), this.max), tooLongReason(this.max), 'too_long');
    this.nextQuote = -2;
    this.wantQuote = false;
    const nl = buf.indexOf('\n', start);
    if (nl !== -1) {
      this.line++;
      return nl + 1;
    }
    this.skipping = true;
    return buf.length;
  }

  /** Reject only the first physical line of a record and rescan from the next line. */
  private badFirstLine(start: number, reason: string, final: boolean, at: number): number {
    // judged where the line holding the fault ends, as a record still open is judged at
    // chunk ends: so a long one is too_long however the input was cut
    const faultEnd = this.buf.indexOf('\n', at);
    if (faultEnd === -1 && !final) return -1;
    if (utf8Longer(this.buf.slice(start, faultEnd === -1 ? this.buf.length : faultEnd), this.max)) return this.tooLongOpen(start);
    const nl = this.buf.indexOf('\n', start);
    const end = nl === -1 ? this.buf.length : nl;
    this.handler.bad(this.line, stripCr(this.buf.slice(start, end)), reason);
    this.line++;
    this.nextQuote = -2;
    return end + 1;
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  let i = s.indexOf('\n', from);
  while (i !== -1 && i < to) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === CR ? s.slice(0, -1) : s;
}
