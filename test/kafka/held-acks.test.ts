// A file sink without rotation holds every batch's ack until its file is in place, i.e. to
// the end of the run. What an ack keeps alive until then must not include the messages of
// its batch (kafkajs' message objects and, through their values, whole fetch responses):
// a run would otherwise hold the whole topic in memory (issue: Kafka → file peak RSS).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createKafkaSource, type KafkaSource } from '../../src/sources/kafka.js';
import type { ComponentContext } from '../../src/sinks/index.js';
import { kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka held-ack tests');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

function ctx(opts: Record<string, unknown>): ComponentContext {
  return { opts: { kafkaMaxWait: '100ms', kafkaTimeout: '5s', kafkaSessionTimeout: '6s', ...opts }, env: {}, log: () => {}, debug: false };
}

/** Reads every batch as a file sink's run does: keeps the acks, lets go of the batch. */
async function holdAll(src: KafkaSource): Promise<{ values: WeakRef<Buffer>[]; acks: (() => Promise<void>)[] }> {
  const values: WeakRef<Buffer>[] = [];
  const acks: (() => Promise<void>)[] = [];
  // a function of its own: a suspended frame of the caller would keep the last batch
  for await (const b of src.batches()) {
    for (const v of b.messages!.values) if (v) values.push(new WeakRef(v));
    acks.push(b.ack!);
  }
  return { values, acks };
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
    const { values, acks } = await holdAll(src);
    expect(values.length).toBe(1600);
    await tick();
    gc();
    await tick();
    gc();
    const alive = values.filter((w) => w.deref() !== undefined).length;
    expect(alive).toBe(0);
    for (const ack of acks) await ack();
    await src.close();
    const stats = src.stats() as { kafka: { partitions: Record<string, { committed: number | null }> } };
    expect(Object.values(stats.kafka.partitions).map((p) => p.committed)).toEqual([800, 800]);
  });
});
