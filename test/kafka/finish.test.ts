// How a Kafka run ends: once every record is read, written and committed, the process
// leaves the group and exits; it does not wait out a long fetch (--kafka-max-wait).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { committedOffsets, KAFKA_TEST_ENV, kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka finish tests');

/** Far longer than a run takes: a run that waited for one such fetch would hit the test's bound. */
const LONG_WAIT = { ...KAFKA_TEST_ENV, RECFLOW_KAFKA_MAX_WAIT: '20s', RECFLOW_KAFKA_TIMEOUT: '30s', RECFLOW_KAFKA_SESSION_TIMEOUT: '30s' };
const BOUND_MS = 15_000;

const customer = (i: number): string => JSON.stringify({ customer_id: `F${i}`, email: `f${i}@example.com`, country: 'DE' });

describe.skipIf(!kafkaOk)('the end of a Kafka run', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-finish-');
  const addr = (topic: string): string => `kafka://${kafka.bootstrap}/${topic}`;

  it('--until caught-up exits once everything is read and committed, without waiting out --kafka-max-wait', async () => {
    const topic = uniqueName('fin');
    const group = uniqueName('g');
    // three partitions, one left empty (caught up from the start)
    await kafka.createTopic(topic, 3);
    await produce(kafka.bootstrap, topic, Array.from({ length: 60 }, (_, i) => ({ value: customer(i), partition: i % 2 })));
    const out = join(tmp.dir, 'fin.ndjson');
    const started = Date.now();
    const res = await runCli(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', out], { env: LONG_WAIT, timeoutMs: BOUND_MS });
    const took = Date.now() - started;
    expect(res.code, res.stderr).toBe(0);
    expect(took).toBeLessThan(BOUND_MS);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(60);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 30, 1: 30, 2: -1 });
  }, 90_000);

  it('--until caught-up on an empty topic exits at once: empty output, nothing committed', async () => {
    const topic = uniqueName('fin-empty');
    const group = uniqueName('g');
    await kafka.createTopic(topic, 2);
    const out = join(tmp.dir, 'fin-empty.ndjson');
    const started = Date.now();
    const res = await runCli(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', out], { env: LONG_WAIT, timeoutMs: BOUND_MS });
    const took = Date.now() - started;
    expect(res.code, res.stderr).toBe(0);
    expect(took).toBeLessThan(BOUND_MS);
    expect(readFileSync(out, 'utf8')).toBe('');
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: -1, 1: -1 });
  }, 90_000);

  it('--until caught-up exits at once when the group has already committed everything (second run)', async () => {
    const topic = uniqueName('fin-again');
    const group = uniqueName('g');
    await kafka.createTopic(topic, 2);
    await produce(kafka.bootstrap, topic, Array.from({ length: 20 }, (_, i) => ({ value: customer(i), partition: i % 2 })));
    const first = join(tmp.dir, 'fin-again-1.ndjson');
    const res1 = await runCli(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', first], { env: LONG_WAIT, timeoutMs: BOUND_MS });
    expect(res1.code, res1.stderr).toBe(0);
    expect(readFileSync(first, 'utf8').trim().split('\n')).toHaveLength(20);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 10, 1: 10 });
    const second = join(tmp.dir, 'fin-again-2.ndjson');
    const started = Date.now();
    const res2 = await runCli(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', second], { env: LONG_WAIT, timeoutMs: BOUND_MS });
    const took = Date.now() - started;
    expect(res2.code, res2.stderr).toBe(0);
    expect(took).toBeLessThan(BOUND_MS);
    expect(readFileSync(second, 'utf8')).toBe('');
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 10, 1: 10 });
  }, 90_000);

  it('file → Kafka → file (--max-records) the same way: every record once, commits where it stopped', async () => {
    const topic = uniqueName('fin-max');
    const group = uniqueName('g');
    await kafka.createTopic(topic, 2);
    const input = join(tmp.dir, 'in.ndjson');
    writeFileSync(input, Array.from({ length: 40 }, (_, i) => customer(i)).join('\n') + '\n');
    expect((await runCli(['run', input, '--to', addr(topic)], { env: KAFKA_TEST_ENV })).code).toBe(0);
    const out = join(tmp.dir, 'fin-max.ndjson');
    const res = await runCli(['run', addr(topic), '--group', group, '--max-records', '40', '--to', out], { env: LONG_WAIT, timeoutMs: BOUND_MS });
    expect(res.code, res.stderr).toBe(0);
    const ids = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { customer_id: string }).customer_id);
    expect(ids.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `F${i}`).sort());
    const committed = await committedOffsets(kafka.bootstrap, group, topic);
    expect(committed[0]! + committed[1]!).toBe(40);
  }, 90_000);
});
