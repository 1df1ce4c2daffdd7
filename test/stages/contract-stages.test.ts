// validate / normalize as stages, the default fused pass, --no-validate, and where explicit placement puts them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ndjsonLines, tempDir } from '../support/cli.js';
import { codes, fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('validate and normalize stages', () => {
  it('the default run validates and normalizes in one pass', async () => {
    const res = await runStages(dir, [fx('customers.csv')]);
    expect(res.code).toBe(0);
    expect(res.out).toHaveLength(6);
    expect(res.out[0]).toMatchObject({ kind: 'customer', last_name: 'Lovelace', email: 'ada@example.com', lifetime_value: 1200.5 });
    expect(codes(res.dlq)).toEqual(['invalid_email']);
  });

  it('--stage validate rejects with the contract codes but does not rewrite values', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'validate']);
    expect(res.code).toBe(0);
    expect(codes(res.dlq)).toEqual(['invalid_email']);
    expect(res.dlq[0]).toMatchObject({ line: 5, kind: 'customer' });
    expect(res.out).toHaveLength(6);
    // exactly as read: CSV text, untrimmed, no kind field added
    expect(res.out[0]).toEqual(expect.objectContaining({ last_name: ' Lovelace ', email: 'Ada@Example.com', lifetime_value: '1200.50' }));
    expect(res.out[0]).not.toHaveProperty('kind');
  });

  it('--stage normalize rewrites leniently and rejects nothing', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'normalize']);
    expect(res.code).toBe(0);
    expect(res.dlq).toEqual([]);
    expect(res.out).toHaveLength(7);
    expect(res.out[0]).toMatchObject({ kind: 'customer', email: 'ada@example.com', lifetime_value: 1200.5 });
    expect(res.out[3]).toMatchObject({ kind: 'customer', customer_id: 'C004', email: 'not-an-email' }); // bad value kept as read
  });

  it('--stage validate --stage normalize gives exactly the default output', async () => {
    const plain = await runStages(dir, [fx('customers.csv'), fx('inventory.ndjson')]);
    const explicit = await runStages(dir, [fx('customers.csv'), fx('inventory.ndjson'), '--stage', 'validate', '--stage', 'normalize']);
    expect(explicit.code).toBe(0);
    expect(explicit.stdout).toBe(plain.stdout);
    expect(explicit.dlq).toEqual(plain.dlq);
  });

  it('--no-validate passes records as read but still decides their kind for {kind} paths', async () => {
    const res = await runStages(dir, [fx('customers.csv'), fx('inventory.ndjson'), '--no-validate', '--to', join(dir, '{kind}.ndjson')]);
    expect(res.code).toBe(0);
    expect(res.dlq).toEqual([]);
    const customers = ndjsonLines(readFileSync(join(dir, 'customer.ndjson'), 'utf8'));
    const inventory = ndjsonLines(readFileSync(join(dir, 'inventory.ndjson'), 'utf8'));
    expect(customers).toHaveLength(7);
    expect(inventory).toHaveLength(5);
    expect(inventory[3]).toEqual(expect.objectContaining({ sku: 'ab-4', quantity: '-1' })); // invalid, untouched
  });

  it('explicit placement: a filter before validate sees the values as read', async () => {
    // As read, the email is "Ada@Example.com": a case-sensitive match on the lowercased form fails.
    const before = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=email =~ /@example\\.com$/', '--stage', 'validate', '--stage', 'normalize']);
    expect(before.out.map((r) => r.customer_id)).toEqual(['C005']);
    // Default order: the contract pass runs first, so the filter sees normalized values.
    const after = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=email =~ /@example\\.com$/']);
    expect(after.out.map((r) => r.customer_id)).toEqual(['C001', 'C005']);
  });

  it('normalize then validate is not fused: validate checks the normalized values', async () => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--stage', 'normalize', '--stage', 'validate']);
    expect(res.code).toBe(0);
    expect(codes(res.dlq)).toEqual(['out_of_range']);
    expect(res.dlq[0]!.record).toMatchObject({ sku: 'ab-4', quantity: '-1' }); // dead-letter keeps the record as read
    expect(res.out[0]).toMatchObject({ kind: 'inventory', sku: 'AB-1', quantity: 12 });
  });
});
