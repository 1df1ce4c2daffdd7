// Cuts records into batches by count and bytes, one origin per batch. Only Kafka
// origins linger (a partial batch leaves after lingerMs): file batches must not
// depend on timing, so that a rerun cuts the same batches and sends the same keys.
import type { Rec } from '../../pipeline/types.js';
import { lineBytes } from './encode.js';

export interface BatchLimits {
  records: number;
  bytes: number;
  lingerMs: number;
  /** Bytes a body has besides its lines (the JSON wrapper). */
  overheadBytes: number;
}

/** What became of a batch that was answered: delivered, or refused for good (4xx) with this message. */
export interface BatchResult {
  refused?: string;
}

/** A batch's identity, its size so far, and the promise its writes wait on. */
export class PendingBatch {
  bytes: number;
  readonly done: Promise<BatchResult>;
  resolve!: (r: BatchResult) => void;
  reject!: (err: unknown) => void;

  constructor(
    readonly seq: number,
    readonly origin: string,
    overheadBytes: number,
  ) {
    this.bytes = overheadBytes;
    this.done = new Promise<BatchResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => {}); // the writes that own its records see the error
  }
}

export class Batch extends PendingBatch {
  readonly recs: Rec[] = [];
  lines: string[] = [];
  timer: NodeJS.Timeout | undefined;

  get firstPos(): number {
    return this.recs[0]!.pos;
  }

  get lastPos(): number {
    return this.recs[this.recs.length - 1]!.pos;
  }
}

export const lingers = (origin: string): boolean => origin.startsWith('kafka:');

export class Batcher {
  private readonly open = new Map<string, Batch>();
  private seq = 0;

  constructor(
    private readonly limits: BatchLimits,
    private readonly emit: (batch: Batch) => void,
  ) {}

  /** Adds one write's records; returns each batch that took some of them, with those records. */
  add(records: readonly Rec[]): Array<{ batch: Batch; recs: Rec[] }> {
    const parts = new Map<Batch, Rec[]>();
    for (const rec of records) {
      const line = JSON.stringify(rec.value);
      const size = lineBytes(line);
      let batch = this.open.get(rec.origin);
      if (batch && (batch.recs.length >= this.limits.records || batch.bytes + size > this.limits.bytes)) {
        this.close(batch);
        batch = undefined;
      }
      if (!batch) {
        batch = new Batch(++this.seq, rec.origin, this.limits.overheadBytes);
        this.open.set(rec.origin, batch);
      }
      batch.recs.push(rec);
      batch.lines.push(line);
      batch.bytes += size;
      let mine = parts.get(batch);
      if (!mine) parts.set(batch, (mine = []));
      mine.push(rec);
    }
    for (const batch of parts.keys()) {
      if (this.open.get(batch.origin) !== batch) continue;
      if (!lingers(batch.origin) || batch.recs.length >= this.limits.records) this.close(batch);
      else if (!batch.timer) {
        batch.timer = setTimeout(() => this.close(batch), this.limits.lingerMs);
      }
    }
    return [...parts].map(([batch, recs]) => ({ batch, recs }));
  }

  /** Sends every open (lingering) batch now. */
  flush(): void {
    for (const batch of [...this.open.values()]) this.close(batch);
  }

  private close(batch: Batch): void {
    if (this.open.get(batch.origin) !== batch) return;
    clearTimeout(batch.timer);
    this.open.delete(batch.origin);
    this.emit(batch);
  }
}
