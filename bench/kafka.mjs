#!/usr/bin/env node
// Kafka throughput on loopback, in process: records/s through recflow's Kafka sink
// (produce, acks from all replicas) and Kafka source (consumer group, commit per batch),
// with plain kafkajs alongside for scale. Broker: librdkafka's mock cluster (built from
// test/support/mock-cluster.c) or RECFLOW_TEST_KAFKA=host:port. The CLI figures (file →
// Kafka, Kafka → file) are in `npm run bench` (bench/lib/kafka-cli.mjs).
//
//   npm run build && node bench/kafka.mjs [--records 200000] [--batch 500] [--partitions 8] [--json]
//
// The mock cluster keeps only ~4-5 MB per partition: with more records than that the
// oldest are deleted, so the consume figures are computed from what kcat counts in the
// topic, and the run says so when that is less than was produced. It also answers a fetch
// with one produced batch per partition (librdkafka 2.0), so consume rates here follow the
// producer's batch size (--batch / partitions records per fetched batch). RECFLOW_BIN: the build
// whose dist/ is timed (default this tree's).
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import kafkajs from 'kafkajs';
import { countTopic, startBroker } from './lib/kafka-broker.mjs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(dirname(resolve(process.env.RECFLOW_BIN ?? join(ROOT, 'bin', 'recflow.js'))), '..', 'dist');
const { createKafkaSink } = await import(pathToFileURL(join(DIST, 'sinks', 'kafka.js')).href);
const { createKafkaSource } = await import(pathToFileURL(join(DIST, 'sources', 'kafka.js')).href);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('records', 200_000);
const BATCH = arg('batch', 500);
const PARTITIONS = arg('partitions', 8);
const JSON_ONLY = process.argv.includes('--json');

const record = (i) => ({ kind: 'customer', customer_id: `C${i}`, email: `user${i}@example.com`, first_name: 'Ada', country: 'DE', lifetime_value: i % 1000 });
const rate = (n, ms) => Math.round((n / ms) * 1000);
const KIND = { kind: 'customer' };
const ctx = { opts: { kafkaMaxWait: '100ms', kafkaSessionTimeout: '6s', kafkaBatch: String(BATCH), until: 'caught-up' }, env: {}, log: () => {}, debug: false };

async function main() {
  const b = await startBroker(ROOT);
  const results = {};
  const topic = (name) => `bench-${name}-${Date.now().toString(36)}`;
  const ensure = (t) => b.createTopic(t, PARTITIONS);

  // recflow sink: write() resolves once the brokers acknowledged the batch.
  const t1 = topic('sink');
  await ensure(t1);
  const sink = await createKafkaSink(`kafka://${b.bootstrap}/${t1}`, ctx);
  let start = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const recs = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const value = record(j);
      recs.push({ value, raw: value, source: 'bench', line: j, origin: 'bench', pos: j, kind: 'customer' });
    }
    await sink.write({ records: recs, streaming: false });
  }
  results.recflowProduce = rate(N, performance.now() - start);
  await sink.close();
  // what the topic holds (the mock cluster may have deleted the oldest segments)
  const held = countTopic(b.bootstrap, t1);
  results.held = held;
  const expect = Number.isNaN(held) ? N : held;

  // recflow source: consumer group, a commit per batch of --batch records, until caught up.
  start = performance.now();
  const source = await createKafkaSource(`kafka://${b.bootstrap}/${t1}`, { ...ctx, opts: { ...ctx.opts, group: `g-${t1}` } });
  let n = 0;
  let first = 0;
  for await (const batch of source.batches()) {
    if (!first) first = performance.now();
    n += batch.records.length;
    await batch.ack();
  }
  const end = performance.now();
  await source.close();
  if (n !== expect) throw new Error(`consumed ${n}, the topic holds ${expect}`);
  results.recflowConsume = rate(n, end - first);
  results.recflowConsumeWithJoin = rate(n, end - start);
  results.joinMs = Math.round(first - start);

  // Plain kafkajs for scale: the same messages (key, JSON value, kind header) in the same
  // batches, acks -1; eachBatch with auto commit.
  const kafka = new Kafka({ brokers: b.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const t2 = topic('raw');
  await ensure(t2);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  start = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) messages.push({ key: `C${j}`, value: JSON.stringify(record(j)), headers: KIND });
    await producer.send({ topic: t2, acks: -1, messages });
  }
  results.kafkajsProduce = rate(N, performance.now() - start);
  await producer.disconnect();
  const held2 = countTopic(b.bootstrap, t2);
  const expect2 = Number.isNaN(held2) ? N : held2;
  results.heldRaw = held2;
  const consumer = kafka.consumer({ groupId: `g-${t2}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: t2, fromBeginning: true });
  n = 0;
  first = 0;
  await new Promise((resolve) => {
    consumer.run({
      eachBatch: async ({ batch }) => {
        if (!first) first = performance.now();
        for (const m of batch.messages) JSON.parse(m.value.toString());
        n += batch.messages.length;
        if (n >= expect2) resolve();
      },
    });
  });
  results.kafkajsConsume = rate(n, performance.now() - first);
  await consumer.disconnect();
  await b.stop();

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
  const json = JSON.stringify({ bench: 'kafka', records: N, held, batch: BATCH, partitions: PARTITIONS, machine, ...results });
  if (JSON_ONLY) return console.log(json);
  console.log(`kafka bench: ${N} records, batches of ${BATCH}, ${PARTITIONS} partitions, ${process.env.RECFLOW_TEST_KAFKA ? 'RECFLOW_TEST_KAFKA' : 'librdkafka mock cluster'} on loopback; ${machine}`);
  console.log(`  the topics hold ${held} (recflow sink) and ${held2} (kafkajs producer) of the ${N} records produced, counted by kcat${held < N || held2 < N ? ': the mock cluster deleted the oldest; the consume rates count what the topics hold' : ''}`);
  console.log(`  recflow sink (acks=-1)          ${results.recflowProduce.toLocaleString('en')} rec/s`);
  console.log(`  recflow source (commit/batch)   ${results.recflowConsume.toLocaleString('en')} rec/s (${results.recflowConsumeWithJoin.toLocaleString('en')} rec/s counting the ${results.joinMs} ms to the first batch: group join)`);
  console.log(`  kafkajs producer (acks=-1)      ${results.kafkajsProduce.toLocaleString('en')} rec/s`);
  console.log(`  kafkajs consumer (auto commit)  ${results.kafkajsConsume.toLocaleString('en')} rec/s`);
  console.log(json);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
