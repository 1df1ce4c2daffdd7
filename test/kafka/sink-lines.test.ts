// The Kafka sink takes the lines the workers encode, with the keys and kinds they give
// (PieceTask.keys): the topic then holds exactly what the records path writes (one thread,
// RECFLOW_WORKERS=0): values byte for byte, keys, headers, partitions, order. Refused
// records come back by index; a broker that fails leaves the rest undelivered.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSink, createKafkaSink, type KeyedLines } from '../../src/sinks/kafka.js';
import { PieceWork, type PieceTask } from '../../src/pipeline/parallel/piece.js';
import { parseKafkaOptions } from '../../src/kafka/options.js';
import { useContracts } from '../../src/contract/contracts.js';
import type { ComponentContext } from '../../src/pipeline/types.js';
import { SinkFailure } from '../../src/errors.js';
import type { Sink } from '../../src/pipeline/types.js';
import { ROOT, runCli, tempDir } from '../support/cli.js';
import { hasKcat, kafkaAvailability, kcatConsume, startKafka, uniqueName, type KcatMessage, type TestKafka } from '../support/kafka.js';

const avail = kafkaAvailability();
if (!avail.ok) console.warn(`skipping Kafka sink lines tests: ${avail.reason}`);
const kcat = avail.ok && hasKcat();
const ENV = { RECFLOW_KAFKA_TIMEOUT: '5s' };
const ctx: ComponentContext = { opts: { kafkaTimeout: '5s' }, env: {}, log: () => {}, debug: false };

/** Customers and inventory, with and without a kind field, odd text and numbers, and rejects. */
function input(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 41 === 3) rows.push(JSON.stringify({ customer_id: `C${i}`, email: 'not-an-email' }));
    else if (i % 3 === 0) rows.push(JSON.stringify({ kind: 'inventory', sku: `SKU-${i}`, product_name: `Kessel ☕ ${i}`, category: 'Kitchen', warehouse_id: 'WH-01', quantity: i % 500, unit_price: '9.99', updated_at: '2025-01-01T00:00:00Z' }));
    else if (i % 3 === 1) rows.push(`{"customer_id":"C${i}","email":"u${i}@example.com","first_name":"Zoë \\u00e9 \\"q\\"","country":"de","lifetime_value":${i}.50,"big":12345678901234567890123}`);
    else rows.push(JSON.stringify({ kind: 'customer', customer_id: `C${i}`, email: `v${i}@example.com`, country: 'FR' }));
  }
  return rows.join('\n') + '\n';
}

/** The lines a worker gives for this input: one piece per `pieceBytes`, cut at line ends. */
function pieces(text: string, pieceBytes: number): KeyedLines[] {
  const all = Buffer.from(text);
  const out: KeyedLines[] = [];
  let line = 1;
  for (let from = 0; from < all.length; ) {
    let to = all.indexOf(10, Math.min(all.length - 1, from + pieceBytes)) + 1;
    if (to === 0) to = all.length;
    const bytes = Buffer.from(all.subarray(from, to));
    const task: PieceTask = {
      id: out.length, source: 'in.ndjson', origin: 'in.ndjson', format: 'ndjson', bytes, chunkEnds: [bytes.length], line,
      first: from === 0, final: to === all.length, header: null, write: true, split: false, lines: true, keys: true,
    };
    const res = new PieceWork(task, Buffer.allocUnsafeSlow, null).run();
    if (res instanceof Promise) throw new Error('the contract alone answers at once');
    out.push({ origin: 'in.ndjson', bytes: res.out!, count: res.keptTotal, ends: res.ends!, pos: res.pos!, keys: res.keys!, kinds: res.kinds! });
    line += bytes.toString().split('\n').length - 1;
    from = to;
  }
  return out;
}

const shape = (m: KcatMessage) => ({ partition: m.partition, offset: m.offset, key: m.key, payload: m.payload, headers: m.headers });
const byPlace = (a: KcatMessage, b: KcatMessage) => a.partition - b.partition || a.offset - b.offset;

describe.skipIf(!kcat)('Kafka sink: lines from the workers', () => {
  let kafka: TestKafka;
  const tmp = tempDir('recflow-kafka-lines-');
  beforeAll(async () => {
    kafka = await startKafka();
  });
  afterAll(async () => {
    await kafka?.stop();
    tmp.cleanup();
  });

  /** What one thread writes for this input into `topic` (the records path). */
  async function oneThread(file: string, topic: string, extra: string[] = []): Promise<KcatMessage[]> {
    const res = await runCli(['run', file, ...extra, '--to', `kafka://${kafka.bootstrap}/${topic}`, '-q'], { env: { ...ENV, RECFLOW_WORKERS: '0' } });
    expect(res.code, res.stderr).toBe(0);
    return kcatConsume(kafka.bootstrap, topic).sort(byPlace);
  }

  async function viaLines(lines: KeyedLines[], topic: string): Promise<KcatMessage[]> {
    const sink = await createKafkaSink(`kafka://${kafka.bootstrap}/${topic}`, ctx);
    expect(sink.encoded).toBe('ndjson-keyed');
    for (const l of lines) expect(await sink.write({ lines: l, streaming: false })).toEqual({});
    await sink.close();
    return kcatConsume(kafka.bootstrap, topic).sort(byPlace);
  }

  it('built-in kinds: the same messages as one thread, value bytes, keys, headers and partitions', async () => {
    const text = input(3000);
    const file = join(tmp.dir, 'mixed.ndjson');
    writeFileSync(file, text);
    const [a, b] = [uniqueName('one'), uniqueName('lines')];
    await kafka.createTopic(a, 3);
    await kafka.createTopic(b, 3);
    const want = await oneThread(file, a);
    const got = await viaLines(pieces(text, 16 * 1024), b);
    expect(want.length).toBe(3000 - Math.ceil((3000 - 3) / 41));
    expect(got.map(shape)).toEqual(want.map(shape));
    // the cases that matter are there: both kinds, keys, a big number as read
    expect(new Set(got.map((m) => m.headers?.[1]))).toEqual(new Set(['customer', 'inventory']));
    expect(got.every((m) => m.key !== null)).toBe(true);
    expect(got.some((m) => m.payload!.includes('12345678901234567890123'))).toBe(true);
  }, 90_000);

  it('a kind declared in a contract file: keyed by its key fields, as one thread keys it', async () => {
    const contract = join(ROOT, 'examples', 'orders.contract.yaml');
    await useContracts([contract], undefined);
    const text = Array.from({ length: 40 }, (_, i) => `{"order_id":"O${100000 + i}","customer_id":"C${1000 + (i % 7)}","sku":"SKU-${i}","quantity":${1 + (i % 4)},"amount":"${i}.90","currency":"EUR","status":"open","ordered_at":"2026-11-30T09:15:00Z"}`).join('\n') + '\n';
    const file = join(tmp.dir, 'orders.ndjson');
    writeFileSync(file, text);
    const [a, b] = [uniqueName('orders-one'), uniqueName('orders-lines')];
    await kafka.createTopic(a, 2);
    await kafka.createTopic(b, 2);
    const want = await oneThread(file, a, ['--contract', contract]);
    const got = await viaLines(pieces(text, 512), b);
    expect(want.length).toBe(40);
    expect(got.map(shape)).toEqual(want.map(shape));
    expect(got[0]!.headers).toEqual(['kind', 'order']);
  }, 60_000);

  it('file → Kafka on the parallel engine: the topic holds what one thread writes', async () => {
    const file = join(tmp.dir, 'engine.ndjson');
    writeFileSync(file, input(2500)); // (kcat's output stays under spawnSync's 1 MB buffer)
    const [a, b] = [uniqueName('engine-one'), uniqueName('engine-many')];
    await kafka.createTopic(a, 3);
    await kafka.createTopic(b, 3);
    const want = await oneThread(file, a);
    const res = await runCli(['run', file, '--to', `kafka://${kafka.bootstrap}/${b}`, '-q'], { env: { ...ENV, RECFLOW_WORKERS: '2', RECFLOW_CHUNK_BYTES: '4096', RECFLOW_EXPLAIN: '1' } });
    expect(res.code, res.stderr).toBe(0);
    // the workers' lines go to the sink as they are (not records handed to the main thread)
    expect(res.stderr).toMatch(/parallel runner: 2 worker thread\(s\) and the main thread, pieces of 4096 bytes; stages in the workers: the contract \(fused\)\n/);
    const got = kcatConsume(kafka.bootstrap, b).sort(byPlace);
    expect(got.length).toBeGreaterThan(2400);
    expect(got.map(shape)).toEqual(want.map(shape));
    // on its own choice (RECFLOW_WORKERS unset): the contract alone stays on one thread (measured faster)
    const auto = await runCli(['run', file, '--to', `kafka://${kafka.bootstrap}/${uniqueName('engine-auto')}`, '-q'], { env: { ...ENV, RECFLOW_WORKERS: undefined, RECFLOW_EXPLAIN: '1' } });
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).toMatch(/sequential runner: the contract alone before the kafka:\/\/\S+ sink: one thread is faster/);
  }, 90_000);
});

/** A connected sink whose producer is this fake (no broker). */
function fakeSink(sendBatch: (req: { topicMessages: { topic: string; messages: { value: Buffer | string }[] }[] }) => Promise<unknown>): Sink {
  const sink = new KafkaSink('kafka://fake:9092/t', ['fake:9092'], 't', parseKafkaOptions({ kafkaTimeout: '1s' }, {}), ctx);
  Object.assign(sink, { producer: { sendBatch, disconnect: async () => {} }, connected: true });
  return sink;
}

const tooLarge = (): Error => Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' });

describe('Kafka sink: refusals and failures by line', () => {
  const [lines] = pieces(input(12), 1 << 20);

  it('a record the brokers refuse comes back by index; the others are sent, in order', async () => {
    const sent: string[] = [];
    const sink = fakeSink(async ({ topicMessages }) => {
      const values = topicMessages.flatMap((t) => t.messages.map((m) => m.value.toString()));
      if (values.length > 1 && values.some((v) => v.includes('"C7"'))) throw tooLarge();
      if (values.length === 1 && values[0]!.includes('"C7"')) throw tooLarge();
      sent.push(...values);
    });
    const res = await sink.write({ lines: lines!, streaming: false });
    const at = lines!.keys!.indexOf('C7');
    expect(at).toBeGreaterThan(0);
    expect(res.refused).toEqual([{ from: at, to: at + 1, code: 'kafka_rejected', message: expect.stringContaining('Kafka refused the record for topic t') }]);
    expect(res.failure).toBeUndefined();
    expect(sent.length).toBe(lines!.count - 1);
    expect(sent.some((v) => v.includes('"C7"'))).toBe(false);
  });

  it('a broker that fails: every line is refused as delivery_failed, with the failure', async () => {
    const sink = fakeSink(async () => {
      throw new Error('Connection error: ECONNREFUSED');
    });
    const res = await sink.write({ lines: lines!, streaming: false });
    expect(res.failure?.code).toBe('sink');
    expect(res.refused).toEqual([{ from: 0, to: lines!.count, code: 'delivery_failed', message: res.failure!.message }]);
  });

  it('records: a refused one comes back by index; a broker that fails refuses every record as delivery_failed, with the failure', async () => {
    const recs = [0, 1, 2].map((i) => ({ value: { kind: 'customer', customer_id: `C${i}` }, raw: { customer_id: `C${i}` }, source: 'in', line: i + 1, origin: 'in', pos: i + 1, kind: 'customer' }));
    const refusing = fakeSink(async ({ topicMessages }) => {
      if (topicMessages.some((t) => t.messages.some((m) => m.value.toString().includes('"C1"')))) throw tooLarge();
    });
    const res = await refusing.write({ records: recs, streaming: false });
    expect(res.refused).toEqual([{ from: 1, to: 2, code: 'kafka_rejected', message: expect.stringContaining('Kafka refused the record') }]);
    const failing = fakeSink(async () => {
      throw new Error('Connection error: ECONNREFUSED');
    });
    const failed = await failing.write({ records: recs, streaming: false });
    expect(failed.failure).toBeInstanceOf(SinkFailure);
    expect(failed.refused).toEqual([{ from: 0, to: recs.length, code: 'delivery_failed', message: failed.failure!.message }]);
  });

  it('close() twice gives the first call its promise back', async () => {
    const sink = fakeSink(async () => {});
    const first = sink.close();
    expect(sink.close()).toBe(first);
    await first;
  });
});
