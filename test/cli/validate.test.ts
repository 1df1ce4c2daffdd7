import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const GOOD = 'sku,product_name,warehouse_id,quantity,unit_price\nS-1,Lamp,W1,3,9.99\nS-2,Desk,W1,0,120\n';
const BAD = GOOD + 'S 3,Chair,W1,1.5,12\nS-4,,W2,-1,1\nS-5,Stool,W2,2,"1,234.50"\n';

describe('recflow validate', () => {
  it('exits 0 when every record passes and writes nothing to stdout', async () => {
    writeFileSync(join(dir, 'good.csv'), GOOD);
    const res = await runCli(['validate', join(dir, 'good.csv'), '-q']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/2 read, 2 valid, 0 rejected/);
    expect(res.stderr).toMatch(/all records pass/);
  });

  it('exits 1 on any failure, groups the report by code with counts and file:line examples', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, BAD);
    const res = await runCli(['validate', f, '-q']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(new RegExp(`invalid_id\\s+1\\s+${f.replace(/[.]/g, '\\.')}:4`));
    expect(res.stderr).toMatch(/invalid_integer\s+1\s+.*bad\.csv:4/);
    expect(res.stderr).toMatch(/missing_required\s+1\s+.*bad\.csv:5/);
    expect(res.stderr).toMatch(/out_of_range\s+1\s+.*bad\.csv:5/);
    expect(res.stderr).toMatch(/invalid_number\s+1\s+.*bad\.csv:6/);
    expect(res.stderr).toMatch(/too many rejected records: 3 of 5/);
  });

  it('--report-json - prints the machine report on stdout; --max-rejects loosens the exit status', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, BAD);
    const res = await runCli(['validate', f, '--report-json', '-', '--max-rejects', '3', '-q']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.records).toMatchObject({ in: 5, out: 2, rejected: 3 });
    expect(report.rejectedByCode).toEqual({ invalid_id: 1, invalid_integer: 1, missing_required: 1, out_of_range: 1, invalid_number: 1 });
    expect(report.examples.invalid_number).toEqual([`${f}:6`]);
    const tight = await runCli(['validate', f, '--max-reject-rate', '0.5', '-q']);
    expect(tight.code).toBe(1);
  });

  it('writes no output file and usage errors exit 2', async () => {
    writeFileSync(join(dir, 'good.csv'), GOOD);
    const res = await runCli(['validate', join(dir, 'good.csv'), '--to', 'x.ndjson']);
    expect(res.code).toBe(2);
    expect(existsSync(join(dir, 'x.ndjson'))).toBe(false);
    const missing = await runCli(['validate', join(dir, 'missing.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.ndjson: file not found/);
  });

  it('--report-json to a file', async () => {
    writeFileSync(join(dir, 'good.csv'), GOOD);
    const out = join(dir, 'r.json');
    const res = await runCli(['validate', join(dir, 'good.csv'), '--report-json', out, '-q']);
    expect(res.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).records.in).toBe(2);
  });
});
