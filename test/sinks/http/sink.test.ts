// The HTTP sink against the real receiver, in process: delivery through faults,
// stable idempotency keys, body forms, back pressure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServeOptions } from '../../../src/serve/server.js';
import { tempDir } from '../../support/cli.js';
import { customers, httpSink, ids, scriptedServer } from '../../support/serve.js';
import { pump, write } from './write.js';

let tmp: ReturnType<typeof tempDir>;
let servers: RunningServer[] = [];
beforeEach(() => {
  tmp = tempDir('recflow-http-');
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close(0)));
  servers = [];
  tmp.cleanup();
});

async function receiver(opts: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const s = await startServer({
    host: '127.0.0.1',
    port: 0,
    out: join(tmp.dir, 'out.ndjson'),
    failRate: 0,
    throttleRate: 0,
    dropRate: 0,
    latencyMs: 0,
    retryAfterS: 0,
    seed: '7',
    maxBodyBytes: 64 * 1024 * 1024,
    ...opts,
  });
  servers.push(s);
  return s;
}

const received = (): string[] => ids(readFileSync(join(tmp.dir, 'out.ndjson'), 'utf8'));

describe('HTTP sink delivery', () => {
  it('delivers every record exactly once through 503s, 429s and dropped connections', async () => {
    // Keys hold the URL, so fates vary with the port: rates high enough that each fault surely shows.
    const server = await receiver({ failRate: 0.15, throttleRate: 0.1, dropRate: 0.2 });
    const { sink } = await httpSink(`${server.url}/ingest`, { batchRecords: '50', concurrency: '4', retries: '30' });
    const records = customers(3000);
    const { rejected } = await pump(sink, records, 300);
    await sink.close();
    const got = received();
    expect(rejected).toBe(0);
    expect(got).toHaveLength(3000);
    expect(new Set(got).size).toBe(3000);
    const stats = sink.stats!() as { retries: number; delivered: number; batches: number; statusCounts: Record<string, number>; errorCounts: Record<string, number> };
    expect(stats.delivered).toBe(3000);
    expect(stats.batches).toBe(60);
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.statusCounts['503']).toBeGreaterThan(0);
    expect(stats.statusCounts['429']).toBeGreaterThan(0);
    expect(stats.errorCounts.ECONNRESET).toBeGreaterThan(0);
    // Batches taken whose answer was lost came again and were dropped by key.
    expect(server.stats.faults.dropAfter).toBeGreaterThan(0);
    expect(server.stats.duplicates.batches).toBe(server.stats.faults.dropAfter);
  });

  it('sends the same keys when the same input runs again, so the receiver takes it once', async () => {
    const server = await receiver();
    for (let run = 0; run < 2; run++) {
      const { sink } = await httpSink(`${server.url}/ingest`, { batchRecords: '100' });
      await pump(sink, customers(1000), 250);
      await sink.close();
    }
    expect(received()).toHaveLength(1000);
    // Writes of 250 cut at 100: 100, 100, 50 per write.
    expect(server.stats.batches).toBe(12);
    expect(server.stats.duplicates).toEqual({ batches: 12, records: 1000 });
  });

  it('sends new keys for another file (origin), another URL, or --idempotency-key random', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    const keys = async (path: string, origin: string, opts: Record<string, unknown> = {}): Promise<string[]> => {
      const before = server.requests.length;
      const { sink } = await httpSink(`${server.url}${path}`, { batchRecords: '10', ...opts });
      await pump(sink, customers(30, origin), 30);
      await sink.close();
      return server.requests.slice(before).map((r) => String(r.headers['idempotency-key']));
    };
    const base = await keys('/a', 'file:/x:1:1');
    expect(base).toHaveLength(3);
    expect(new Set(base).size).toBe(3);
    expect(base[0]).toMatch(/^rf1-[0-9a-f]{40}$/);
    expect(await keys('/a', 'file:/x:1:1')).toEqual(base);
    expect(await keys('/a', 'file:/x:2:1')).not.toContain(base[0]);
    expect(await keys('/b', 'file:/x:1:1')).not.toContain(base[0]);
    const random = await keys('/a', 'file:/x:1:1', { idempotencyKey: 'random' });
    expect(random[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(await keys('/a', 'file:/x:1:1', { idempotencyKey: 'random' })).not.toEqual(random);
    await server.close();
  });

  it('keeps the key of a batch on every retry', async () => {
    const server = await scriptedServer((_req, n) => (n <= 3 ? { status: n === 2 ? 429 : 503 } : n === 4 ? 'drop' : { status: 204 }));
    const { sink } = await httpSink(`${server.url}/x`);
    await write(sink, customers(5));
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(5);
    expect(new Set(server.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect((sink.stats!() as { retries: number }).retries).toBe(4);
  });

  it('never puts two files in one batch, and cuts by bytes', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    const { sink } = await httpSink(`${server.url}/x`, { batchRecords: '1000', batchBytes: '1k' });
    await write(sink, [...customers(3, 'file:/a:1:1'), ...customers(3, 'file:/b:1:1')]);
    await write(sink, customers(40, 'file:/c:1:1'));
    await sink.close();
    await server.close();
    const bodies = server.requests.map((r) => r.body.toString('utf8'));
    expect(bodies[0]!.split('\n').filter(Boolean)).toHaveLength(3);
    expect(bodies[1]!.split('\n').filter(Boolean)).toHaveLength(3);
    expect(bodies.slice(2).every((b) => Buffer.byteLength(b) <= 1024)).toBe(true);
    expect(bodies.slice(2).join('').split('\n').filter(Boolean)).toHaveLength(40);
    expect(server.requests[0]!.headers['content-type']).toBe('application/x-ndjson');
  });

  it('sends {"records":[...]} gzipped with the token, and serve takes it', async () => {
    const server = await receiver({ token: 's3cret' });
    const echo = await scriptedServer(() => ({ status: 200 }));
    for (const url of [`${server.url}/in`, `${echo.url}/in`]) {
      const { sink, logs } = await httpSink(url, { body: 'json', gzip: true, header: ['X-Tenant: acme'] }, { RECFLOW_HTTP_TOKEN: 's3cret' });
      await write(sink, customers(20));
      await sink.close();
      expect(JSON.stringify([logs, sink.status!(), sink.stats!()])).not.toContain('s3cret');
    }
    await echo.close();
    expect(received()).toHaveLength(20);
    const req = echo.requests[0]!;
    expect(req.headers).toMatchObject({ authorization: 'Bearer s3cret', 'content-encoding': 'gzip', 'content-type': 'application/json', 'x-tenant': 'acme' });
    const doc = JSON.parse(gunzipSync(req.body).toString('utf8')) as { records: Array<{ kind: string }> };
    expect(doc.records).toHaveLength(20);
    expect(Object.keys(doc.records[0]!)[0]).toBe('kind');
  });

  it('lingers only for Kafka origins, and still sends by count', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    const { sink } = await httpSink(`${server.url}/x`, { batchRecords: '10', lingerMs: '150' });
    const t0 = Date.now();
    const first = write(sink, customers(4, 'kafka:orders/0', 100));
    const second = write(sink, customers(3, 'kafka:orders/0', 104));
    await Promise.all([first, second]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(server.requests).toHaveLength(1); // both writes in one batch
    await write(sink, customers(10, 'kafka:orders/1', 0)); // full: no linger
    expect(server.requests).toHaveLength(2);
    const t1 = Date.now();
    await write(sink, customers(3, 'file:/a:1:1'));
    expect(Date.now() - t1).toBeLessThan(140);
    await sink.close();
    await server.close();
  });
});

describe('HTTP sink back pressure', () => {
  it('keeps at most --concurrency requests in flight and resolves a write only when delivered', async () => {
    const server = await receiver({ latencyMs: 200 });
    const { sink } = await httpSink(`${server.url}/slow`, { batchRecords: '100', concurrency: '2' });
    const t0 = Date.now();
    const first = await write(sink, customers(100));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(first).toEqual({});
    expect(server.stats.records).toBe(100);
    await pump(sink, customers(1000, 'file:/other:1:1'), 100);
    await sink.close();
    expect(server.stats.maxInFlight).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5 * 200); // 10 batches, 2 at a time
  });

  it('asks for as many pending writes as fill every slot and one batch more', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    const { sink } = await httpSink(`${server.url}/x`, { batchRecords: '100', concurrency: '4' });
    expect(sink.maxInFlight).toBe(5); // before any write
    await write(sink, customers(20));
    expect(sink.maxInFlight).toBe(25); // 500 records in writes of 20
    await write(sink, customers(980, 'file:/b:1:1'));
    expect(sink.maxInFlight).toBe(2); // writes of 500 on average: at least 2
    await sink.close();
    await server.close();
  });
});
