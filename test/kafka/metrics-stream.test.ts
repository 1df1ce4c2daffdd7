// A Kafka stream run (no --until) as a service: --metrics serves /metrics, /health and
// /ready while it runs; the counters match the summary it writes at the end; /ready is
// 503 while the HTTP sink's breaker is open (the receiver is down) and 200 once it is back.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { collect, spawnCli } from '../support/cli.js';
import { KAFKA_TEST_ENV, kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('the Kafka metrics test');

const ENV = KAFKA_TEST_ENV;

/** An HTTP receiver that can be taken down and brought back on the same port. */
class Receiver {
  readonly ids: string[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void body(req).then((text) => {
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          const r = JSON.parse(line) as Record<string, unknown>;
          this.ids.push(String(r.customer_id ?? r.sku));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Refuses connections from now on (keep-alive ones are cut too). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const buf = Buffer.concat(parts);
      resolve((req.headers['content-encoding'] === 'gzip' ? gunzipSync(buf) : buf).toString('utf8'));
    });
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `name{labels} value` lines of a scrape, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(recflow_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `{ customer: 3 }` from the lines `name{label="customer"} 3`. */
function byLabel(s: Map<string, number>, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${name}\\{${label}="([^"]+)"\\}$`);
  for (const [k, v] of s) {
    const m = re.exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}

const customer = (id: string, email = `${id.toLowerCase()}@example.com`): string => JSON.stringify({ customer_id: id, email, country: 'de' });
const item = (sku: string): string => JSON.stringify({ sku, product_name: 'P', warehouse_id: 'w1', quantity: 1, unit_price: 2 });

describe.skipIf(!kafkaOk)('--metrics on a Kafka stream run', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-metrics-');

  it('counters match the summary; /ready is 503 while the breaker is open, 200 after; /health 200', async () => {
    const topic = uniqueName('metrics');
    await kafka.createTopic(topic, 2);
    const receiver = new Receiver();
    await receiver.start();
    // 20 good customers, 4 with a bad email, 6 inventory records
    const first = [
      ...Array.from({ length: 20 }, (_, i) => customer(`C${i}`)),
      ...Array.from({ length: 4 }, (_, i) => customer(`X${i}`, 'not-an-email')),
      ...Array.from({ length: 6 }, (_, i) => item(`S-${i}`)),
    ];
    await produce(kafka.bootstrap, topic, first.map((value, i) => ({ key: String(i), value })));
    const summaryFile = join(tmp.dir, 'summary.json');
    const child = spawnCli([
      'run', `kafka://${kafka.bootstrap}/${topic}`, '--group', uniqueName('g'),
      '--to', `http://127.0.0.1:${receiver.port}/ingest`, '--linger-ms', '50', '--batch-records', '10',
      '--breaker-threshold', '2', '--breaker-pause-ms', '300', '--retries', '1000', '--retry-base-ms', '20', '--retry-cap-ms', '100',
      '--retry-max-time', '5m', '--metrics', '127.0.0.1:0', '--dlq', join(tmp.dir, 'dlq.ndjson'), '--summary-json', summaryFile,
    ], { env: ENV });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = collect(child, { timeoutMs: 90_000 });
    try {
      await waitFor('the metrics address on stderr', () => /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr) || child.exitCode !== null);
      const url = /metrics on (http:\/\/\S+)\/metrics/.exec(stderr)?.[1];
      expect(url, stderr).toBeDefined();
      expect(url).not.toMatch(/:0$/); // the port chosen for :0 is printed
      const status = async (path: string): Promise<number> => (await fetch(`${url}${path}`)).status;
      const scrape = async (): Promise<Map<string, number>> => samples(await (await fetch(`${url}/metrics`)).text());

      expect(await status('/health')).toBe(200);
      // while running: the first records flow, and the scrape follows them
      await waitFor('26 records at the receiver', () => receiver.ids.length >= 26);
      await waitFor('/ready 200 (group joined, breaker closed)', async () => (await status('/ready')) === 200);
      // counted once the sink has them, even when no more records come (an idle stream)
      const outTotal = (m: Map<string, number>): number => Object.values(byLabel(m, 'recflow_records_out_total', 'kind')).reduce((a, b) => a + b, 0);
      await waitFor('26 records out on /metrics', async () => outTotal(await scrape()) === 26, 10_000);
      let s = await scrape();
      expect(s.get('recflow_records_in_total')).toBe(30);
      expect(byLabel(s, 'recflow_records_out_total', 'kind')).toEqual({ customer: 20, inventory: 6 });
      expect(byLabel(s, 'recflow_records_rejected_total', 'kind')).toEqual({ customer: 4 });
      expect(byLabel(s, 'recflow_rejections_total', 'code')).toEqual({ invalid_email: 4 });
      expect(s.get('recflow_sink_breaker_state')).toBe(0);

      // the receiver goes away: tries fail, the breaker opens, /ready says 503 (/health stays 200)
      await receiver.stop();
      await produce(kafka.bootstrap, topic, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: customer(`D${i}`) })));
      await waitFor('/ready 503 with the breaker open', async () => (await status('/ready')) === 503);
      expect((await scrape()).get('recflow_sink_breaker_state')).toBeGreaterThan(0);
      expect(await status('/health')).toBe(200);

      // back on the same port: the breaker closes, the held records arrive, /ready is 200 again
      await receiver.start();
      await waitFor('the 5 held records at the receiver', () => receiver.ids.filter((id) => id.startsWith('D')).length === 5);
      await waitFor('/ready 200 after the receiver is back', async () => (await status('/ready')) === 200);
      await waitFor('31 records out on /metrics', async () => outTotal(await scrape()) === 31, 10_000);
      s = await scrape();
      expect(s.get('recflow_sink_breaker_state')).toBe(0);
      expect(s.get('recflow_sink_breaker_opens_total')).toBeGreaterThanOrEqual(1);
      expect(s.get('recflow_sink_retries_total')).toBeGreaterThanOrEqual(1);

      // stop the service: the last scrape and the summary agree
      child.kill('SIGTERM');
      const res = await done;
      expect(res.code, res.stderr).toBe(143);
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
        records: { in: number; out: number; rejected: number; dropped: number; failed: number };
        byKind: { out: Record<string, number>; rejected: Record<string, number> };
        rejectedByCode: Record<string, number>;
      };
      expect(summary.records).toMatchObject({ in: s.get('recflow_records_in_total'), rejected: 4, dropped: s.get('recflow_records_dropped_total'), failed: s.get('recflow_records_failed_total') });
      expect(summary.byKind.out).toEqual(byLabel(s, 'recflow_records_out_total', 'kind'));
      expect(summary.byKind.rejected).toEqual(byLabel(s, 'recflow_records_rejected_total', 'kind'));
      expect(summary.rejectedByCode).toEqual(byLabel(s, 'recflow_rejections_total', 'code'));
      expect(summary.records.in).toBe(35);
      expect(summary.byKind.out).toEqual({ customer: 25, inventory: 6 });
      expect([...new Set(receiver.ids)].length).toBe(31); // every good record delivered
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await receiver.stop();
    }
  });
});
