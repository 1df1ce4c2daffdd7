// Deep, long and unusual Kafka messages through the built CLI (librdkafka's mock
// cluster, test/support/kafka.ts): each is dead-lettered or written as read, and
// the partition moves on (its offset committed past them), so no message is a
// poison pill that stops every run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { committedOffsets, KAFKA_TEST_ENV, kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka record tests');
const ENV = KAFKA_TEST_ENV;

describe.skipIf(!kafkaOk)('Kafka messages that are deep, long or hold odd numbers', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-records-');

  it('are dead-lettered (parse_error / too_long) or kept as read, and the offsets are committed past them', async () => {
    const topic = uniqueName('odd');
    await kafka.createTopic(topic, 1);
    const deep = `{"customer_id":"D1","email":"d@x.io","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const long = `{"customer_id":"L1","email":"l@x.io","pad":"${'p'.repeat(20_000)}"}`;
    const nums = '{"customer_id":"N1","email":"n@x.io","big":12345678901234567890123,"inf":1e999,"z":-0,"f":1.0,"e":1E5}';
    await produce(kafka.bootstrap, topic, [
      { value: deep },
      { value: long },
      { value: nums },
      { value: '{"customer_id":"N2","email":"bad","f":1.0}' },
      { value: '{"customer_id":"A1","email":"a@x.io"}' },
    ]);
    const group = uniqueName('g');
    const dlq = join(tmp.dir, 'dlq.ndjson');
    const res = await runCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', group, '--until', 'caught-up', '--dlq', dlq, '--max-record-bytes', '12k'], {
      env: ENV,
      timeoutMs: 60_000,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(
      '{"kind":"customer","customer_id":"N1","email":"n@x.io","big":12345678901234567890123,"inf":1e999,"z":-0,"f":1.0,"e":1E5}\n' +
        '{"kind":"customer","customer_id":"A1","email":"a@x.io"}\n',
    );
    const rows = readFileSync(dlq, 'utf8').trim().split('\n');
    const parsed = rows.map((l) => JSON.parse(l) as { source: string; errors: { code: string; message: string }[]; record: unknown });
    expect(parsed.map((r) => [r.source, r.errors[0]!.code])).toEqual([
      [`kafka:${topic}/0@0`, 'parse_error'],
      [`kafka:${topic}/0@1`, 'too_long'],
      [`kafka:${topic}/0@3`, 'invalid_email'],
    ]);
    expect(parsed[0]!.errors[0]!.message).toMatch(/nested deeper than 1000/);
    expect(parsed[1]!.record).toBe(long.slice(0, 200));
    expect(rows[2]).toContain('"record":{"customer_id":"N2","email":"bad","f":1.0}');
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 5 });
  });

  it('the Kafka sink writes pass-through numbers as read (file → Kafka → stdout)', async () => {
    const topic = uniqueName('nums');
    await kafka.createTopic(topic, 1);
    const line = '{"customer_id":"N1","email":"n@x.io","big":12345678901234567890123,"n":{"f":[1.0,-0,1E5,1e999]}}';
    const input = join(tmp.dir, 'nums.ndjson');
    writeFileSync(input, `${line}\n`);
    const up = await runCli(['run', input, '--stage', 'validate', '--to', `kafka://${kafka.bootstrap}/${topic}`], { env: ENV, timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(0);
    const down = await runCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', uniqueName('g'), '--until', 'caught-up', '--no-validate'], {
      env: ENV,
      timeoutMs: 60_000,
    });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe(`${line}\n`);
  });
});
