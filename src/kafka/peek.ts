// `recflow peek`: read a topic the way `kcat -C` does — no consumer group, no commit.
// kafkajs's consumer always joins a group, so peek talks to the partition leaders with
// plain Fetch requests through kafkajs's own cluster object (the one its admin client
// uses): the only requests sent are Metadata, ListOffsets and Fetch, so nothing is left
// behind on the cluster. kafkajs 2.2 is frozen; the private entry point is looked up by
// its description and checked, so a changed kafkajs fails loudly rather than oddly.
import type { Kafka } from 'kafkajs';
import { RecflowError } from '../errors.js';

export type StartAt = { at: 'beginning' } | { at: 'end' } | { at: 'offset'; offset: bigint } | { at: 'last'; count: bigint } | { at: 'time'; ms: number };

export interface PeekRequest {
  topic: string;
  /** Partitions to read; undefined: all. */
  partitions?: number[];
  start: StartAt;
  /** Stop after this many messages in all (undefined: at the end offsets that stood at start). */
  count?: number;
  maxWaitMs: number;
}

export interface PeekedMessage {
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | string[]>;
}

interface Broker {
  fetch(req: unknown): Promise<{ responses: Array<{ topicName: string; partitions: FetchedPartition[] }> }>;
}
interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer | Buffer[]> }>;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findBroker(q: { nodeId: number }): Promise<Broker>;
}

function clusterOf(kafka: Kafka): Cluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof create !== 'function') throw new RecflowError('source', 'this kafkajs version has no cluster entry point; peek needs kafkajs 2.x');
  return create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 1 }) as Cluster;
}

/** Per partition: where reading starts and where it ends (exclusive). */
export async function plan(kafka: Kafka, req: PeekRequest, stop?: AbortSignal): Promise<Map<number, { from: bigint; to: bigint }>> {
  const admin = kafka.admin();
  const off = onAbort(stop, () => void admin.disconnect());
  try {
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(req.topic);
    const byTime = req.start.at === 'time' ? await admin.fetchTopicOffsetsByTimestamp(req.topic, req.start.ms) : [];
    const wanted = req.partitions ?? ends.map((e) => e.partition).sort((a, b) => a - b);
    const out = new Map<number, { from: bigint; to: bigint }>();
    for (const p of wanted) {
      const e = ends.find((x) => x.partition === p);
      if (!e) throw new RecflowError('usage', `topic ${req.topic} has no partition ${p} (it has ${ends.length}: 0-${ends.length - 1})`);
      const low = BigInt(e.low);
      const high = BigInt(e.high);
      out.set(p, { from: clamp(startOffset(req.start, low, high, byTime.find((x) => x.partition === p)?.offset), low, high), to: high });
    }
    return out;
  } finally {
    off();
    await admin.disconnect();
  }
}

function startOffset(start: StartAt, low: bigint, high: bigint, atTime: string | undefined): bigint {
  switch (start.at) {
    case 'beginning':
      return low;
    case 'end':
      return high;
    case 'offset':
      return start.offset;
    case 'last':
      return high - start.count;
    case 'time':
      // -1: no message at or after the time
      return atTime === undefined || BigInt(atTime) < 0n ? high : BigInt(atTime);
  }
}

const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => (v < lo ? lo : v > hi ? hi : v);

/** Reads every planned range (or `count` messages), in partition order, calling `each` per message. */
export async function peek(kafka: Kafka, req: PeekRequest, each: (m: PeekedMessage) => void, stop: AbortSignal): Promise<number> {
  const ranges = await plan(kafka, req, stop);
  const stopped = (): boolean => stop.aborted;
  const cluster = clusterOf(kafka);
  let seen = 0;
  // a stop while connecting or fetching: disconnecting ends the wait (kafkajs would retry for long)
  const off = onAbort(stop, () => void cluster.disconnect());
  try {
    await cluster.connect();
    await cluster.addTargetTopic(req.topic);
    const leaders = new Map(cluster.findTopicPartitionMetadata(req.topic).map((m) => [m.partitionId, m.leader]));
    for (const [partition, range] of ranges) {
      let next = range.from;
      while (next < range.to && !stopped() && (req.count === undefined || seen < req.count)) {
        const broker = await cluster.findBroker({ nodeId: leaders.get(partition)! });
        const res = await broker.fetch({
          maxWaitTime: req.maxWaitMs,
          minBytes: 1,
          maxBytes: 10_485_760,
          isolationLevel: 1,
          topics: [{ topic: req.topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 1_048_576 }] }],
        });
        const part = res.responses[0]?.partitions[0];
        if (!part || part.messages.length === 0) break;
        for (const m of part.messages) {
          const off = BigInt(m.offset);
          if (off < next) continue; // a fetch returns the whole record batch that holds `next`
          if (off >= range.to || (req.count !== undefined && seen >= req.count)) break;
          each({ partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: textHeaders(m.headers) });
          seen++;
        }
        next = BigInt(part.messages[part.messages.length - 1]!.offset) + 1n;
      }
    }
  } finally {
    off();
    await cluster.disconnect();
  }
  return seen;
}

/** Calls `fn` once when `signal` aborts (at once if it has); returns the undo. */
function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

function textHeaders(h: Record<string, Buffer | Buffer[]> | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Array.isArray(v) ? v.map((b) => b.toString('utf8')) : v.toString('utf8');
  return out;
}
