#!/usr/bin/env node
// Kafka throughput on loopback: records/s through recflow's Kafka sink (produce, acks from
// all replicas) and Kafka source (consumer group, commit per batch), with plain kafkajs
// alongside for scale. Broker: librdkafka's mock cluster (built from
// test/support/mock-cluster.c) or RECFLOW_TEST_KAFKA=host:port.
//
//   npm run build && node bench/kafka.mjs [--records 100000] [--batch 500]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { createKafkaSink } from '../dist/sinks/kafka.js';
import { createKafkaSource } from '../dist/sources/kafka.js';

const { Kafka, logLevel, Partitioners } = kafkajs;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('records', 100_000);
const BATCH = arg('batch', 500);
const PARTITIONS = 4;

async function broker() {
  if (process.env.RECFLOW_TEST_KAFKA) return { bootstrap: process.env.RECFLOW_TEST_KAFKA, createTopic: null, stop: async () => {} };
  const bin = `${ROOT}test/support/bin/mock-cluster`;
  if (!existsSync(bin)) {
    mkdirSync(`${ROOT}test/support/bin`, { recursive: true });
    execFileSync('gcc', ['-O2', '-o', bin, `${ROOT}test/support/mock-cluster.c`, '-lrdkafka']);
  }
  const child = spawn(bin, ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const bootstrap = (await lines.next()).value.replace(/^bootstrap /, '');
  return {
    bootstrap,
    createTopic: async (name) => {
      child.stdin.write(`topic ${name} ${PARTITIONS}\n`);
      const answer = (await lines.next()).value;
      if (!answer.startsWith('ok')) throw new Error(answer);
    },
    stop: async () => child.stdin.end('quit\n'),
  };
}

const record = (i) => ({ kind: 'customer', customer_id: `C${i}`, email: `user${i}@example.com`, first_name: 'Ada', country: 'DE', lifetime_value: i % 1000 });
const rate = (n, ms) => Math.round((n / ms) * 1000);
const ctx = { opts: { kafkaMaxWait: '100ms', kafkaSessionTimeout: '6s', kafkaBatch: String(BATCH), until: 'caught-up' }, env: {}, log: () => {}, debug: false };

async function main() {
  const b = await broker();
  const results = {};
  const topic = (name) => `bench-${name}-${Date.now().toString(36)}`;
  const ensure = async (t) => {
    if (b.createTopic) await b.createTopic(t);
    else {
      const admin = new Kafka({ brokers: b.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: t, numPartitions: PARTITIONS }], waitForLeaders: true });
      await admin.disconnect();
    }
  };

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
    await sink.write(recs);
  }
  results.recflowProduce = rate(N, performance.now() - start);
  await sink.close();

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
  if (n !== N) throw new Error(`consumed ${n} of ${N}`);
  results.recflowConsume = rate(N, end - first);
  results.recflowConsumeWithJoin = rate(N, end - start);

  // Plain kafkajs for scale: same batches, acks -1; eachBatch with auto commit.
  const kafka = new Kafka({ brokers: b.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const t2 = topic('raw');
  await ensure(t2);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  start = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) messages.push({ key: `C${j}`, value: JSON.stringify(record(j)) });
    await producer.send({ topic: t2, acks: -1, messages });
  }
  results.kafkajsProduce = rate(N, performance.now() - start);
  await producer.disconnect();
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
        if (n >= N) resolve();
      },
    });
  });
  results.kafkajsConsume = rate(N, performance.now() - first);
  await consumer.disconnect();
  await b.stop();

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
  console.log(`kafka bench: ${N} records, batches of ${BATCH}, ${PARTITIONS} partitions, ${process.env.RECFLOW_TEST_KAFKA ? 'RECFLOW_TEST_KAFKA' : 'librdkafka mock cluster'} on loopback; ${machine}`);
  console.log(`  recflow sink (acks=-1)          ${results.recflowProduce.toLocaleString('en')} rec/s`);
  console.log(`  recflow source (commit/batch)   ${results.recflowConsume.toLocaleString('en')} rec/s (${results.recflowConsumeWithJoin.toLocaleString('en')} rec/s counting the group join)`);
  console.log(`  kafkajs producer (acks=-1)      ${results.kafkajsProduce.toLocaleString('en')} rec/s`);
  console.log(`  kafkajs consumer (auto commit)  ${results.kafkajsConsume.toLocaleString('en')} rec/s`);
  console.log(JSON.stringify({ bench: 'kafka', records: N, batch: BATCH, partitions: PARTITIONS, machine, ...results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
