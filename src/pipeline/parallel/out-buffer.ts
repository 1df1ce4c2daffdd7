// The output of a piece: NDJSON lines written as UTF-8 into one growing buffer that
// can be transferred to the main thread without a copy; and the texts of its lines.
import { recordJson } from '../../contract/record.js';
import { stringifyLossless } from '../../contract/lossless.js';
import type { Rec, Rejected } from '../types.js';

/**
 * NDJSON lines encoded to UTF-8 into one growing buffer (its own ArrayBuffer, so
 * it can be transferred to the main thread without a copy). One encode per line:
 * JSON.stringify gives a flat string, while gathering lines into a longer string
 * first costs a flattening copy (two-byte for the whole string as soon as one
 * line has a character beyond Latin-1) and keeps a rope alive for the GC.
 */
export class OutBuffer {
  private pos = 0;
  /** Lines written. */
  count = 0;

  constructor(
    private buf: Buffer,
    private readonly alloc: (bytes: number) => Buffer,
  ) {}

  line(json: string): void {
    let buf = this.buf;
    if (this.pos + json.length * 3 + 1 > buf.length) {
      const bigger = this.alloc(Math.max(this.pos + json.length * 3 + 1, buf.length * 2));
      buf.copy(bigger, 0, 0, this.pos);
      this.buf = buf = bigger;
    }
    this.pos += utf8Write.call(buf, json, this.pos);
    buf[this.pos++] = 10;
    this.count++;
  }

  get length(): number {
    return this.pos;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * Buffer#utf8Write (what Buffer#write calls for 'utf8', without its argument
 * juggling: measured 2-4 times faster per line here); Buffer#write where absent.
 */
const utf8Write: (this: Buffer, s: string, offset: number) => number =
  typeof (Buffer.prototype as unknown as { utf8Write?: unknown }).utf8Write === 'function'
    ? (Buffer.prototype as unknown as { utf8Write: (this: Buffer, s: string, offset: number) => number }).utf8Write
    : function (this: Buffer, s: string, offset: number): number {
        return this.write(s, offset, 'utf8');
      };


/** Rows as a JSON array, each record's numbers as read. */
export function stringifyRows(rows: Rejected[]): string {
  let text = '[';
  for (let i = 0; i < rows.length; i++) text += (i > 0 ? ',' : '') + stringifyLossless(rows[i], undefined, rows[i]!.record);
  return text + ']';
}

/** A record for the main thread's stages: value, raw, kind, with numbers as read. */
export function recordTuple(r: Rec): string {
  const raw = r.raw === r.value ? '' : stringifyLossless(r.raw);
  return `${recordJson(r.value, r.raw)}\t${raw}\t${r.kind == null ? 'null' : JSON.stringify(r.kind)}`;
}
