// Dead-letter and summary targets: '-' (stdout, unless stdout is taken) and .gz.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, tempDir } from '../support/cli.js';

const CSV = join(FIXTURES, 'customers.csv');

describe('--dlq and --summary-json targets', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-dlqt-')));
  afterEach(() => cleanup());

  it('--dlq - writes the rejects on stdout when the data goes to a file; no file named -', async () => {
    const res = await runCli(['run', CSV, '--to', join(dir, 'o.ndjson'), '--dlq', '-', '-q'], { cwd: dir });
    expect(res.code).toBe(0);
    const rows = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; errors: unknown[] });
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({ line: 7 });
    expect(() => readFileSync(join(dir, '-'))).toThrow();
  });

  it('--dlq - with data on stdout would mix: exit 2, nothing written', async () => {
    const res = await runCli(['run', CSV, '--dlq', '-', '-q']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--dlq - and data on stdout would mix/);
    expect(res.stdout).toBe('');
  });

  it('.gz dead-letter and summary files are gzip', async () => {
    const res = await runCli(['run', CSV, '--to', join(dir, 'o.ndjson'), '--dlq', join(dir, 'd.ndjson.gz'), '--summary-json', join(dir, 's.json.gz'), '-q']);
    expect(res.code).toBe(0);
    const lines = gunzipSync(readFileSync(join(dir, 'd.ndjson.gz'))).toString().trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(JSON.parse(lines[0]!)).toMatchObject({ source: CSV, line: 7 });
    const summary = JSON.parse(gunzipSync(readFileSync(join(dir, 's.json.gz'))).toString()) as { records: { rejected: number } };
    expect(summary.records.rejected).toBe(7);
  });
});
