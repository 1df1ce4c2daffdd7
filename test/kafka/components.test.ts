// KafkaSource and KafkaSink against a broker (librdkafka's mock cluster or RECFLOW_TEST_KAFKA),
// driven the way the runner drives them: batches in order, ack after "writing".
import { describe, expect, it } from 'vitest';
import { createKafkaSink } from '../../src/sinks/kafka.js';
import { createKafkaSource } from '../../src/sources/kafka.js';
import { RecflowError, SinkFailure } from '../../src/errors.js';
import type { Rec, Rejected, Source } from '../../src/pipeline/types.js';
import type { ComponentContext } from '../../src/pipeline/types.js';
import {
  committedOffsets, endOffsets, hasKcat, kafkaTestsRun, kcatConsume, kcatProduce, produce, startKafka, uniqueName, useKafka,
} from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka component tests');
const kcat = kafkaOk && hasKcat();

function ctx(opts: Record<string, unknown>, logs: string[] = []): ComponentContext {
  return {
    opts: { kafkaMaxWait: '100ms', kafkaTimeout: '5s', kafkaSessionTimeout: '6s', ...opts },
    env: {},
    log: (m) => logs.push(m),
    debug: false,
  };
}

const customer = (i: number): Rec => ({
  value: { kind: 'customer', customer_id: `C${i}`, email: `c${i}@example.com` },
  raw: { customer_id: `C${i}`, email: `c${i}@example.com` },
  source: 'in.ndjson',
  line: i + 1,
  origin: 'in.ndjson',
  pos: i + 1,
  kind: 'customer',
});

async function drain(src: Source): Promise<{ recs: Rec[]; rejected: Rejected[] }> {
  const recs: Rec[] = [];
  const rejected: Rejected[] = [];
  try {
    for await (const b of src.batches()) {
      recs.push(...b.records);
      rejected.push(...b.rejected);
      await b.ack?.();
    }
  } finally {
    await src.close?.();
  }
  return { recs, rejected };
}

const sum = (o: Record<number, number>): number => Object.values(o).reduce((a, b) => a + Math.max(0, b), 0);

describe.skipIf(!kafkaOk)('Kafka source and sink', () => {
  const { kafka } = useKafka();
  const addr = (topic: string): string => `kafka://${kafka.bootstrap}/${topic}`;
  /** A one-partition topic holding `n` messages {"i": 0..n-1}, and a group that never read it. */
  const numbered = async (prefix: string, n: number): Promise<{ topic: string; group: string }> => {
    const topic = uniqueName(prefix);
    await kafka.createTopic(topic, 1);
    await produce(kafka.bootstrap, topic, Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ i }) })));
    return { topic, group: uniqueName('g') };
  };

  it.skipIf(!kcat)('sink: keyed JSON with a kind header, readable by kcat', async () => {
    const base = uniqueName('sink');
    for (const k of ['customer', 'inventory']) await kafka.createTopic(`${base}-${k}`, 2);
    const sink = await createKafkaSink(addr(`${base}-{kind}`), ctx({}));
    const inv: Rec = { ...customer(0), value: { kind: 'inventory', sku: 'AB-1', quantity: 3 }, kind: 'inventory' };
    await sink.write({ records: [customer(1), customer(2), inv], streaming: false });
    await sink.write({ records: [customer(3)], streaming: false });
    await sink.close();
    const customers = kcatConsume(kafka.bootstrap, `${base}-customer`).sort((a, b) => a.key!.localeCompare(b.key!));
    expect(customers.map((m) => m.key)).toEqual(['C1', 'C2', 'C3']);
    expect(JSON.parse(customers[0]!.payload!)).toEqual(customer(1).value);
    expect(customers[0]!.headers).toEqual(['kind', 'customer']);
    const items = kcatConsume(kafka.bootstrap, `${base}-inventory`);
    expect(items.map((m) => [m.key, JSON.parse(m.payload!)])).toEqual([['AB-1', inv.value]]);
  });

  it.skipIf(!kcat)('source: reads what kcat wrote; bad messages become parse errors; commits to the end', async () => {
    const topic = uniqueName('src');
    await kafka.createTopic(topic, 1);
    kcatProduce(kafka.bootstrap, topic, ['C1\t{"customer_id":"C1","email":"a@b.io"}', 'x\tnot json', 'y\t[1,2]', 'C2\t{"customer_id":"C2"}'], { kind: 'customer' });
    const group = uniqueName('g');
    const { recs, rejected } = await drain(await createKafkaSource(addr(topic), ctx({ group, until: 'caught-up' })));
    expect(recs.map((r) => [r.source, r.line, r.origin, r.pos, r.kindHint, r.value.customer_id])).toEqual([
      [`kafka:${topic}/0@0`, null, `kafka:${topic}/0`, 0, 'customer', 'C1'],
      [`kafka:${topic}/0@3`, null, `kafka:${topic}/0`, 3, 'customer', 'C2'],
    ]);
    expect(recs[0]!.raw).toEqual({ customer_id: 'C1', email: 'a@b.io' });
    expect(rejected.map((r) => [r.source, r.line, r.kind, r.record, r.errors[0]!.code])).toEqual([
      [`kafka:${topic}/0@1`, null, null, 'not json', 'parse_error'],
      [`kafka:${topic}/0@2`, null, null, '[1,2]', 'parse_error'],
    ]);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 4 });
  });

  it('commits only what was acked; the rest is read again by the next member', async () => {
    const { topic, group } = await numbered('ack', 30);
    const src = await createKafkaSource(addr(topic), ctx({ group, kafkaBatch: '10' }));
    let seen = 0;
    for await (const b of src.batches()) {
      seen += b.records.length;
      if (seen === 10) await b.ack!(); // the first batch is "written"
      if (seen >= 20) src.stop!(); // the second is not
    }
    await src.close!();
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 10 });
    const again = await drain(await createKafkaSource(addr(topic), ctx({ group, until: 'caught-up' })));
    expect(again.recs.map((r) => r.pos)).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 30 });
  });

  it('close() twice: the second call gets the first promise, which commits what was acked', async () => {
    const { topic, group } = await numbered('close', 5);
    const src = await createKafkaSource(addr(topic), ctx({ group, until: 'caught-up' }));
    for await (const b of src.batches()) await b.ack!();
    const first = src.close!();
    const second = src.close!();
    expect(second).toBe(first);
    await first;
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 5 });
    const again = await drain(await createKafkaSource(addr(topic), ctx({ group, until: 'caught-up' })));
    expect(again.recs).toEqual([]);
  });

  it('a runner holding several unacked batches still gets new messages, and its acks made while close() waits commit', async () => {
    const { topic, group } = await numbered('held', 30);
    const src = await createKafkaSource(addr(topic), ctx({ group, kafkaBatch: '10' }));
    const held: (() => Promise<void>)[] = [];
    let seen = 0;
    for await (const b of src.batches()) {
      held.push(b.ack!);
      seen += b.records.length;
      // Like a sink with writes in flight: nothing acked yet, and the runner asks for more.
      if (seen === 30) await produce(kafka.bootstrap, topic, [{ value: '{"late":true}' }]);
      if (seen === 31) src.stop!();
    }
    expect(seen).toBe(31);
    const closing = src.close!(); // close() waits for what the runner still holds
    for (const ack of held) await ack();
    await closing;
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 31 });
  });

  it('a member joining mid-stream takes over partitions without losing a record', async () => {
    const topic = uniqueName('rebal');
    await kafka.createTopic(topic, 4);
    const group = uniqueName('g');
    const seen: number[][] = [[], []];
    const consume = async (src: Source, i: number): Promise<void> => {
      for await (const b of src.batches()) {
        for (const r of b.records) seen[i]!.push(r.value.i as number);
        await new Promise((r) => setTimeout(r, 5)); // a sink that takes a moment
        await b.ack!();
      }
      await src.close!();
    };
    const a = await createKafkaSource(addr(topic), ctx({ group, kafkaBatch: '50' }));
    const runA = consume(a, 0);
    // Keep producing until the new member has taken records of its own.
    let total = 0;
    const producing = (async () => {
      for (let n = 0; n < 400 && seen[1]!.length < 200; n++) {
        await produce(kafka.bootstrap, topic, Array.from({ length: 50 }, (_, j) => ({ key: `k${total + j}`, value: JSON.stringify({ i: total + j }) })));
        total += 50;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const waitFor = async (ok: () => boolean): Promise<void> => {
      for (let t = 0; !ok(); t++) {
        if (t > 800) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(() => seen[0]!.length > 300);
    const b = await createKafkaSource(addr(topic), ctx({ group, kafkaBatch: '50' }));
    const runB = consume(b, 1);
    await producing;
    await waitFor(() => new Set([...seen[0]!, ...seen[1]!]).size === total);
    a.stop!();
    b.stop!();
    await Promise.all([runA, runB]);
    expect(seen[1]!.length).toBeGreaterThan(0); // B got partitions
    expect(new Set([...seen[0]!, ...seen[1]!]).size).toBe(total);
    // Read twice: what A wrote while the mock refused its commits (it does so for the whole
    // rebalance; Apache Kafka accepts them until the member rejoins). About 0.5 s of traffic.
    expect(seen[0]!.length + seen[1]!.length - total).toBeLessThan(1500);
    expect(sum(await committedOffsets(kafka.bootstrap, group, topic))).toBe(total);
  });

  it('--max-records stops after n messages; --from-end skips what is there', async () => {
    const topic = uniqueName('max');
    await kafka.createTopic(topic, 4);
    await produce(kafka.bootstrap, topic, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
    const group = uniqueName('g');
    const { recs } = await drain(await createKafkaSource(addr(topic), ctx({ group, maxRecords: '7' })));
    expect(recs).toHaveLength(7);
    expect(sum(await committedOffsets(kafka.bootstrap, group, topic))).toBe(7);
    const fromEnd = await drain(await createKafkaSource(addr(topic), ctx({ group: uniqueName('g'), fromEnd: true, until: 'caught-up' })));
    expect(fromEnd.recs).toHaveLength(0);
  });

  it('reports lag per partition while reading', async () => {
    const topic = uniqueName('lag');
    await kafka.createTopic(topic, 2);
    await produce(kafka.bootstrap, topic, [{ value: '{}', partition: 0 }, { value: '{}', partition: 0 }, { value: '{}', partition: 1 }]);
    const src = await createKafkaSource(addr(topic), ctx({ group: uniqueName('g'), until: 'caught-up', kafkaBatch: '1' }));
    expect(src.status!()).toMatch(/joining group/);
    const statuses: string[] = [];
    for await (const b of src.batches()) {
      statuses.push(src.status!()!);
      await b.ack!();
    }
    statuses.push(src.status!()!);
    await src.close!();
    expect(statuses[0]).toMatch(/^lag p0=\d p1=\d$/);
    expect(statuses.at(-1)).toBe('lag p0=0 p1=0');
    expect(src.stats!()).toMatchObject({ kafka: { messages: 3, partitions: { [`${topic}/0`]: { committed: 2, lag: 0 } } } });
  });

  it('unreachable brokers: a clear source/sink error within the timeout', async () => {
    const t0 = Date.now();
    const err = await createKafkaSource('kafka://127.0.0.1:1/t', ctx({ kafkaTimeout: '2s' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('source');
    expect((err as Error).message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1 .*check the address/);
    const serr = await createKafkaSink('kafka://127.0.0.1:1/t', ctx({ kafkaTimeout: '2s' })).catch((e: unknown) => e);
    expect((serr as RecflowError).code).toBe('sink');
    expect(Date.now() - t0).toBeLessThan(12_000);
  });

  it('a missing source topic is reported by name', async () => {
    const topic = uniqueName('nope');
    const err = await createKafkaSource(addr(topic), ctx({})).catch((e: unknown) => e);
    expect((err as RecflowError).code).toBe('input');
    expect((err as Error).message).toBe(`Kafka topic '${topic}' does not exist at ${kafka.bootstrap} — check the name, or create the topic first`);
  });

  // Needs the mock cluster to take brokers down.
  it.skipIf(Boolean(process.env.RECFLOW_TEST_KAFKA))('brokers going down mid-run fail the source and the sink; nothing unacked is committed', async () => {
    const own = await startKafka();
    try {
      const topic = uniqueName('down');
      await own.createTopic(topic, 2);
      await produce(own.bootstrap, topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
      const group = uniqueName('g');
      const opts = { group, kafkaTimeout: '3s' };
      const src = await createKafkaSource(`kafka://${own.bootstrap}/${topic}`, ctx(opts));
      const sink = await createKafkaSink(`kafka://${own.bootstrap}/${topic}-out`, ctx(opts));
      let acked = 0;
      let t0 = 0;
      const err = await (async () => {
        for await (const b of src.batches()) {
          await b.ack!();
          acked += b.records.length;
          if (acked === 20 && t0 === 0) {
            await own.setDown(-1);
            t0 = Date.now();
          }
        }
      })().catch((e: unknown) => e);
      expect((err as RecflowError).code).toBe('source');
      expect((err as Error).message).toMatch(/Kafka at 127\.0\.0\.1:\d+/);
      expect(Date.now() - t0).toBeLessThan(12_000);
      await src.close!().catch(() => undefined);
      const t1 = Date.now();
      const wres = await sink.write({ records: [customer(1)], streaming: false });
      expect(wres.failure).toBeInstanceOf(SinkFailure);
      expect(wres.refused).toEqual([{ from: 0, to: 1, code: 'delivery_failed', message: wres.failure!.message }]);
      expect(Date.now() - t1).toBeLessThan(12_000);
      await sink.close();
      await own.setUp(-1);
      expect(sum(await committedOffsets(own.bootstrap, group, topic))).toBeLessThanOrEqual(acked);
      expect(await endOffsets(own.bootstrap, topic)).toBeDefined();
    } finally {
      await own.stop();
    }
  });
});
