// The record size bound (--max-record-bytes) shared by the file, piece and Kafka readers.
import { InvalidArgumentError } from 'commander';

/** Default longest record: 16 MiB of UTF-8. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Characters of a too-long record kept in its dead-letter row. */
export const PREVIEW_CHARS = 200;

/**
 * The first PREVIEW_CHARS characters of a too-long record's text (a surrogate pair is
 * not cut); fewer under a limit below 600 bytes: no more than surely fit in its first
 * `max` bytes, so the preview is the same however much of the line was in hand.
 */
export function preview(text: string, max: number = DEFAULT_MAX_RECORD_BYTES): string {
  const n = Math.min(PREVIEW_CHARS, Math.floor(max / 3));
  if (text.length <= n) return text;
  const c = text.charCodeAt(n - 1);
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}

export function tooLongReason(max: number): string {
  return `record longer than ${max} bytes (--max-record-bytes); only its first ${PREVIEW_CHARS} characters are kept here`;
}

/** The UTF-8 encoding of `text` is longer than `max` bytes (counted only when it may be). */
export function utf8Longer(text: string, max: number): boolean {
  if (text.length * 3 <= max) return false;
  return text.length > max || Buffer.byteLength(text) > max;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
/** Beyond this one record would not fit a V8 string anyway. */
const MAX_LIMIT = 512 * 1024 * 1024;

/** Parser of --max-record-bytes: a whole number of bytes, or with k/m/g (KiB, MiB, GiB). */
export function recordBytesOption(value: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(String(value));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new InvalidArgumentError('expected a size from 1 byte to 512m, such as 16777216, 512k or 16m.');
  }
  return n;
}

/** The limit from the command's options (ComponentContext.opts); the default when not given. */
export function recordLimit(opts: Record<string, unknown>): number {
  const v = opts.maxRecordBytes;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : DEFAULT_MAX_RECORD_BYTES;
}

/**
 * Cuts every physical line of a byte stream to at most `cap` bytes (the '\n' kept), so
 * that one endless line never sits in memory whole: the readers after this see a line
 * longer than the limit (cap = limit + 1) and reject it with its first bytes. Lines
 * inside one chunk are left alone (the chunk is in memory anyway).
 */
export class LineCapper {
  /** Bytes of the current line passed on so far. */
  private lineBytes = 0;
  /** Dropping the rest of a line cut at `cap`. */
  private dropping = false;

  constructor(private readonly cap: number) {}

  /** The parts of `chunk` to pass on (none, one or two subarrays; no copies). */
  take(chunk: Buffer): Buffer[] {
    let start = 0;
    if (this.dropping) {
      const nl = chunk.indexOf(10);
      if (nl === -1) return [];
      this.dropping = false;
      this.lineBytes = 0;
      start = nl;
    }
    const first = chunk.indexOf(10, start);
    const out: Buffer[] = [];
    if (first === -1) {
      this.keep(chunk, start, chunk.length, out);
      return out;
    }
    // the current line ends at `first`: pass on what fits of it, then the rest of the chunk
    const room = this.cap - this.lineBytes;
    if (first - start > room) {
      if (room > 0) out.push(chunk.subarray(start, start + room));
      start = first;
    }
    const last = chunk.lastIndexOf(10);
    this.lineBytes = 0;
    if (chunk.length - last - 1 <= this.cap) {
      out.push(start === 0 ? chunk : chunk.subarray(start));
      this.lineBytes = chunk.length - last - 1;
    } else {
      out.push(chunk.subarray(start, last + 1));
      this.keep(chunk, last + 1, chunk.length, out);
    }
    return out;
  }

  /** Pass on chunk[from, to), all of it on the current line, up to the cap. */
  private keep(chunk: Buffer, from: number, to: number, out: Buffer[]): void {
    const room = this.cap - this.lineBytes;
    if (to - from <= room) {
      out.push(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
      this.lineBytes += to - from;
      return;
    }
    if (room > 0) out.push(chunk.subarray(from, from + room));
    this.lineBytes = this.cap;
    this.dropping = true;
  }
}
