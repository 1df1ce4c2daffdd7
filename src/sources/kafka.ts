// Kafka source: a consumer group member that hands batches to the runner and commits a
// partition's offset only when the runner acks the batch (records written or dead-lettered).
//
// Shape: kafkajs calls eachBatch per partition (several partitions concurrently); we split
// the batch into chunks, queue them for batches(), and keep eachBatch waiting until the
// last chunk is acked. kafkajs therefore never fetches past what is unwritten, and a
// rebalance cannot hand a partition on while this process still holds its records.
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { RecflowError } from '../errors.js';
import { parseKafkaAddress } from '../kafka/address.js';
import { boundedRetry, createKafkaClient, describeKafkaError, isRebalanceError, withTimeout } from '../kafka/client.js';
import { parseKafkaOptions, type KafkaOptions } from '../kafka/options.js';
import { PartitionTable, type PartitionState } from '../kafka/partitions.js';
import type { Kind, Rec, Rejected, Source, SourceBatch } from '../pipeline/types.js';
import type { ComponentContext } from '../sinks/index.js';

interface Waiter {
  release: (acked: boolean) => void;
}

export async function createKafkaSource(address: string, ctx: ComponentContext): Promise<Source> {
  const { brokers, topics } = parseKafkaAddress(address);
  const opts = parseKafkaOptions(ctx.opts, ctx.env);
  const source = new KafkaSource(address, brokers, topics, opts, ctx);
  await source.connect();
  return source;
}

export class KafkaSource implements Source {
  readonly name: string;
  private readonly kafka;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly table: PartitionTable;
  private readonly queue: SourceBatch[] = [];
  private readonly waiters = new Set<Waiter>();
  private wake: (() => void) | null = null;
  private failure: RecflowError | null = null;
  /** No more batches are queued: stop(), a batch-mode limit, or a failure. */
  private finishing = false;
  private joined = false;
  private budget: number;
  private lastAlive = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private commitChain: Promise<void> = Promise.resolve();
  private readonly counts = { messages: 0, parseErrors: 0, commits: 0, rebalances: 0, skippedDuplicates: 0 };
  private readonly kindOpt?: Kind;

  constructor(
    address: string,
    private readonly brokers: string[],
    private readonly topics: string[],
    private readonly opts: KafkaOptions,
    private readonly ctx: ComponentContext,
  ) {
    this.name = address;
    this.kafka = createKafkaClient(brokers, opts, ctx);
    this.table = new PartitionTable(opts.fromBeginning);
    this.budget = opts.maxRecords ?? Infinity;
    this.admin = this.kafka.admin();
    this.consumer = this.kafka.consumer({
      groupId: opts.group,
      maxWaitTimeInMs: opts.maxWaitMs,
      allowAutoTopicCreation: false,
      retry: boundedRetry(opts.timeoutMs), // the consumer's own default (5 retries) would override the client's
    });
    const k = ctx.opts.kind;
    if (k === 'customer' || k === 'inventory') this.kindOpt = k;
  }

  /** Connects, reads start/end offsets and the group's commits, and subscribes. Bounded by --kafka-timeout. */
  async connect(): Promise<void> {
    const fail = (err: unknown, what: string): RecflowError =>
      err instanceof RecflowError ? err : new RecflowError('source', describeKafkaError(err, this.brokers, what), { cause: err });
    const timeout = (what: string) => () =>
      new RecflowError('source', describeKafkaError(new Error(`no answer within ${this.opts.timeoutMs} ms`), this.brokers, what));
    try {
      await withTimeout(this.admin.connect(), this.opts.timeoutMs, timeout('connect'));
      await withTimeout(this.readOffsets(true), this.opts.timeoutMs, timeout('read topic offsets'));
      await withTimeout(this.consumer.connect(), this.opts.timeoutMs, timeout('connect the consumer'));
      await this.consumer.subscribe({ topics: this.topics, fromBeginning: this.opts.fromBeginning });
    } catch (err) {
      await this.disconnectQuietly();
      throw fail(err, `read topic ${this.topics.join(',')}`);
    }
    const { events } = this.consumer;
    const alive = (): void => {
      this.lastAlive = Date.now();
    };
    for (const e of [events.FETCH, events.HEARTBEAT, events.COMMIT_OFFSETS, events.FETCH_START]) this.consumer.on(e, alive);
    this.consumer.on(events.GROUP_JOIN, (e) => {
      alive();
      this.counts.rebalances++;
      this.table.assign(e.payload.memberAssignment);
      const mine = this.table.assigned().map((p) => `${p.topic}/${p.partition}`);
      this.ctx.log(`kafka: joined group ${this.opts.group}, assigned ${mine.length ? mine.join(' ') : 'no partitions'}`);
      // Another member may have moved these partitions on: learn its commits before judging caught-up.
      void this.readOffsets(false).then(() => {
        this.joined = true;
        this.notify();
      }, (err) => this.setFailure(err, 'read committed offsets'));
    });
    this.consumer.on(events.END_BATCH_PROCESS, (e) => {
      // Batches of only control records never reach eachBatch; still count their offsets as read.
      if (e.payload.batchSize !== 0) return;
      const p = this.table.get(e.payload.topic, e.payload.partition);
      if (p) p.yielded = Math.max(p.yielded, Number(e.payload.lastOffset) + 1);
      this.notify();
    });
    this.consumer.on(events.CRASH, (e) => this.setFailure(e.payload.error, 'consume'));
  }

  private async readOffsets(first: boolean): Promise<void> {
    const committed = await this.admin.fetchOffsets({ groupId: this.opts.group, topics: this.topics });
    const byKey = new Map<string, number>();
    for (const t of committed) for (const p of t.partitions) byKey.set(`${t.topic}/${p.partition}`, Number(p.offset));
    if (first) {
      for (const topic of this.topics) {
        for (const o of await this.admin.fetchTopicOffsets(topic)) {
          this.table.add(topic, o.partition, Number(o.low), Number(o.high), byKey.get(`${topic}/${o.partition}`) ?? -1);
        }
      }
      return;
    }
    for (const p of this.table.parts.values()) {
      p.groupCommitted = Math.max(p.groupCommitted, byKey.get(`${p.topic}/${p.partition}`) ?? -1);
    }
  }

  async *batches(): AsyncIterable<SourceBatch> {
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(64, Math.max(1, this.table.parts.size)),
      eachBatch: (payload) => this.onBatch(payload),
    });
    if (this.opts.maxDurationMs !== undefined) {
      this.timers.push(setTimeout(() => this.finish('max duration reached'), this.opts.maxDurationMs));
    }
    // Brokers gone quiet for longer than --kafka-timeout: fail instead of waiting forever.
    const limit = this.opts.timeoutMs + this.opts.maxWaitMs;
    this.timers.push(setInterval(() => {
      if (!this.finishing && Date.now() - this.lastAlive > limit) {
        this.setFailure(new Error(`no answer from the brokers for ${Math.round(limit / 1000)} s`), 'consume');
      }
    }, Math.min(1000, limit)));
    while (true) {
      if (this.failure) throw this.failure;
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.finishing) return;
      if (this.opts.untilCaughtUp && this.joined && this.table.assigned().every((p) => this.table.isCaughtUp(p))) {
        this.finish('caught up');
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private async onBatch({ batch, heartbeat, resolveOffset, pause }: EachBatchPayload): Promise<void> {
    if (this.finishing || this.failure) {
      pause();
      return;
    }
    const p = this.table.get(batch.topic, batch.partition);
    if (!p) return;
    this.lastAlive = Date.now();
    p.highWatermark = Math.max(p.highWatermark, Number(batch.highWatermark));
    let messages = batch.messages;
    // Already written by this process (a commit lost in a rebalance): skip, do not write twice.
    const before = messages.length;
    messages = messages.filter((m) => Number(m.offset) >= p.acked);
    this.counts.skippedDuplicates += before - messages.length;
    let reachedEnd = false;
    if (this.opts.untilCaughtUp) {
      messages = messages.filter((m) => Number(m.offset) < p.target);
      reachedEnd = this.table.position(p) >= p.target || (messages.length > 0 && Number(messages.at(-1)!.offset) + 1 >= p.target);
    }
    if (messages.length > this.budget) messages = messages.slice(0, this.budget);
    this.budget -= messages.length;
    if (messages.length === 0) {
      if (reachedEnd) pause();
      if (p.acked >= 0 && before > 0) resolveOffset(String(p.acked - 1));
      this.notify();
      return;
    }

    const acked = new Promise<boolean>((resolve) => {
      const w: Waiter = {
        release: (ok) => {
          this.waiters.delete(w);
          resolve(ok);
        },
      };
      this.waiters.add(w);
      for (let i = 0; i < messages.length; i += this.opts.batchSize) {
        const chunk = messages.slice(i, i + this.opts.batchSize);
        this.queue.push(this.toBatch(p, chunk, i + this.opts.batchSize >= messages.length ? w : undefined));
      }
    });
    p.yielded = Number(messages.at(-1)!.offset) + 1;
    this.counts.messages += messages.length;
    if (reachedEnd) pause();
    if (this.budget <= 0) this.finish('max records reached');
    this.notify();

    // Keep the group membership alive while the runner writes the batch.
    let ok: boolean | undefined;
    void acked.then((v) => (ok = v));
    while (ok === undefined) {
      await Promise.race([acked, sleep(1000)]);
      if (ok === undefined) await heartbeat().catch(() => undefined);
    }
    if (ok) resolveOffset(messages.at(-1)!.offset);
  }

  private toBatch(p: PartitionState, chunk: KafkaMessage[], waiter: Waiter | undefined): SourceBatch {
    const records: Rec[] = [];
    const rejected: Rejected[] = [];
    for (const m of chunk) this.decode(p, m, records, rejected);
    const next = Number(chunk.at(-1)!.offset) + 1;
    return {
      records,
      rejected,
      ack: async () => {
        p.acked = Math.max(p.acked, next);
        waiter?.release(true);
        await this.commit();
      },
    };
  }

  private decode(p: PartitionState, m: KafkaMessage, records: Rec[], rejected: Rejected[]): void {
    const source = `kafka:${p.topic}/${p.partition}@${m.offset}`;
    const text = m.value === null ? null : m.value.toString('utf8');
    let value: unknown;
    let why: string | undefined;
    if (text === null) why = 'message has no value (a tombstone)';
    else {
      try {
        value = JSON.parse(text);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) why = 'message value is JSON but not an object';
      } catch (err) {
        why = `message value is not JSON: ${(err as Error).message}`;
      }
    }
    if (why !== undefined) {
      this.counts.parseErrors++;
      rejected.push({ source, line: null, kind: null, errors: [{ field: null, code: 'parse_error', message: why }], record: text });
      return;
    }
    const rec: Rec = {
      value: value as Record<string, unknown>,
      raw: value as Record<string, unknown>,
      source,
      line: null,
      origin: `kafka:${p.topic}/${p.partition}`,
      pos: Number(m.offset),
    };
    const kind = this.kindOpt ?? headerKind(m.headers?.kind);
    if (kind) rec.kindHint = kind;
    records.push(rec);
  }

  /** Commits every acked offset; serialized, so offsets only ever move forward. */
  private commit(): Promise<void> {
    const run = this.commitChain.then(async () => {
      const offsets = this.table.pendingCommits();
      if (offsets.length === 0) return;
      try {
        await withTimeout(this.consumer.commitOffsets(offsets), this.opts.timeoutMs, () => new Error(`no answer within ${this.opts.timeoutMs} ms`));
      } catch (err) {
        // A moving group refuses commits; they are retried with the next ack or at close.
        if (isRebalanceError(err)) return;
        throw new RecflowError('source', describeKafkaError(err, this.brokers, 'commit offsets'), { cause: err });
      }
      for (const o of offsets) {
        const p = this.table.get(o.topic, o.partition)!;
        p.committed = Math.max(p.committed, Number(o.offset));
      }
      this.counts.commits++;
    });
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  stop(): void {
    this.finish('stopped');
  }

  /** Ends the iterable after what was already yielded; queued, unyielded batches are dropped unacked. */
  private finish(why: string): void {
    if (this.finishing) return;
    this.finishing = true;
    if (this.ctx.debug) this.ctx.log(`kafka: stop reading (${why})`);
    this.queue.length = 0;
    try {
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // not running yet
    }
    this.notify();
  }

  private setFailure(err: unknown, what: string): void {
    if (this.failure) return;
    this.failure = err instanceof RecflowError ? err : new RecflowError('source', describeKafkaError(err, this.brokers, what), { cause: err });
    this.finish('failure');
    for (const w of [...this.waiters]) w.release(false);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.finishing = true;
    let err: unknown;
    if (!this.failure) await this.commit().catch((e) => (err = e));
    for (const w of [...this.waiters]) w.release(false);
    await this.disconnectQuietly();
    if (err) throw err;
  }

  private async disconnectQuietly(): Promise<void> {
    const bound = Math.min(10_000, this.opts.timeoutMs);
    await withTimeout(Promise.allSettled([this.consumer.disconnect(), this.admin.disconnect()]), bound, () => new Error('disconnect timed out')).catch(() => undefined);
  }

  status(): string | undefined {
    if (!this.joined) return `joining group ${this.opts.group}`;
    return this.table.status(this.topics.length > 1);
  }

  stats(): Record<string, unknown> {
    return { kafka: { group: this.opts.group, topics: this.topics, ...this.counts, partitions: this.table.stats() } };
  }
}

function headerKind(h: unknown): Kind | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  const s = v === undefined || v === null ? '' : String(v).trim().toLowerCase();
  return s === 'customer' || s === 'inventory' ? s : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
