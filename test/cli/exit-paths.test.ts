// The summary is written on every exit path recflow controls, and its accounting holds:
// every record read is written, rejected, dropped on purpose, or counted as failed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, FIXTURES, runCli, spawnCli, tempDir } from '../support/cli.js';

interface Summary {
  exitCode: number;
  outcome: string;
  records: { in: number; out: number; rejected: number; dropped: number; failed: number };
}

let dir: string;
let cleanup: () => void;
let big: string;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('recflow-exits-'));
  big = join(dir, 'big.csv');
  writeFileSync(big, (await runCli(['generate', 'customers', '--count', '60000', '--seed', '4', '--invalid-share', '0.05'])).stdout);
});
afterAll(() => cleanup());

function summaryOf(file: string): Summary {
  expect(existsSync(file), 'the summary file is written').toBe(true);
  const s = JSON.parse(readFileSync(file, 'utf8')) as Summary;
  const r = s.records;
  expect(r.in, JSON.stringify(r)).toBe(r.out + r.rejected + r.dropped + r.failed);
  return s;
}

describe('every exit path writes the summary, and in = out + rejected + dropped + failed', () => {
  it('0: done', async () => {
    const s = join(dir, 's0.json');
    const res = await runCli(['run', join(FIXTURES, 'customers.csv'), '--to', join(dir, 'o.ndjson'), '--stage', 'filter:expr=country == "GB"', '--summary-json', s, '-q']);
    expect(res.code).toBe(0);
    const sum = summaryOf(s);
    expect(sum.records.dropped).toBeGreaterThan(0);
  });

  it('1: too many rejects', async () => {
    const s = join(dir, 's1.json');
    const res = await runCli(['validate', join(FIXTURES, 'customers.csv'), '--summary-json', s, '-q']);
    expect(res.code).toBe(1);
    expect(summaryOf(s).exitCode).toBe(1);
  });

  it('3: the sink gave up (nothing listening, --retries 0)', async () => {
    const s = join(dir, 's3.json');
    const res = await runCli(['run', join(FIXTURES, 'customers.csv'), '--to', 'http://127.0.0.1:9/ingest', '--retries', '0', '--dlq', join(dir, 'd3.ndjson'), '--summary-json', s, '-q']);
    expect(res.code).toBe(3);
    const sum = summaryOf(s);
    expect(sum.records.failed).toBeGreaterThan(0);
  });

  it('3: a Kafka sink that cannot connect at start', async () => {
    const s = join(dir, 's3k.json');
    const res = await runCli(['run', join(FIXTURES, 'customers.csv'), '--to', 'kafka://127.0.0.1:9/t', '--summary-json', s], { env: { RECFLOW_KAFKA_TIMEOUT: '1s' } });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/cannot reach Kafka at 127\.0\.0\.1:9/);
    expect(res.stderr).toMatch(/recflow run: 0 read/);
    expect(summaryOf(s).outcome).toMatch(/^failed: cannot reach Kafka/);
  });

  it('0 when the stdout reader leaves early (| head): stderr and the summary say how many were written', async () => {
    const s = join(dir, 'sp.json');
    const child = spawnCli(['run', big, '--summary-json', s]);
    child.stdout!.once('data', () => child.stdout!.destroy());
    const res = await collect(child);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/the stdout reader left after \d+ records were written/);
    const sum = summaryOf(s);
    expect(sum.outcome).toMatch(/the stdout reader left/);
    expect(sum.records.in).toBeLessThanOrEqual(60000);
  });

  it('0 and no error when the reader of `stages` leaves at once (main() handles EPIPE for every command)', async () => {
    const child = spawnCli(['stages', '--markdown']);
    child.stdout!.destroy();
    const res = await collect(child);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/error|EPIPE/i);
  });

  it('143: SIGTERM mid-run', async () => {
    const s = join(dir, 's143.json');
    const child = spawnCli(['run', big, '--stage', 'dedupe:key=email', '--to', join(dir, 'o143.ndjson'), '--summary-json', s, '--progress-interval', '1'], { env: { RECFLOW_CHUNK_BYTES: '4096' } });
    const done = collect(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // once the run is under way (a status line), not while Node is still starting
    for (let i = 0; i < 300 && !/ in, /.test(err) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const res = await done;
    expect([143, 0]).toContain(res.code); // 0 only if the run finished before the signal
    summaryOf(s);
  });
});
