// Batches of pre-encoded NDJSON lines (the parallel runner's workers encode the
// records). Cut by the same limits as Batcher, but across writes: a batch is cut
// only by records, bytes and a change of origin, never by where a piece of input
// ended, so the batches (and their idempotency keys) depend on the input alone.
import type { EncodedLines, LineRange } from '../../pipeline/types.js';

/** Lines with each one's end and position (what 'ndjson-lines' asks of the workers). */
export type PositionedLines = EncodedLines & { ends: Uint32Array; pos: Float64Array };
import { PendingBatch, type BatchLimits } from './batcher.js';
import { gzipBody } from './encode.js';
import { linesHash } from './idempotency.js';
import type { BodyFormat } from './options.js';

export class LineBatch extends PendingBatch {
  private readonly slices: Uint8Array[] = [];
  count = 0;
  firstPos = 0;
  lastPos = 0;

  add(lines: PositionedLines, from: number, to: number, startByte: number, endByte: number): void {
    if (this.count === 0) this.firstPos = lines.pos[from]!;
    this.lastPos = lines.pos[to - 1]!;
    this.count += to - from;
    this.slices.push(lines.bytes.subarray(startByte, endByte));
  }

  /** Hash of the lines, the same as Batch.contentHash() for the same records; before body(). */
  contentHash(): string {
    return linesHash(this.slices);
  }

  /**
   * The request body: the lines as they are (NDJSON) or wrapped as {"records":[...]}.
   * Called once, when a request slot is free; the lines' buffers are held by the
   * writes that own them until this batch is done.
   */
  async body(format: BodyFormat, gzip: boolean): Promise<Buffer> {
    const ndjson = Buffer.concat(this.slices);
    this.slices.length = 0;
    const raw = format === 'ndjson' ? ndjson : wrapJson(ndjson);
    return gzip ? gzipBody(raw) : raw;
  }
}

/** `{"records":[a,b]}` from `a\nb\n`: JSON text has no raw newline, so every '\n' ends a line. */
export function wrapJson(ndjson: Buffer): Buffer {
  const head = '{"records":[';
  const out = Buffer.allocUnsafe(head.length + Math.max(0, ndjson.length - 1) + 2);
  out.write(head, 0, 'latin1');
  const body = out.subarray(head.length);
  ndjson.copy(body, 0, 0, Math.max(0, ndjson.length - 1));
  for (let i = body.indexOf(10); i !== -1 && i < ndjson.length - 1; i = body.indexOf(10, i + 1)) body[i] = 44; // ','
  out.write(']}', out.length - 2, 'latin1');
  return out;
}

export class LineBatcher {
  private open: LineBatch | null = null;
  private seq = 0;

  constructor(
    private readonly limits: BatchLimits,
    private readonly emit: (batch: LineBatch) => void,
  ) {}

  /** Adds one write's lines; returns each batch that took some of them, with the range it took. */
  add(lines: PositionedLines): Array<{ batch: LineBatch } & LineRange> {
    const parts: Array<{ batch: LineBatch } & LineRange> = [];
    const { ends } = lines;
    const { records: maxRecords, bytes: maxBytes, overheadBytes } = this.limits;
    let batch = this.open;
    if (batch && batch.origin !== lines.origin) {
      this.close();
      batch = null;
    }
    let from = 0;
    let startByte = 0;
    let prevEnd = 0;
    const take = (to: number): void => {
      if (batch === null || to === from) return;
      batch.add(lines, from, to, startByte, prevEnd);
      parts.push({ batch, from, to });
      from = to;
      startByte = prevEnd;
    };
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      const size = end - prevEnd;
      // as Batcher: a line that does not fit starts a new batch (alone if it is bigger than the limit)
      if (batch !== null && batch.count + (i - from) > 0 && batch.bytes + size > maxBytes) {
        take(i);
        this.close();
        batch = null;
      }
      if (batch === null) {
        batch = this.open = new LineBatch(++this.seq, lines.origin, overheadBytes);
        from = i;
        startByte = prevEnd;
      }
      batch.bytes += size;
      prevEnd = end;
      // a full batch leaves at once: the oldest write's lines are then never held back
      if (batch.count + (i + 1 - from) >= maxRecords) {
        take(i + 1);
        this.close();
        batch = null;
      }
    }
    take(ends.length);
    return parts;
  }

  /** Sends the open batch now (end of input). */
  flush(): void {
    this.close();
  }

  private close(): void {
    const batch = this.open;
    if (batch === null) return;
    this.open = null;
    if (batch.count > 0) this.emit(batch);
  }
}
