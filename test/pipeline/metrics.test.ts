// The Prometheus endpoint: figures read from the run's counters at scrape time, and
// /health, /ready answering for the sink's state.
import { afterEach, describe, expect, it } from 'vitest';
import { parseMetricsAddress, startMetrics, type MetricsServer } from '../../src/pipeline/metrics.js';
import { RunStats } from '../../src/pipeline/stats.js';
import type { Sink, Source } from '../../src/pipeline/types.js';
import { customers, scriptedServer } from '../support/serve.js';
import { FakeClock, httpSinkOn, until } from '../sinks/http/fake-clock.js';
import { write } from '../sinks/http/write.js';

function fakeSink(figures: Record<string, unknown>, status = ''): Sink {
  return { name: 'fake', maxInFlight: 1, write: async () => ({}), close: async () => {}, stats: () => figures, status: () => status };
}

describe('parseMetricsAddress', () => {
  it.each([
    ['9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
  ])('%s', (text, want) => expect(parseMetricsAddress(text)).toEqual(want));
  it.each(['', 'http://x:1', ':9464', '70000', 'host:port'])('%j is a usage error', (text) => {
    expect(() => parseMetricsAddress(text)).toThrow(/--metrics .* is not an address/);
  });
});

describe('startMetrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => server?.close());

  it('serves the run counters, the sink figures and Kafka lag in the Prometheus text format', async () => {
    const stats = new RunStats();
    stats.recordsIn = 10;
    stats.countOut(['customer', 'customer', 'inventory']);
    stats.countRejected([{ source: 'a.csv', line: 2, kind: 'customer', errors: [{ field: 'email', code: 'invalid_email', message: 'x' }], record: {} }]);
    stats.dropped = 4;
    const sink = fakeSink({ batches: 3, requests: 5, retries: 2, statusCounts: { '200': 3, '503': 2 }, breakerOpens: 1, gaveUp: false });
    const source: Source = {
      name: 'kafka://x/t',
      batches: async function* () {},
      stats: () => ({ kafka: { partitions: { 'orders/0': { committed: 41, highWatermark: 50, lag: 9, assigned: true } } } }),
    };
    server = await startMetrics('127.0.0.1:0', { stats, sink, sources: [source] });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of [
      'recflow_records_in_total 10',
      'recflow_records_out_total{kind="customer"} 2',
      'recflow_records_out_total{kind="inventory"} 1',
      'recflow_records_rejected_total{kind="customer"} 1',
      'recflow_rejections_total{code="invalid_email"} 1',
      'recflow_records_dropped_total 4',
      'recflow_sink_batches_total 3',
      'recflow_sink_retries_total 2',
      'recflow_sink_responses_total{status="503"} 2',
      'recflow_sink_breaker_opens_total 1',
      'recflow_sink_breaker_state 0',
      'recflow_kafka_consumer_lag{topic="orders",partition="0"} 9',
      'recflow_kafka_committed_offset{topic="orders",partition="0"} 41',
    ]) expect(text.split('\n')).toContain(line);
    expect(text).toMatch(/^# TYPE recflow_records_out_total counter$/m);
    expect(text).toMatch(/^recflow_process_resident_memory_bytes \d+/m);
    // read at scrape time: a later count shows on the next scrape
    stats.recordsIn = 11;
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^recflow_records_in_total 11$/m);
  });

  const ready = async (url: string): Promise<number> => (await fetch(`${url}/ready`)).status;
  const gauge = async (url: string): Promise<string | undefined> => /^recflow_sink_breaker_state (\S+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1];

  it('/health is 200; /ready is 503 while the breaker is open or the sink gave up', async () => {
    const figures: Record<string, unknown> = { gaveUp: false, breaker: 'closed' };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: fakeSink(figures), sources: [] });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await ready(server.url)).toBe(200);
    figures.breaker = 'open';
    expect(await ready(server.url)).toBe(503);
    expect(await gauge(server.url)).toBe('2');
    figures.breaker = 'closed';
    figures.gaveUp = true;
    expect(await ready(server.url)).toBe(503);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('reads the breaker state from the sink figures, never from its status text', async () => {
    const figures: Record<string, unknown> = { gaveUp: false, breaker: 'open' };
    let status = 'http: 0 in flight, circuit paused';
    const sink: Sink = { ...fakeSink(figures), status: () => status };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink, sources: [] });
    expect([await gauge(server.url), await ready(server.url)]).toEqual(['2', 503]);
    figures.breaker = 'half-open';
    expect([await gauge(server.url), await ready(server.url)]).toEqual(['1', 503]);
    figures.breaker = 'closed';
    status = 'http: 0 in flight, breaker open 1.0s'; // the text alone no longer counts
    expect([await gauge(server.url), await ready(server.url)]).toEqual(['0', 200]);
    delete figures.breaker; // a sink without a breaker (file, Kafka)
    expect([await gauge(server.url), await ready(server.url)]).toEqual(['0', 200]);
  });

  it('the HTTP sink reports its breaker: 2 and 503 while open, 0 and 200 once a probe gets through', async () => {
    let up = false;
    const receiver = await scriptedServer(() => ({ status: up ? 200 : 503 }));
    const clock = new FakeClock(100); // retries go at once; the 300 ms pause waits for fire()
    const { sink } = httpSinkOn(clock, `${receiver.url}/in`, { breakerThreshold: '2', breakerPauseMs: '300', retries: '50', retryBaseMs: '1', retryCapMs: '5', batchRecords: '1' });
    try {
      server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink, sources: [] });
      expect([await gauge(server.url), await ready(server.url)]).toEqual(['0', 200]);
      const writing = write(sink, customers(2));
      await until(() => clock.held > 0);
      expect([await gauge(server.url), await ready(server.url)]).toEqual(['2', 503]);
      expect(sink.stats()).toMatchObject({ breaker: 'open' }); // the summary JSON's sink.breaker
      up = true;
      clock.fire();
      expect(await writing).toEqual({});
      expect([await gauge(server.url), await ready(server.url)]).toEqual(['0', 200]);
      expect(sink.stats()).toMatchObject({ breaker: 'closed', breakerOpens: 1 });
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('/ready is 503 while a source says it is not ready (a Kafka source joining its group)', async () => {
    let joined = false;
    const source: Source = { name: 'kafka://x/t', batches: async function* () {}, status: () => 'lag p0=0', get ready() { return joined; } };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: fakeSink({}), sources: [source] });
    expect(await ready(server.url)).toBe(503);
    joined = true;
    expect(await ready(server.url)).toBe(200);
  });

  it('a source\'s status text does not decide readiness: "joining group" without ready=false is ready', async () => {
    const source: Source = { name: 'kafka://x/t', batches: async function* () {}, status: () => 'joining group loader' };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: fakeSink({}), sources: [source] });
    expect(await ready(server.url)).toBe(200);
  });

  it('a port in use is a usage error naming the address', async () => {
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: null, sources: [] });
    const port = new URL(server.url).port;
    await expect(startMetrics(`127.0.0.1:${port}`, { stats: new RunStats(), sink: null, sources: [] })).rejects.toThrow(/cannot listen \(EADDRINUSE\)/);
  });
});
