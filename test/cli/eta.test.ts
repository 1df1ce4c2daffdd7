// The time left: from the share of bytes read (files), or from the messages left to the
// end offsets that stood at start (Kafka batch mode); on a TTY's live line and in status lines.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etaSeconds, fmtEta } from '../../src/pipeline/progress.js';
import { RunStats } from '../../src/pipeline/stats.js';
import { BIN, collect, runCli, spawnCli, tempDir } from '../support/cli.js';
import { kafkaAvailability, produce, startKafka, uniqueName, type TestKafka } from '../support/kafka.js';
import { startServe, type ServeHandle } from '../support/serve.js';

function statsAt(elapsedS: number, o: Partial<RunStats>): RunStats {
  const s = Object.assign(new RunStats(), o);
  (s as { started: number }).started = Date.now() - elapsedS * 1000;
  return s;
}

describe('etaSeconds', () => {
  it.each([
    ['a quarter of the bytes in 10 s: 30 s left', statsAt(10, { totalBytes: 400, bytesRead: 100 }), undefined, 30],
    ['too early (1 s)', statsAt(1, { totalBytes: 400, bytesRead: 100 }), undefined, undefined],
    ['under 1% read', statsAt(10, { totalBytes: 1000, bytesRead: 5 }), undefined, undefined],
    ['no total, no records left known', statsAt(10, { recordsIn: 50 }), undefined, undefined],
    ['Kafka: 100 read in 10 s, 300 left: 30 s', statsAt(10, { recordsIn: 100 }), 300, 30],
    ['Kafka: caught up', statsAt(10, { recordsIn: 100 }), 0, 0],
  ])('%s', (_name, stats, left, want) => {
    const eta = etaSeconds(stats, left);
    if (want === undefined) expect(eta).toBeUndefined();
    else expect(eta).toBeCloseTo(want, 0);
  });
  it('formats the time left and the expected finish in UTC', () => {
    expect(fmtEta(65, Date.parse('2026-12-01T14:31:00Z'))).toBe('ETA 00:01:05 (about 14:32 UTC)');
  });
});

describe('ETA through the CLI', () => {
  let dir: string;
  let cleanup: () => void;
  let serve: ServeHandle;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('recflow-eta-'));
    serve = await startServe(['--latency-ms', '150', '--quiet']);
  });
  afterAll(async () => {
    await serve?.stop();
    cleanup();
  });

  it('on a TTY, the live line shows the ETA', async () => {
    if (spawnSync('script', ['-qec', 'true', '/dev/null']).status !== 0) {
      console.log('skipping the TTY ETA case: no `script` (util-linux) to give the CLI a terminal');
      return;
    }
    const big = join(dir, 'c.csv');
    writeFileSync(big, (await runCli(['generate', 'customers', '--count', '20000', '--seed', '3'])).stdout);
    const cmd = `RECFLOW_WORKERS=0 timeout -s INT 5 "${process.execPath}" "${BIN}" run "${big}" --to ${serve.url}/ingest --batch-records 500 --concurrency 1`;
    const res = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    expect(res.stdout).toMatch(/ETA \d\d:\d\d:\d\d \(about \d\d:\d\d UTC\)/);
  });

  const avail = kafkaAvailability();
  it.skipIf(!avail.ok)('Kafka batch mode (--until caught-up): status lines show the time left', async () => {
    const kafka: TestKafka = await startKafka();
    try {
      const topic = uniqueName('eta');
      await kafka.createTopic(topic, 2);
      await produce(kafka.bootstrap, topic, Array.from({ length: 3000 }, (_, i) => ({ value: JSON.stringify({ customer_id: `C${i}`, email: `u${i}@example.com` }) })));
      const child = spawnCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', uniqueName('g'), '--until', 'caught-up', '--to', `${serve.url}/ingest`, '--batch-records', '100', '--concurrency', '1', '--kafka-batch', '100', '--progress-interval', '1'], {
        env: { RECFLOW_KAFKA_MAX_WAIT: '100ms', RECFLOW_KAFKA_SESSION_TIMEOUT: '6s', RECFLOW_KAFKA_TIMEOUT: '5s' },
      });
      const done = collect(child, { timeoutMs: 60_000 });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      for (let i = 0; i < 300 && !/ETA \d\d:\d\d:\d\d/.test(err) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      await done;
      expect(err).toMatch(/ in, .*ETA \d\d:\d\d:\d\d \(about \d\d:\d\d UTC\)/);
    } finally {
      await kafka.stop();
    }
  });
});
