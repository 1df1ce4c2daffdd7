// The HTTP sink: batches records, POSTs them with bounded concurrency, retries with
// back-off behind a circuit breaker, and resolves a write only once its records
// are delivered (2xx) or refused for good (4xx, returned for the dead-letter output).
import { SinkFailure } from '../../errors.js';
import type { EncodedLines, LineSink, LinesOutcome, Rec, Rejected, Sink, SinkWriteResult } from '../../pipeline/types.js';
import type { ComponentContext } from '../index.js';
import { GaveUp, withRetries } from '../util/backoff.js';
import { CircuitBreaker } from '../util/breaker.js';
import { Semaphore } from '../util/semaphore.js';
import { Batch, type BatchResult, Batcher } from './batcher.js';
import { HttpClient } from './client.js';
import { CONTENT_TYPE, encodeBody, JSON_WRAPPER_BYTES } from './encode.js';
import { batchKey } from './idempotency.js';
import { LineBatcher } from './lines.js';
import { parseHttpSinkOptions, type HttpSinkOptions } from './options.js';

export type { HttpSinkOptions } from './options.js';
export { addHttpSinkOptions, parseHttpSinkOptions } from './options.js';

// A type, not an interface, so that it fits Sink.stats()'s Record<string, unknown>.
export type HttpSinkStats = {
  batches: number;
  requests: number;
  retries: number;
  delivered: number;
  deadLettered: number;
  statusCounts: Record<string, number>;
  errorCounts: Record<string, number>;
  breakerOpens: number;
  bytesSent: number;
  gaveUp: boolean;
};

export async function createHttpSink(address: string, ctx: ComponentContext): Promise<Sink> {
  return new HttpSink(parseHttpSinkOptions(address, ctx.opts, ctx.env), ctx);
}

/** One batch to send, from either batcher. */
interface Job {
  seq: number;
  origin: string;
  firstPos: number;
  lastPos: number;
  count: number;
  /** Hash of the batch's lines as sent (before gzip), for its idempotency key; before body(). */
  contentHash(): string;
  /** The request body, built once a request slot is free. */
  body(): Promise<Buffer>;
}

export class HttpSink implements LineSink {
  readonly name: string;
  private readonly client: HttpClient;
  private readonly breaker: CircuitBreaker;
  /** One slot per batch being encoded, sent or waiting to retry: bounds bytes in flight. */
  private readonly slots: Semaphore;
  private readonly batcher: Batcher;
  /** Batches of pre-encoded lines (the parallel runner's). */
  private readonly lineBatcher: LineBatcher;
  private readonly stopAll = new AbortController();
  private readonly baseHeaders: Record<string, string>;
  private readonly pending = new Set<Promise<unknown>>();
  /** The first give-up's message; once set, every write fails with it. */
  private failure: string | undefined;
  private readonly writes = { count: 0, records: 0 };
  private readonly counts: Omit<HttpSinkStats, 'breakerOpens'> = {
    batches: 0,
    requests: 0,
    retries: 0,
    delivered: 0,
    deadLettered: 0,
    statusCounts: {},
    errorCounts: {},
    bytesSent: 0,
    gaveUp: false,
  };

  constructor(
    private readonly opts: HttpSinkOptions,
    private readonly ctx: Pick<ComponentContext, 'log' | 'debug' | 'pipeline'>,
  ) {
    this.client = new HttpClient(opts, {
      onStatus: (status) => bump(this.counts.statusCounts, String(status)),
      onError: (code) => bump(this.counts.errorCounts, code),
    });
    this.name = `http ${this.client.target}`;
    this.slots = new Semaphore(opts.concurrency);
    this.breaker = new CircuitBreaker({
      threshold: opts.breakerThreshold,
      pauseMs: opts.breakerPauseMs,
      onOpen: ({ failures, pauseMs, lastError }) =>
        ctx.log(`http: ${failures} failed tries in a row to ${this.client.target} (last: ${lastError.message}); circuit breaker open, next try in ${(pauseMs / 1000).toFixed(1)}s`),
    });
    const limits = {
      records: opts.batchRecords,
      bytes: opts.batchBytes,
      lingerMs: opts.lingerMs,
      overheadBytes: opts.body === 'json' ? JSON_WRAPPER_BYTES : 0,
    };
    this.batcher = new Batcher(limits, (batch) => this.dispatch(batch));
    this.lineBatcher = new LineBatcher(limits, (batch) =>
      this.launch(
        {
          seq: batch.seq,
          origin: batch.origin,
          firstPos: batch.firstPos,
          lastPos: batch.lastPos,
          count: batch.count,
          contentHash: () => batch.contentHash(),
          body: () => batch.body(opts.body, opts.gzip),
        },
        batch,
      ),
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

  async write(records: Rec[]): Promise<SinkWriteResult> {
    this.writes.count++;
    this.writes.records += records.length;
    if (this.failure) throw new SinkFailure(this.failure, { undelivered: records });
    const parts = this.batcher.add(records);
    const outcomes = await Promise.allSettled(parts.map((p) => p.batch.done));
    const refused: Array<{ rec: Rec; message: string }> = [];
    const undelivered: Rec[] = [];
    outcomes.forEach((outcome, i) => {
      const { recs } = parts[i]!;
      if (outcome.status === 'rejected') undelivered.push(...recs);
      else if (outcome.value.refused) for (const rec of recs) refused.push({ rec, message: outcome.value.refused });
    });
    if (undelivered.length > 0) {
      // Refused records of this write are not delivered either: the runner dead-letters them all.
      undelivered.push(...refused.map((r) => r.rec));
      throw new SinkFailure(this.failure ?? `could not deliver to ${this.client.target}`, { undelivered });
    }
    return refused.length > 0 ? { rejected: refused.map((r) => refusedRecord(r.rec, r.message)) } : {};
  }

  /** Lines of one piece, in input order; batches are cut across writes (see LineBatcher). */
  async writeLines(lines: EncodedLines): Promise<LinesOutcome> {
    const n = lines.ends.length;
    if (this.failure) return { refused: [], undelivered: n > 0 ? [{ from: 0, to: n }] : [], failure: new SinkFailure(this.failure) };
    const parts = this.lineBatcher.add(lines);
    const outcomes = await Promise.allSettled(parts.map((p) => p.batch.done));
    const result: LinesOutcome = { refused: [], undelivered: [] };
    outcomes.forEach((outcome, i) => {
      const { from, to } = parts[i]!;
      if (outcome.status === 'rejected') result.undelivered.push({ from, to });
      else if (outcome.value.refused) result.refused.push({ from, to, message: outcome.value.refused });
    });
    if (result.undelivered.length > 0) result.failure = new SinkFailure(this.failure ?? `could not deliver to ${this.client.target}`);
    return result;
  }

  flushLines(): void {
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

  async close(): Promise<void> {
    this.batcher.flush();
    this.lineBatcher.flush();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    this.breaker.dispose();
    await this.client.close();
  }

  status(): string {
    const parts = [`http: ${this.slots.inUse} in flight`];
    if (this.slots.waiting > 0) parts.push(`${this.slots.waiting} queued`);
    const breaker = this.breaker.describe();
    if (breaker) parts.push(breaker);
    if (this.failure) parts.push('gave up');
    return parts.join(', ');
  }

  stats(): HttpSinkStats {
    const c = this.counts;
    return { ...c, breakerOpens: this.breaker.opens, statusCounts: { ...c.statusCounts }, errorCounts: { ...c.errorCounts } };
  }

  private dispatch(batch: Batch): void {
    this.launch(
      {
        seq: batch.seq,
        origin: batch.origin,
        firstPos: batch.firstPos,
        lastPos: batch.lastPos,
        count: batch.recs.length,
        contentHash: () => batch.contentHash(),
        body: async () => {
          const body = await encodeBody(batch.lines, this.opts.body, this.opts.gzip);
          batch.lines = []; // the body holds them now
          return body;
        },
      },
      batch,
    );
  }

  private launch(job: Job, to: { resolve: (r: BatchResult) => void; reject: (err: unknown) => void }): void {
    this.counts.batches++;
    const p = this.send(job).then(to.resolve, to.reject);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async send(batch: Job): Promise<BatchResult> {
    const release = await this.slots.acquire();
    try {
      if (this.failure) throw new Error(this.failure);
      const key = batchKey(this.opts.idempotencyKey, { origin: batch.origin, firstPos: batch.firstPos, lastPos: batch.lastPos, count: batch.count }, { url: this.opts.url.pathname + this.opts.url.search, pipeline: this.ctx.pipeline ?? '', body: this.opts.body, content: () => batch.contentHash() });
      const body = await batch.body();
      const headers = { ...this.baseHeaders, 'idempotency-key': key };
      const answer = await withRetries(
        async () => {
          this.counts.requests++;
          this.counts.bytesSent += body.length;
          return this.client.post(body, headers);
        },
        {
          policy: { baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs },
          maxTries: this.opts.retries + 1,
          maxTimeMs: this.opts.retryMaxTimeMs,
          breaker: this.breaker,
          signal: this.stopAll.signal,
          onRetry: ({ retry, delayMs, error }) => {
            this.counts.retries++;
            if (this.ctx.debug) this.ctx.log(`http: batch ${batch.seq} try ${retry} failed: ${error.message}; retrying in ${delayMs} ms`);
          },
        },
      );
      if (answer.delivered) {
        this.counts.delivered += batch.count;
        return {};
      }
      this.counts.deadLettered += batch.count;
      const start = answer.bodyStart.replace(/\s+/g, ' ').trim();
      return { refused: `HTTP ${answer.status} from ${this.client.target}: ${start}` };
    } catch (err) {
      this.giveUp(err);
      throw err;
    } finally {
      release();
    }
  }

  /** The first failure stops the sink: queued batches fail at once, waiting ones stop waiting. */
  private giveUp(err: unknown): void {
    if (this.failure) return;
    this.counts.gaveUp = true;
    if (err instanceof GaveUp) {
      const secs = (err.elapsedMs / 1000).toFixed(1);
      this.failure = `could not deliver to ${this.client.target}: ${err.lastError.message}; gave up after ${err.tries} ${err.tries === 1 ? 'try' : 'tries'} in ${secs}s`;
    } else {
      this.failure = `could not deliver to ${this.client.target}: ${(err as Error).message}`;
    }
    this.stopAll.abort(new Error(this.failure));
  }
}

function refusedRecord(rec: Rec, message: string): Rejected {
  return {
    source: rec.source,
    line: rec.line,
    kind: rec.kind ?? null,
    errors: [{ field: null, code: 'http_rejected', message }],
    record: rec.raw,
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
