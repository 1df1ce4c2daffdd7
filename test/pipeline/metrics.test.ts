// The Prometheus endpoint: figures read from the run's counters at scrape time, and
// /health, /ready answering for the sink's state.
import { afterEach, describe, expect, it } from 'vitest';
import { parseMetricsAddress, startMetrics, type MetricsServer } from '../../src/pipeline/metrics.js';
import { RunStats } from '../../src/pipeline/stats.js';
import type { Sink, Source } from '../../src/pipeline/types.js';

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

  it('/health is 200; /ready is 503 while the breaker is open or the sink gave up', async () => {
    const figures: Record<string, unknown> = { gaveUp: false };
    let status = '';
    const sink: Sink = { ...fakeSink(figures), status: () => status };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink, sources: [] });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    status = 'http: 0 in flight, breaker open 1.0s';
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^recflow_sink_breaker_state 2$/m);
    status = '';
    figures.gaveUp = true;
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('/ready is 503 while a Kafka source is still joining its group', async () => {
    let status = 'joining group loader';
    const source: Source = { name: 'kafka://x/t', batches: async function* () {}, status: () => status };
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: fakeSink({}), sources: [source] });
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    status = 'lag p0=0';
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  it('a port in use is a usage error naming the address', async () => {
    server = await startMetrics('127.0.0.1:0', { stats: new RunStats(), sink: null, sources: [] });
    const port = new URL(server.url).port;
    await expect(startMetrics(`127.0.0.1:${port}`, { stats: new RunStats(), sink: null, sources: [] })).rejects.toThrow(/cannot listen \(EADDRINUSE\)/);
  });
});
