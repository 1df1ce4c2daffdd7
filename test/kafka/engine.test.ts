// A Kafka source on the parallel engine: the worker threads decode the messages and
// run the stateless stages; the output, the dead-letter lines and the commits are
// those of the sequential runner (RECFLOW_WORKERS=0), and RECFLOW_EXPLAIN says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, ROOT, runCli, spawnCli } from '../support/cli.js';
import { committedOffsets, hasKcat, KAFKA_TEST_ENV, kafkaTestsRun, kcatConsume, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka engine tests');
const ENV = { ...KAFKA_TEST_ENV, RECFLOW_EXPLAIN: '1' };

/** A mix of messages: good records of both kinds, bad JSON, a tombstone-like empty value, bad fields, deep nesting. */
function messages(n: number): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (let i = 0; i < n; i++) {
    let value: string;
    if (i % 97 === 5) value = 'not json {';
    else if (i % 89 === 7) value = '['.repeat(1200) + ']'.repeat(1200);
    else if (i % 13 === 3) value = JSON.stringify({ customer_id: `C${i}`, email: `bad-${i}`, country: 'de' });
    else if (i % 2 === 0) value = JSON.stringify({ customer_id: `C${i}`, email: `u${i}@example.com`, country: i % 3 ? 'de' : 'FR', lifetime_value: `${i}.50`, big: 12345678901234567890123 });
    else value = JSON.stringify({ sku: `SKU-${i}`, product_name: 'Kettle', category: 'Kitchen', warehouse_id: 'WH-01', quantity: i % 700, unit_price: '9.99', updated_at: '2025-01-01T00:00:00Z', supplier: 'Acme' });
    out.push({ key: String(i), value });
  }
  return out;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe.skipIf(!kafkaOk)('Kafka on the parallel engine', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-engine-');

  it('stages in the workers, then dedupe on the main thread: the same records, rejects and commits as one thread', async () => {
    const topic = uniqueName('engine');
    await kafka.createTopic(topic, 1); // one partition: the order is the topic's
    await produce(kafka.bootstrap, topic, messages(1500));
    const stages = ['--stage', 'filter:expr=quantity > 100 or exists(email),on_drop=reject', '--stage', 'set:field=tag,template={kind}-x', '--stage', 'dedupe:key=country'];
    const run = async (workers: string) => {
      const group = uniqueName('g');
      const out = join(tmp.dir, `out-${workers}.ndjson`);
      const dlq = join(tmp.dir, `dlq-${workers}.ndjson`);
      const res = await runCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', group, '--until', 'caught-up', '--batch-records', '64', ...stages, '--to', out, '--dlq', dlq, '-q'], {
        env: { ...ENV, RECFLOW_WORKERS: workers },
      });
      return { res, out: readFileSync(out, 'utf8'), dlq: readFileSync(dlq, 'utf8'), committed: await committedOffsets(kafka.bootstrap, group, topic) };
    };
    const one = await run('0');
    expect(one.res.code, one.res.stderr).toBe(0);
    expect(one.res.stderr).toContain('sequential runner');
    const many = await run('2');
    expect(many.res.code, many.res.stderr).toBe(0);
    expect(many.res.stderr).toMatch(/parallel runner: 2 worker thread\(s\) and the main thread decode the messages of .*stages in the workers: contract, filter, set; then on the main thread, in order: dedupe/);
    expect(many.out).toBe(one.out);
    expect(many.dlq).toBe(one.dlq);
    expect(many.committed).toEqual({ 0: 1500 });
    expect(one.committed).toEqual({ 0: 1500 });
    // every kind of reject is there, and numbers pass through as read
    const codes = new Set(lines(one.dlq).map((l) => (JSON.parse(l) as { errors: { code: string }[] }).errors[0]!.code));
    for (const c of ['parse_error', 'invalid_email', 'filtered']) expect(codes).toContain(c);
    expect(lines(one.dlq).some((l) => l.includes('nested deeper than'))).toBe(true);
    expect(lines(many.out).length).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(!hasKcat())('a kind declared in a contract file keys its Kafka messages by its key field', async () => {
    const topic = uniqueName('orders');
    await kafka.createTopic(topic, 2);
    const res = await runCli(['run', join(ROOT, 'examples', 'orders.ndjson'), '--contract', join(ROOT, 'examples', 'orders.contract.yaml'), '--to', `kafka://${kafka.bootstrap}/${topic}`, '-q'], { env: ENV });
    expect(res.code, res.stderr).toBe(0);
    const got = kcatConsume(kafka.bootstrap, topic);
    const orders = got.filter((m) => (JSON.parse(m.payload!) as { kind: string }).kind === 'order');
    expect(orders.length).toBeGreaterThan(0);
    for (const m of orders) expect(m.key).toBe((JSON.parse(m.payload!) as { order_id: string }).order_id);
  }, 60_000);

  it('an idle stream commits what it wrote without waiting for more messages', async () => {
    const topic = uniqueName('idle');
    await kafka.createTopic(topic, 2);
    await produce(kafka.bootstrap, topic, messages(300));
    const group = uniqueName('g');
    const child = spawnCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', group, '--to', '-', '-q'], { env: ENV });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = collect(child, { timeoutMs: 60_000 });
    const until = Date.now() + 30_000;
    let committed = 0;
    // written records are committed while the run waits for more (no new message comes)
    while (Date.now() < until) {
      const written = lines(out).length;
      committed = Object.values(await committedOffsets(kafka.bootstrap, group, topic)).reduce((a, b) => a + Math.max(0, b), 0);
      if (written > 0 && committed === 300) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(child.exitCode).toBeNull(); // still running, idle
    expect(committed).toBe(300);
    child.kill('SIGTERM');
    expect((await done).code).toBe(143);
  }, 60_000);
});

