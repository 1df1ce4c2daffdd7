// --contract through the built CLI: a declared `order` kind next to customers and
// inventory, from NDJSON and CSV; --kind; {kind} outputs; dedupe's default key; the
// config file's `contracts:`; a bad contract file (exit 2, nothing written).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../support/cli.js';

const CONTRACT = join(ROOT, 'examples', 'orders.contract.yaml');
const ORDERS = join(ROOT, 'examples', 'orders.ndjson');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-contracts-')));
afterAll(() => cleanup());

const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const codesOf = (dlq: Record<string, unknown>[]): string[][] =>
  dlq.map((d) => (d.errors as { code: string }[]).map((e) => e.code));

const ORDER = { order_id: 'O000001', customer_id: 'C1', sku: 'ab-1', quantity: 2, amount: '10.50', currency: 'eur', ordered_at: '2026-12-01T10:00:00Z' };
const MIXED = [
  ORDER,
  { customer_id: 'C1', email: 'A@B.CO' },
  { sku: 'S1', product_name: 'P', warehouse_id: 'w1', quantity: 1, unit_price: 2 },
  { ...ORDER, order_id: 'O000002', amount: '10.555', currency: 'JPY' },
  { ...ORDER, order_id: 'O000003', quantity: 0, gift: 'maybe' },
  { ...ORDER, order_id: 'X1' },
];

describe('recflow with --contract', () => {
  it('the example in docs/contracts.md passes (exit 0)', async () => {
    const res = await runCli(['validate', ORDERS, '--contract', CONTRACT]);
    expect(res.stderr).toContain('3 read, 3 valid, 0 rejected');
    expect(res.stderr).toContain('valid: order 3');
    expect(res.code).toBe(0);
  });

  it('NDJSON: a declared kind is detected among customers and inventory, checked, split by {kind}, dead-lettered with its codes', async () => {
    const input = join(dir, 'mixed.ndjson');
    writeFileSync(input, MIXED.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const res = await runCli(['run', input, '--contract', CONTRACT, '--to', join(dir, 'out-{kind}.ndjson'), '--dlq', join(dir, 'dlq.ndjson'), '--summary-json', join(dir, 'sum.json')]);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out-order.ndjson'), 'utf8')).toBe(
      '{"kind":"order","order_id":"O000001","customer_id":"C1","sku":"AB-1","quantity":2,"amount":10.5,"currency":"EUR","ordered_at":"2026-12-01T10:00:00.000Z"}\n',
    );
    expect(lines(join(dir, 'out-customer.ndjson'))).toEqual([{ kind: 'customer', customer_id: 'C1', email: 'a@b.co' }]);
    expect(lines(join(dir, 'out-inventory.ndjson'))).toHaveLength(1);
    const dlq = lines(join(dir, 'dlq.ndjson'));
    expect(dlq.map((d) => [d.line, d.kind])).toEqual([[4, 'order'], [5, 'order'], [6, 'order']]);
    expect(codesOf(dlq)).toEqual([['invalid_number', 'invalid_enum'], ['out_of_range', 'invalid_boolean'], ['invalid_id']]);
    const summary = JSON.parse(readFileSync(join(dir, 'sum.json'), 'utf8')) as { byKind: { out: Record<string, number>; rejected: Record<string, number> } };
    expect(summary.byKind.out).toEqual({ order: 1, customer: 1, inventory: 1 });
    expect(summary.byKind.rejected).toEqual({ order: 3 });
  });

  it('CSV: the same kind from a CSV file, and --kind for a file without the detect column', async () => {
    const csv = join(dir, 'orders.csv');
    writeFileSync(csv, 'Order ID,customer_id,sku,quantity,amount,currency,ordered_at,gift\nO000010,C9,x-1,3,1.5,GBP,2026-01-02,yes\nO000011,C9,x-2,-1,1,GBP,2026-01-02,\n');
    const res = await runCli(['run', csv, '--contract', CONTRACT, '--dlq', join(dir, 'csv-dlq.ndjson')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('{"kind":"order","order_id":"O000010","customer_id":"C9","sku":"X-1","quantity":3,"amount":1.5,"currency":"GBP","gift":true,"ordered_at":"2026-01-02T00:00:00.000Z"}\n');
    expect(codesOf(lines(join(dir, 'csv-dlq.ndjson')))).toEqual([['out_of_range']]);

    const noId = join(dir, 'lines.csv');
    writeFileSync(noId, 'order_no,customer_id,qty\n1,C1,2\n');
    const kindFile = join(dir, 'lines.yaml');
    writeFileSync(kindFile, 'kinds:\n  line:\n    extra: reject\n    fields:\n      order_no: { type: integer, required: true }\n      qty: { type: integer, min: 1 }\n');
    const sniffed = await runCli(['validate', noId, '--contract', kindFile, '--dlq', join(dir, 'l-dlq.ndjson')]);
    expect(sniffed.code).toBe(1); // customer_id makes it a customer without --kind
    expect(lines(join(dir, 'l-dlq.ndjson'))[0]).toMatchObject({ kind: 'customer' });
    const hinted = await runCli(['validate', noId, '--contract', kindFile, '--kind', 'line', '--dlq', join(dir, 'l-dlq.ndjson')]);
    expect(hinted.code).toBe(1);
    expect(lines(join(dir, 'l-dlq.ndjson'))).toMatchObject([{ kind: 'line', errors: [{ field: 'customer_id', code: 'unknown_field' }] }]);
  });

  it('--kind with a kind no contract declares is a usage error (exit 2)', async () => {
    const res = await runCli(['validate', ORDERS, '--kind', 'order']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--kind 'order': not a known kind; expected one of 'customer', 'inventory' (other kinds need --contract FILE)");
    const typo = await runCli(['validate', ORDERS, '--contract', CONTRACT, '--kind', 'orders']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("expected one of 'customer', 'inventory', 'order'");
  });

  it('dedupe without key= keys each record by its kind: order_id for orders', async () => {
    const input = join(dir, 'dups.ndjson');
    writeFileSync(input, [ORDER, { ...ORDER, customer_id: 'C2' }, { customer_id: 'O000001', email: 'a@b.co' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const res = await runCli(['run', input, '--contract', CONTRACT, '--stage', 'dedupe', '--dlq', join(dir, 'dup-dlq.ndjson')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['order', 'customer']);
    expect(lines(join(dir, 'dup-dlq.ndjson'))).toMatchObject([{ line: 2, kind: 'order', errors: [{ field: 'order_id', code: 'duplicate_key' }] }]);
  });

  it('a config file\'s contracts: are relative to it; the parallel engine checks declared kinds too (the contract files load in every thread)', async () => {
    const sub = join(dir, 'job');
    mkdirSync(sub, { recursive: true });
    copyFileSync(CONTRACT, join(sub, 'orders.contract.yaml'));
    copyFileSync(ORDERS, join(sub, 'orders.ndjson'));
    writeFileSync(join(sub, 'job.yaml'), 'sources: [orders.ndjson]\ncontracts: [orders.contract.yaml]\n');
    const res = await runCli(['validate', '--config', join(sub, 'job.yaml')], { cwd: dir, env: { RECFLOW_WORKERS: 'inline', RECFLOW_EXPLAIN: '1' } });
    expect(res.stderr).toContain('parallel runner: 0 worker thread(s) and the main thread');
    expect(res.stderr).toMatch(/stages in the workers: (the contract \(fused\)|contract)/);
    const threads = await runCli(['validate', '--config', join(sub, 'job.yaml')], { cwd: dir, env: { RECFLOW_WORKERS: '1', RECFLOW_CHUNK_BYTES: '64', RECFLOW_EXPLAIN: '1' } });
    expect(threads.stderr).toContain('parallel runner: 1 worker thread(s)');
    expect(threads.stderr).toContain('valid: order 3');
    expect(threads.code).toBe(0);
    expect(res.stderr).toContain('valid: order 3');
    expect(res.code).toBe(0);
  });

  it('a bad contract file: exit 2 naming the file, line and path; nothing is written', async () => {
    const bad = join(dir, 'bad.contract.yaml');
    writeFileSync(bad, 'kinds:\n  order:\n    fields:\n      amount: { type: decimal, scale: 2, minimum: 0 }\n');
    const out = join(dir, 'never.ndjson');
    const dlq = join(dir, 'never-dlq.ndjson');
    const res = await runCli(['run', ORDERS, '--contract', bad, '--to', out, '--dlq', dlq]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${bad}:4: kinds.order.fields.amount: Unrecognized key(s) in object: 'minimum'`);
    expect(existsSync(out) || existsSync(dlq)).toBe(false);
    const missing = await runCli(['validate', ORDERS, '--contract', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: file not found; check the --contract path');
  });
});
