// `--metrics ADDR`: /metrics in the Prometheus text format (prom-client), /health and
// /ready, for long-lived (Kafka stream) runs. Figures are read at scrape time from the
// same counters the summary uses, so the hot path pays nothing for them.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RecflowError } from '../errors.js';
import type { BreakerState } from '../sinks/util/breaker.js';
import type { RunStats } from './stats.js';
import type { Sink, Source } from './types.js';

export interface MetricsTarget {
  stats: RunStats;
  sink: Sink | null;
  sources: Source[];
  /** Made before the sink, which observes into it (latencyObserver). */
  latency?: Histogram;
}

/** The HTTP request latency histogram, and the function a sink calls per answered request. */
export function latencyObserver(): { histogram: Histogram; observe: (seconds: number) => void } {
  const histogram = new Histogram({
    name: 'recflow_sink_request_duration_seconds',
    help: 'HTTP sink: seconds from sending a batch to its whole answer',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  return { histogram, observe: (s) => histogram.observe(s) };
}

export interface MetricsServer {
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** `PORT`, `HOST:PORT` or `[v6]:PORT`; a bare port binds loopback only. */
export function parseMetricsAddress(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new RecflowError('usage', `--metrics '${text}' is not an address: give PORT or HOST:PORT, e.g. 127.0.0.1:9464`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

type Labels = Record<string, string>;
type Reading = Array<[Labels, number]>;

/**
 * A counter or gauge whose values are read from elsewhere when scraped. A counter is set
 * by reset + inc (prom-client counters have no set); a gauge by set.
 */
function readMetric(kind: 'counter' | 'gauge', reg: Registry, name: string, help: string, labelNames: string[], read: () => Reading): void {
  const Metric = kind === 'counter' ? Counter : Gauge;
  new Metric({
    name,
    help,
    labelNames,
    registers: [reg],
    collect(this: Counter | Gauge) {
      this.reset();
      for (const [labels, v] of read()) {
        if (this instanceof Gauge) this.set(labels, v);
        else if (v > 0) this.inc(labels, v);
      }
    },
  });
}

const readCounter = (reg: Registry, name: string, help: string, labelNames: string[], read: () => Reading): void => readMetric('counter', reg, name, help, labelNames, read);
const readGauge = (reg: Registry, name: string, help: string, labelNames: string[], read: () => Reading): void => readMetric('gauge', reg, name, help, labelNames, read);

const byKey = (label: string, m: Record<string, number> | undefined): Reading => Object.entries(m ?? {}).map(([k, v]) => [{ [label]: k }, v]);

interface SinkFigures {
  batches?: number;
  requests?: number;
  retries?: number;
  deadLettered?: number;
  gaveUp?: boolean;
  breakerOpens?: number;
  breaker?: BreakerState;
  statusCounts?: Record<string, number>;
  latency?: { buckets: number[]; counts: number[]; sum: number; count: number };
}

interface KafkaPartitionFigures {
  committed: number | null;
  lag: number;
  assigned: boolean;
}

function kafkaPartitions(sources: Source[]): Array<[Labels, KafkaPartitionFigures]> {
  const out: Array<[Labels, KafkaPartitionFigures]> = [];
  for (const s of sources) {
    const k = (s.stats?.() as { kafka?: { partitions?: Record<string, KafkaPartitionFigures> } } | undefined)?.kafka;
    for (const [key, p] of Object.entries(k?.partitions ?? {})) {
      const cut = key.lastIndexOf('/');
      out.push([{ topic: key.slice(0, cut), partition: key.slice(cut + 1) }, p]);
    }
  }
  return out;
}

/** The registry with every recflow metric, read from the run's counters. */
export function buildRegistry(t: MetricsTarget): Registry {
  const reg = new Registry();
  collectDefaultMetrics({ register: reg, prefix: 'recflow_' });
  if (t.latency) reg.registerMetric(t.latency);
  const sink = (): SinkFigures => (t.sink?.stats?.() ?? {}) as SinkFigures;
  const s = t.stats;
  readCounter(reg, 'recflow_records_in_total', 'Records read (parse errors included)', [], () => [[{}, s.recordsIn]]);
  readCounter(reg, 'recflow_records_out_total', 'Records written by the sink, by kind', ['kind'], () => byKey('kind', s.outByKind));
  readCounter(reg, 'recflow_records_rejected_total', 'Records dead-lettered, by kind', ['kind'], () => byKey('kind', s.rejectedByKind));
  readCounter(reg, 'recflow_rejections_total', 'Rejected records by error code (a record counts once per code)', ['code'], () => byKey('code', s.rejectedByCode));
  readCounter(reg, 'recflow_records_dropped_total', 'Records a stage dropped on purpose', [], () => [[{}, s.dropped]]);
  readCounter(reg, 'recflow_records_failed_total', 'Records the sink failed to deliver', [], () => [[{}, s.failed]]);
  readCounter(reg, 'recflow_bytes_read_total', 'Bytes of input read', [], () => [[{}, s.bytesRead]]);
  readCounter(reg, 'recflow_sink_batches_total', 'Batches the sink sent', [], () => [[{}, sink().batches ?? 0]]);
  readCounter(reg, 'recflow_sink_requests_total', 'Requests the sink made, tries included', [], () => [[{}, sink().requests ?? 0]]);
  readCounter(reg, 'recflow_sink_retries_total', 'Retries of sink batches', [], () => [[{}, sink().retries ?? 0]]);
  readCounter(reg, 'recflow_sink_responses_total', 'HTTP answers by status', ['status'], () => byKey('status', sink().statusCounts));
  readCounter(reg, 'recflow_sink_breaker_opens_total', 'Times the circuit breaker opened', [], () => [[{}, sink().breakerOpens ?? 0]]);
  readGauge(reg, 'recflow_sink_failed', '1 once the sink gave up for good', [], () => [[{}, sink().gaveUp ? 1 : 0]]);
  readGauge(reg, 'recflow_sink_breaker_state', 'Circuit breaker: 0 closed, 1 half-open, 2 open', [], () => [[{}, breakerGauge(sink())]]);
  readGauge(reg, 'recflow_kafka_consumer_lag', 'Messages behind the high watermark', ['topic', 'partition'], () =>
    kafkaPartitions(t.sources).filter(([, p]) => p.assigned).map(([l, p]) => [l, p.lag]),
  );
  readGauge(reg, 'recflow_kafka_committed_offset', 'Last committed offset', ['topic', 'partition'], () =>
    kafkaPartitions(t.sources).filter(([, p]) => p.committed !== null).map(([l, p]) => [l, p.committed!]),
  );
  return reg;
}

const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** A sink without a breaker (file, Kafka) counts as closed. */
function breakerGauge(f: SinkFigures): number {
  return f.breaker === undefined ? 0 : BREAKER_GAUGE[f.breaker];
}

/** Not yet able to deliver: a Kafka source that has not joined its group. */
function notReady(s: Source): boolean {
  return s.ready === false;
}

/** Ready: the sources are connected (a Kafka source has joined its group), the sink has not given up and its breaker is closed. */
export function isReady(t: MetricsTarget): boolean {
  const f = (t.sink?.stats?.() ?? {}) as SinkFigures;
  return !t.sources.some(notReady) && !f.gaveUp && breakerGauge(f) === 0;
}

export async function startMetrics(address: string, t: MetricsTarget): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddress(address);
  const reg = buildRegistry(t);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/health') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/ready') {
      const ready = isReady(t);
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    }
    if (path !== '/metrics') return void res.writeHead(404).end();
    reg.metrics().then(
      (body) => res.writeHead(200, { 'content-type': reg.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new RecflowError('usage', `--metrics ${address}: cannot listen (${err.code ?? err.message}); choose another port`)),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref(); // a scrape endpoint must never keep a finished run alive
  const a = server.address() as { address: string; port: number };
  return {
    url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
