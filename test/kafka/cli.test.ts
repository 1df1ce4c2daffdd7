// `recflow run` with Kafka, through the built CLI, against librdkafka's mock cluster over
// TCP (or RECFLOW_TEST_KAFKA). Every process here is a real recflow the way cron runs it.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from '../support/cli.js';
import {
  committedOffsets, endOffsets, hasKcat, KAFKA_TEST_ENV, kafkaTestsRun, kcatConsume, kcatProduce, produce, startKafka, uniqueName, useKafka,
} from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka CLI tests');
const kcat = kafkaOk && hasKcat();

const ENV = KAFKA_TEST_ENV;

type Obj = Record<string, unknown>;

function customers(n: number, prefix = 'C'): Obj[] {
  return Array.from({ length: n }, (_, i) => ({ customer_id: `${prefix}${i}`, email: `u${i}@example.com`, country: 'de' }));
}

function writeNdjson(path: string, rows: Obj[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/**
 * The files a file sink writes for `path`: the file itself, its rotated files
 * (`<stem>-<time>-<seq><ext>`), and the temp files beside them that a run still writes
 * (or that a killed run left: README, Sources and sinks).
 */
function sinkFiles(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  const [stem, ext] = [base.replace(/\..*$/, ''), base.replace(/^[^.]*/, '')];
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const name = new RegExp(`^\\.?(${esc(base)}|${esc(stem)}-\\d{8}T\\d{6}Z-\\d{6}${esc(ext)})(\\.recflow-\\d+\\.tmp)?$`);
  return existsSync(dir) ? readdirSync(dir).filter((f) => name.test(f)).map((f) => join(dir, f)) : [];
}

/** Output lines of every file the sink wrote for `path`; a line cut short by SIGKILL is not a record. */
function readNdjson(path: string): Obj[] {
  const out: Obj[] = [];
  for (const line of sinkFiles(path).map((f) => readFileSync(f, 'utf8')).join('\n').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Obj);
    } catch {
      // partial last line
    }
  }
  return out;
}

/** Polls `ok`; gives up when time runs out or when one of `children` has exited already. */
async function waitFor(what: string, ok: () => boolean | Promise<boolean>, children: ChildProcess[] = [], ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    const gone = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (gone) throw new Error(`recflow exited (${gone.exitCode ?? gone.signalCode}) while waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ids = (rows: Obj[]): string[] => rows.map((r) => String(r.customer_id ?? r.sku));
const sum = (o: Record<number, number>): number => Object.values(o).reduce((a, b) => a + Math.max(0, b), 0);

describe.skipIf(!kafkaOk)('recflow run with Kafka', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-cli-');
  const addr = (topic: string): string => `kafka://${kafka.bootstrap}/${topic}`;
  const file = (name: string): string => join(tmp.dir, name);
  const run = (args: string[], timeoutMs = 60_000) => runCli(args, { env: ENV, timeoutMs });

  it('file → Kafka → file: every record once, in the same normalized form', async () => {
    const base = uniqueName('rt');
    for (const k of ['customer', 'inventory']) await kafka.createTopic(`${base}-${k}`, 3);
    const items = Array.from({ length: 150 }, (_, i) => ({ sku: `s-${i}`, product_name: 'P', warehouse_id: 'w1', quantity: i, unit_price: '1.5' }));
    writeNdjson(file('rt-in.ndjson'), [...customers(350), ...items]);
    const expected = await run(['run', file('rt-in.ndjson')]);
    expect(expected.code).toBe(0);

    const up = await run(['run', file('rt-in.ndjson'), '--to', addr(`${base}-{kind}`)]);
    expect(up.code, up.stderr).toBe(0);
    expect(await endOffsets(kafka.bootstrap, `${base}-customer`).then(sum)).toBe(350);

    const group = uniqueName('g');
    const down = await run(['run', addr(`${base}-customer,${base}-inventory`), '--group', group, '--until', 'caught-up',
      '--to', file('rt-out.ndjson'), '--summary-json', file('rt-summary.json')]);
    expect(down.code, down.stderr).toBe(0);
    const got = readFileSync(file('rt-out.ndjson'), 'utf8').trim().split('\n').sort();
    expect(got).toEqual(expected.stdout.trim().split('\n').sort());
    const summary = JSON.parse(readFileSync(file('rt-summary.json'), 'utf8')) as Obj;
    expect(JSON.stringify(summary)).toContain(`"group":"${group}"`);

    // Everything is committed: the next batch run reads nothing and still exits 0.
    const again = await run(['run', addr(`${base}-customer,${base}-inventory`), '--group', group, '--until', 'caught-up', '--to', file('rt-again.ndjson')]);
    expect(again.code, again.stderr).toBe(0);
    expect(readNdjson(file('rt-again.ndjson'))).toHaveLength(0);
  });

  it.skipIf(!kcat)('kcat reads what recflow writes, and recflow reads what kcat writes', async () => {
    const topic = uniqueName('kc');
    await kafka.createTopic(topic, 2);
    writeNdjson(file('kc-in.ndjson'), customers(20));
    expect((await run(['run', file('kc-in.ndjson'), '--to', addr(topic)])).code).toBe(0);
    const msgs = kcatConsume(kafka.bootstrap, topic);
    expect(msgs.map((m) => m.key).sort()).toEqual(ids(customers(20)).sort());
    expect(msgs.every((m) => m.headers?.join('=') === 'kind=customer')).toBe(true);
    expect(JSON.parse(msgs[0]!.payload!)).toMatchObject({ kind: 'customer', country: 'DE' });

    const back = uniqueName('kc-back');
    await kafka.createTopic(back, 1);
    kcatProduce(kafka.bootstrap, back, customers(5, 'K').map((c) => `${c.customer_id}\t${JSON.stringify(c)}`));
    const res = await run(['run', addr(back), '--group', uniqueName('g'), '--until', 'caught-up']);
    expect(res.code, res.stderr).toBe(0);
    expect(ids(res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Obj))).toEqual(ids(customers(5, 'K')));
  });

  it('bad messages go to the dead-letter output and the partition moves on', async () => {
    const topic = uniqueName('bad');
    await kafka.createTopic(topic, 1);
    await produce(kafka.bootstrap, topic, [
      { value: JSON.stringify({ customer_id: 'A1', email: 'a@x.io' }) },
      { value: 'this is not json' },
      { value: JSON.stringify({ customer_id: 'A2', email: 'not-an-email' }) },
      { value: JSON.stringify({ customer_id: 'A3', email: 'c@x.io' }) },
    ]);
    const group = uniqueName('g');
    const res = await run(['run', addr(topic), '--group', group, '--until', 'caught-up', '--dlq', file('bad-dlq.ndjson')]);
    expect(res.code, res.stderr).toBe(0);
    expect(ids(res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Obj))).toEqual(['A1', 'A3']);
    const dlq = readNdjson(file('bad-dlq.ndjson'));
    expect(dlq).toEqual([
      { source: `kafka:${topic}/0@1`, line: null, kind: null, errors: [expect.objectContaining({ code: 'parse_error' })], record: 'this is not json' },
      {
        source: `kafka:${topic}/0@2`, line: null, kind: 'customer',
        errors: [expect.objectContaining({ field: 'email', code: 'invalid_email' })],
        record: { customer_id: 'A2', email: 'not-an-email' },
      },
    ]);
    expect(await committedOffsets(kafka.bootstrap, group, topic)).toEqual({ 0: 4 });
  });

  it('batch limits: --max-records and --max-duration end the run with exit 0', async () => {
    const topic = uniqueName('lim');
    await kafka.createTopic(topic, 2);
    await produce(kafka.bootstrap, topic, customers(50).map((c) => ({ key: String(c.customer_id), value: JSON.stringify(c) })));
    const group = uniqueName('g');
    const res = await run(['run', addr(topic), '--group', group, '--max-records', '12']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(12);
    expect(sum(await committedOffsets(kafka.bootstrap, group, topic))).toBe(12);
    const t0 = Date.now();
    const idle = await run(['run', addr(topic), '--group', uniqueName('g'), '--from-end', '--max-duration', '4s']);
    expect(idle.code, idle.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('two processes in one group split a topic of 4 partitions and together write every record once', async () => {
    const topic = uniqueName('split');
    await kafka.createTopic(topic, 4);
    const group = uniqueName('g');
    const procs = ['a', 'b'].map((n) => {
      const child = spawnCli(['run', addr(topic), '--group', group, '--to', file(`split-${n}.ndjson`)], { env: ENV });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      return { child, done: collect(child, { timeoutMs: 90_000 }), stderr: () => stderr };
    });
    // Both members hold two partitions each before any record exists.
    const assigned = (s: string): string[] => (s.match(/assigned ([^\n]*)\n/g) ?? []).at(-1)?.split(' ').slice(1).map((x) => x.trim()) ?? [];
    const children = procs.map((p) => p.child);
    await waitFor('both members to hold 2 partitions', () => procs.every((p) => assigned(p.stderr()).length === 2), children, 45_000);
    const rows = customers(2000);
    await produce(kafka.bootstrap, topic, rows.map((c) => ({ key: String(c.customer_id), value: JSON.stringify(c) })));
    const total = (): number => readNdjson(file('split-a.ndjson')).length + readNdjson(file('split-b.ndjson')).length;
    await waitFor('2000 records written', () => total() >= 2000, children);
    for (const p of procs) p.child.kill('SIGTERM');
    const results = await Promise.all(procs.map((p) => p.done));
    for (const r of results) expect(r.code, r.stderr).toBe(143);
    const a = ids(readNdjson(file('split-a.ndjson')));
    const b = ids(readNdjson(file('split-b.ndjson')));
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect([...a, ...b].sort()).toEqual(ids(rows).sort());
    expect(sum(await committedOffsets(kafka.bootstrap, group, topic))).toBe(2000);
  });

  it('SIGTERM while records flow: drains, commits, exits 143; the next run goes on from there; status shows lag', async () => {
    const topic = uniqueName('term');
    await kafka.createTopic(topic, 4);
    const group = uniqueName('g');
    const child = spawnCli(['run', addr(topic), '--group', group, '--kafka-batch', '50', '--progress-interval', '1',
      '--to', file('term-1.ndjson')], { env: ENV });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor('the live status to show lag per partition', () => /lag p0=\d+ p1=\d+ p2=\d+ p3=\d+/.test(stderr), [child]);
    // A producer keeps writing while the consumer is stopped.
    const rows = customers(20_000);
    const producing = (async () => {
      for (let i = 0; i < rows.length; i += 500) {
        await produce(kafka.bootstrap, topic, rows.slice(i, i + 500).map((c) => ({ key: String(c.customer_id), value: JSON.stringify(c) })));
      }
    })();
    await waitFor('some records written', () => readNdjson(file('term-1.ndjson')).length >= 2000, [child]);
    child.kill('SIGTERM');
    const first = await done;
    expect(first.code, first.stderr).toBe(143);
    expect(first.stderr).toContain('interrupted by SIGTERM');
    await producing;
    const out1 = ids(readNdjson(file('term-1.ndjson')));
    expect(out1.length).toBeLessThan(rows.length);
    // Committed means written, and a clean stop commits all it wrote.
    expect(sum(await committedOffsets(kafka.bootstrap, group, topic))).toBe(out1.length);
    const second = await run(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', file('term-2.ndjson')]);
    expect(second.code, second.stderr).toBe(0);
    const out2 = ids(readNdjson(file('term-2.ndjson')));
    expect([...out1, ...out2].sort()).toEqual(ids(rows).sort()); // all, none twice
  });

  it('SIGKILL mid-run: the restart delivers every record, duplicates only from the uncommitted batches', async () => {
    const topic = uniqueName('kill');
    await kafka.createTopic(topic, 4);
    const rows = customers(20_000);
    await produce(kafka.bootstrap, topic, rows.map((c) => ({ key: String(c.customer_id), value: JSON.stringify(c) })));
    const group = uniqueName('g');
    // into a file, offsets are committed once a file is in place: rotate to commit as it goes
    const child = spawnCli(['run', addr(topic), '--group', group, '--kafka-batch', '50', '--rotate-records', '200', '--to', file('kill-1.ndjson')], { env: ENV });
    const done = collect(child, { timeoutMs: 60_000 });
    await waitFor('some records written', () => readNdjson(file('kill-1.ndjson')).length >= 1000, [child]);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const committed = sum(await committedOffsets(kafka.bootstrap, group, topic));
    const out1 = ids(readNdjson(file('kill-1.ndjson')));
    expect(committed).toBeLessThanOrEqual(out1.length); // nothing committed that was not written
    const second = await run(['run', addr(topic), '--group', group, '--until', 'caught-up', '--to', file('kill-2.ndjson')], 90_000);
    expect(second.code, second.stderr).toBe(0);
    const out2 = ids(readNdjson(file('kill-2.ndjson')));
    expect(new Set([...out1, ...out2]).size).toBe(rows.length);
    // Redelivered: exactly what was written but not yet committed when it died: the file
    // being written (< 200 records), up to two finished and being renamed into place (the
    // sink waits past that), and the sink's writes in flight (4 batches of --kafka-batch 50).
    const dups = out1.length + out2.length - rows.length;
    expect(dups).toBe(out1.length - committed);
    expect(dups).toBeLessThanOrEqual(3 * 200 + 4 * 50);
  });

  it('an unreachable broker: a clear error and exit 3, for a source and for a sink', async () => {
    const env = { ...ENV, RECFLOW_KAFKA_TIMEOUT: '3s' };
    const t0 = Date.now();
    const src = await runCli(['run', 'kafka://127.0.0.1:1/orders', '--until', 'caught-up'], { env });
    expect(src.code).toBe(3);
    expect(src.stderr).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1 .*ECONNREFUSED.*check the address/);
    expect(src.stderr).not.toMatch(/\n\s+at /); // no stack trace
    writeNdjson(file('unreach.ndjson'), customers(3));
    const sink = await runCli(['run', file('unreach.ndjson'), '--to', 'kafka://127.0.0.1:1/orders'], { env });
    expect(sink.code).toBe(3);
    expect(sink.stderr).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it.skipIf(Boolean(process.env.RECFLOW_TEST_KAFKA))('brokers taken down mid-run: exit 3 within the timeout, nothing committed that was not written', async () => {
    const own = await startKafka();
    try {
      const topic = uniqueName('down');
      await own.createTopic(topic, 2);
      await produce(own.bootstrap, topic, customers(300).map((c) => ({ key: String(c.customer_id), value: JSON.stringify(c) })));
      const group = uniqueName('g');
      const child = spawnCli(['run', `kafka://${own.bootstrap}/${topic}`, '--group', group, '--to', file('down.ndjson')], { env: ENV });
      const done = collect(child, { timeoutMs: 60_000 });
      await waitFor('records written', () => readNdjson(file('down.ndjson')).length >= 300, [child]);
      await own.setDown(-1);
      const t0 = Date.now();
      const res = await done;
      expect(res.code, res.stderr).toBe(3);
      expect(Date.now() - t0).toBeLessThan(5_000 + 10_000);
      expect(res.stderr).toMatch(/Kafka at 127\.0\.0\.1:\d+/);
      await own.setUp(-1);
      expect(sum(await committedOffsets(own.bootstrap, group, topic))).toBeLessThanOrEqual(readNdjson(file('down.ndjson')).length);
    } finally {
      await own.stop();
    }
  });
});
