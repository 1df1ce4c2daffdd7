// `filter` through the CLI on real files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { codes, fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('filter stage', () => {
  it('keeps matching records; the rest count as dropped, not rejected', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=country in ("DE","FR") and lifetime_value >= 90']);
    expect(res.code).toBe(0);
    expect(res.out.map((r) => [r.customer_id, r.country])).toEqual([['C003', 'FR'], ['C002', 'DE']]);
    expect(res.summary!.records).toMatchObject({ in: 7, out: 2, rejected: 1, dropped: 4 });
  });

  it('on_drop=reject sends non-matching records to the dead-letter output as filtered, naming the stage', async () => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--stage', 'filter:expr=quantity * unit_price > 100 or not exists(supplier),on_drop=reject']);
    expect(res.code).toBe(0);
    expect(res.out.map((r) => r.sku)).toEqual(['AB-1', 'AB-3', 'AB-5']);
    // the dead-letter output is in input order, whichever stage rejected a record
    expect(codes(res.dlq)).toEqual(['filtered', 'out_of_range']);
    expect(res.dlq[0]).toMatchObject({ line: 2, kind: 'inventory', record: { sku: 'ab-2' } });
    expect(res.dlq[0]!.errors[0]!.message).toMatch(/^filter: record does not match/);
    expect(res.summary!.records.dropped).toBe(0);
  });

  it('a syntax error names the option and the column, exit 2, nothing written', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=country in ("DE" "FR")']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`option 'expr': expected ')', found "FR" at column 18`);
    expect(res.stderr).toMatch(/\n\s+country in \("DE" "FR"\)\n\s+\^/);
    expect(res.summary).toBeNull();
  });
});
