// The HTTP sink when the endpoint is down, refuses, or the user presses Ctrl-C, on the
// built CLI with `recflow serve` as the receiver (issue 11): the breaker wakes up and
// delivers once the receiver is up; a run that cannot deliver exits 3 with every
// record accounted for; a batch given up on its first try does not hang the parallel
// runner; SIGINT during an outage stops at once; 413 splits batches; a run whose every
// batch is refused is a failure.
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkFailure } from '../../../src/errors.js';
import { collect, runCli, spawnCli, tempDir, type CliResult } from '../../support/cli.js';
import { customers, httpSink, scriptedServer, startServe } from '../../support/serve.js';
import { write } from './write.js';

let dir: string;
let cleanup: () => void;
/** 5,000 customers, 250 invalid (4,750 valid); 500 customers; 50,000 (4.9 MB: the parallel runner). */
let small: string;
let tiny: string;
let big: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('recflow-reliability-'));
  small = join(dir, 'c5k.csv');
  tiny = join(dir, 'c500.csv');
  big = join(dir, 'c50k.csv');
  const gen = (count: number, out: string): Promise<CliResult> =>
    runCli(['generate', 'customers', '--count', String(count), '--seed', '1', '--invalid-share', '0.05', '-o', out]);
  for (const r of await Promise.all([gen(5000, small), gen(500, tiny), gen(50_000, big)])) expect(r.code).toBe(0);
}, 60_000);
afterAll(() => cleanup());

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as import('node:net').AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Summary {
  exitCode: number;
  outcome: string;
  records: { in: number; out: number; rejected: number; failed: number };
  sink: { delivered: number; deadLettered: number; splits: number; retries: number; gaveUp: boolean };
}
const summaryOf = (f: string): Summary => JSON.parse(readFileSync(f, 'utf8')) as Summary;
const codes = (dlq: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const l of readFileSync(dlq, 'utf8').split('\n').filter(Boolean)) {
    const code = (JSON.parse(l) as { errors: { code: string }[] }).errors[0]!.code;
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
};
const contractRejects = (c: Record<string, number>): number =>
  Object.entries(c).filter(([k]) => k !== 'delivery_failed' && k !== 'http_rejected').reduce((n, [, v]) => n + v, 0);

const BREAKER = ['--breaker-threshold', '1', '--breaker-pause-ms', '7', '--retry-base-ms', '5', '--retry-cap-ms', '20', '--retries', '10000'];

/** Resolves once the child's stderr matches (the run is in the outage), or fails after 20 s. */
function stderrSays(child: import('node:child_process').ChildProcess, re: RegExp): Promise<void> {
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (re.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

describe('the circuit breaker wakes up (issue 11, item 1)', () => {
  it('a receiver started late gets every valid record, in each of 5 runs at once', async () => {
    const runs = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const port = await freePort();
        const [dlq, summary] = [join(dir, `late-${i}.dlq`), join(dir, `late-${i}.json`)];
        // --debug logs each reopening of the breaker, with the count of failed tries
        const child = spawnCli(['run', small, '--to', `http://127.0.0.1:${port}/ingest`, '--dlq', dlq, '--summary-json', summary, ...BREAKER, '--debug']);
        const done = collect(child, { timeoutMs: 60_000 });
        // the receiver comes up while the run is retrying behind the breaker, after
        // 40, 60, ... 120 failed probes: each run is at another point of its cycle
        await stderrSays(child, new RegExp(`\\b${20 * (i + 2)} failed tries in a row .*circuit breaker open`));
        const serve = await startServe(['--port', String(port), '--quiet']);
        try {
          const res = await done;
          return { res, dlq, summary, held: (await serve.stats()).records };
        } finally {
          await serve.stop();
        }
      }),
    );
    for (const { res, dlq, summary, held } of runs) {
      expect(res.stderr).not.toMatch(/error:/);
      expect(res.code).toBe(0);
      const s = summaryOf(summary);
      expect(s.records).toMatchObject({ in: 5000, out: 4750, rejected: 250, failed: 0 });
      expect(s.sink.retries).toBeGreaterThan(0);
      expect(s.sink.delivered).toBe(4750);
      expect(held).toBe(4750);
      const c = codes(dlq);
      expect(c.delivery_failed).toBeUndefined();
      expect(contractRejects(c)).toBe(250);
    }
  }, 90_000);

  it('with no receiver ever: exit 3, every valid record dead-lettered as delivery_failed, the summary written', async () => {
    const port = await freePort();
    const [dlq, summary] = [join(dir, 'never.dlq'), join(dir, 'never.json')];
    const res = await runCli(['run', small, '--to', `http://127.0.0.1:${port}/ingest`, '--dlq', dlq, '--summary-json', summary, ...BREAKER, '-q', '--retry-max-time', '2s'], { timeoutMs: 30_000 });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/could not deliver to http:\/\/127\.0\.0\.1:\d+\/ingest: connection refused \(ECONNREFUSED\); gave up after \d+ tries/);
    const s = summaryOf(summary);
    expect(s.exitCode).toBe(3);
    expect(s.records).toMatchObject({ in: 5000, out: 0, rejected: 250, failed: 4750 });
    expect(s.sink.deadLettered).toBe(4750);
    const c = codes(dlq);
    expect(c.delivery_failed).toBe(4750);
    expect(contractRejects(c)).toBe(250);
  }, 40_000);
});

describe('the parallel runner and a batch given up on its first try (issue 11, item 2)', () => {
  const cases: Array<[string, () => Promise<{ url: string; close(): Promise<void> }>]> = [
    ['nothing listening', async () => ({ url: `http://127.0.0.1:${await freePort()}`, close: async () => {} })],
    ['a receiver answering 301', () => scriptedServer(() => ({ status: 301, headers: { location: 'http://elsewhere/' } }))],
    ['https:// to a plain-HTTP port', async () => {
      const s = await scriptedServer(() => ({ status: 200 }));
      return { url: s.url.replace('http:', 'https:'), close: () => s.close() };
    }],
  ];
  for (const [name, endpoint] of cases) {
    it(`${name}: exit 3 (not a hang), every record accounted for`, async () => {
      const server = await endpoint();
      try {
        const slug = name.replace(/\W+/g, '-');
        const [dlq, summary] = [join(dir, `p-${slug}.dlq`), join(dir, `p-${slug}.json`)];
        const res = await runCli(['run', big, '--to', `${server.url}/`, '--retries', '0', '--dlq', dlq, '--summary-json', summary, '-q'], {
          env: { RECFLOW_EXPLAIN: '1', RECFLOW_WORKERS: undefined }, // the engine's own choice, whatever the suite runs with
          timeoutMs: 10_000, // a hang is killed: code null
        });
        expect(res.stderr).toContain('parallel runner');
        expect(res.code).toBe(3);
        const s = summaryOf(summary);
        expect(s.records.failed).toBeGreaterThan(0);
        expect(s.records.in).toBe(s.records.out + s.records.rejected + s.records.failed);
        expect(s.sink.deadLettered).toBe(s.records.failed);
        expect(codes(dlq).delivery_failed).toBe(s.records.failed);
      } finally {
        await server.close();
      }
    }, 20_000);
  }
});

describe('SIGINT during an outage (issue 11, item 7)', () => {
  for (const [runner, input] of [['sequential', () => small], ['parallel', () => big]] as const) {
    // how soon is timed on a fake clock (outage.test.ts); here a pause and budget far past
    // the 30 s bound on the child make a run that waits them out a hang (exit code null)
    it(`${runner} runner: exit 130, not after the breaker's pause; undelivered records dead-lettered (interrupted), the summary written`, async () => {
      const port = await freePort();
      const [dlq, summary] = [join(dir, `int-${runner}.dlq`), join(dir, `int-${runner}.json`)];
      const child = spawnCli(['run', input(), '--to', `http://127.0.0.1:${port}/`, '--dlq', dlq, '--summary-json', summary, '--breaker-threshold', '2', '--breaker-pause-ms', '600000', '--retry-max-time', '10m', '--progress-interval', '1'], {
        env: { RECFLOW_EXPLAIN: '1', RECFLOW_WORKERS: undefined },
      });
      const done = collect(child, { timeoutMs: 30_000 });
      await stderrSays(child, /circuit breaker open/);
      child.kill('SIGINT');
      const res = await done;
      expect(res.stderr).toContain(`${runner} runner`);
      expect(res.code).toBe(130);
      const s = summaryOf(summary);
      expect(s.outcome).toMatch(/^interrupted by SIGINT; \d+ records not delivered/);
      expect(s.records.failed).toBeGreaterThan(0);
      expect(s.records.in).toBe(s.records.out + s.records.rejected + s.records.failed);
      const rows = readFileSync(dlq, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { errors: { code: string; message: string }[] });
      const failed = rows.filter((r) => r.errors[0]!.code === 'delivery_failed');
      expect(failed).toHaveLength(s.records.failed);
      expect(failed[0]!.errors[0]!.message).toMatch(/^interrupted by SIGINT before delivery to http:\/\/127\.0\.0\.1:\d+\/$/);
    }, 40_000);
  }
});

describe('413 Payload Too Large (issue 11, item 9)', () => {
  it('413 on every batch: exit 3 naming the status; every record dead-lettered as http_rejected and counted', async () => {
    const serve = await startServe(['--max-body-bytes', '10', '--quiet']);
    try {
      const [dlq, summary] = [join(dir, '413-all.dlq'), join(dir, '413-all.json')];
      const res = await runCli(['run', tiny, '--to', `${serve.url}/ingest`, '--dlq', dlq, '--summary-json', summary, '-q']);
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/error: http:\/\/127\.0\.0\.1:\d+\/ingest refused every batch and took none: HTTP 413 \(475 records\)/);
      const s = summaryOf(summary);
      expect(s.records).toMatchObject({ in: 500, out: 0, rejected: 500, failed: 0 });
      expect(s.sink).toMatchObject({ delivered: 0, deadLettered: 475 });
      expect(codes(dlq).http_rejected).toBe(475);
      expect((await serve.stats()).records).toBe(0);
    } finally {
      await serve.stop();
    }
  });

  it('413 only above a size: batches are split in halves until they fit, and all delivered', async () => {
    const serve = await startServe(['--max-body-bytes', '12k', '--quiet']);
    try {
      const [dlq, summary] = [join(dir, '413-some.dlq'), join(dir, '413-some.json')];
      const res = await runCli(['run', tiny, '--to', `${serve.url}/ingest`, '--dlq', dlq, '--summary-json', summary, '-q']);
      expect(res.code).toBe(0);
      const s = summaryOf(summary);
      expect(s.records).toMatchObject({ in: 500, out: 475, rejected: 25, failed: 0 });
      expect(s.sink.splits).toBeGreaterThan(0);
      expect(s.sink.deadLettered).toBe(0);
      const stats = await serve.stats();
      expect(stats.records).toBe(475);
      expect(stats.duplicates.records).toBe(0);
      expect(codes(dlq).http_rejected).toBeUndefined();
    } finally {
      await serve.stop();
    }
  });
});

describe('the run guard', () => {
  // on the parallel engine too: idle worker threads must not keep such a run alive forever
  it.each([['sequential runner', { RECFLOW_WORKERS: '0' }], ['parallel engine', { RECFLOW_WORKERS: '1' }]])(
    'a run whose promise can never settle (a stage that never answers) exits 3 with a message, not 0 (%s)',
    async (_name, env) => {
      const stage = join(dir, 'stuck.mjs');
      writeFileSync(stage, "export default { name: 'stuck', process() { return new Promise(() => {}); } };\n");
      const out = join(dir, 'stuck.ndjson');
      const res = await runCli(['run', tiny, '--stage', stage, '--to', out, '-q'], { timeoutMs: 20_000, env });
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/^recflow: internal error: the run was waiting for something that can no longer happen/m);
    },
  );
});

describe('the sink watchdog', () => {
  it('batches waiting on nothing fail the write loudly, with every record undelivered, instead of hanging', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    const { sink } = await httpSink(`${server.url}/in`);
    // simulate the lost wake-up: the breaker never lets the try go, and holds no timer
    (sink as unknown as { breaker: { acquire: () => Promise<boolean> } }).breaker.acquire = () => new Promise<boolean>(() => {});
    const recs = customers(5);
    const res = await write(sink, recs);
    expect(res.failure).toBeInstanceOf(SinkFailure);
    expect(res.failure!.message).toMatch(/internal error: 1 batches \(5 records\) were waiting with no request, timer or retry pending; this is a bug/);
    expect(res.refused).toEqual([{ from: 0, to: 5, code: 'delivery_failed', message: res.failure!.message }]);
    expect(sink.stats!()).toMatchObject({ deadLettered: 5, gaveUp: true });
    await sink.close();
    await server.close();
    expect(server.requests).toHaveLength(0);
  });
});
