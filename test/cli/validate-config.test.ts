// `validate --config` and `validate --stage`: the pipeline a cron job runs, checked
// without writing data (the job's own output files are left alone).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, tempDir } from '../support/cli.js';

describe('validate with the job pipeline', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-vcfg-')));
  afterEach(() => cleanup());

  it('--config: sources and stages from a run job file; its to/dlq are not written', async () => {
    const job = join(dir, 'job.yaml');
    writeFileSync(job, `sources: [ ${JSON.stringify(join(FIXTURES, 'customers.csv'))} ]\nto: out.ndjson\ndlq: rejects.ndjson\nrotate-records: 100\nstages:\n  - 'filter:expr=country == "GB",on_drop=reject'\n`);
    const res = await runCli(['validate', '--config', job, '--summary-json', join(dir, 's.json')], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/filtered\s+16/);
    expect(res.stderr).toMatch(/25 read, 2 valid, 23 rejected/);
    expect(existsSync(join(dir, 'out.ndjson'))).toBe(false);
    expect(existsSync(join(dir, 'rejects.ndjson'))).toBe(false);
    expect(existsSync(join(dir, 's.json'))).toBe(true);
  });

  it('a typo in the job file is still refused (exit 2)', async () => {
    const job = join(dir, 'job.yaml');
    writeFileSync(job, 'tox: out.ndjson\n');
    const res = await runCli(['validate', join(FIXTURES, 'customers.csv'), '--config', job]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/tox: unknown key/);
  });

  it('--stage: the stages apply before the verdict', async () => {
    const plain = await runCli(['validate', join(FIXTURES, 'customers.csv'), '-q']);
    const staged = await runCli(['validate', join(FIXTURES, 'customers.csv'), '-q', '--stage', 'filter:expr=country == "GB",on_drop=reject']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).not.toMatch(/filtered/);
    expect(staged.code).toBe(1);
    expect(staged.stderr).toMatch(/filtered\s+16/);
    expect(staged.stderr).toMatch(/2 valid/);
  });

  it('no sources at all reads piped stdin (a terminal is exit 2: test/cli/inputs.test.ts)', async () => {
    const res = await runCli(['validate'], { input: 'customer_id,email\nC1,a@example.com\n' });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/1 valid/);
  });
});
