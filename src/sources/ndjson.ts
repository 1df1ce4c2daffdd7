// A streaming NDJSON line reader: one JSON object per physical line.
// Not the `ndjson` package: we need the line number of every record and a
// parse_error for a bad line without stopping the stream.

import type { Fields } from '../pipeline/types.js';

export interface NdjsonHandler {
  row(value: Fields, line: number): void;
  bad(line: number, raw: string, reason: string): void;
}

export class NdjsonTokenizer {
  private buf = '';
  private line = 1;
  private started = false;

  constructor(private readonly handler: NdjsonHandler) {}

  push(text: string, final = false): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const buf = this.buf.length === 0 ? text : this.buf + text;
    let i = 0;
    for (;;) {
      const nl = buf.indexOf('\n', i);
      if (nl === -1 && !(final && i < buf.length)) break;
      const end = nl === -1 ? buf.length : nl;
      this.lineAt(buf.slice(i, end > i && buf.charCodeAt(end - 1) === 13 ? end - 1 : end));
      this.line++;
      i = end + 1;
      if (nl === -1) break;
    }
    this.buf = i >= buf.length ? '' : buf.slice(i);
  }

  end(): void {
    this.push('', true);
  }

  private lineAt(text: string): void {
    if (text.trim().length === 0) return; // empty lines are not records
    let value: unknown;
    try {
      value = JSON.parse(text);
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
