// Kafka sink: JSON values keyed by customer_id/sku, a `kind` header, acks from all in-sync
// replicas; a write resolves only once the brokers acknowledged every record. It takes
// records, or lines the workers encoded with their keys (writeLines): the same messages.
import type { Admin, Message, Producer } from 'kafkajs';
import { recJson } from './format/json.js';
import { RecflowError, SinkFailure } from '../errors.js';
import { parseKafkaAddress, topicFor } from '../kafka/address.js';
import { boundedRetry, createKafkaClient, describeKafkaError, rootCause, withTimeout } from '../kafka/client.js';
import { parseKafkaOptions, type KafkaOptions } from '../kafka/options.js';
import { keyPartitioner } from '../kafka/partitioner.js';
import { messageKey, messageKind } from '../contract/message-key.js';
import type { ComponentContext, EncodedKind, EncodedLines, Rec, Refusal, Sink, SinkBatch, SinkWriteResult } from '../pipeline/types.js';

// Broker answers that condemn one record, not the sink: those records are dead-lettered.
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TIMESTAMP']);

/**
 * Lines encoded by the workers (PieceTask.keys): per line its message key and its kind
 * (null: none). Without keys or kinds, each line is parsed here for them (the kind is then
 * the value's `kind` field, which the contract writes).
 */
export type KeyedLines = EncodedLines;

/** One message to send, and the topic it goes to. */
interface Outgoing {
  topic: string;
  message: Message;
}

/** A record the brokers refused, by its index in the write. */
interface Refused {
  index: number;
  message: string;
}

/** A send failed for the sink: the indices of the write that were not delivered, and those refused before. */
class Undelivered {
  constructor(
    readonly err: unknown,
    readonly indices: number[],
    readonly refused: Refused[] = [],
  ) {}
}

export async function createKafkaSink(address: string, ctx: ComponentContext): Promise<Sink> {
  const { brokers, topics } = parseKafkaAddress(address, { allowKind: true });
  const opts = parseKafkaOptions(ctx.opts, ctx.env);
  const sink = new KafkaSink(address, brokers, topics[0]!, opts, ctx);
  await sink.connect();
  return sink;
}

export class KafkaSink implements Sink {
  readonly name: string;
  /** One send at a time keeps each key's records in order on its partition. */
  readonly maxInFlight = 1;
  /** It takes the workers' lines with their keys (PieceTask.keys). */
  readonly encoded: EncodedKind = 'ndjson-keyed';
  /** Lines the parallel runner may have written and not settled beyond the oldest write (none are held back here). */
  readonly linesWindow = 4096;
  private readonly kafka;
  private producer: Producer | null = null;
  private readonly admin: Admin;
  private idempotent = false;
  private connected = false;
  /**
   * Set once a delivery gave up for good, before the next queued one starts: the writes
   * after it (queued pieces) fail at once with it, as the HTTP sink's do.
   */
  private gaveUp: SinkFailure | null = null;
  private closing: Promise<void> | null = null;
  /** Sends in the order written, one at a time, whoever calls (lines writes may overlap). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The `kind` header of each kind, and its topic (one object each, shared by its messages). */
  private readonly perKind = new Map<string, { topic: string; headers: Message['headers'] }>();
  private readonly counts = { sent: 0, sends: 0, rejected: 0, byTopic: {} as Record<string, number> };

  constructor(
    address: string,
    private readonly brokers: string[],
    private readonly template: string,
    private readonly opts: KafkaOptions,
    private readonly ctx: ComponentContext,
  ) {
    this.name = address;
    this.kafka = createKafkaClient(brokers, opts, ctx);
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    const timeout = (what: string) => () =>
      new Error(`no answer within ${this.opts.timeoutMs} ms while trying to ${what}`);
    try {
      await withTimeout(this.admin.connect(), this.opts.timeoutMs, timeout('connect'));
      // kafkajs asks the controller for a producer id; a cluster reporting no live controller
      // (librdkafka's mock does) cannot give one, so idempotence is used only where it can work.
      const cluster = await withTimeout(this.admin.describeCluster(), this.opts.timeoutMs, timeout('describe the cluster'));
      this.idempotent = cluster.brokers.some((b) => b.nodeId === cluster.controller);
      await this.admin.disconnect();
      if (!this.idempotent) {
        this.ctx.log(`kafka: ${this.brokers.join(',')} names no controller broker; producing without idempotence (acks from all replicas still apply)`);
      }
      this.producer = this.kafka.producer({
        idempotent: this.idempotent,
        maxInFlightRequests: 1,
        createPartitioner: keyPartitioner, // kafkajs's DefaultPartitioner, hashed faster
        retry: boundedRetry(this.opts.timeoutMs),
      });
      await withTimeout(this.producer.connect(), this.opts.timeoutMs, timeout('connect the producer'));
      this.connected = true;
    } catch (err) {
      await this.close().catch(() => undefined);
      throw new RecflowError('sink', describeKafkaError(err, this.brokers, `write to topic ${this.template}`), { cause: err });
    }
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    const out = batch.lines ? this.linesOut(batch.lines) : this.recordsOut(batch.records);
    if (out.length === 0) return {};
    let refused: Refused[];
    try {
      refused = await this.deliver(out);
    } catch (err) {
      // records and lines alike: what was not delivered comes back by index, the rest counts as written
      const failed = err instanceof Undelivered ? err : new Undelivered(err, out.map((_, i) => i));
      const failure = this.gaveUp ?? this.failure(failed.err);
      return { refused: [...refusals(failed.refused), ...rangesOf(failed.indices, failure.message)], failure };
    }
    return refused.length === 0 ? {} : { refused: refusals(refused) };
  }

  private recordsOut(records: Rec[]): Outgoing[] {
    return records.map((rec) => this.outgoing(rec.value, messageKind(rec.value, rec.kind), undefined, recJson(rec)));
  }

  /**
   * Lines of one piece, in input order: each line's bytes (without its '\n') are the message
   * value as they are (a view, no copy: the runner keeps the buffer until the write settles),
   * with the key and kind the workers gave.
   */
  private linesOut(lines: KeyedLines): Outgoing[] {
    const bytes = Buffer.isBuffer(lines.bytes) ? lines.bytes : Buffer.from(lines.bytes.buffer, lines.bytes.byteOffset, lines.bytes.length);
    const ends = lines.ends ?? lineEnds(bytes);
    const { keys, kinds } = lines;
    const out = new Array<Outgoing>(ends.length);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      const value = bytes.subarray(start, end - 1);
      start = end;
      if (keys && kinds) out[i] = this.outgoing(null, kinds[i] ?? undefined, keys[i] ?? null, value);
      else {
        const v = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
        out[i] = this.outgoing(v, messageKind(v, kinds?.[i]), undefined, value);
      }
    }
    return out;
  }

  /**
   * Send these messages, grouped by topic in one request; when the brokers refuse a record
   * (RECORD_ERRORS), again one by one to find it. Resolves with the refused records; rejects
   * with Undelivered when the sink cannot go on.
   */
  private deliver(out: Outgoing[]): Promise<Refused[]> {
    const run = this.queue
      // after a give-up the writes queued behind it do not try again (each would wait out its own retries)
      .then(() => (this.gaveUp === null ? this.deliverNow(out) : Promise.reject(new Undelivered(this.gaveUp.cause, out.map((_, i) => i)))))
      .catch((err: unknown) => {
        if (err instanceof Undelivered) this.gaveUp ??= this.failure(err.err); // before the next queued write starts
        throw err;
      });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async deliverNow(out: Outgoing[]): Promise<Refused[]> {
    const byTopic = new Map<string, number[]>();
    for (let i = 0; i < out.length; i++) {
      const topic = out[i]!.topic;
      const list = byTopic.get(topic);
      if (list) list.push(i);
      else byTopic.set(topic, [i]);
    }
    try {
      await this.send([...byTopic].map(([topic, list]) => ({ topic, messages: list.map((i) => out[i]!.message) })));
    } catch (err) {
      if (!RECORD_ERRORS.has(rootCause(err)?.type ?? '')) throw new Undelivered(err, out.map((_, i) => i));
      return this.oneByOne(out, byTopic);
    }
    for (const [topic, list] of byTopic) this.count(topic, list.length);
    return [];
  }

  /** A batch held a record the brokers refuse: find it, deliver the rest. */
  private async oneByOne(out: Outgoing[], byTopic: Map<string, number[]>): Promise<Refused[]> {
    const refused: Refused[] = [];
    const order = [...byTopic.values()].flat();
    for (let k = 0; k < order.length; k++) {
      const { topic, message } = out[order[k]!]!;
      try {
        await this.send([{ topic, messages: [message] }]);
        this.count(topic, 1);
      } catch (err) {
        if (!RECORD_ERRORS.has(rootCause(err)?.type ?? '')) throw new Undelivered(err, order.slice(k), refused);
        this.counts.rejected++;
        refused.push({ index: order[k]!, message: `Kafka refused the record for topic ${topic}: ${rootCause(err).message}` });
      }
    }
    return refused;
  }

  private async send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    if (!this.producer || !this.connected) throw new Error('the producer is not connected');
    this.counts.sends++;
    // kafkajs retries within its bounded backoff; the timer covers a broker that never answers.
    await withTimeout(
      this.producer.sendBatch({ topicMessages, acks: -1, timeout: this.opts.timeoutMs }),
      this.opts.timeoutMs * 2,
      () => new Error(`no acknowledgement within ${(this.opts.timeoutMs * 2) / 1000} s`),
    );
  }

  /** A message: the key given, or the value's (messageKey); the kind's topic and `kind` header. */
  private outgoing(v: Record<string, unknown> | null, kind: string | undefined, key: string | null | undefined, value: string | Buffer): Outgoing {
    const k = kind ?? '';
    let per = this.perKind.get(k);
    if (per === undefined) {
      per = { topic: topicFor(this.template, kind ?? 'unknown'), headers: kind ? { kind } : {} };
      this.perKind.set(k, per);
    }
    return { topic: per.topic, message: { key: key !== undefined ? key : messageKey(v!, kind), value, headers: per.headers } };
  }

  private count(topic: string, n: number): void {
    this.counts.sent += n;
    this.counts.byTopic[topic] = (this.counts.byTopic[topic] ?? 0) + n;
  }

  private failure(err: unknown): SinkFailure {
    return new SinkFailure(describeKafkaError(err, this.brokers, `write to topic ${this.template}`), { cause: err });
  }

  /** Idempotent: a second call returns the first one's promise. */
  close(): Promise<void> {
    this.closing ??= this.disconnect();
    return this.closing;
  }

  private async disconnect(): Promise<void> {
    this.connected = false;
    const bound = Math.min(10_000, this.opts.timeoutMs);
    await withTimeout(
      Promise.allSettled([this.producer?.disconnect(), this.admin.disconnect()]),
      bound,
      () => new Error('disconnect timed out'),
    ).catch(() => undefined);
  }

  status(): string | undefined {
    return `kafka sent ${this.counts.sent}`;
  }

  stats(): Record<string, unknown> {
    return { kafka: { idempotent: this.idempotent, ...this.counts } };
  }
}

/** Records the brokers refused, in input order. */
function refusals(refused: Refused[]): Refusal[] {
  return [...refused].sort((x, y) => x.index - y.index).map((r) => ({ from: r.index, to: r.index + 1, code: 'kafka_rejected', message: r.message }));
}

/** Indices as delivery_failed refusals: ranges of consecutive indices, in order. */
function rangesOf(indices: number[], message: string): Refusal[] {
  const sorted = [...indices].sort((a, b) => a - b);
  const ranges: Refusal[] = [];
  for (const i of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last.to === i) last.to = i + 1;
    else ranges.push({ from: i, to: i + 1, code: 'delivery_failed', message });
  }
  return ranges;
}

/** Where each line of NDJSON bytes ends (just past its '\n'), for lines given without their ends. */
function lineEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) ends.push(at + 1);
  return ends;
}
