// A Kafka sink that gives up mid-run: what it delivered counts as written, the rest is
// dead-lettered as delivery_failed (in input order), and the run fails with exit 3. First
// through the sequential Runner with a fake producer (exact counts and rows, a write that
// fails part way included), then through the CLI against the mock cluster, on one thread
// and on the parallel engine: the topic holds exactly what the summary counts as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/errors.js';
import { KafkaSink } from '../../src/sinks/kafka.js';
import { parseKafkaOptions } from '../../src/kafka/options.js';
import { Runner } from '../../src/pipeline/runner.js';
import { RunStats } from '../../src/pipeline/stats.js';
import type { DeadLetter } from '../../src/pipeline/dlq.js';
import type { ComponentContext } from '../../src/pipeline/types.js';
import type { Rec, Rejected, Source, SourceBatch } from '../../src/pipeline/types.js';
import { collect, ndjsonLines, spawnCli, tempDir } from '../support/cli.js';
import { endOffsets, KAFKA_TEST_ENV, kafkaTestsRun, startKafka, uniqueName } from '../support/kafka.js';

const ctx: ComponentContext = { opts: { kafkaTimeout: '1s' }, env: {}, log: () => {}, debug: false };

type Send = (req: { topicMessages: { topic: string; messages: { value: Buffer | string }[] }[] }) => Promise<unknown>;

/** A connected sink whose producer is this fake (no broker). */
function fakeSink(template: string, sendBatch: Send): KafkaSink {
  const sink = new KafkaSink(`kafka://fake:9092/${template}`, ['fake:9092'], template, parseKafkaOptions({ kafkaTimeout: '1s' }, {}), ctx);
  Object.assign(sink, { producer: { sendBatch, disconnect: async () => {} }, connected: true });
  return sink;
}

/** Record at line n: a customer, or (with mixed) an inventory item on every odd line. */
function rec(n: number, mixed = false): Rec {
  const kind = mixed && n % 2 === 1 ? 'inventory' : 'customer';
  const raw = kind === 'customer' ? { customer_id: `C${n}` } : { sku: `S${n}` };
  return { value: { kind, ...raw }, raw, source: 'in.ndjson', line: n, origin: 'in.ndjson', pos: n, kind };
}

/** Batches of records by line number; stops yielding once stopped. */
function source(lines: number[][], mixed = false): Source & { read: number } {
  let stopped = false;
  const src = {
    name: 'in.ndjson',
    read: 0,
    stop: () => void (stopped = true),
    async *batches(): AsyncGenerator<SourceBatch> {
      for (const b of lines) {
        if (stopped) return;
        src.read += b.length;
        yield { records: b.map((n) => rec(n, mixed)), rejected: [] };
      }
    },
  };
  return src;
}

function collectingDlq(): DeadLetter & { rows: Rejected[] } {
  const rows: Rejected[] = [];
  return { rows, write: (r) => void rows.push(...r), flush: async () => {}, sync: async () => {}, needsDrain: () => false, close: async () => {} };
}

const values = (req: Parameters<Send>[0]): string[] => req.topicMessages.flatMap((t) => t.messages.map((m) => m.value.toString()));
const refusedErr = (): Error => Object.assign(new Error('message too large'), { type: 'MESSAGE_TOO_LARGE' });
const downErr = (): Error => new Error('Connection error: ECONNREFUSED');

async function runWith(sink: KafkaSink, src: Source & { read: number }) {
  const stats = new RunStats();
  const dlq = collectingDlq();
  const outcome = await new Runner({ sources: [src], stages: [], sink, dlq, stats }).run();
  return { outcome, stats, dlq, read: src.read };
}

describe('Kafka sink gives up: the sequential runner', () => {
  it('a broker that fails on a whole write: that write is dead-lettered, what came before is written, exit 3', async () => {
    let sends = 0;
    const delivered: string[] = [];
    const sink = fakeSink('out', async (req) => {
      if (++sends >= 2) throw downErr();
      delivered.push(...values(req));
    });
    const r = await runWith(sink, source([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]));
    expect(r.outcome.failure?.code).toBe('sink');
    expect(exitCodeFor(r.outcome.failure)).toBe(3);
    expect(r.outcome.failure!.message).toBe('Kafka at fake:9092 failed to write to topic out: Connection error: ECONNREFUSED');
    expect(delivered.length).toBe(4);
    expect(r.stats.recordsOut).toBe(4);
    expect(r.stats.failed).toBe(4);
    expect(r.stats.recordsIn).toBe(r.stats.recordsOut + r.stats.failed);
    expect(r.dlq.rows.map((row) => row.line)).toEqual([5, 6, 7, 8]);
    expect(r.dlq.rows[0]).toEqual({ source: 'in.ndjson', line: 5, kind: 'customer', errors: [{ field: null, code: 'delivery_failed', message: r.outcome.failure!.message }], record: { customer_id: 'C5' } });
  });

  it('a write that fails part way (one by one after a refusal): the delivered part is written, the rest dead-lettered', async () => {
    let singles = 0;
    const delivered: string[] = [];
    const sink = fakeSink('out', async (req) => {
      const v = values(req);
      if (v.length > 1 && v.some((x) => x.includes('"C7"'))) throw refusedErr(); // one by one from here
      if (v.length === 1 && ++singles >= 3) throw downErr(); // the broker goes before C7 is reached
      delivered.push(...v);
    });
    const r = await runWith(sink, source([[1, 2, 3], [4, 5, 6, 7, 8], [9]]));
    expect(exitCodeFor(r.outcome.failure)).toBe(3);
    expect(delivered.map((v) => (JSON.parse(v) as { customer_id: string }).customer_id)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5']);
    expect(r.stats.recordsOut).toBe(5);
    expect(r.stats.failed).toBe(3);
    expect(r.stats.rejected).toBe(0);
    expect(r.dlq.rows.map((row) => [row.line, row.errors[0]!.code])).toEqual([[6, 'delivery_failed'], [7, 'delivery_failed'], [8, 'delivery_failed']]);
    expect(r.dlq.rows.every((row) => row.errors[0]!.message === r.outcome.failure!.message)).toBe(true);
  });

  it('refused records before the failure: kafka_rejected rows first, then the undelivered ones', async () => {
    let singles = 0;
    const sink = fakeSink('out', async (req) => {
      const v = values(req);
      if (v.some((x) => x.includes('"C2"'))) throw refusedErr();
      if (v.length === 1 && ++singles >= 3) throw downErr();
    });
    const r = await runWith(sink, source([[1, 2, 3, 4, 5]]));
    expect(exitCodeFor(r.outcome.failure)).toBe(3);
    expect(r.stats.recordsOut).toBe(2); // C1, C3
    expect(r.stats.rejected).toBe(1);
    expect(r.stats.failed).toBe(2);
    expect(r.dlq.rows.map((row) => [row.line, row.errors[0]!.code])).toEqual([[2, 'kafka_rejected'], [4, 'delivery_failed'], [5, 'delivery_failed']]);
  });

  it('{kind} topics: a write that fails part way dead-letters the rest of every topic', async () => {
    const sent: string[] = [];
    let singles = 0;
    const sink = fakeSink('out-{kind}', async (req) => {
      if (req.topicMessages.length > 1) throw refusedErr();
      if (++singles >= 3) throw downErr();
      sent.push(`${req.topicMessages[0]!.topic}:${values(req)[0]}`);
    });
    const r = await runWith(sink, source([[1, 2, 3, 4, 5, 6]], true));
    expect(exitCodeFor(r.outcome.failure)).toBe(3);
    // one by one, topic after topic, in the order kinds are met: inventory (odd lines) first
    expect(sent.map((s) => s.split(':')[0])).toEqual(['out-inventory', 'out-inventory']);
    expect(r.stats.recordsOut).toBe(2);
    expect(r.stats.failed).toBe(4);
    // in input order, as the parallel engine's lines path writes them
    expect(r.dlq.rows.map((row) => row.line)).toEqual([2, 4, 5, 6]);
  });
});

const kafkaOk = kafkaTestsRun('Kafka sink give-up tests');

describe('Kafka sink gives up: the writes queued behind it', () => {
  it('fail at once with the same failure, sending nothing, every record delivery_failed', async () => {
    let sends = 0;
    const sink = fakeSink('out', async () => {
      sends++;
      throw downErr();
    });
    const batch = (ns: number[]) => ({ records: ns.map((n) => rec(n)), streaming: false });
    const first = await sink.write(batch([1, 2, 3]));
    expect(first.failure).toBeDefined();
    const sent = sends;
    // e.g. the pieces the parallel engine had queued: each would otherwise wait out its own timeouts
    const second = await sink.write(batch([4, 5]));
    expect(sends).toBe(sent);
    expect(second.failure).toBe(first.failure);
    expect(second.refused).toEqual([{ from: 0, to: 2, code: 'delivery_failed', message: first.failure!.message }]);
    await sink.close();
  });

  it('writes already queued when the first gives up do not send either', async () => {
    let sends = 0;
    const sink = fakeSink('out', async () => {
      sends++;
      throw downErr();
    });
    const batch = (ns: number[]) => ({ records: ns.map((n) => rec(n)), streaming: false });
    // all three handed over before the first one fails, as the parallel engine's pieces are
    const [a, b, c] = await Promise.all([sink.write(batch([1, 2])), sink.write(batch([3])), sink.write(batch([4, 5, 6]))]);
    expect(sends).toBe(1);
    expect(b.failure).toBe(a.failure);
    expect(c.failure).toBe(a.failure);
    expect(b.refused).toEqual([{ from: 0, to: 1, code: 'delivery_failed', message: a.failure!.message }]);
    expect(c.refused).toEqual([{ from: 0, to: 3, code: 'delivery_failed', message: a.failure!.message }]);
    await sink.close();
  });
});

describe.skipIf(!kafkaOk || Boolean(process.env.RECFLOW_TEST_KAFKA))('Kafka sink gives up: the CLI, brokers down mid-run', () => {
  const tmp = tempDir('recflow-kafka-giveup-');
  afterAll(() => tmp.cleanup());
  const line = (i: number): string => JSON.stringify({ customer_id: `C${i}`, email: `u${i}@example.com`, country: 'de' });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  for (const workers of ['0', '2']) {
    it(`RECFLOW_WORKERS=${workers}: exit 3; written = what the topic holds; the rest dead-lettered as delivery_failed`, async () => {
      const own = await startKafka();
      try {
        const topic = uniqueName('giveup');
        await own.createTopic(topic, 2);
        const dlq = join(tmp.dir, `dlq-${workers}.ndjson`);
        const summary = join(tmp.dir, `summary-${workers}.json`);
        const env = { ...KAFKA_TEST_ENV, RECFLOW_KAFKA_TIMEOUT: '3s', RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '4096' };
        const child = spawnCli(['run', '-', '--format', 'ndjson', '--to', `kafka://${own.bootstrap}/${topic}`, '--dlq', dlq, '--summary-json', summary, '-q'], { env });
        const done = collect(child, { keepStdinOpen: true, timeoutMs: 100_000 });
        // enough lines for whole pieces on the engine (RECFLOW_CHUNK_BYTES), whose last one waits for more
        child.stdin!.write(Array.from({ length: 3000 }, (_, i) => line(i)).join('\n') + '\n');
        const held = async (): Promise<number> => Object.values(await endOffsets(own.bootstrap, topic)).reduce((a, b) => a + b, 0);
        // down once something was delivered and no send is in flight (the count holds still)
        for (let t = 0, last = -1, now = 0; (now = await held()) === 0 || now !== last; t++, last = now) {
          if (t > 100) throw new Error('the first records never reached the topic');
          await sleep(300);
        }
        await own.setDown(-1);
        child.stdin!.write(Array.from({ length: 100 }, (_, i) => line(3000 + i)).join('\n') + '\n');
        await sleep(200);
        child.stdin!.end();
        const res = await done;
        expect(res.code, res.stderr).toBe(3);
        expect(res.stderr).toMatch(/Kafka at 127\.0\.0\.1:\d+/);
        await own.setUp(-1);
        const s = JSON.parse(readFileSync(summary, 'utf8')) as { exitCode: number; records: { in: number; out: number; rejected: number; failed: number } };
        const rows = ndjsonLines(readFileSync(dlq, 'utf8')) as Rejected[];
        expect(s.exitCode).toBe(3);
        expect(s.records.out).toBeGreaterThan(0);
        expect(s.records.out).toBe(await held()); // nothing counted written that is not on the topic, nor the reverse
        expect(s.records.failed).toBeGreaterThan(0);
        expect(s.records.rejected).toBe(0);
        expect(s.records.in).toBe(s.records.out + s.records.failed);
        // the first `out` lines were delivered; every later line read is dead-lettered once, in input order
        expect(rows.map((r) => r.line)).toEqual(Array.from({ length: s.records.failed }, (_, i) => s.records.out + 1 + i));
        expect(rows.every((r) => r.errors[0]!.code === 'delivery_failed' && r.errors[0]!.message === rows[0]!.errors[0]!.message)).toBe(true);
        expect(rows[0]!.errors[0]!.message).toMatch(/Kafka at 127\.0\.0\.1:\d+/);
      } finally {
        await own.stop();
      }
    }, 120_000);
  }
});
