// A file sink without rotation holds every batch's ack until its file is in place, i.e. to
// the end of the run. What an ack keeps alive until then must not include the messages of
// its batch (kafkajs' message objects and, through their values, whole fetch responses):
// a run would otherwise hold the whole topic in memory (issue: Kafka → file peak RSS).
// Only kafkajs's last batches may be alive before the close: it is kept in their eachBatch
// until the consumer stops (let go, it would fetch again and its disconnect wait that out).
import type { Consumer } from 'kafkajs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createKafkaSource, type KafkaSource } from '../../src/sources/kafka.js';
import type { ComponentContext } from '../../src/pipeline/types.js';
import { kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka held-ack tests');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
const collect = async (): Promise<void> => {
  await tick();
  gc();
  await tick();
  gc();
};

interface Watched {
  value: WeakRef<Buffer>;
  partition: number;
  offset: number;
}

function ctx(opts: Record<string, unknown>): ComponentContext {
  return { opts: { kafkaMaxWait: '100ms', kafkaTimeout: '5s', kafkaSessionTimeout: '6s', ...opts }, env: {}, log: () => {}, debug: false };
}

/** Reads every batch as a file sink's run does: keeps the acks, lets go of the batch. */
async function holdAll(src: KafkaSource): Promise<{ values: Watched[]; acks: (() => Promise<void>)[] }> {
  const values: Watched[] = [];
  const acks: (() => Promise<void>)[] = [];
  // a function of its own: a suspended frame of the caller would keep the last batch
  for await (const b of src.batches()) {
    const { partition, offsets } = b.messages!;
    b.messages!.values.forEach((v, i) => v && values.push({ value: new WeakRef(v as Buffer), partition, offset: offsets[i]! }));
    acks.push(b.ack!);
  }
  return { values, acks };
}

/** Where the latest kafkajs batch of each partition starts. */
function lastBatches(src: KafkaSource): Map<number, number> {
  const consumer = (src as unknown as { consumer: Consumer }).consumer;
  const first = new Map<number, number>();
  consumer.on(consumer.events.START_BATCH_PROCESS, (e) => first.set(e.payload.partition, Number(e.payload.firstOffset)));
  return first;
}

describe.skipIf(!kafkaOk)('Kafka source: acks held to the end of the run', () => {
  const { kafka } = useKafka();

  it('keep none of their batches\' messages alive; acked late, they still commit everything', async () => {
    const topic = uniqueName('held');
    await kafka.createTopic(topic, 2);
    // several produce calls: several kafkajs batches per partition, each cut into chunks of 50
    for (let k = 0; k < 8; k++) {
      await produce(kafka.bootstrap, topic, Array.from({ length: 200 }, (_, i) => ({ value: JSON.stringify({ i: k * 200 + i }), partition: i % 2 })));
    }
    const group = uniqueName('g');
    const src = (await createKafkaSource(`kafka://${kafka.bootstrap}/${topic}`, ctx({ group, until: 'caught-up', kafkaBatch: '50' }))) as KafkaSource;
    // raw messages: the batch carries kafkajs' own value buffers, which can be watched
    src.deferDecoding();
    const last = lastBatches(src);
    const { values, acks } = await holdAll(src);
    expect(values.length).toBe(1600);
    await collect();
    const alive = (): Watched[] => values.filter((w) => w.value.deref() !== undefined);
    const stale = alive().filter((w) => w.offset < last.get(w.partition)!);
    expect(stale.map((w) => `${w.partition}@${w.offset}`)).toEqual([]);
    for (const ack of acks) await ack();
    await src.close();
    // the acks are still held here: none of them keeps a message alive
    await collect();
    expect(alive().length).toBe(0);
    expect(acks.length).toBeGreaterThan(0);
    const stats = src.stats() as { kafka: { partitions: Record<string, { committed: number | null }> } };
    expect(Object.values(stats.kafka.partitions).map((p) => p.committed)).toEqual([800, 800]);
  });
});
