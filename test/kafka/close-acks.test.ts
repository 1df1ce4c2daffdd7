// close() of a Kafka source whose runner still holds unacked batches: close() itself waits
// for their acks (so what they wrote is committed), commits, leaves the group and only
// then resolves; it gives up after 5 s without an ack. No timer of the source outlives it.
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaSource, type KafkaSource } from '../../src/sources/kafka.js';
import type { ComponentContext } from '../../src/pipeline/types.js';
import { committedOffsets, kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka close() tests');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ctx(opts: Record<string, unknown>, logs: string[]): ComponentContext {
  return { opts: { kafkaMaxWait: '100ms', kafkaTimeout: '5s', kafkaSessionTimeout: '6s', ...opts }, env: {}, log: (m) => logs.push(m), debug: false };
}

/** Timers keeping the process alive. */
const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Reads every batch without acking it, as a runner with writes in flight; returns the acks. */
async function holdAll(src: KafkaSource): Promise<(() => Promise<void>)[]> {
  const acks: (() => Promise<void>)[] = [];
  for await (const b of src.batches()) acks.push(b.ack!);
  return acks;
}

/** Whether the consumer has disconnected (kafkajs says so with an event). */
function watchDisconnect(src: KafkaSource): () => boolean {
  const consumer = (src as unknown as { consumer: Consumer }).consumer;
  let gone = false;
  consumer.on(consumer.events.DISCONNECT, () => (gone = true));
  return () => gone;
}

describe.skipIf(!kafkaOk)('Kafka source: close() with batches still unacked', () => {
  const { kafka } = useKafka();

  const open = async (logs: string[]): Promise<{ src: KafkaSource; topic: string; group: string }> => {
    const topic = uniqueName('close');
    await kafka.createTopic(topic, 1);
    await produce(kafka.bootstrap, topic, Array.from({ length: 30 }, (_, i) => ({ value: JSON.stringify({ i }) })));
    const group = uniqueName('g');
    const src = (await createKafkaSource(`kafka://${kafka.bootstrap}/${topic}`, ctx({ group, until: 'caught-up', kafkaBatch: '10' }, logs))) as KafkaSource;
    return { src, topic, group };
  };

  it('waits for their acks: once it resolves they are committed, the consumer is gone and no timer is left', async () => {
    const before = timeouts();
    const logs: string[] = [];
    const { src, topic, group } = await open(logs);
    const disconnected = watchDisconnect(src);
    const acks = await holdAll(src);
    expect(acks.length).toBe(3);
    let resolved = false;
    const closing = src.close().then(() => (resolved = true));
    // the writes answer one by one while the source closes
    for (const ack of acks) {
      await sleep(300);
      expect(resolved).toBe(false);
      expect(disconnected()).toBe(false);
      await ack();
    }
    await closing;
    expect(disconnected()).toBe(true);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 30 });
    const stats = src.stats() as { kafka: { partitions: Record<string, { committed: number | null }> } };
    expect(Object.values(stats.kafka.partitions).map((p) => p.committed)).toEqual([30]);
    expect(timeouts()).toBeLessThanOrEqual(before);
    expect(logs.filter((l) => /not committed/.test(l))).toEqual([]);
  });

  it('gives up once no ack has come for 5 s: commits what was acked, disconnects, later acks commit nothing', async () => {
    const before = timeouts();
    const logs: string[] = [];
    const { src, topic, group } = await open(logs);
    const disconnected = watchDisconnect(src);
    const acks = await holdAll(src);
    await acks[0]!();
    const started = Date.now();
    await src.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    expect(disconnected()).toBe(true);
    expect(timeouts()).toBeLessThanOrEqual(before);
    expect(logs.some((l) => /no ack for 5 s while closing; 2 batch\(es\)/.test(l))).toBe(true);
    await acks[1]!();
    expect(logs.some((l) => /@19 were written after the source closed; they are not committed/.test(l))).toBe(true);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 10 });
  });

  it('with every batch acked before it, resolves without waiting', async () => {
    const logs: string[] = [];
    const { src, topic, group } = await open(logs);
    const acks = await holdAll(src);
    for (const ack of acks) await ack();
    const started = Date.now();
    await src.close();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 30 });
  });
});
