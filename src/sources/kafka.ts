// Kafka source: a consumer group member that hands batches to the runner and commits a
// partition's offset only when the runner acks the batch (records written or dead-lettered).
//
// Shape: kafkajs calls eachBatch per partition (several partitions concurrently); we split
// the batch into chunks, queue them for batches(), and keep eachBatch waiting until the
// last chunk is acked, so a rebalance cannot hand a partition on while this process still
// holds unwritten records of it. When the runner asks for more while still holding
// unacked batches (a sink with several writes in flight), the waiting batches are let go
// early so kafkajs fetches on; their acks still commit, in order.
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { RecflowError } from '../errors.js';
import { parseKafkaAddress } from '../kafka/address.js';
import { describeKafkaError, rootCause, withTimeout } from '../kafka/client.js';
import { OffsetCommitter, readGroupOffsets, readStartOffsets } from '../kafka/offsets.js';
import { parseKafkaOptions, type KafkaOptions } from '../kafka/options.js';
import { decodeMessage, rawMessages } from '../kafka/decode.js';
import { Handoff, heldWithHeartbeats, sleep } from './kafka-handoff.js';
import { KafkaLink } from './kafka-link.js';
import { AckLedger } from './kafka-acks.js';
import { recordLimit } from './limits.js';
import { PartitionTable, partitionKey, type PartitionState } from '../kafka/partitions.js';
import type { ComponentContext, Kind, Rec, Rejected, Source, SourceBatch } from '../pipeline/types.js';

export async function createKafkaSource(address: string, ctx: ComponentContext): Promise<Source> {
  const { brokers, topics } = parseKafkaAddress(address);
  const opts = parseKafkaOptions(ctx.opts, ctx.env);
  const source = new KafkaSource(address, brokers, topics, opts, ctx);
  await source.connect();
  return source;
}

export class KafkaSource implements Source {
  readonly name: string;
  /** Unbounded: HTTP batches of its records linger (see Source.streaming). */
  readonly streaming = true;
  private readonly link: KafkaLink;
  private readonly consumer: Consumer;
  private readonly table: PartitionTable;
  private readonly handoff = new Handoff();
  private failure: RecflowError | null = null;
  /** No more batches are queued: stop(), a batch-mode limit, or a failure. */
  private finishing = false;
  /** Got an assignment at least once (status shows lag from then on). */
  private joined = false;
  /** The group's commits were read after the last join (caught-up may be judged). */
  private offsetsKnown = false;
  private polling = false;
  private rejoins = 0;
  /** Between a rebalance starting and this member getting its assignment. */
  private joining = true;
  private budget: number;
  private lastAlive = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private readonly committer: OffsetCommitter;
  private readonly acks: AckLedger;
  private closed = false;
  private readonly counts = { messages: 0, parseErrors: 0, rebalances: 0, skippedDuplicates: 0 };
  private readonly kindOpt?: Kind;
  readonly maxRecordBytes: number;
  /** Batches carry raw messages (deferDecoding). */
  private raw = false;

  constructor(
    address: string,
    private readonly brokers: string[],
    private readonly topics: string[],
    private readonly opts: KafkaOptions,
    private readonly ctx: ComponentContext,
  ) {
    this.name = address;
    this.table = new PartitionTable(opts.fromBeginning);
    this.budget = opts.maxRecords ?? Infinity;
    this.link = new KafkaLink(brokers, opts, ctx);
    this.consumer = this.link.consumer;
    this.committer = new OffsetCommitter(this.table, this.consumer, opts.timeoutMs, brokers);
    this.acks = new AckLedger(this.committer, this.handoff, (m) => ctx.log(m));
    const k = ctx.opts.kind;
    if (k === 'customer' || k === 'inventory') this.kindOpt = k;
    this.maxRecordBytes = recordLimit(ctx.opts);
  }

  /**
   * Checks the topics and reads start/end offsets and the group's commits, then lets go of
   * the connection: a source the runner never reads must hold nothing open (kafkajs
   * connections keep the process alive). Bounded by --kafka-timeout.
   */
  async connect(): Promise<void> {
    const fail = (err: unknown, what: string): RecflowError =>
      err instanceof RecflowError ? err : new RecflowError('source', describeKafkaError(err, this.brokers, what), { cause: err });
    const timeout = (what: string) => () =>
      new RecflowError('source', describeKafkaError(new Error(`no answer within ${this.opts.timeoutMs} ms`), this.brokers, what));
    try {
      await withTimeout(this.link.admin.connect(), this.opts.timeoutMs, timeout('connect'));
      await withTimeout(this.readOffsets(true), this.opts.timeoutMs, timeout('read topic offsets'));
    } catch (err) {
      throw fail(err, `read topic ${this.topics.join(',')}`);
    } finally {
      await this.link.disconnectQuietly();
    }
    const { events } = this.consumer;
    const alive = (): void => {
      this.lastAlive = Date.now();
    };
    for (const e of [events.FETCH, events.HEARTBEAT, events.COMMIT_OFFSETS, events.FETCH_START]) this.consumer.on(e, alive);
    this.consumer.on(events.REBALANCING, () => {
      alive();
      this.joining = true;
    });
    this.consumer.on(events.GROUP_JOIN, (e) => {
      alive();
      this.joining = false;
      this.joined = true;
      this.offsetsKnown = false;
      this.counts.rebalances++;
      this.table.assign(e.payload.memberAssignment);
      const mine = this.table.assigned().map((p) => `${p.topic}/${p.partition}`);
      this.ctx.log(`kafka: joined group ${this.opts.group}, assigned ${mine.length ? mine.join(' ') : 'no partitions'}`);
      // Another member may have moved these partitions on: learn its commits before judging
      // caught-up. Should that fail, the older figures only make the run wait longer.
      void this.readOffsets(false).catch(() => undefined).then(() => {
        this.offsetsKnown = true;
        this.notify();
      });
    });
    this.consumer.on(events.END_BATCH_PROCESS, (e) => {
      // Batches of only control records never reach eachBatch; still count their offsets as read.
      if (e.payload.batchSize !== 0) return;
      const p = this.table.get(e.payload.topic, e.payload.partition);
      if (p) p.yielded = Math.max(p.yielded, Number(e.payload.lastOffset) + 1);
      this.notify();
    });
    this.consumer.on(events.CRASH, (e) => {
      if (e.payload.restart) {
        this.joining = true;
        return;
      }
      // librdkafka's mock cluster answers a member's SyncGroup that comes after the leader's
      // with INVALID_REQUEST; kafkajs gives up on it. Join again (kafkajs has disconnected).
      if (this.joining && rootCause(e.payload.error)?.type === 'INVALID_REQUEST' && this.rejoins++ < 3 && !this.finishing) {
        void sleep(250).then(() => this.start()).catch((err: unknown) => this.setFailure(err, 'join the consumer group'));
        return;
      }
      this.setFailure(e.payload.error, 'consume');
    });
  }

  private async start(): Promise<void> {
    const bound = <T>(p: Promise<T>, what: string): Promise<T> =>
      withTimeout(p, this.opts.timeoutMs, () => new Error(`no answer within ${this.opts.timeoutMs} ms while trying to ${what}`));
    // close() may come at any point: then let go of whatever got connected.
    const closed = async (): Promise<boolean> => (this.closed ? (await this.link.disconnectQuietly(), true) : false);
    await bound(this.link.admin.connect(), 'connect');
    if (await closed()) return;
    await bound(this.consumer.connect(), 'connect the consumer');
    if (await closed()) return;
    await bound(this.consumer.subscribe({ topics: this.topics, fromBeginning: this.opts.fromBeginning }), 'subscribe');
    if (this.finishing || (await closed())) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(64, Math.max(1, this.table.parts.size)),
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private readOffsets(first: boolean): Promise<void> {
    return this.link.track(this.readOffsetsNow(first));
  }

  private async readOffsetsNow(first: boolean): Promise<void> {
    if (first) return readStartOffsets(this.link.admin, this.table, this.opts.group, this.topics, this.brokers);
    const byKey = await readGroupOffsets(this.link.admin, this.opts.group, this.topics);
    for (const p of this.table.parts.values()) {
      p.groupCommitted = Math.max(p.groupCommitted, byKey.get(`${p.topic}/${p.partition}`) ?? -1);
    }
  }

  async *batches(): AsyncIterable<SourceBatch> {
    // Nothing to read (empty, or all committed): do not join. No batch would come to park
    // kafkajs (see parkIfDone), and leaving would wait --kafka-max-wait for its fetch.
    if (this.opts.untilCaughtUp && this.table.allCaughtUp()) {
      this.ctx.log(`kafka: group ${this.opts.group} is at the end of every partition already; nothing to read`);
      this.finish('caught up');
      return;
    }
    // Brokers gone quiet for longer than --kafka-timeout: fail instead of waiting forever.
    // A JoinGroup may legitimately block until the other members rejoin, so joining gets longer.
    this.lastAlive = Date.now();
    this.timers.push(setInterval(() => {
      const limit = this.opts.timeoutMs + (this.joining ? this.opts.sessionTimeoutMs + 60_000 : this.opts.maxWaitMs);
      if (!this.finishing && Date.now() - this.lastAlive > limit) {
        this.setFailure(new Error(`no answer from the brokers for ${Math.round(limit / 1000)} s`), 'consume');
      }
    }, 500));
    if (this.opts.maxDurationMs !== undefined) {
      this.timers.push(setTimeout(() => this.finish('max duration reached'), this.opts.maxDurationMs));
    }
    // Not awaited: run() lasts until the first join, which only the watchdog bounds.
    void this.start().catch((err: unknown) => this.setFailure(err, `read topic ${this.topics.join(',')}`));
    if (this.opts.untilCaughtUp) {
      // Caught up means the whole group is: follow what the other members commit.
      this.timers.push(setInterval(() => {
        if (this.offsetsKnown && !this.finishing && !this.polling && !this.table.allCaughtUp()) {
          this.polling = true;
          this.readOffsets(false).then(() => this.notify(), () => undefined).finally(() => (this.polling = false));
        }
      }, 1000));
    }
    while (true) {
      if (this.failure) throw this.failure;
      const next = this.handoff.take();
      if (next) {
        this.acks.yielded();
        yield next;
        continue;
      }
      if (this.finishing) return;
      this.handoff.releaseHandedOver();
      if (this.opts.untilCaughtUp && this.offsetsKnown && this.table.allCaughtUp()) {
        this.finish('caught up');
        return;
      }
      await this.handoff.wait();
    }
  }

  private async onBatch({ batch, heartbeat, resolveOffset, pause }: EachBatchPayload): Promise<void> {
    if (this.finishing || this.failure) {
      pause();
      return this.parkIfDone(heartbeat);
    }
    // A rebalance under way: take nothing more and let kafkajs rejoin (the heartbeat throws).
    await heartbeat();
    let p = this.table.get(batch.topic, batch.partition);
    if (!p) {
      // A partition added after the start: read in stream mode, already "caught up" in batch mode.
      this.table.add(batch.topic, batch.partition, 0, 0, -1);
      p = this.table.get(batch.topic, batch.partition)!;
      p.assigned = true;
    }
    this.lastAlive = Date.now();
    p.highWatermark = Math.max(p.highWatermark, Number(batch.highWatermark));
    let messages = batch.messages;
    // Already handed to the runner (kafkajs rewinds to the committed offset after a
    // rebalance): those records are being written and will be committed; skip them.
    const before = messages.length;
    messages = messages.filter((m) => Number(m.offset) >= p.yielded);
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
      if (p.yielded > 0 && before > 0) resolveOffset(String(p.yielded - 1));
      this.notify();
      return this.parkIfDone(heartbeat);
    }

    const chunks: KafkaMessage[][] = [];
    for (let i = 0; i < messages.length; i += this.opts.batchSize) chunks.push(messages.slice(i, i + this.opts.batchSize));
    p.yielded = Number(messages.at(-1)!.offset) + 1;
    const released = this.handoff.hold(chunks.length, partitionKey(p.topic, p.partition), p.yielded, (i) => this.toBatch(p, chunks[i]!));
    this.counts.messages += messages.length;
    if (reachedEnd) pause();
    if (this.budget <= 0) this.finish('max records reached');
    this.notify();

    if (await heldWithHeartbeats(released, heartbeat)) resolveOffset(messages.at(-1)!.offset);
    await this.parkIfDone(heartbeat);
  }

  /**
   * Reading is over (stopping, or all read to the --until caught-up ends): keep kafkajs here
   * until the consumer stops. Let go, it would fetch again, and with every partition paused
   * that fetch sleeps --kafka-max-wait, which the disconnect waits out.
   */
  private async parkIfDone(heartbeat: () => Promise<void>): Promise<void> {
    const done = this.finishing || this.failure !== null || (this.opts.untilCaughtUp && this.table.allCaughtUp());
    if (done) await heldWithHeartbeats(this.link.park().then(() => true), heartbeat);
  }

  /** Hand batches over as raw messages (SourceBatch.messages): the parallel engine decodes them in its workers. */
  deferDecoding(): void {
    this.raw = true;
  }

  /** Parse errors met where the messages were decoded (the workers), for the summary. */
  noteParseErrors(n: number): void {
    this.counts.parseErrors += n;
  }

  private toBatch(p: PartitionState, chunk: KafkaMessage[]): SourceBatch {
    const records: Rec[] = [];
    const rejected: Rejected[] = [];
    const messages = this.raw ? rawMessages(p.topic, p.partition, chunk, this.kindOpt) : undefined;
    for (const m of messages ? [] : chunk) {
      const d = decodeMessage(p.topic, p.partition, m, this.kindOpt, this.maxRecordBytes);
      if ('rejected' in d) {
        this.counts.parseErrors++;
        rejected.push(d.rejected);
      } else records.push(d.rec);
    }
    return { records, rejected, ...(messages ? { messages } : {}), ack: this.acks.ackFor(p, Number(chunk.at(-1)!.offset) + 1) };
  }

  stop(): void {
    this.finish('stopped', true);
  }

  /**
   * Stops reading. The iterable ends after the queued batches, or, on stop(), right after
   * what was already yielded (the rest is dropped unacked and read again next time).
   */
  private finish(why: string, dropQueued = false): void {
    if (dropQueued) this.handoff.drop();
    if (this.finishing) return;
    this.finishing = true;
    if (this.ctx.debug) this.ctx.log(`kafka: stop reading (${why})`);
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
    this.finish('failure', true);
    this.handoff.releaseAll(false);
    this.acks.nudge(); // a close() waiting for acks stops: nothing more can be committed
  }

  private notify(): void {
    this.handoff.notify();
  }

  /**
   * Commits what was acked and leaves the group; resolves once disconnected. Should the
   * runner still hold unacked batches, it first waits for their acks (giving up once none
   * has come for 5 s), so that what they wrote is committed too. The runner makes its acks
   * before it closes a source; this wait is for a caller that does not.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  private async closeOnce(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.finish('closing', true);
    this.handoff.releaseAll(false);
    let err: unknown;
    if (this.failure) this.acks.seal(); // a failed consumer commits nothing more
    else await this.acks.drain(() => this.failure !== null).catch((e: unknown) => (err = e));
    await this.link.disconnectQuietly();
    if (err) throw err;
  }

  /** Batch mode (--until caught-up): messages left to the end offsets that stood at start (for the ETA). */
  remaining(): number | undefined {
    if (!this.opts.untilCaughtUp || !this.joined) return undefined;
    return Math.min(this.table.remaining(), this.budget);
  }

  /** False until the consumer has joined its group (/ready answers 503 until then). */
  get ready(): boolean {
    return this.joined;
  }

  status(): string | undefined {
    if (!this.joined) return `joining group ${this.opts.group}`;
    return this.table.status(this.topics.length > 1);
  }

  stats(): Record<string, unknown> {
    const { group } = this.opts;
    return { kafka: { group, topics: this.topics, ...this.counts, commits: this.committer.commits, partitions: this.table.stats() } };
  }
}

