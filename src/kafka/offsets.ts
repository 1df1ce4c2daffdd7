// Reading and committing consumer-group offsets for the Kafka source.
import type { Admin, Consumer } from 'kafkajs';
import { RecflowError } from '../errors.js';
import { describeKafkaError, isRebalanceError, withTimeout } from './client.js';
import type { PartitionTable } from './partitions.js';

/** Fills the table with each partition's start (low), end (the caught-up target) and commit. */
export async function readStartOffsets(admin: Admin, table: PartitionTable, group: string, topics: string[], brokers: string[]): Promise<void> {
  // Listing does not auto-create topics, unlike asking for one by name.
  const known = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !known.has(t));
  if (missing.length > 0) {
    throw new RecflowError('input', `Kafka topic ${missing.map((t) => `'${t}'`).join(', ')} does not exist at ${brokers.join(',')} — check the name, or create the topic first`);
  }
  const committed = await readGroupOffsets(admin, group, topics);
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      table.add(topic, o.partition, Number(o.low), Number(o.high), committed.get(`${topic}/${o.partition}`) ?? -1);
    }
  }
}

/** The group's committed offsets by `topic/partition` (-1: none). */
export async function readGroupOffsets(admin: Admin, group: string, topics: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId: group, topics })) {
    for (const p of t.partitions) out.set(`${t.topic}/${p.partition}`, Number(p.offset));
  }
  return out;
}

/** Commits every acked offset; calls are serialized, so offsets only ever move forward. */
export class OffsetCommitter {
  commits = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly table: PartitionTable,
    private readonly consumer: Consumer,
    private readonly timeoutMs: number,
    private readonly brokers: string[],
  ) {}

  commit(): Promise<void> {
    const run = this.chain.then(async () => {
      const offsets = this.table.pendingCommits();
      if (offsets.length === 0) return;
      try {
        await withTimeout(this.consumer.commitOffsets(offsets), this.timeoutMs, () => new Error(`no answer within ${this.timeoutMs} ms`));
      } catch (err) {
        // A moving group refuses commits; they are retried with the next ack or at close.
        if (isRebalanceError(err)) return;
        throw new RecflowError('source', describeKafkaError(err, this.brokers, 'commit offsets'), { cause: err });
      }
      for (const o of offsets) {
        const p = this.table.get(o.topic, o.partition)!;
        p.committed = Math.max(p.committed, Number(o.offset));
      }
      this.commits++;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
