// Kafka sink: JSON values keyed by customer_id/sku, a `kind` header, acks from all in-sync
// replicas; write() resolves only once the brokers acknowledged every record.
import { Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { recJson } from './format/json.js';
import { RecflowError, SinkFailure } from '../errors.js';
import { parseKafkaAddress, topicFor } from '../kafka/address.js';
import { boundedRetry, createKafkaClient, describeKafkaError, rootCause, withTimeout } from '../kafka/client.js';
import { parseKafkaOptions, type KafkaOptions } from '../kafka/options.js';
import { declaredKind, isBuiltinKind } from '../contract/declared.js';
import type { Rec, Rejected, Sink, SinkWriteResult } from '../pipeline/types.js';
import type { ComponentContext } from './index.js';

// A connected kafkajs client keeps the process alive (a timer per connection), so a sink
// that the runner never closes (a run failing elsewhere) must let go by itself when idle.
const IDLE_DISCONNECT_MS = 10_000;

// Broker answers that condemn one record, not the sink: those records are dead-lettered.
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TIMESTAMP']);

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
  private readonly kafka;
  private producer: Producer | null = null;
  private readonly admin: Admin;
  private idempotent = false;
  private connected = false;
  private disconnecting: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private busy = 0;
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
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: boundedRetry(this.opts.timeoutMs),
      });
      await withTimeout(this.producer.connect(), this.opts.timeoutMs, timeout('connect the producer'));
      this.connected = true;
      this.armIdle();
    } catch (err) {
      await this.close().catch(() => undefined);
      throw new RecflowError('sink', describeKafkaError(err, this.brokers, `write to topic ${this.template}`), { cause: err });
    }
  }

  async write(records: Rec[]): Promise<SinkWriteResult> {
    if (records.length === 0) return {};
    const byTopic = new Map<string, { recs: Rec[]; messages: Message[] }>();
    for (const rec of records) {
      const { topic, message } = this.encode(rec);
      const entry = byTopic.get(topic) ?? { recs: [], messages: [] };
      entry.recs.push(rec);
      entry.messages.push(message);
      byTopic.set(topic, entry);
    }
    try {
      await this.send([...byTopic].map(([topic, e]) => ({ topic, messages: e.messages })));
    } catch (err) {
      if (!RECORD_ERRORS.has(rootCause(err)?.type ?? '')) throw this.failure(err, records);
      return this.writeOneByOne(byTopic);
    }
    for (const [topic, e] of byTopic) this.count(topic, e.recs.length);
    return {};
  }

  /** A batch held a record the brokers refuse: find it, dead-letter it, deliver the rest. */
  private async writeOneByOne(byTopic: Map<string, { recs: Rec[]; messages: Message[] }>): Promise<SinkWriteResult> {
    const rejected: Rejected[] = [];
    for (const [topic, e] of byTopic) {
      for (let i = 0; i < e.recs.length; i++) {
        const rec = e.recs[i]!;
        try {
          await this.send([{ topic, messages: [e.messages[i]!] }]);
          this.count(topic, 1);
        } catch (err) {
          const type = rootCause(err)?.type ?? '';
          if (!RECORD_ERRORS.has(type)) throw this.failure(err, e.recs.slice(i));
          this.counts.rejected++;
          rejected.push({
            source: rec.source,
            line: rec.line,
            kind: rec.kind ?? null,
            errors: [{ field: null, code: 'kafka_rejected', message: `Kafka refused the record for topic ${topic}: ${rootCause(err).message}` }],
            record: rec.raw,
          });
        }
      }
    }
    return { rejected };
  }

  private async send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    if (!this.producer) throw new Error('producer is not connected');
    this.counts.sends++;
    this.busy++;
    try {
      await this.disconnecting;
      if (!this.connected) {
        await withTimeout(this.producer.connect(), this.opts.timeoutMs, () => new Error(`no answer within ${this.opts.timeoutMs} ms`));
        this.connected = true;
      }
      // kafkajs retries within its bounded backoff; the timer covers a broker that never answers.
      await withTimeout(
        this.producer.sendBatch({ topicMessages, acks: -1, timeout: this.opts.timeoutMs }),
        this.opts.timeoutMs * 2,
        () => new Error(`no acknowledgement within ${(this.opts.timeoutMs * 2) / 1000} s`),
      );
    } finally {
      this.busy--;
      this.armIdle();
    }
  }

  /** Unref'd: it never keeps the process alive by itself, only ends what would. */
  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.busy > 0 || !this.connected || !this.producer) return;
      this.connected = false;
      this.disconnecting = this.producer.disconnect().catch(() => undefined).finally(() => (this.disconnecting = null));
    }, IDLE_DISCONNECT_MS);
    this.idleTimer.unref();
  }

  private encode(rec: Rec): { topic: string; message: Message } {
    const v = rec.value;
    const kind = rec.kind ?? (typeof v.kind === 'string' ? v.kind : undefined);
    const keyField = messageKey(v, kind);
    return {
      topic: topicFor(this.template, kind ?? 'unknown'),
      message: {
        key: keyField === undefined || keyField === null ? null : String(keyField),
        value: recJson(rec), // pass-through numbers as read
        headers: kind ? { kind } : {},
      },
    };
  }

  private count(topic: string, n: number): void {
    this.counts.sent += n;
    this.counts.byTopic[topic] = (this.counts.byTopic[topic] ?? 0) + n;
  }

  private failure(err: unknown, undelivered: Rec[]): SinkFailure {
    return new SinkFailure(describeKafkaError(err, this.brokers, `write to topic ${this.template}`), { cause: err, undelivered });
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
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

/**
 * The message key: a kind added by a contract file keys by its `key` fields (values joined
 * by ','; none when one is missing); the built-in kinds by customer_id / sku, as before.
 */
function messageKey(v: Record<string, unknown>, kind: string | undefined): unknown {
  // (a built-in kind keeps its key even when a file replaces it: the partitioning of its topic stays)
  const declared = kind !== undefined && !isBuiltinKind(kind) ? declaredKind(kind) : undefined;
  if (declared && declared.decl.key.length > 0) {
    const parts = declared.decl.key.map((f) => v[f]);
    if (parts.some((p) => p === undefined || p === null || p === '')) return null;
    return parts.map((p) => (typeof p === 'object' ? JSON.stringify(p) : String(p))).join(',');
  }
  return kind === 'inventory' ? v.sku : kind === 'customer' ? v.customer_id : (v.customer_id ?? v.sku);
}
