// Cuts records into batches by count and bytes, one origin per batch. Only the
// writes of a streaming source (Kafka) linger (a partial batch leaves after lingerMs):
// file batches must not depend on timing, so that a rerun cuts the same batches and
// sends the same keys.
// Once holdAcrossWrites() is on (the runner promises release() before it waits for
// a write), a file batch is cut by count, bytes and origin only, not where a write
// ended: the same cuts as LineBatcher, so both runners send the same keys.
import { recJson } from '../format/json.js';
import type { Rec } from '../../pipeline/types.js';
import { lineBytes } from './encode.js';
import { linesHash } from './idempotency.js';

export interface BatchLimits {
  records: number;
  bytes: number;
  lingerMs: number;
  /** Bytes a body has besides its lines (the JSON wrapper). */
  overheadBytes: number;
}

/**
 * What became of a batch's records, by index in the batch (`from` included, `to`
 * excluded): refused for good (4xx) with a message, or not delivered because the
 * sink gave up; records in neither were delivered. After a 413 the halves of a
 * batch are sent alone, so one batch can end partly delivered.
 */
export interface BatchResult {
  refused?: Array<{ from: number; to: number; message: string }>;
  undelivered?: Array<{ from: number; to: number }>;
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
  /** Of a streaming source: a partial batch leaves after lingerMs. */
  streaming = false;
  lines: string[] = [];
  timer: NodeJS.Timeout | undefined;

  get firstPos(): number {
    return this.recs[0]!.pos;
  }

  get lastPos(): number {
    return this.recs[this.recs.length - 1]!.pos;
  }

  /** Hash of the NDJSON lines (see linesHash); before the body is built, which empties `lines`. */
  contentHash(): string {
    return linesHash(this.lines);
  }
}

/** A write whose records are not all answered yet: the batches they are in, and how many are unsettled. */
interface HeldWrite {
  recs: readonly Rec[];
  batches: Batch[];
  unsettled: number;
}

export class Batcher {
  private readonly open = new Map<string, Batch>();
  private seq = 0;
  private holding = false;
  /** While holding: the open file batch (one at a time, as in LineBatcher). */
  private held: Batch | null = null;
  /** Pending writes in write order (only while holding). */
  private readonly writes: HeldWrite[] = [];

  constructor(
    private readonly limits: BatchLimits,
    private readonly emit: (batch: Batch) => void,
  ) {}

  /**
   * Adds one write's records; returns each batch that took some of them, with the
   * index in `records` of each record it took.
   */
  add(records: readonly Rec[], streaming: boolean): Array<{ batch: Batch; idx: number[] }> {
    const parts = new Map<Batch, number[]>();
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      const line = recJson(rec); // pass-through numbers as read
      const size = lineBytes(line);
      // as LineBatcher: a held file batch ends where another file's records begin
      if (this.held && this.held.origin !== rec.origin && !streaming) this.close(this.held);
      let batch = this.open.get(rec.origin);
      if (batch && (batch.recs.length >= this.limits.records || batch.bytes + size > this.limits.bytes)) {
        this.close(batch);
        batch = undefined;
      }
      if (!batch) {
        batch = new Batch(++this.seq, rec.origin, this.limits.overheadBytes);
        batch.streaming = streaming;
        this.open.set(rec.origin, batch);
        if (this.holding && !streaming) this.held = batch;
      }
      batch.recs.push(rec);
      batch.lines.push(line);
      batch.bytes += size;
      let mine = parts.get(batch);
      if (!mine) parts.set(batch, (mine = []));
      mine.push(i);
    }
    for (const batch of parts.keys()) {
      if (this.open.get(batch.origin) !== batch) continue;
      if (batch.recs.length >= this.limits.records) this.close(batch); // full: leaves at once
      else if (batch.streaming) batch.timer ??= setTimeout(() => this.close(batch), this.limits.lingerMs);
      else if (!this.holding) this.close(batch);
    }
    if (this.holding && parts.size > 0) this.track(records, [...parts.keys()]);
    return [...parts].map(([batch, idx]) => ({ batch, idx }));
  }

  /** From now on file batches stay open across writes until full, released or flushed. */
  holdAcrossWrites(): void {
    this.holding = true;
  }

  /**
   * True when the oldest pending write waits for a file batch held open for later
   * records: the caller must write more (not wait for it), or release it.
   */
  get oldestHeld(): boolean {
    const w = this.writes;
    while (w.length > 0 && w[0]!.unsettled === 0) w.shift();
    return w.length > 0 && w[0]!.batches.some((b) => this.open.get(b.origin) === b && !b.streaming);
  }

  /** The caller is about to wait for the write of `records`: send the held batches it is in now. */
  release(records: readonly Rec[]): void {
    const held = this.writes.find((x) => x.recs === records);
    if (!held) return;
    for (const b of held.batches) if (!b.streaming) this.close(b);
  }

  private track(recs: readonly Rec[], batches: Batch[]): void {
    const held: HeldWrite = { recs, batches, unsettled: batches.length };
    const settled = (): void => {
      held.unsettled--;
    };
    for (const b of batches) b.done.then(settled, settled);
    this.writes.push(held);
  }

  /** Sends every open (lingering) batch now. */
  flush(): void {
    for (const batch of [...this.open.values()]) this.close(batch);
  }

  private close(batch: Batch): void {
    if (this.open.get(batch.origin) !== batch) return;
    clearTimeout(batch.timer);
    this.open.delete(batch.origin);
    if (this.held === batch) this.held = null;
    this.emit(batch);
  }
}
