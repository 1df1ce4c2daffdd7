// Runs sources → stages → sink with bounded writes in flight, the dead-letter
// output, statistics and a clean drain on stop. Acknowledgement flows back to a
// source batch only after the sink and the dead-letter writer are done with
// every record of it: that is the whole at-least-once story, in one place.
import { RecflowError } from '../errors.js';
import { AckGate, isLateAck } from './acks.js';
import { refusedRows, type DeadLetter } from './dlq.js';
import type { RunStats } from './stats.js';
import { byInputOrder, type Rec, type Rejected, type Sink, type SinkWriteResult, type Source, type SourceBatch, type Stage, type StageResult, type StageSpec } from './types.js';
import { recordRow } from './dead-row.js';

export interface RunPlan {
  sources: Source[];
  stages: Stage[];
  /** null for `validate`: records that pass are counted, not written. */
  sink: Sink | null;
  dlq: DeadLetter;
  stats: RunStats;
  /** How the stages were given: lets worker threads build the same ones (absent: the parallel engine takes the contract alone only). */
  spec?: StageSpec;
}

export interface RunOutcome {
  /** Set when a stop was asked for (SIGINT/SIGTERM) and the run drained. */
  interrupted?: NodeJS.Signals;
  /** Set when the sink or a source failed for good. */
  failure?: RecflowError;
}

interface InFlight {
  result: Promise<{ ok: SinkWriteResult } | { err: unknown }>;
  records: Rec[];
  ack?: () => Promise<void>;
  /** The sink's write count once this was sent (see AckGate). */
  mark: number;
  /** The write answered: the entry may be settled without waiting (see settleAnswered). */
  answered?: boolean;
}

/** Give up waiting after `ms`; used only for best-effort cleanup after a failure. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}


/**
 * Unbounded sources (Kafka) say so; until every one does, a kafka:// address is one
 * (the address of a Kafka source, and of the engine source that decodes its messages).
 */
function isStreaming(source: Source): boolean {
  return source.streaming === true;
}

export class Runner {
  private stopSignal: NodeJS.Signals | undefined;
  private current: Source | undefined;
  private failure: RecflowError | undefined;
  /** A stage keeps no more records (head): stop reading, then end normally. */
  private satisfied = false;

  /** When a batch may be acked: file sinks hold acks until their files are in place. */
  private readonly acks: AckGate;
  /** Acks held until the stages that hold records back wrote them (see mayAckLate). */
  private readonly lateAcks: (() => Promise<void>)[] = [];

  /** Settling in order, one entry at a time, whoever asks: the loop, or a write that answered. */
  private settling: Promise<void> = Promise.resolve();
  /** The writes being made are of a streaming source (SinkBatch.streaming). */
  private streaming = false;

  constructor(private readonly plan: RunPlan) {
    this.acks = new AckGate(plan.sink, plan.dlq, {
      failed: () => this.failure !== undefined,
      fail: (err) => {
        this.failure ??= err;
        this.current?.stop?.();
      },
    });
  }

  /** Stop reading; what was read is still written, then run() returns. */
  stop(signal: NodeJS.Signals): void {
    this.stopSignal ??= signal;
    this.plan.sink?.abort?.(signal); // a sink in an outage stops retrying: its undelivered records are dead-lettered
    this.current?.stop?.();
  }

  async run(): Promise<RunOutcome> {
    const { sources, stats, sink } = this.plan;
    const inFlight: InFlight[] = [];
    const closed = new Set<Source>();
    const closeSource = async (s: Source): Promise<void> => {
      if (closed.has(s)) return;
      closed.add(s);
      await s.close?.();
    };
    let sinkClosed = false;
    let doneBytes = 0;
    sink?.holdAcrossWrites?.(); // settle() releases a held write before waiting for it
    try {
      for (const source of sources) {
        if (this.stopSignal || this.failure || this.satisfied) break;
        this.current = source;
        this.streaming = isStreaming(source);
        let lastBytes = 0;
        try {
          for await (const batch of source.batches()) {
            lastBytes = batch.bytesRead ?? lastBytes;
            stats.bytesRead = doneBytes + lastBytes;
            await this.take(batch, inFlight);
            if (this.plan.stages.some((s) => s.done?.())) {
              this.satisfied = true;
              source.stop?.();
              break; // what is in hand would be dropped anyway
            }
            // read each time: a sink may size its window from the writes it has seen
            while (inFlight.length >= Math.max(1, sink?.maxInFlight ?? 1)) await this.settleNext(inFlight);
            if (this.stopSignal || this.failure) {
              source.stop?.();
              if (this.failure) break;
            }
          }
        } finally {
          // acks before close: a Kafka source commits what was written, then disconnects
          while (inFlight.length > 0) await this.settleNext(inFlight);
          if (!this.acks.pending) await closeSource(source); // else after the sink closed and the held acks are made
        }
        doneBytes += source.totalBytes ?? lastBytes;
      }
      // on a stop too: what stages hold (dedupe keep_last, sample n) was read, so it is written
      this.streaming = sources.some(isStreaming); // what the stages held is of these sources
      if (!this.failure) await this.flushStages(inFlight);
      while (inFlight.length > 0) await this.settleNext(inFlight);
      if (sink) {
        sinkClosed = true;
        await this.closeSink(sink);
        if (!this.failure) await this.acks.closed();
      }
    } catch (err) {
      if (!(err instanceof RecflowError)) throw err;
      this.failure ??= err;
      while (inFlight.length > 0) await this.settleNext(inFlight);
    } finally {
      // on failure too: open clients (kafkajs timers) would keep the process alive
      for (const s of sources) await closeSource(s).catch(() => {});
      if (sink && !sinkClosed) await withTimeout(sink.close(), 5000).catch(() => {});
    }
    stats.samplePeakRss();
    await this.plan.dlq.flush();
    return { interrupted: this.stopSignal, failure: this.failure };
  }

  private async take(batch: SourceBatch, inFlight: InFlight[]): Promise<void> {
    const { stats } = this.plan;
    stats.recordsIn += batch.records.length + batch.rejected.length;
    const rejected: Rejected[] = batch.rejected.slice();
    const kept = await this.applyStages(batch.records, 0, rejected);
    // the dead-letter output in input order whatever the batch (parse errors and each stage's rejects mix): what the workers write too
    if (rejected.length > 1 && rejected.length > batch.rejected.length) rejected.sort(byInputOrder);
    this.reject(rejected);
    let ack = batch.ack;
    if (isLateAck(ack) && this.plan.stages.some((s) => s.flush)) {
      this.lateAcks.push(ack!);
      ack = undefined;
    }
    this.send(kept, ack, inFlight);
    if (this.plan.dlq.needsDrain()) await this.plan.dlq.flush();
  }

  private async applyStages(records: Rec[], from: number, rejected: Rejected[]): Promise<Rec[]> {
    const { stages, stats } = this.plan;
    let recs = records;
    for (let i = from; i < stages.length; i++) {
      let res: StageResult;
      try {
        res = await stages[i]!.process(recs);
      } catch (err) {
        this.stageFailed(err, recs, rejected);
        throw err;
      }
      stats.dropped += recs.length - res.kept.length - res.rejected.length;
      for (const r of res.rejected) rejected.push(r);
      recs = res.kept;
    }
    return recs;
  }

  /**
   * A stage cannot go on (dedupe past max_keys): the batch's rejects so far are written and
   * the records the stage had in hand are dead-lettered as stage_error and counted as failed,
   * so every record read is still accounted for. The run then fails with the error.
   */
  private stageFailed(err: unknown, records: Rec[], rejected: Rejected[]): void {
    this.reject(rejected.splice(0).sort(byInputOrder));
    const message = (err as Error)?.message ?? String(err);
    this.plan.stats.failed += records.length;
    this.plan.dlq.write(records.map((r) => recordRow(r, 'stage_error', null, message)));
  }

  /** Let stages that hold records (dedupe keep=last...) emit them at the end of input. */
  private async flushStages(inFlight: InFlight[]): Promise<void> {
    const { stages, stats } = this.plan;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      if (!stage.flush) continue;
      const res = await stage.flush();
      stats.dropped -= res.kept.length + res.rejected.length;
      const rejected = res.rejected.slice();
      const kept = await this.applyStages(res.kept, i + 1, rejected);
      this.reject(rejected);
      this.send(kept, undefined, inFlight);
    }
    if (this.lateAcks.length > 0) {
      const late = this.lateAcks.splice(0);
      this.send([], async () => {
        for (const a of late) await a(); // in batch order, once what the stages held is written
      }, inFlight);
    }
  }

  private send(records: Rec[], ack: (() => Promise<void>) | undefined, inFlight: InFlight[]): void {
    const { sink } = this.plan;
    if (!sink || records.length === 0) {
      if (!sink) this.plan.stats.countOut(records.map((r) => r.kind));
      inFlight.push({ result: Promise.resolve({ ok: {} }), records: [], ack, mark: this.acks.mark(), answered: true });
      this.acks.sent(ack, this.acks.mark(), Promise.resolve(true));
      this.settleAnswered(inFlight);
      return;
    }
    const result = sink.write({ records, streaming: this.streaming }).then(
      (ok) => {
        if (!ok.failure) this.countDelivered(records, ok); // now, not at settle(): an idle stream's last batches show in /metrics
        return { ok };
      },
      (err: unknown) => ({ err }),
    );
    const entry: InFlight = { result, records, ack, mark: this.acks.mark() };
    inFlight.push(entry);
    this.acks.sent(ack, this.acks.mark(), result.then((r) => 'ok' in r && !r.ok.failure));
    // acks (Kafka commits) follow the sink's answers, not the next batch: an idle stream commits too
    void result.then(() => {
      entry.answered = true;
      this.settleAnswered(inFlight);
    });
  }

  /** Settle the oldest entry (waiting for its write), after whatever settling is under way. */
  private settleNext(inFlight: InFlight[]): Promise<void> {
    const next = this.settling.then(async () => {
      const entry = inFlight.shift();
      if (entry) await this.settle(entry);
    });
    this.settling = next.catch(() => {});
    return next;
  }

  /** Settle the oldest entries whose writes answered already, in order; never waits for a write. */
  private settleAnswered(inFlight: InFlight[]): void {
    this.settling = this.settling
      .then(async () => {
        while (inFlight.length > 0 && inFlight[0]!.answered === true) await this.settle(inFlight.shift()!, false);
      })
      .catch((err: unknown) => {
        this.failure ??= err instanceof RecflowError ? err : new RecflowError('internal', `settling a write failed: ${(err as Error)?.message ?? err}`, { cause: err });
        this.current?.stop?.();
      });
  }

  /** `release`: let a sink that holds records across writes send them now (not needed for a write that answered). */
  private async settle(entry: InFlight, release = true): Promise<void> {
    if (release && entry.records.length > 0) this.plan.sink?.release?.(entry.records);
    const res = await entry.result;
    if ('err' in res) return this.failed(res.err, entry.records);
    const { refused = [], failure } = res.ok;
    const rows = refusedRows(entry.records, refused);
    if (failure) return this.gaveUp(failure, entry.records.filter((_, i) => !refused.some((r) => i >= r.from && i < r.to)), rows);
    this.reject(rows);
    if (entry.ack && !this.failure) await this.acks.settled(entry.ack, entry.mark);
  }

  /** The records of a write the sink took count as out, but for those it refused. */
  private countDelivered(records: Rec[], res: SinkWriteResult): void {
    if (records.length === 0) return;
    const refused = new Uint8Array(records.length);
    for (const r of res.refused ?? []) refused.fill(1, r.from, r.to);
    const out = records.filter((_, i) => refused[i] === 0);
    this.plan.stats.countOut(out.map((r) => r.kind));
  }

  /**
   * The sink failed (rejected the write): none of its records were delivered (a sink that
   * delivered some answers `{ refused, failure }` instead), so all are dead-lettered; then stop reading.
   */
  private failed(err: unknown, records: Rec[]): void {
    const failure =
      err instanceof RecflowError ? err : new RecflowError('sink', `sink failed: ${(err as Error)?.message ?? err}`, { cause: err });
    this.gaveUp(failure, [], refusedRows(records, [{ from: 0, to: records.length, code: 'delivery_failed', message: failure.message }]));
  }

  /**
   * The sink gave up: what it delivered counts as out, its refusals become dead-letter
   * rows (delivery_failed ones count as failed), and reading stops.
   */
  private gaveUp(failure: RecflowError, delivered: Rec[], rows: Rejected[]): void {
    if (delivered.length > 0) this.plan.stats.countOut(delivered.map((r) => r.kind));
    const failed = rows.filter((r) => r.errors[0]!.code === 'delivery_failed');
    this.reject(rows.filter((r) => r.errors[0]!.code !== 'delivery_failed'));
    this.plan.stats.failed += failed.length;
    this.plan.dlq.write(failed);
    this.failure ??= failure;
    this.current?.stop?.();
  }

  private reject(rows: Rejected[]): void {
    if (rows.length === 0) return;
    this.plan.stats.countRejected(rows);
    this.plan.dlq.write(rows);
  }

  private async closeSink(sink: Sink): Promise<void> {
    try {
      await sink.close();
    } catch (err) {
      this.failed(err, []);
    }
  }
}
