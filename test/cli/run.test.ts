import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { collect, ndjsonLines, runCli, spawnCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const CUSTOMERS = [
  'customer_id,first_name,email,country,lifetime_value',
  'C1,  Ada   Lovelace ,ADA@Example.COM,gb,12.5',
  'C2,Bob,not-an-email,xx,-3',
  'C3,Cy,cy@example.org,,',
].join('\n') + '\n';

const INVENTORY = [
  '{"sku":"ab-1","product_name":"Lamp","warehouse_id":"wh1","quantity":"4","unit_price":9.5}',
  '{"sku":"ab-2","product_name":"Desk","warehouse_id":"wh1","quantity":-1,"unit_price":"x"}',
].join('\n') + '\n';

describe('recflow run', () => {
  it('writes normalized NDJSON to stdout with kind first and dead-letters every error of a bad row', async () => {
    writeFileSync(join(dir, 'c.csv'), CUSTOMERS);
    const dlq = join(dir, 'dlq.ndjson');
    const res = await runCli(['run', join(dir, 'c.csv'), '--dlq', dlq, '-q']);
    expect(res.code).toBe(0);
    expect(ndjsonLines(res.stdout)).toEqual([
      { kind: 'customer', customer_id: 'C1', first_name: 'Ada Lovelace', email: 'ada@example.com', country: 'GB', lifetime_value: 12.5 },
      { kind: 'customer', customer_id: 'C3', first_name: 'Cy', email: 'cy@example.org' },
    ]);
    expect(Object.keys(ndjsonLines(res.stdout)[0] as object)[0]).toBe('kind');
    const [bad] = ndjsonLines(readFileSync(dlq, 'utf8')) as Record<string, unknown>[];
    expect(bad).toMatchObject({ source: join(dir, 'c.csv'), line: 3, kind: 'customer' });
    expect((bad!.errors as { code: string }[]).map((e) => e.code).sort()).toEqual(['invalid_country', 'invalid_email', 'out_of_range']);
    expect(bad!.record).toEqual({ customer_id: 'C2', first_name: 'Bob', email: 'not-an-email', country: 'xx', lifetime_value: '-3' });
    expect(res.stderr).toMatch(/3 read, 2 written, 1 rejected/);
  });

  it('splits kinds with {kind}, gzips .gz output, and reads gzip input', async () => {
    writeFileSync(join(dir, 'c.csv.gz'), gzipSync(CUSTOMERS));
    writeFileSync(join(dir, 'i.ndjson'), INVENTORY);
    const res = await runCli(['run', join(dir, 'c.csv.gz'), join(dir, 'i.ndjson'), '--to', join(dir, 'out-{kind}.ndjson.gz'), '-q']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    const cust = ndjsonLines(gunzipSync(readFileSync(join(dir, 'out-customer.ndjson.gz'))).toString());
    const inv = ndjsonLines(gunzipSync(readFileSync(join(dir, 'out-inventory.ndjson.gz'))).toString());
    expect(cust).toHaveLength(2);
    expect(inv).toEqual([{ kind: 'inventory', sku: 'AB-1', product_name: 'Lamp', warehouse_id: 'WH1', quantity: 4, unit_price: 9.5 }]);
  });

  it('expands a quoted glob in sorted order', async () => {
    writeFileSync(join(dir, 'b.ndjson'), INVENTORY.split('\n')[0] + '\n');
    writeFileSync(join(dir, 'a.ndjson'), '{"customer_id":"z","email":"z@z.io"}\n');
    const res = await runCli(['run', join(dir, '*.ndjson'), '-q']);
    expect(res.code).toBe(0);
    expect(ndjsonLines(res.stdout).map((r) => (r as { kind: string }).kind)).toEqual(['customer', 'inventory']);
  });

  it('reads mixed-kind NDJSON on stdin, sniffing the format, and keeps bad JSON lines as parse_error', async () => {
    const input = [
      '{"kind":"inventory","sku":"s1","product_name":"P","warehouse_id":"w","quantity":1,"unit_price":1}',
      '{"customer_id":"c1","email":"c@d.ee","extra":{"a":1}}',
      '{broken',
      '',
      '{"name":"who am i"}',
    ].join('\n');
    const dlq = join(dir, 'dlq.ndjson');
    const res = await runCli(['run', '-', '--dlq', dlq, '-q'], { input });
    expect(res.code).toBe(0);
    const out = ndjsonLines(res.stdout);
    expect(out).toEqual([
      { kind: 'inventory', sku: 'S1', product_name: 'P', warehouse_id: 'W', quantity: 1, unit_price: 1 },
      { kind: 'customer', customer_id: 'c1', email: 'c@d.ee', extra: { a: 1 } },
    ]);
    const dead = ndjsonLines(readFileSync(dlq, 'utf8')) as { source: string; line: number; errors: { code: string }[]; record: unknown }[];
    expect(dead.map((d) => [d.source, d.line, d.errors[0]!.code])).toEqual([
      ['-', 3, 'parse_error'],
      ['-', 5, 'unknown_kind'],
    ]);
    expect(dead[0]!.record).toBe('{broken');
  });

  it('honours --kind and --format for stdin CSV', async () => {
    const res = await runCli(['run', '-', '--format', 'csv', '--kind', 'customer', '-q'], { input: 'id_x,email,customer_id\n1,a@b.cd,K\n' });
    expect(res.code).toBe(0);
    expect(ndjsonLines(res.stdout)).toEqual([{ kind: 'customer', customer_id: 'K', email: 'a@b.cd', id_x: '1' }]);
  });

  it('writes --summary-json with counts by kind and code', async () => {
    writeFileSync(join(dir, 'c.csv'), CUSTOMERS);
    const summary = join(dir, 's.json');
    const res = await runCli(['run', join(dir, 'c.csv'), '--to', join(dir, 'o.ndjson'), '--summary-json', summary, '-q']);
    expect(res.code).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.records).toMatchObject({ in: 3, out: 2, rejected: 1 });
    expect(s.byKind.out).toEqual({ customer: 2 });
    expect(s.rejectedByCode).toEqual({ invalid_email: 1, invalid_country: 1, out_of_range: 1 });
    expect(s.recordsPerHour).toBeGreaterThan(0);
    expect(Math.abs(s.recordsPerHour - s.recordsPerSecond * 3600)).toBeLessThanOrEqual(3600);
  });

  it('exits 1 when rejects pass --max-rejects or --max-reject-rate, 0 within them', async () => {
    writeFileSync(join(dir, 'c.csv'), CUSTOMERS);
    const f = join(dir, 'c.csv');
    expect((await runCli(['run', f, '--max-rejects', '0', '-q'])).code).toBe(1);
    expect((await runCli(['run', f, '--max-rejects', '1', '-q'])).code).toBe(0);
    expect((await runCli(['run', f, '--max-reject-rate', '0.2', '-q'])).code).toBe(1);
    expect((await runCli(['run', f, '--max-reject-rate', '0.5', '-q'])).code).toBe(0);
  });

  it('prints a plain status line every interval when stderr is not a TTY, and none with --quiet', async () => {
    const feed = async (quiet: boolean) => {
      const child = spawnCli(['run', '-', '--format', 'ndjson', '--to', join(dir, 'o.ndjson'), '--progress-interval', '1', ...(quiet ? ['-q'] : [])]);
      const done = collect(child, { keepStdinOpen: true });
      for (let i = 0; i < 8; i++) {
        child.stdin!.write(`{"customer_id":"C${i}","email":"u${i}@example.com"}\n`);
        await new Promise((r) => setTimeout(r, 300));
      }
      child.stdin!.end();
      return done;
    };
    const res = await feed(false);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toMatch(/\u001b\[/); // no escape codes off a TTY
    expect(res.stderr).toMatch(/^recflow run: \d+ in, \d+ out, 0 rejected \| \d+ rec\/s, [\d.]+k? rec\/h \| 00:00:0\d/m);
    expect(res.stderr).toMatch(/8 read, 8 written/);
    const quiet = await feed(true);
    expect(quiet.stderr).not.toMatch(/ in, \d+ out, /);
    expect(quiet.stderr).toMatch(/8 read, 8 written/);
  });
});
