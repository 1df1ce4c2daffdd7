// The HTTP sink: batches records, POSTs them with bounded concurrency, retries with
// back-off behind a circuit breaker, and resolves a write only once its records
// are delivered (2xx) or refused for good (4xx, returned for the dead-letter output).
// A 413 batch is sent again in halves, down to one record. abort() (SIGINT/SIGTERM)
// ends every wait and retry at once; a watchdog fails the run if batches are pending
// with nothing (no request, encoding or timer) left that could settle them.
import { SinkFailure } from '../../errors.js';
import type { ComponentContext, EncodedLines, Rec, Sink, SinkBatch, SinkWriteResult } from '../../pipeline/types.js';
import { GaveUp, withRetries } from '../util/backoff.js';
import { CircuitBreaker } from '../util/breaker.js';
import { SystemClock, type Clock, type Timer } from '../util/clock.js';
import { Semaphore } from '../util/semaphore.js';
import { Watchdog } from '../util/watchdog.js';
import { Batch, type BatchResult, Batcher, type PendingBatch } from './batcher.js';
import { HttpClient } from './client.js';
import { CONTENT_TYPE, JSON_WRAPPER_BYTES } from './encode.js';
import { batchKey } from './idempotency.js';
import { lineJob, recordJob, type Job } from './jobs.js';
import { LineBatcher } from './lines.js';
import { coded, countOf, DeliveryInterrupted, merged, writeRanges } from './outcome.js';
import { parseHttpSinkOptions, type HttpSinkOptions } from './options.js';
import { bump, noCounts, type HttpSinkStats } from './stats.js';

export type { HttpSinkOptions } from './options.js';
export type { HttpSinkStats } from './stats.js';
export { addHttpSinkOptions, parseHttpSinkOptions } from './options.js';

/** After abort(), requests in flight get this long to be answered, then they are cut. */
const ABORT_GRACE_MS = 1000;

export async function createHttpSink(address: string, ctx: ComponentContext): Promise<Sink> {
  return new HttpSink(parseHttpSinkOptions(address, ctx.opts, ctx.env), ctx);
}

export class HttpSink implements Sink {
  readonly name: string;
  /** Lines from the workers, with their ends and positions: batches are cut across writes. */
  readonly encoded = 'ndjson-lines';
  private readonly client: HttpClient;
  private readonly breaker: CircuitBreaker;
  /** One slot per batch being encoded, sent or waiting to retry: bounds bytes in flight. */
  private readonly slots: Semaphore;
  private readonly batcher: Batcher;
  /** Batches of pre-encoded lines (the parallel runner's). */
  private readonly lineBatcher: LineBatcher;
  /** Aborted when the sink gave up or the run was interrupted: waits and retries end. */
  private readonly stopAll = new AbortController();
  /** Aborted ABORT_GRACE_MS after abort(): requests in flight are cut. */
  private readonly cut = new AbortController();
  private cutTimer: Timer | undefined;
  private readonly baseHeaders: Record<string, string>;
  /** Batches launched and not settled, with how to settle them (the watchdog may have to). */
  private readonly pending = new Map<Promise<unknown>, { job: Job; resolve: (r: BatchResult) => void }>();
  private readonly live = { requests: 0, encoding: 0 };
  private readonly watchdog: Watchdog;
  /** Each line batch's line positions (for the halves of a 413 batch). */
  private readonly linePositions = new WeakMap<PendingBatch, Float64Array[]>();
  /** Records refused for good, by status; and whether any batch was delivered. */
  private readonly refusedBy: Record<string, number> = {};
  /** 401/403 answers since the last 2xx. */
  private authStreak = 0;
  /** Set by abort(): the signal that interrupted the run. */
  private interrupted: NodeJS.Signals | undefined;
  /** The first give-up's message; once set, every write fails with it. */
  private failure: string | undefined;
  /** The signal, when the failure came from an interruption. */
  private failureSignal: NodeJS.Signals | undefined;
  private readonly writes = { count: 0, records: 0 };
  private closing: Promise<void> | undefined;
  private readonly counts = noCounts();

  constructor(
    private readonly opts: HttpSinkOptions,
    private readonly ctx: Pick<ComponentContext, 'log' | 'debug' | 'pipeline' | 'observeLatency'>,
    /** Timers of this sink (retry back-off, breaker), counted for the watchdog; tests give a fake one. */
    private readonly clock: Clock & { readonly pending: number } = new SystemClock(),
  ) {
    this.client = new HttpClient(opts, {
      onStatus: (status, seconds) => {
        bump(this.counts.statusCounts, String(status));
        ctx.observeLatency?.(seconds);
      },
      onError: (code) => bump(this.counts.errorCounts, code),
    });
    this.name = `http ${this.client.target}`;
    this.slots = new Semaphore(opts.concurrency);
    this.breaker = new CircuitBreaker({
      threshold: opts.breakerThreshold,
      pauseMs: opts.breakerPauseMs,
      clock: this.clock,
      // one line per outage, not one per failed probe (a short pause would flood stderr)
      onOpen: ({ failures, pauseMs, lastError, reopened }) => {
        if (!reopened || ctx.debug) ctx.log(`http: ${failures} failed tries in a row to ${this.client.target} (last: ${lastError.message}); circuit breaker open, next try in ${(pauseMs / 1000).toFixed(1)}s`);
      },
    });
    const limits = {
      records: opts.batchRecords,
      bytes: opts.batchBytes,
      lingerMs: opts.lingerMs,
      overheadBytes: opts.body === 'json' ? JSON_WRAPPER_BYTES : 0,
    };
    this.batcher = new Batcher(limits, (batch) => this.dispatch(batch));
    const wire = { format: opts.body, gzip: opts.gzip };
    this.lineBatcher = new LineBatcher(limits, (batch) =>
      this.launch(
        lineJob(
          batch,
          () => (this.linePositions.get(batch) ?? []).flatMap((p) => [...p]),
          () => batch.body('ndjson', false),
          wire,
        ),
        batch,
      ),
    );
    this.watchdog = new Watchdog(
      () => this.pending.size > 0 && this.live.requests === 0 && this.live.encoding === 0 && this.clock.pending === 0,
      () => this.stalled(),
    );
    this.baseHeaders = {
      'content-type': CONTENT_TYPE[opts.body],
      'user-agent': 'recflow',
      ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    };
  }

  /**
   * Writes the runner may keep pending: enough records to fill every request slot
   * and one batch more, so the slots never wait for the reader; no more, because
   * pending records are memory (and GC time). Adapts to the size of the writes seen.
   */
  get maxInFlight(): number {
    // waiting now would wait for records not read yet (once given up, the runner must settle and stop)
    if (!this.failure && this.batcher.oldestHeld) return Number.MAX_SAFE_INTEGER;
    const { concurrency, batchRecords } = this.opts;
    if (this.writes.count === 0) return concurrency + 1;
    const perWrite = this.writes.records / this.writes.count;
    return Math.min(64, Math.max(2, Math.ceil(((concurrency + 1) * batchRecords) / perWrite)));
  }

  write(batch: SinkBatch): Promise<SinkWriteResult> {
    return batch.lines ? this.writeLines(batch.lines) : this.writeRecords(batch.records, batch.streaming);
  }

  private async writeRecords(records: Rec[], streaming: boolean): Promise<SinkWriteResult> {
    this.writes.count++;
    this.writes.records += records.length;
    if (this.failure) return this.gaveUpOn(records.length);
    // a write's records are the tail of each batch they went to, as add() returns
    const parts = this.batcher.add(records, streaming).map((p) => ({ ...p, offset: p.batch.recs.length - p.idx.length }));
    const outcomes = await Promise.allSettled(parts.map((p) => p.batch.done));
    const { refused, undelivered } = writeRanges(
      parts.map(({ offset, idx }, i) => ({ outcome: outcomes[i]!, offset, length: idx.length, at: (k: number) => idx[k]! })),
    );
    if (undelivered.length > 0) {
      // Refused records of this write are not delivered either: the runner dead-letters them all.
      const failure = this.failureError();
      this.counts.deadLettered += countOf(undelivered) + countOf(refused);
      return { refused: coded([...undelivered, ...refused], 'delivery_failed', failure.message), failure };
    }
    this.counts.deadLettered += countOf(refused);
    return refused.length > 0 ? { refused: coded(refused, 'http_rejected') } : {};
  }

  /** Lines of one piece, in input order; batches are cut across writes (see LineBatcher). */
  private async writeLines(lines: EncodedLines): Promise<SinkWriteResult> {
    if (this.failure) return this.gaveUpOn(lines.count);
    const { pos, ends } = lines;
    if (!pos || !ends) throw new Error('internal error: lines for the HTTP sink come with their ends and positions');
    const parts = this.lineBatcher.add({ ...lines, ends, pos }).map((p) => {
      // the lines' positions, for the halves of a 413 batch (the piece's arrays are reused later)
      let list = this.linePositions.get(p.batch);
      if (!list) this.linePositions.set(p.batch, (list = []));
      list.push(pos.slice(p.from, p.to));
      return { ...p, offset: p.batch.count - (p.to - p.from) };
    });
    const outcomes = await Promise.allSettled(parts.map((p) => p.batch.done));
    const { refused, undelivered } = writeRanges(
      parts.map(({ offset, from, to }, i) => ({ outcome: outcomes[i]!, offset, length: to - from, at: (k: number) => from + k })),
    );
    this.counts.deadLettered += countOf(refused) + countOf(undelivered);
    if (undelivered.length === 0) return refused.length > 0 ? { refused: coded(refused, 'http_rejected') } : {};
    const failure = this.failureError();
    return { refused: [...coded(refused, 'http_rejected'), ...coded(undelivered, 'delivery_failed', failure.message)], failure };
  }

  /** After the give-up every write fails at once, all of it undelivered. */
  private gaveUpOn(count: number): SinkWriteResult {
    this.counts.deadLettered += count;
    const failure = this.failureError();
    return { refused: count > 0 ? [{ from: 0, to: count, code: 'delivery_failed', message: failure.message }] : [], failure };
  }

  /** The end of input: the partial batch of lines held for more goes now. */
  flush(): void {
    this.lineBatcher.flush();
  }

  /** Cut batches across writes, as LineBatcher does (the runner calls release() before it waits for a write). */
  holdAcrossWrites(): void {
    this.batcher.holdAcrossWrites();
  }

  release(records: Rec[]): void {
    this.batcher.release(records);
  }

  /** Enough records to fill every request slot and one batch more (and always more than one batch). */
  get linesWindow(): number {
    return (this.opts.concurrency + 1) * this.opts.batchRecords;
  }

  close(): Promise<void> {
    return (this.closing ??= this.finish());
  }

  private async finish(): Promise<void> {
    this.batcher.flush();
    this.lineBatcher.flush();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.keys()]);
    this.watchdog.disarm();
    this.cutTimer?.cancel();
    this.breaker.dispose();
    await this.client.close();
    const refused = Object.entries(this.refusedBy);
    const by4xx = refused.some(([status]) => status.startsWith('4'));
    if (!this.failure && !this.interrupted && this.counts.delivered === 0 && by4xx) {
      // a wrong URL, token or size limit looks like this: not a success
      const what = refused.map(([status, n]) => `HTTP ${status} (${n} records)`).join(', ');
      throw new SinkFailure(`${this.client.target} refused every batch and took none: ${what}; the records are in the dead-letter output as http_rejected`);
    }
  }

  /**
   * The run is interrupted (SIGINT/SIGTERM): no retry starts and every wait ends now;
   * held batches go once; requests in flight get ABORT_GRACE_MS to be answered.
   * What is not delivered fails with DeliveryInterrupted (dead-lettered as delivery_failed).
   */
  abort(signal: NodeJS.Signals): void {
    if (this.interrupted) return;
    this.interrupted = signal;
    this.stopAll.abort(new Error(`interrupted by ${signal} before delivery to ${this.client.target}`));
    this.cutTimer = this.clock.after(ABORT_GRACE_MS, () => this.cut.abort(this.stopAll.signal.reason));
    this.batcher.flush();
    this.lineBatcher.flush();
  }

  status(): string {
    const parts = [`http: ${this.slots.inUse} in flight`];
    if (this.slots.waiting > 0) parts.push(`${this.slots.waiting} queued`);
    const breaker = this.breaker.describe();
    if (breaker) parts.push(breaker);
    if (this.interrupted && !this.failure) parts.push('interrupted');
    if (this.failure) parts.push('gave up');
    return parts.join(', ');
  }

  stats(): HttpSinkStats {
    const c = this.counts;
    return { ...c, breakerOpens: this.breaker.opens, breaker: this.breaker.state, statusCounts: { ...c.statusCounts }, errorCounts: { ...c.errorCounts } };
  }

  private dispatch(batch: Batch): void {
    const wire = { format: this.opts.body, gzip: this.opts.gzip };
    this.launch(recordJob(batch.seq, batch.origin, batch.recs.map((r) => r.pos), batch.lines, wire), batch);
  }

  private launch(job: Job, to: { resolve: (r: BatchResult) => void; reject: (err: unknown) => void }): void {
    this.counts.batches++;
    const p = this.send(job).then(to.resolve, to.reject);
    this.pending.set(p, { job, resolve: to.resolve });
    void p.finally(() => this.pending.delete(p));
    this.watchdog.arm();
    void p.finally(() => {
      if (this.pending.size === 0) this.watchdog.disarm();
    });
  }

  private async send(job: Job): Promise<BatchResult> {
    const release = await this.slots.acquire();
    try {
      return await this.deliver(job, 0);
    } finally {
      release();
    }
  }

  /** One batch, or a half of one that got 413: what became of its records, by index from `offset`. */
  private async deliver(batch: Job, offset: number): Promise<BatchResult> {
    const all = { from: offset, to: offset + batch.count };
    if (this.failure) return { undelivered: [all] };
      const key = batchKey(this.opts.idempotencyKey, { origin: batch.origin, firstPos: batch.firstPos, lastPos: batch.lastPos, count: batch.count }, { url: this.opts.url.pathname + this.opts.url.search, pipeline: this.ctx.pipeline ?? '', body: this.opts.body, content: () => batch.contentHash() });
    this.live.encoding++;
    const body = await batch.body().finally(() => this.live.encoding--);
    const headers = { ...this.baseHeaders, 'idempotency-key': key };
    let answer;
    try {
      answer = await withRetries(
        async () => {
          this.counts.requests++;
          this.counts.bytesSent += body.length;
          this.live.requests++;
          return this.client.post(body, headers, this.cut.signal).finally(() => this.live.requests--);
        },
        {
          policy: { baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs },
          maxTries: this.opts.retries + 1,
          maxTimeMs: this.opts.retryMaxTimeMs,
          breaker: this.breaker,
          signal: this.stopAll.signal,
          clock: this.clock,
          onRetry: ({ retry, delayMs, error }) => {
            this.counts.retries++;
            if (this.ctx.debug) this.ctx.log(`http: batch ${batch.seq} try ${retry} failed: ${error.message}; retrying in ${delayMs} ms`);
          },
        },
      );
    } catch (err) {
      this.giveUp(err);
      return { undelivered: [all] };
    }
    if (answer.delivered) {
      this.counts.delivered += batch.count;
      this.authStreak = 0;
      return {};
    }
    if (answer.status === 413 && batch.count > 1) {
      // too large for the receiver: each half alone, down to single records
      this.counts.splits++;
      const [first, second] = batch.halves();
      const a = await this.deliver(first, offset);
      return merged(a, await this.deliver(second, offset + first.count));
    }
    this.refusedBy[answer.status] = (this.refusedBy[answer.status] ?? 0) + batch.count;
    const start = answer.bodyStart.replace(/\s+/g, ' ').trim();
    if (answer.status === 401 || answer.status === 403) this.authRefused(answer.status);
    return { refused: [{ ...all, message: `HTTP ${answer.status} from ${this.client.target}: ${start}` }] };
  }

  /** 401/403 again: after --auth-failures in a row the token is wrong, and sending on would only dead-letter everything. */
  private authRefused(status: number): void {
    if (++this.authStreak < this.opts.authFailures) return;
    this.giveUp(new Error(`HTTP ${status} ${this.authStreak} times in a row: ${this.client.target} does not accept the credentials; check the token (RECFLOW_HTTP_TOKEN or --token-file)`));
  }

  /** The first failure stops the sink: queued batches fail at once, waiting ones stop waiting. */
  private giveUp(err: unknown): void {
    if (this.failure) return;
    this.counts.gaveUp = true;
    this.failureSignal = this.interrupted;
    if (this.interrupted) {
      this.failure = (this.stopAll.signal.reason as Error).message;
    } else if (err instanceof GaveUp) {
      const secs = (err.elapsedMs / 1000).toFixed(1);
      const tries = err.tries === 0 ? 'waiting behind the open circuit breaker' : `${err.tries} ${err.tries === 1 ? 'try' : 'tries'}`;
      this.failure = `could not deliver to ${this.client.target}: ${err.lastError.message}; gave up after ${tries} in ${secs}s`;
    } else {
      this.failure = `could not deliver to ${this.client.target}: ${(err as Error).message}`;
    }
    this.stopAll.abort(new Error(this.failure));
    // batches held open for more records would wait for writes that now fail at once
    this.batcher.flush();
    this.lineBatcher.flush();
  }

  /** The watchdog found batches pending that nothing can settle: fail them all, loudly. */
  private stalled(): void {
    const n = [...this.pending.values()].reduce((sum, p) => sum + p.job.count, 0);
    this.giveUp(new Error(`internal error: ${this.pending.size} batches (${n} records) were waiting with no request, timer or retry pending; this is a bug in recflow, please report it`));
    for (const { job, resolve } of this.pending.values()) resolve({ undelivered: [{ from: 0, to: job.count }] });
    this.pending.clear(); // what is stuck stays stuck; close() must not wait for it
    this.breaker.dispose();
  }

  private failureError(): SinkFailure {
    const message = this.failure ?? `could not deliver to ${this.client.target}`;
    return this.failureSignal ? new DeliveryInterrupted(message, this.failureSignal) : new SinkFailure(message);
  }
}
