// A Kafka source on the parallel engine: the source hands over its batches with the
// messages not decoded (SourceBatch.messages); the worker threads decode them and
// run the stateless head of the stages, as they do for pieces of a file; the
// batches come out in the order they went in, with their acks, so the Runner
// commits exactly as before: only once every record up to an offset is written or
// dead-lettered.
import type { RunStats } from '../stats.js';
import type { Kind, RawMessages, Source, SourceBatch, Stage, StageSpec } from '../types.js';
import { batchOf } from './engine-source.js';
import type { PieceResult, PieceTask } from './piece.js';
import { usePieceStages } from './piece-stages.js';
import { PiecePool } from './pool.js';

/** A source that can leave decoding to the engine (the Kafka source). */
export interface DeferringSource extends Source {
  deferDecoding(): void;
  noteParseErrors(n: number): void;
  readonly maxRecordBytes?: number;
}

export function defersDecoding(s: Source): s is DeferringSource {
  return typeof (s as Partial<DeferringSource>).deferDecoding === 'function';
}

interface Pending {
  batch: SourceBatch;
  result: Promise<PieceResult> | null;
}

export class MessageEngineSource implements Source {
  readonly name: string;
  /** A Kafka source's messages: unbounded, as the source. */
  readonly streaming = true;
  private readonly pool: PiecePool;
  private nextId = 0;
  /** Batches being decoded at once. */
  private readonly window: number;

  constructor(
    private readonly inner: DeferringSource,
    stages: { spec: StageSpec; count: number; local: readonly Stage[] },
    workers: number,
    private readonly runStats: RunStats,
  ) {
    this.name = inner.name;
    inner.deferDecoding();
    usePieceStages(stages.local);
    this.pool = new PiecePool(workers, { stages: { spec: stages.spec, count: stages.count } });
    this.pool.warm();
    this.window = workers * 2 + 2;
  }

  async *batches(): AsyncIterable<SourceBatch> {
    const it = this.inner.batches()[Symbol.asyncIterator]();
    const queue: Pending[] = [];
    let next: Promise<IteratorResult<SourceBatch>> | null = null;
    let ended = false;
    try {
      while (!ended || queue.length > 0) {
        if (!ended && next === null && queue.length < this.window) next = it.next();
        const head = queue[0];
        // the oldest batch goes out as soon as it is decoded: never wait for more messages while holding one
        const got = await Promise.race([
          ...(head ? [(head.result ?? Promise.resolve(null)).then(() => 'head' as const)] : []),
          ...(next ? [next.then((v) => ({ v }))] : []),
        ]);
        if (got === 'head') {
          queue.shift();
          yield await this.decoded(head!);
          continue;
        }
        next = null;
        if (got.v.done) ended = true;
        else queue.push(this.dispatch(got.v.value));
      }
    } finally {
      if (next !== null) {
        this.inner.stop?.(); // the Runner left early: let the pending read end
        await next.catch(() => undefined);
      }
      await it.return?.(undefined);
    }
  }

  stop(): void {
    this.inner.stop?.();
  }

  /** The worker threads, then the inner source; a second call gets the first's promise. */
  close(): Promise<void> {
    this.closing ??= this.pool.close().then(() => this.inner.close?.());
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  remaining(): number | undefined {
    return this.inner.remaining?.();
  }

  status(): string | undefined {
    return this.inner.status?.();
  }

  stats(): Record<string, unknown> {
    return this.inner.stats?.() ?? {};
  }

  private dispatch(batch: SourceBatch): Pending {
    const m = batch.messages;
    if (!m || m.values.length === 0) return { batch, result: null };
    const result = this.pool.run(this.task(m));
    result.catch(() => {}); // awaited in order by decoded()
    return { batch, result };
  }

  private task(m: RawMessages): PieceTask {
    let total = 0;
    for (const v of m.values) if (v) total += v.length;
    const bytes = Buffer.allocUnsafeSlow(total); // its own ArrayBuffer: transferred to a worker
    const valueEnds: number[] = [];
    let at = 0;
    for (const v of m.values) {
      if (v === null) valueEnds.push(-1);
      else {
        bytes.set(v, at);
        at += v.length;
        valueEnds.push(at);
      }
    }
    const origin = `kafka:${m.topic}/${m.partition}`;
    return {
      id: this.nextId++,
      source: origin,
      origin,
      format: 'messages',
      kafka: { topic: m.topic, partition: m.partition, valueEnds, offsets: m.offsets, kinds: m.kinds },
      bytes,
      chunkEnds: [],
      line: 1,
      first: true,
      final: true,
      header: null,
      write: true,
      split: false,
      lines: true,
      records: true,
      ...(this.inner.maxRecordBytes !== undefined ? { maxRecordBytes: this.inner.maxRecordBytes } : {}),
    };
  }

  /** The batch with its records and rejects, as the source would have decoded them. */
  private async decoded(p: Pending): Promise<SourceBatch> {
    const { batch } = p;
    if (p.result === null) return batch;
    const res = await p.result;
    const m = batch.messages!;
    const kinds = new Map<number, Kind | null>();
    m.offsets.forEach((o, i) => kinds.set(o, m.kinds[i] ?? null));
    const origin = `kafka:${m.topic}/${m.partition}`;
    const { records, rejected } = batchOf(res, origin, (pos) => ({ source: `${origin}@${pos}`, line: null, kindHint: kinds.get(pos) ?? undefined }));
    const parseErrors = rejected.filter((r) => r.errors.length === 1 && r.errors[0]!.field === null && (r.errors[0]!.code === 'parse_error' || r.errors[0]!.code === 'too_long')).length;
    if (parseErrors > 0) this.inner.noteParseErrors(parseErrors);
    // what the stages in the workers dropped on purpose never reaches the Runner: count it here
    this.runStats.recordsIn += res.dropped;
    this.runStats.dropped += res.dropped;
    const { messages: _, ...rest } = batch;
    void _;
    return { ...rest, records, rejected };
  }
}
