// `dedupe` through the CLI: the three duplicate policies and the memory cap.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { codes, fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('dedupe stage', () => {
  it('by default, later duplicates go to the dead-letter output as duplicate_key', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id']);
    expect(res.code).toBe(0);
    expect(res.out.map((r) => r.customer_id)).toEqual(['C001', 'C002', 'C003', 'C005', 'C006']);
    expect(res.out[1]!.city).toBe('Berlin'); // the first one wins
    expect(codes(res.dlq)).toEqual(['invalid_email', 'duplicate_key']);
    expect(res.dlq[1]).toMatchObject({ line: 6, kind: 'customer', errors: [{ field: 'customer_id', code: 'duplicate_key' }] });
    expect(res.dlq[1]!.errors[0]!.message).toBe('dedupe: customer_id "C002" was already seen in this run');
  });

  it('on_duplicate=drop leaves later duplicates out as dropped', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id,on_duplicate=drop']);
    expect(res.out).toHaveLength(5);
    expect(res.summary!.records).toMatchObject({ rejected: 1, dropped: 1 });
  });

  it('on_duplicate=keep_last writes the last one, in the order of last occurrence', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id,on_duplicate=keep_last']);
    expect(res.out.map((r) => `${r.customer_id}:${r.city}`)).toEqual(['C001:London', 'C003:Paris', 'C002:Hamburg', 'C005:Austin', 'C006:Rabat']);
    expect(res.summary!.records).toMatchObject({ in: 7, out: 5, rejected: 1, dropped: 1 });
  });

  it('a composite key; a customer and an inventory record never collide; missing keys pass', async () => {
    writeFileSync(
      join(dir, 'mixed.ndjson'),
      [
        { sku: 'a', product_name: 'A', warehouse_id: 'w1', quantity: 1, unit_price: 1, code: 'X' },
        { sku: 'a', product_name: 'A', warehouse_id: 'w2', quantity: 1, unit_price: 1, code: 'X' },
        { sku: 'a', product_name: 'A2', warehouse_id: 'w1', quantity: 2, unit_price: 1, code: 'X' },
        { customer_id: 'c', email: 'c@d.ef', code: 'X', warehouse_id: 'w1' },
        { customer_id: 'd', email: 'd@d.ef' },
        { customer_id: 'e', email: 'e@d.ef' },
      ].map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    const res = await runStages(dir, [join(dir, 'mixed.ndjson'), '--stage', 'dedupe:key=code,warehouse_id']);
    expect(res.out.map((r) => r.sku ?? r.customer_id)).toEqual(['A', 'A', 'c', 'd', 'e']);
    expect(res.dlq.map((d) => [d.line, d.errors[0]!.field, d.errors[0]!.message])).toEqual([
      [3, null, 'dedupe: code,warehouse_id "X", "W1" was already seen in this run'],
    ]);
  });

  it('past max_keys it warns once and stops checking new keys (on_full=warn)', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id,max_keys=1']);
    expect(res.code).toBe(0);
    expect(res.stderr.match(/warning: dedupe: max_keys=1 reached/g)).toHaveLength(1);
    expect(res.out).toHaveLength(6); // C002 was not remembered, so its duplicate passes
    expect(codes(res.dlq)).toEqual(['invalid_email']);
  });

  it('keep_last past max_keys: records with new keys pass at once, the held ones come at the end', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id,on_duplicate=keep_last,max_keys=2']);
    expect(res.code).toBe(0);
    expect(res.stderr.match(/warning: dedupe: max_keys=2 reached/g)).toHaveLength(1);
    expect(res.out.map((r) => r.customer_id)).toEqual(['C003', 'C005', 'C006', 'C001', 'C002']);
  });

  it('past max_keys with on_full=fail the run fails (exit 3) with a message that says what to do', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'dedupe:key=customer_id,max_keys=2,on_full=fail']);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('more than max_keys=2 distinct keys; raise max_keys or use on_full=warn');
  });
});
