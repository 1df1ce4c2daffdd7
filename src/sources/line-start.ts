// What the CSV and NDJSON tokenizers do first with each push: drop a byte order mark at
// the very start of the input, and skip the rest of a line already cut at the record limit.
import { DEFAULT_MAX_RECORD_BYTES } from './limits.js';

export abstract class LineTokenizer {
  /** The physical line the next record starts on. */
  protected line = 1;
  /** Text was pushed already (a byte order mark can only come first). */
  protected started = false;
  /** Inside a line already rejected as too long: drop text up to its end. */
  protected skipping = false;
  /** Longest record in UTF-8 bytes. */
  protected readonly max: number;

  constructor(maxRecordBytes: number | undefined) {
    this.max = maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** The pushed text left to read, or null when all of it is the rest of a skipped line. */
  protected begin(text: string, final: boolean): string | null {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!this.skipping) return text;
    const nl = text.indexOf('\n');
    if (nl === -1) {
      if (final) this.skipping = false;
      return null;
    }
    this.skipping = false;
    this.line++;
    return text.slice(nl + 1);
  }
}
