// The parallel part of a plan whose stages end with one that keeps state (dedupe,
// head, sample n=...): the pieces go through the stateless head of the stages in
// the worker threads, and come out here, in input order, as the batches of one
// Source; the sequential Runner then applies the rest of the stages and the sink to
// them on the main thread. Same records, same order, same dead-letter lines as the
// Runner alone: a batch is a piece's records and its rejects.
import { parseLossless, parseRecordText } from '../../contract/lossless.js';
import type { FileSource } from '../../sources/file.js';
import type { RunPlan } from '../runner.js';
import { VALUE_HOLDS_TEXTS, type Fields, type Kind, type SinkWriteResult, type Rec, type Rejected, type Source, type SourceBatch } from '../types.js';
import type { TextOut } from './output.js';
import type { PieceResult } from './piece.js';
import { ParallelRunner, type ParallelOptions } from './runner.js';

const ALL_DONE: SinkWriteResult = {};

/** Batches waiting for the Runner: a piece's write resolves once its batch is taken. */
class Channel {
  private readonly queue: { batch: SourceBatch; taken: () => void }[] = [];
  private wake: (() => void) | null = null;
  ended = false;
  /** The consumer left (head is satisfied, or the run failed): writes resolve at once. */
  gone = false;

  put(batch: SourceBatch): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((taken) => {
      this.queue.push({ batch, taken });
      this.poke();
    });
  }

  end(): void {
    this.ended = true;
    this.poke();
  }

  leave(): void {
    this.gone = true;
    for (const q of this.queue.splice(0)) q.taken();
  }

  async take(): Promise<SourceBatch | null> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        next.taken();
        return next.batch;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/**
 * A piece's output in records mode (see PieceTask.records) back into Recs; `place` gives
 * a record's source, line and kind hint from its position. The value is parsed now (its
 * number texts only when wanted); the record as read only when something asks for it
 * (a dead-letter row): most records never need it.
 */
export function recordsOf(res: PieceResult, origin: string, place: (pos: number) => Pick<Rec, 'source' | 'line' | 'kindHint'>): Rec[] {
  const recs: Rec[] = [];
  if (!res.out || !res.pos || res.keptTotal === 0) return recs;
  const text = Buffer.from(res.out.buffer, res.out.byteOffset, res.out.length).toString('utf8');
  let from = 0;
  for (let i = 0; i < res.keptTotal; i++) {
    const t1 = text.indexOf('\t', from);
    const t2 = text.indexOf('\t', t1 + 1);
    const end = text.indexOf('\n', t2 + 1);
    const value = parseRecordText(text.slice(from, t1)) as Fields;
    const kindText = text.slice(t2 + 1, end);
    const kind = kindText === 'null' ? null : (JSON.parse(kindText) as Kind);
    const pos = res.pos[i]!;
    const at = place(pos);
    const rec = { value, raw: value, source: at.source, line: at.line, origin, pos, kind } as Rec;
    if (t2 > t1 + 1) {
      lazyRaw(rec, text.slice(t1 + 1, t2));
      (rec as { [VALUE_HOLDS_TEXTS]?: boolean })[VALUE_HOLDS_TEXTS] = true;
    }
    if (at.kindHint !== undefined) rec.kindHint = at.kindHint;
    recs.push(rec);
    from = end + 1;
  }
  return recs;
}

/** A piece's output as a batch's records and rejects, in the piece's order (`place` as for recordsOf). */
export function batchOf(res: PieceResult, origin: string, place: (pos: number) => Pick<Rec, 'source' | 'line' | 'kindHint'>): Pick<SourceBatch, 'records' | 'rejected'> {
  const rejected = res.rejected === '' ? [] : (parseLossless(res.rejected) as Rejected[]);
  return { records: recordsOf(res, origin, place), rejected };
}

/** `rec.raw` parsed from its text on first use (then a plain property). */
function lazyRaw(rec: Rec, text: string): void {
  Object.defineProperty(rec, 'raw', {
    configurable: true,
    enumerable: true,
    get(): Fields {
      const raw = parseLossless(text) as Fields;
      Object.defineProperty(rec, 'raw', { value: raw, writable: true, enumerable: true, configurable: true });
      return raw;
    },
    set(v: Fields) {
      Object.defineProperty(rec, 'raw', { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
}

export class EngineSource implements Source {
  readonly name: string;
  readonly totalBytes?: number;
  private readonly channel = new Channel();
  private readonly runner: ParallelRunner;
  private stopped = false;

  constructor(plan: Pick<RunPlan, 'sources' | 'dlq' | 'stats' | 'spec' | 'stages'>, opts: Omit<ParallelOptions, 'out'>) {
    const files = plan.sources as FileSource[];
    this.name = files.map((s) => s.name).join(', ');
    const known = files.every((s) => s.totalBytes !== undefined);
    if (known) this.totalBytes = files.reduce((n, s) => n + (s.totalBytes ?? 0), 0);
    const byOrigin = new Map(files.map((s) => [s.origin, s]));
    const channel = this.channel;
    const stats = plan.stats;
    const out: TextOut = {
      split: false,
      lines: true,
      window: null,
      passes: true,
      async write(res, origin) {
        const src = byOrigin.get(origin)!;
        const batch = batchOf(res, origin, (line) => ({ source: src.name, line, kindHint: src.kindHint }));
        await channel.put({ ...batch, bytesRead: stats.bytesRead });
        return ALL_DONE;
      },
      flush() {},
    };
    this.runner = new ParallelRunner({ sources: files, stages: plan.stages, sink: null, dlq: plan.dlq, stats: plan.stats, spec: plan.spec }, { ...opts, out });
  }

  async *batches(): AsyncIterable<SourceBatch> {
    const run = this.runner.run().finally(() => this.channel.end());
    run.catch(() => {}); // awaited below
    try {
      for (;;) {
        const batch = await this.channel.take();
        if (batch === null) break;
        yield batch;
      }
      const outcome = await run;
      if (outcome.failure) throw outcome.failure;
    } finally {
      // the Runner left early (head satisfied, a failure): stop reading, let the pieces drain
      this.channel.leave();
      if (!this.stopped) this.stop();
      await run.catch(() => {});
    }
  }

  stop(): void {
    this.stopped = true;
    this.runner.stop('SIGTERM');
  }
}
