// `recflow generate` end to end: determinism, counts, formats, invalid share, options,
// and the round trip through `recflow validate` / `recflow run`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_CODES } from '../../src/generate/index.js';
import type { Kind } from '../../src/pipeline/types.js';
import { collect, ndjsonLines, runCli, spawnCli, tempDir, type CliResult } from '../support/cli.js';

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

const generate = (args: string[]): Promise<CliResult> => runCli(['generate', ...args]);

const csvRows = (text: string): Record<string, string>[] => parse(text, { columns: true }) as Record<string, string>[];

const CUSTOMER_HEADER = 'customer_id,first_name,last_name,email,phone,country,city,signup_date,lifetime_value,loyalty_tier';
const INVENTORY_HEADER = 'sku,product_name,category,warehouse_id,quantity,unit_price,updated_at,supplier';

describe('recflow generate: output', () => {
  it('is deterministic: the same seed and options give the same bytes, another seed other bytes', async () => {
    for (const format of ['csv', 'ndjson']) {
      const args = ['customers', '--count', '500', '--invalid-share', '0.2', '--format', format, '-q'];
      const a = await generate([...args, '--seed', '42']);
      const b = await generate([...args, '--seed', '42']);
      const c = await generate([...args, '--seed', '43']);
      expect(a.code).toBe(0);
      expect(a.stdout.length).toBeGreaterThan(10_000);
      expect(b.stdout).toBe(a.stdout);
      expect(c.stdout).not.toBe(a.stdout);
    }
  });

  it('writes --count customers with unique ids in order, after the 10-field header', async () => {
    const res = await generate(['customers', '--count', '1000', '-q']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n', 1)[0]).toBe(CUSTOMER_HEADER);
    const rows = csvRows(res.stdout);
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r.customer_id)).toEqual(Array.from({ length: 1000 }, (_, i) => `C${String(i + 1).padStart(7, '0')}`));
    const c = rows[0]!;
    expect(c.email).toMatch(/^[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i);
    expect(c.signup_date === '' || /^20(1[5-9]|2[0-5])-\d\d-\d\d/.test(c.signup_date!)).toBe(true);
    for (const r of rows) {
      expect(r.lifetime_value === '' || /^\d+\.\d\d$/.test(r.lifetime_value!)).toBe(true);
      expect(['', 'bronze', 'silver', 'gold', 'platinum']).toContain(r.loyalty_tier!.toLowerCase());
    }
  });

  it('writes inventory with SKU-000001-style skus and WH-03-style warehouses', async () => {
    const res = await generate(['inventory', '--count', '300', '--seed', 'x', '-q']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n', 1)[0]).toBe(INVENTORY_HEADER);
    const rows = csvRows(res.stdout);
    expect(rows.map((r) => r.sku)).toEqual(Array.from({ length: 300 }, (_, i) => `SKU-${String(i + 1).padStart(6, '0')}`));
    for (const r of rows) {
      expect(r.warehouse_id).toMatch(/^WH-\d\d$/i);
      expect(r.quantity).toMatch(/^\d+$/);
      expect(r.unit_price).toMatch(/^\d+(\.\d\d)?$/);
    }
  });

  it('gives the same records as CSV and as NDJSON (numbers as JSON numbers)', async () => {
    for (const kind of ['customers', 'inventory']) {
      const args = [kind, '--count', '400', '--seed', '7', '--invalid-share', '0.25', '-q'];
      const csv = csvRows((await generate([...args, '--format', 'csv'])).stdout);
      const json = ndjsonLines((await generate([...args, '--format', 'ndjson'])).stdout) as Record<string, unknown>[];
      expect(json).toHaveLength(csv.length);
      csv.forEach((row, i) => {
        const obj = json[i]!;
        for (const [field, cell] of Object.entries(row)) {
          const v = obj[field];
          if (v === undefined || v === null) expect(cell).toBe('');
          else if (typeof v === 'number') expect(Number(cell)).toBe(v);
          else expect(v).toBe(cell);
        }
      });
      expect(json.some((o) => typeof (o.lifetime_value ?? o.unit_price) === 'number')).toBe(true);
    }
  });

  it('quotes CSV fields holding commas or quotes, and csv-parse reads every row back', async () => {
    const res = await generate(['inventory', '--count', '2000', '-q']);
    expect(res.stdout).toMatch(/,"[^",]*, [^"]*",/); // e.g. "Kettle, Olive" or "Acme Industrial Supply, Inc."
    expect(res.stdout).toMatch(/""/); // 27" Monitor
    const rows = csvRows(res.stdout);
    expect(rows).toHaveLength(2000);
    expect(rows.some((r) => r.product_name!.includes('"'))).toBe(true);
    expect(rows.some((r) => r.supplier!.includes(','))).toBe(true);
  });

  it('makes exactly round(count × share) records invalid; the other records stay as with no share', async () => {
    for (const [kind, share, invalid] of [['customers', '0.1', 100], ['inventory', '5%', 50]] as const) {
      const clean = (await generate([kind, '--count', '1000', '-q'])).stdout.split('\n');
      const res = await generate([kind, '--count', '1000', '--invalid-share', share]);
      expect(res.code).toBe(0);
      expect(res.stderr).toContain(`1,000 ${kind === 'customers' ? 'customer' : 'inventory'} records (${invalid} invalid)`);
      const lines = res.stdout.split('\n');
      expect(lines).toHaveLength(clean.length);
      expect(lines.filter((l, i) => l !== clean[i])).toHaveLength(invalid);
    }
  });

  it('--out FILE.gz writes gzip; --format follows the --out extension', async () => {
    const gz = join(dir, 'customers.ndjson.gz');
    const res = await generate(['customers', '--count', '200', '--seed', '9', '--out', gz, '-q']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    const plain = await generate(['customers', '--count', '200', '--seed', '9', '--format', 'ndjson', '-q']);
    expect(gunzipSync(readFileSync(gz)).toString('utf8')).toBe(plain.stdout);
  });

  // the pacing itself is timed exactly on fake timers (generator.test.ts); here: the flag reaches it
  it('--rate hands records over a few at a time, not all at once; a paced run still writes every record', async () => {
    const child = spawnCli(['generate', 'inventory', '--count', '100000', '--rate', '100', '-q']);
    const done = collect(child, { timeoutMs: 30_000 });
    let out = '';
    const rows = (): number => out.split('\n').length - 2; // less the header and the part after the last newline
    // waits for output, not for time: the first data holding 10 rows or more
    const seen = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than 10 rows within 20 s:\n${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (rows() < 10) return;
        clearTimeout(timer);
        resolve(rows());
      });
    });
    child.kill('SIGINT');
    // 100/s goes in batches of 5 every 50 ms; unpaced, the first read alone holds hundreds of rows
    expect(seen).toBeLessThan(200);
    const res = await done;
    expect(res.code).toBe(130);
    expect(csvRows(res.stdout).length).toBeLessThan(1000);
    const paced = await generate(['inventory', '--count', '30', '--rate', '200', '-q']);
    expect(paced.code).toBe(0);
    expect(csvRows(paced.stdout)).toHaveLength(30);
  });

  it('--count 0 writes only the CSV header (and nothing as NDJSON)', async () => {
    expect((await generate(['customers', '--count', '0', '-q'])).stdout).toBe(CUSTOMER_HEADER + '\n');
    expect((await generate(['customers', '--count', '0', '--format', 'ndjson', '-q'])).stdout).toBe('');
  });
});

describe('recflow generate: bad options exit 2 with one line naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['customers', '--count', 'abc'], /--count must be a non-negative integer, got 'abc'/],
    [['customers', '--count', '-5'], /--count must be a non-negative integer, got '-5'/],
    [['customers'], /--count is required/],
    [['suppliers', '--count', '3'], /unknown kind 'suppliers'.*customers or inventory/],
    [['customers', '--count', '3', '--invalid-share', '1.5'], /--invalid-share must be a number from 0 to 1.*'1\.5'/],
    [['customers', '--count', '3', '--format', 'xml'], /--format must be csv or ndjson, got 'xml'/],
    [['customers', '--count', '3', '--rate', '0'], /--rate must be a positive number.*'0'/],
    [['customers', '--count', '3', '--seed', ''], /--seed must not be empty/],
    [['customers', '--count', '3', '--out', '/nonexistent-dir/x.csv'], /--out: cannot write '\/nonexistent-dir\/x\.csv': the directory does not exist/],
    [['customers', '--count', '3', '--colour'], /unknown option '--colour'/],
  ];
  it.each(cases)('%j', async (args, message) => {
    const res = await generate(args);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('generated data against the record contract (recflow validate / run)', () => {
  const kinds: [string, Kind][] = [
    ['customers', 'customer'],
    ['inventory', 'inventory'],
  ];

  it.each(kinds)('valid %s pass validate with 0 rejects, as CSV and as NDJSON', async (kindArg) => {
    for (const ext of ['csv', 'ndjson']) {
      const file = join(dir, `valid-${kindArg}.${ext}`);
      expect((await generate([kindArg, '--count', '5000', '--seed', `valid-${ext}`, '--out', file, '-q'])).code).toBe(0);
      const res = await runCli(['validate', file, '--report-json', '-', '-q']);
      expect(res.stderr).not.toMatch(/internal error/);
      expect(res.code).toBe(0);
      const report = JSON.parse(res.stdout);
      expect(report.records).toMatchObject({ in: 5000, out: 5000, rejected: 0 });
    }
  });

  it.each(kinds)('each invalid %s record is rejected with exactly its intended code', async (kindArg, kind) => {
    const codes = INVALID_CODES[kind];
    for (const ext of ['csv', 'ndjson']) {
      const file = join(dir, `invalid-${kindArg}.${ext}`);
      const dlq = join(dir, `invalid-${kindArg}.${ext}.dlq`);
      const count = 3000;
      const share = 0.1;
      expect((await generate([kindArg, '--count', String(count), '--seed', `bad-${ext}`, '--invalid-share', String(share), '--out', file, '-q'])).code).toBe(0);
      const res = await runCli(['run', file, '--dlq', dlq, '-q']);
      expect(res.code).toBe(0);
      expect(ndjsonLines(res.stdout)).toHaveLength(count * (1 - share));
      const dead = ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; errors: { code: string }[] }[];
      expect(dead).toHaveLength(count * share);
      // The n-th invalid record carries codes[n % codes.length], and only that error.
      dead.sort((a, b) => a.line - b.line);
      dead.forEach((d, n) => expect(d.errors.map((e) => e.code)).toEqual([codes[n % codes.length]]));
    }
  });
});
