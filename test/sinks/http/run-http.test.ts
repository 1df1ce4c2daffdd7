// End to end, as a user runs it: `recflow generate` makes the data, `recflow serve`
// receives, `recflow run ... --to http://...` sends. Every process is a real child.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndjsonLines, tempDir } from '../../support/cli.js';
import { runRecflow, scriptedServer, spawnRecflow, startServe, type ServeHandle } from '../../support/serve.js';
import { collect } from '../../support/cli.js';

let tmp: ReturnType<typeof tempDir>;
const serves: ServeHandle[] = [];
const file = (name: string): string => join(tmp.dir, name);
const readLines = (name: string): string[] => readFileSync(file(name), 'utf8').split('\n').filter(Boolean);
const FAST_RETRIES = ['--retry-base-ms', '10', '--retry-cap-ms', '200', '--breaker-pause-ms', '100', '-q'];

interface Summary {
  exitCode: number;
  records: { in: number; out: number; rejected: number; failed?: number };
  sink: { batches: number; retries: number; delivered: number; deadLettered: number; statusCounts: Record<string, number>; errorCounts: Record<string, number>; gaveUp: boolean };
}
const summary = (name: string): Summary => JSON.parse(readFileSync(file(name), 'utf8')) as Summary;

async function serve(args: string[]): Promise<ServeHandle> {
  const s = await startServe(args);
  serves.push(s);
  return s;
}

beforeAll(async () => {
  tmp = tempDir('recflow-run-http-');
  // 2% invalid records: they go to the dead-letter output, never to the receiver.
  const gen = (count: number, out: string): Promise<unknown> =>
    runRecflow(['generate', 'customers', '--count', String(count), '--seed', '1', '--format', 'ndjson', '--invalid-share', '0.02', '--out', file(out), '-q']).then((r) => {
      if (r.code !== 0) throw new Error(`generate failed: ${r.stderr}`);
    });
  await Promise.all([gen(100_000, 'big.ndjson'), gen(5_000, 'small.ndjson')]);
  // What every valid record looks like once sent: the same run to a file.
  for (const name of ['big', 'small']) {
    const r = await runRecflow(['run', file(`${name}.ndjson`), '--to', file(`${name}.expected.ndjson`), '-q']);
    if (r.code !== 0) throw new Error(`run to file failed: ${r.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  tmp.cleanup();
});

const sorted = (xs: string[]): string[] => [...xs].sort();

// Both runners: the sequential one (stages, any sink) and the parallel fast path
// (workers encode, the HTTP sink cuts batches from their lines), forced onto these
// small files with small pieces so that batches cross pieces.
describe.each([
  ['sequential runner', { RECFLOW_WORKERS: '0' }],
  ['parallel runner', { RECFLOW_WORKERS: '1', RECFLOW_CHUNK_BYTES: '8192' }],
] as const)('recflow run --to http:// (%s)', (mode, env) => {
  const sub = mode.split(' ')[0]!;
  const shared = new Set(['big.ndjson', 'small.ndjson', 'big.expected.ndjson', 'small.expected.ndjson']);
  const f = (name: string): string => (shared.has(name) ? join(tmp.dir, name) : join(tmp.dir, sub, name));
  const lines = (name: string): string[] => readFileSync(f(name), 'utf8').split('\n').filter(Boolean);
  const summaryOf = (name: string): Summary => JSON.parse(readFileSync(f(name), 'utf8')) as Summary;
  const run = (args: string[], opts: { env?: Record<string, string> } = {}): ReturnType<typeof runRecflow> =>
    runRecflow(args, { ...opts, env: { ...env, RECFLOW_EXPLAIN: '1', ...opts.env } });
  beforeAll(() => mkdirSync(join(tmp.dir, sub), { recursive: true }));

  it('delivers 100,000 generated records through 30% 503/429 and 5% dropped connections: each valid one exactly once, exit 0', async () => {
    // ~500 requests: with 2.5% of them taken-then-dropped, some surely are (keys hold the port, so fates vary).
    const s = await serve(['--out', f('big.received.ndjson'), '--fail-rate', '0.15', '--throttle-rate', '0.15', '--drop-rate', '0.05', '--retry-after', '1', '--seed', '5']);
    const r = await run(['run', f('big.ndjson'), '--to', `${s.url}/ingest`, '--concurrency', '8', '--batch-records', '250', '--retries', '20', '--dlq', f('big.dlq.ndjson'), '--summary-json', f('big.summary.json'), ...FAST_RETRIES]);
    expect(r.stderr).not.toContain('could not deliver');
    expect(r.stderr).toContain(`recflow: ${sub} runner`);
    expect(r.code).toBe(0);
    const expected = lines('big.expected.ndjson');
    expect(expected.length).toBeGreaterThan(97_000);
    const received = lines('big.received.ndjson');
    expect(received.length).toBe(expected.length); // none lost, none twice
    expect(sorted(received)).toEqual(sorted(expected));
    expect(lines('big.dlq.ndjson')).toHaveLength(100_000 - expected.length); // only the invalid ones
    const sum = summaryOf('big.summary.json');
    expect(sum.records.out).toBe(expected.length);
    expect(sum.sink.delivered).toBe(expected.length);
    expect(sum.sink.retries).toBeGreaterThan(0);
    expect(sum.sink.statusCounts['503']).toBeGreaterThan(0);
    expect(sum.sink.statusCounts['429']).toBeGreaterThan(0);
    expect(sum.sink.errorCounts.ECONNRESET).toBeGreaterThan(0);
    const st = await s.stats();
    expect(st.faults.dropAfter).toBeGreaterThan(0); // taken but unanswered: the retry was dropped by key
    expect(st.duplicates.batches).toBe(st.faults.dropAfter);
  }, 90_000);

  it('exits 3 when the receiver is down for good, naming the URL, with every undelivered record dead-lettered', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/ingest`;
    const r = await run(['run', f('small.ndjson'), '--to', url, '--retries', '3', '--dlq', f('down.dlq.ndjson'), '--summary-json', f('down.summary.json'), ...FAST_RETRIES]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`recflow: ${sub} runner`);
    expect(r.stderr).toContain(`could not deliver to ${url}: connection refused (ECONNREFUSED); gave up after 4 tries in`);
    const dlq = ndjsonLines(readFileSync(f('down.dlq.ndjson'), 'utf8')) as Array<{ line: number; errors: Array<{ code: string; message: string }> }>;
    const failed = dlq.filter((d) => d.errors[0]!.code === 'delivery_failed');
    const invalid = dlq.filter((d) => d.errors[0]!.code !== 'delivery_failed');
    expect(new Set(dlq.map((d) => d.line)).size).toBe(dlq.length);
    expect(invalid.length).toBe(5000 - lines('small.expected.ndjson').length);
    // Every record: those read and checked are dead-lettered, the rest was never read.
    const sum = summaryOf('down.summary.json');
    expect(sum.exitCode).toBe(3);
    expect(sum.records.out).toBe(0);
    expect(failed.length).toBe(sum.records.in - invalid.length);
    expect(failed[0]!.errors[0]!.message).toContain(`could not deliver to ${url}`);
    expect(sum.sink.gaveUp).toBe(true);
  });

  it('sends the same keys on a second run of the same file: the receiver holds every record once', async () => {
    const s = await serve(['--out', f('twice.received.ndjson')]);
    const runs: Summary[] = [];
    for (const n of [1, 2]) {
      const r = await run(['run', f('small.ndjson'), '--to', `${s.url}/ingest`, '--batch-records', '100', '--summary-json', f(`twice.${n}.json`), '-q']);
      expect(r.code).toBe(0);
      runs.push(summaryOf(`twice.${n}.json`));
    }
    expect(sorted(lines('twice.received.ndjson'))).toEqual(sorted(lines('small.expected.ndjson')));
    const st = await s.stats();
    expect(runs[1]!.sink.batches).toBe(runs[0]!.sink.batches);
    expect(st.duplicates.batches).toBe(runs[0]!.sink.batches);
    expect(st.duplicates.records).toBe(lines('small.expected.ndjson').length);
    // With random keys the receiver cannot tell, and takes them again.
    const r = await run(['run', f('small.ndjson'), '--to', `${s.url}/ingest`, '--batch-records', '100', '--idempotency-key', 'random', '-q']);
    expect(r.code).toBe(0);
    expect(lines('twice.received.ndjson').length).toBe(2 * lines('small.expected.ndjson').length);
  });

  it('dead-letters the records of 400 answers with the status and body, and goes on', async () => {
    const server = await scriptedServer((req) => (req.body.includes('"C0000042"') ? { status: 400, body: '{"error":"schema mismatch: email"}' } : { status: 202 }));
    try {
      const url = `${server.url}/v1/batch`;
      const r = await run(['run', f('small.ndjson'), '--to', url, '--batch-records', '50', '--dlq', f('400.dlq.ndjson'), '--summary-json', f('400.summary.json'), ...FAST_RETRIES]);
      expect(r.code).toBe(0);
      const refused = (ndjsonLines(readFileSync(f('400.dlq.ndjson'), 'utf8')) as Array<{ line: number; kind: string; errors: Array<{ code: string; message: string }>; record: { customer_id: string } }>).filter((d) => d.errors[0]!.code === 'http_rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBeLessThanOrEqual(50);
      expect(refused.some((d) => d.record.customer_id === 'C0000042')).toBe(true);
      expect(refused[0]!.kind).toBe('customer');
      expect(refused[0]!.errors).toEqual([{ field: null, code: 'http_rejected', message: `HTTP 400 from ${url}: {"error":"schema mismatch: email"}` }]);
      const sum = summaryOf('400.summary.json');
      expect(sum.sink.deadLettered).toBe(refused.length);
      expect(sum.sink.statusCounts['400']).toBe(1);
      expect(sum.records.out).toBe(lines('small.expected.ndjson').length - refused.length);
      expect(server.requests.length).toBe(sum.sink.batches); // the run went on past the 400
    } finally {
      await server.close();
    }
  });

  it('sends the token from RECFLOW_HTTP_TOKEN and never prints it', async () => {
    const s = await serve(['--token', 'tok-123456']);
    const r = await run(['run', f('small.ndjson'), '--to', `${s.url}/ingest`, '--summary-json', '-'], { env: { RECFLOW_HTTP_TOKEN: 'tok-123456' } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('tok-123456');
    expect((await s.stats()).refused.unauthorized).toBe(0);
  });

  it('reads no faster than a slow receiver takes: reading waits, requests stay within --concurrency', async () => {
    const s = await serve(['--latency-ms', '3000']);
    const child = spawnRecflow(['run', f('big.ndjson'), '--to', `${s.url}/ingest`, '--concurrency', '2', '--progress-interval', '1'], { env });
    const done = collect(child, { timeoutMs: 30_000 });
    // wait for the reader to stand still (not for a guessed time): two progress lines
    // in a row with the same counts while both requests are held by the receiver
    const stalledAt = await new Promise<number>((resolve, reject) => {
      let err = '';
      let partial = '';
      let prev: string | undefined;
      const timer = setTimeout(() => reject(new Error(`reading never paused within 20 s:\n${err}`)), 20_000);
      child.on('exit', () => reject(new Error(`the run ended before reading paused:\n${err}`)));
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString('utf8');
        const lines = (partial + d.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const m = /^recflow run: ([\d,]+) in, ([\d,]+) out,.*\| http: 2 in flight/.exec(line);
          const counts = m ? `${m[1]}/${m[2]}` : undefined;
          if (counts !== undefined && counts === prev) {
            clearTimeout(timer);
            resolve(Number(m![1]!.replace(/,/g, '')));
          }
          prev = counts;
        }
      });
    });
    child.kill('SIGKILL');
    await done;
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(40_000); // of 100,000: the reader waited for the sink
    expect((await s.stats()).maxInFlight).toBe(2);
  }, 30_000);
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as import('node:net').AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
