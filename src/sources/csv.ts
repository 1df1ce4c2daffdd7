// A streaming CSV tokenizer that knows physical line numbers.
//
// Why not csv-parse here: after a malformed row csv-parse's error recovery merges
// the following lines into one record and loses line positions, and the contract
// needs every good row after a bad one and the line where each record starts.
// It is also the hot path: rows without quotes take a split(',') fast path.
// test/sources/csv.test.ts checks it against csv-parse on well-formed input.

/** Receives what the tokenizer finds, in input order. */
export interface CsvRowHandler {
  /** A record: its cells and the 1-based physical line where it starts. */
  row(cells: string[], line: number): void;
  /** A record that cannot be parsed: the raw text of its line(s) and why. */
  bad(line: number, raw: string, reason: string): void;
}

/** A quoted field that never closes would otherwise hold the rest of the input in memory. */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;

const NL = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

export class CsvTokenizer {
  private buf = '';
  private line = 1;
  private started = false;
  /** Rows with more cells than this are parse errors (set from the header). */
  maxCells = Infinity;
  /** Index in buf of the next '"' at or after the scan position (-1: none; cached to keep scans linear). */
  private nextQuote = -2;

  constructor(private readonly handler: CsvRowHandler) {}

  /**
   * Feed decoded text; `final` marks the end of input. `chunkEnd` false says the
   * text stops somewhere other than where a chunk of the input ended (a parallel
   * reader cut it at a line end): the 64 MiB rule is then left for the next push,
   * so records come out the same however the input was cut.
   */
  push(text: string, final = false, chunkEnd = true): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.nextQuote = -2;
    this.scan(final, chunkEnd);
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
    return this.buf;
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
          const cells = buf.slice(i, stop).split(',');
          if (cells.length > this.maxCells) this.tooMany(buf.slice(i, stop), cells.length);
          else this.handler.row(cells, this.line);
        }
        this.line++;
        i = end + 1;
        continue;
      }
      const next = this.quotedRecord(i, final);
      if (next === -1) break;
      i = next;
    }
    if (!final && chunkEnd && i < len && len - i > MAX_RECORD_CHARS) {
      i = this.badFirstLine(i, 'record longer than 64 MiB (an unclosed quote?)');
      // the rest is scanned again with the next push
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
            if (!final) return -1;
            return this.badFirstLine(start, 'a quoted field is never closed');
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
        if (after === COMMA) {
          j++;
          continue;
        }
        if (after === NL || after === -1) return this.emit(cells, start, j, final);
        if (after === CR && j + 1 < len && buf.charCodeAt(j + 1) === NL) return this.emit(cells, start, j + 1, final);
        if (after === CR && j + 1 >= len && !final) return -1;
        // Reject only the record's first line: a stray quote often swallowed the lines after it.
        return this.badFirstLine(start, `unexpected text after the closing quote of field ${cells.length}`);
      }
      const comma = buf.indexOf(',', j);
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
    if (cells.length > this.maxCells) this.tooMany(stripCr(this.buf.slice(start, nlIndex)), cells.length);
    else this.handler.row(cells, this.line);
    this.line += 1 + countNewlines(this.buf, start, nlIndex);
    return nlIndex + 1;
  }

  private tooMany(raw: string, n: number): void {
    this.handler.bad(this.line, raw, `row has ${n} cells but the header has ${this.maxCells}`);
  }

  /** Reject only the first physical line of a record and rescan from the next line. */
  private badFirstLine(start: number, reason: string): number {
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
