// The HTTP sink when the endpoint says no: permanent 4xx, Retry-After, giving up,
// the circuit breaker, and which statuses are retried.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SinkFailure } from '../../../src/errors.js';
import { customers, httpSink, scriptedServer } from '../../support/serve.js';
import { FakeClock, httpSinkOn, until } from './fake-clock.js';
import { rowsOf, write } from './write.js';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as import('node:net').AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('HTTP sink: permanent refusals', () => {
  it('returns the records of a 400 batch for the dead-letter output, with the status and body start, and goes on', async () => {
    const long = `field email is wrong ${'x'.repeat(300)}`;
    const server = await scriptedServer((req) => (req.body.includes('"C2"') ? { status: 400, body: long } : { status: 200 }));
    const { sink } = await httpSink(`${server.url}/in?api_key=k`, { batchRecords: '2' });
    const recs = customers(6);
    const res = await write(sink, recs);
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(3); // no retry of the 400
    expect(res.refused).toEqual([{ from: 0, to: 2, code: 'http_rejected', message: expect.any(String) }]); // by index in the write
    const rows = rowsOf(recs, res);
    expect(rows).toHaveLength(2);
    const [first] = rows;
    expect(first).toEqual({
      source: 'customers.ndjson',
      line: 1,
      kind: 'customer',
      errors: [{ field: null, code: 'http_rejected', message: `HTTP 400 from ${server.url}/in: ${long.slice(0, 200)}` }],
      record: recs[0]!.raw,
    });
    expect(sink.stats!()).toMatchObject({ delivered: 4, deadLettered: 2, statusCounts: { '200': 2, '400': 1 }, gaveUp: false });
  });

  it('treats a status left out of --retry-on as permanent', async () => {
    const server = await scriptedServer(() => ({ status: 503, body: 'down' }));
    const { sink } = await httpSink(`${server.url}/in`, { retryOn: '429' });
    const res = await write(sink, customers(3));
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(1);
    expect(res.refused?.[0]?.message).toBe(`HTTP 503 from ${server.url}/in: down`);
  });

  it('retries a 4xx named in --retry-on', async () => {
    const server = await scriptedServer((_r, n) => ({ status: n === 1 ? 409 : 200 }));
    const { sink } = await httpSink(`${server.url}/in`, { retryOn: '409,5xx' });
    expect(await write(sink, customers(3))).toEqual({});
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(2);
  });

  it('does not follow redirects: it stops with the reason', async () => {
    const server = await scriptedServer(() => ({ status: 301, headers: { location: 'https://elsewhere/' } }));
    const { sink } = await httpSink(`${server.url}/in`);
    const err = (await write(sink, customers(2))).failure;
    await server.close();
    expect(err).toBeInstanceOf(SinkFailure);
    expect((err as Error).message).toMatch(/^could not deliver to http:\/\/127\.0\.0\.1:\d+\/in: HTTP 301 \(redirects are not followed: use the final URL\); gave up after 1 try in 0\.\ds$/);
  });
});

describe('HTTP sink: retrying', () => {
  it('waits as long as Retry-After says (seconds and HTTP date)', async () => {
    // An HTTP date has whole seconds: 3 s ahead means more than 2 s to wait.
    const inThreeSeconds = (): string => new Date(Date.now() + 3000).toUTCString();
    const server = await scriptedServer((_r, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : n === 2 ? { status: 503, headers: { 'retry-after': inThreeSeconds() } } : { status: 200 },
    );
    const clock = new FakeClock();
    const { sink } = httpSinkOn(clock, `${server.url}/in`, { retryBaseMs: '1', retryCapMs: '1' });
    expect(await write(sink, customers(1))).toEqual({});
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(3);
    expect(clock.waits).toHaveLength(2); // what the sink waited, on its clock
    expect(clock.waits[0]).toBe(1000);
    expect(clock.waits[1]).toBeGreaterThan(2000);
    expect(clock.waits[1]).toBeLessThanOrEqual(3000);
  });

  it('gives up after --retries with a message naming the URL, and every record undelivered', async () => {
    const port = await closedPort();
    const { sink } = await httpSink(`http://127.0.0.1:${port}/ingest`, { retries: '3', batchRecords: '10' });
    const recs = customers(25);
    const res = await write(sink, recs);
    const err = res.failure;
    expect(err).toBeInstanceOf(SinkFailure);
    expect((err as Error).message).toMatch(
      new RegExp(`^could not deliver to http://127\\.0\\.0\\.1:${port}/ingest: connection refused \\(ECONNREFUSED\\); gave up after 4 tries in \\d+\\.\\ds$`),
    );
    const rows = rowsOf(recs, res);
    expect(rows.map((r) => r.line).sort((a, b) => a! - b!)).toEqual(recs.map((r) => r.line));
    expect(new Set(rows.map((r) => r.errors[0]!.code))).toEqual(new Set(['delivery_failed']));
    // Once failed, a later write fails at once with the same message.
    const later = await write(sink, customers(2, 'file:/b:1:1'));
    expect(later.failure?.message).toBe(err!.message);
    expect(later.refused).toEqual([{ from: 0, to: 2, code: 'delivery_failed', message: err!.message }]);
    expect(sink.stats!()).toMatchObject({ gaveUp: true, delivered: 0, errorCounts: { ECONNREFUSED: expect.any(Number) } });
    await sink.close();
  });

  it('gives up after --retry-max-time', async () => {
    const server = await scriptedServer(() => ({ status: 503 }));
    const clock = new FakeClock();
    const { sink } = httpSinkOn(clock, `${server.url}/in`, { retries: '1000', retryMaxTime: '300ms', retryBaseMs: '20', retryCapMs: '40', breakerThreshold: '1000' });
    const t0 = clock.now();
    const err = (await write(sink, customers(1))).failure;
    await sink.close();
    await server.close();
    expect(err!.message).toMatch(/: HTTP 503; gave up after \d+ tries in 0\.\ds$/);
    expect(clock.now() - t0).toBeGreaterThan(300 - 40); // the budget spent, on the clock
    expect(clock.now() - t0).toBeLessThanOrEqual(300);
    expect(server.requests.length).toBe(clock.waits.length + 1); // one try per wait, and the first
  });

  it('times a request out after --timeout-ms and retries it', async () => {
    const server = await scriptedServer((_r, n) => ({ status: 200, delayMs: n === 1 ? 2000 : 0 }));
    const { sink } = await httpSink(`${server.url}/in`, { timeoutMs: '200' });
    const t0 = Date.now();
    await write(sink, customers(1));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(sink.stats!()).toMatchObject({ retries: 1, errorCounts: { timeout: 1 } });
    await sink.close();
    await server.close();
  });

  it('opens the circuit breaker after a run of failures, says so, and probes before going on', async () => {
    let up = false;
    const server = await scriptedServer(() => ({ status: up ? 200 : 503 }));
    const clock = new FakeClock(100); // retries go at once; the 300 ms pause waits for fire()
    const { sink, logs } = httpSinkOn(clock, `${server.url}/in`, { breakerThreshold: '3', breakerPauseMs: '300', retries: '50', retryBaseMs: '1', retryCapMs: '5', batchRecords: '1', concurrency: '3' });
    const writing = write(sink, customers(3));
    // open, and every try sent before it opened answered (those may still be on their way)
    const answered = (): boolean => {
      const st = sink.stats() as { requests: number; statusCounts: Record<string, number> };
      return st.requests === (st.statusCounts['503'] ?? 0);
    };
    await until(() => clock.held > 0 && answered());
    expect(sink.status!()).toMatch(/^http: \d in flight, breaker open 0\.3s$/);
    const atOpen = server.requests.length;
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(server.requests.length).toBe(atOpen); // nothing sent while open
    up = true;
    clock.fire();
    expect(await writing).toEqual({});
    expect(logs.some((l) => /3 failed tries in a row to http:\/\/127\.0\.0\.1:\d+\/in \(last: HTTP 503\); circuit breaker open, next try in 0\.3s/.test(l))).toBe(true);
    expect(sink.stats!()).toMatchObject({ breakerOpens: 1, delivered: 3 });
    expect(sink.status!()).toBe('http: 0 in flight');
    await sink.close();
    await server.close();
  });
});
