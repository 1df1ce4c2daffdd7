// --append: cron jobs and incremental exports add to one file; a torn last line (a kill
// mid-write) is cut off by the next --append run, so the file holds whole lines.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, tempDir } from '../support/cli.js';

const CSV = join(FIXTURES, 'customers.csv');
const lines = (text: string): string[] => text.split('\n').filter(Boolean);

describe('--append', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-append-')));
  afterEach(() => cleanup());

  it.each([['0'], ['2']])('two runs add up (RECFLOW_WORKERS=%s); a torn last line is cut with a warning', async (workers) => {
    const out = join(dir, 'all.ndjson');
    const env = { RECFLOW_WORKERS: workers };
    expect((await runCli(['run', CSV, '--to', out, '--append', '-q'], { env })).code).toBe(0);
    expect(lines(readFileSync(out, 'utf8'))).toHaveLength(18);
    appendFileSync(out, '{"kind":"customer","customer_id":"TOR');
    const second = await runCli(['run', CSV, '--to', out, '--append', '-q'], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/ended in a torn line .*cut its last 37 bytes/);
    const all = lines(readFileSync(out, 'utf8'));
    expect(all).toHaveLength(36);
    for (const l of all) JSON.parse(l);
  });

  it('a .gz file gets a new gzip member; both runs read back', async () => {
    const out = join(dir, 'all.ndjson.gz');
    for (let i = 0; i < 2; i++) expect((await runCli(['run', CSV, '--to', out, '--append', '-q'])).code).toBe(0);
    expect(lines(gunzipSync(readFileSync(out)).toString())).toHaveLength(36);
  });

  it('refused with rotation, --no-clobber, a non-file sink or a CSV output (exit 2, file unchanged)', async () => {
    const out = join(dir, 'keep.ndjson');
    writeFileSync(out, 'x\n');
    for (const args of [
      ['--to', out, '--append', '--rotate-records', '5'],
      ['--to', out, '--append', '--no-clobber'],
      ['--append'],
      ['--to', join(dir, 'o.csv'), '--kind', 'customer', '--append'],
    ]) {
      const res = await runCli(['run', CSV, '-q', ...args]);
      expect(res.code, args.join(' ') + '\n' + res.stderr).toBe(2);
      expect(res.stderr).toMatch(/--append/);
    }
    expect(readFileSync(out, 'utf8')).toBe('x\n');
  });
});
