// SIGTERM/SIGINT on the parallel path: stop reading, write what was read, exit
// 143/130 with a summary that matches what was written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, spawnCli, tempDir } from '../../support/cli.js';
import { startServe } from '../../support/serve.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-sig-')));
afterAll(() => cleanup());

function bigCsv(rows: number): string {
  const lines = ['customer_id,first_name,last_name,email,country,lifetime_value'];
  for (let i = 0; i < rows; i++) {
    lines.push(i % 50 === 7 ? `C${i},"multi\nline",X,bad-email,de,1` : `C${i},Ann,Smith,ann${i}@example.com,de,${i % 1000}.5`);
  }
  return lines.join('\n') + '\n';
}

describe('parallel runner: signals', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} drains: complete lines out, summary matches, exit ${code}`, async () => {
      const f = join(dir, `big-${signal}.csv`);
      writeFileSync(f, bigCsv(600_000));
      const summary = join(dir, `summary-${signal}.json`);
      const child = spawnCli(['run', f, '--summary-json', summary, '-q'], { env: { RECFLOW_WORKERS: '2', RECFLOW_CHUNK_BYTES: '65536' } });
      let seen = 0;
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.length;
        if (seen > 0 && child.exitCode === null && !child.killed) child.kill(signal);
      });
      const res = await collect(child);
      expect(res.code).toBe(code);
      expect(res.stdout.endsWith('\n')).toBe(true);
      const lines = res.stdout.split('\n').filter(Boolean);
      for (const l of lines.slice(-3)) expect(JSON.parse(l)).toHaveProperty('kind', 'customer');
      const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: { in: number; out: number; rejected: number }; outcome: string };
      expect(s.outcome).toContain(`interrupted by ${signal}`);
      expect(s.records.out).toBe(lines.length);
      expect(s.records.in).toBe(s.records.out + s.records.rejected);
      expect(s.records.in).toBeLessThan(600_000);
    });
  }

  it('SIGTERM while sending to HTTP drains: the receiver holds exactly what the summary says was written', async () => {
    const f = join(dir, 'big-http.csv');
    writeFileSync(f, bigCsv(300_000));
    const received = join(dir, 'received.ndjson');
    const serve = await startServe(['--out', received, '--latency-ms', '50', '--quiet']);
    try {
      const summary = join(dir, 'summary-http.json');
      const child = spawnCli(['run', f, '--to', `${serve.url}/ingest`, '--summary-json', summary, '--dlq', join(dir, 'dlq-http.ndjson'), '-q'], {
        env: { RECFLOW_WORKERS: '1', RECFLOW_EXPLAIN: '1' },
      });
      const done = collect(child);
      // stop once the receiver holds some records: mid-run, with batches in flight
      for (let i = 0; i < 200 && (await serve.stats()).records === 0; i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const res = await done;
      expect(res.stderr).toContain('parallel runner');
      expect(res.code).toBe(143);
      const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: { in: number; out: number; rejected: number; failed?: number } };
      const held = readFileSync(received, 'utf8').split('\n').filter(Boolean);
      expect(held.length).toBeGreaterThan(0);
      expect(s.records.out).toBe(held.length);
      expect(s.records.in).toBe(s.records.out + s.records.rejected + (s.records.failed ?? 0));
      expect(s.records.in).toBeLessThan(300_000);
      const dlq = readFileSync(join(dir, 'dlq-http.ndjson'), 'utf8').split('\n').filter(Boolean);
      expect(dlq.length).toBe(s.records.rejected + (s.records.failed ?? 0));
    } finally {
      await serve.stop();
    }
  });
});
