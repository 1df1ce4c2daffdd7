// select / drop / rename / set through the CLI.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('field stages', () => {
  it('select keeps kind first, then the named fields in the order given', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'select:fields=email,customer_id,phone']);
    expect(res.code).toBe(0);
    expect(Object.keys(res.out[0]!)).toEqual(['kind', 'email', 'customer_id', 'phone']);
    expect(res.out[1]).toEqual({ kind: 'customer', email: 'bruno.keller@firma.de', customer_id: 'C002' }); // no phone: stays absent
  });

  it('drop removes fields; rename keeps places; the dead-letter record stays as read', async () => {
    const res = await runStages(dir, [
      fx('customers.csv'),
      '--no-validate',
      '--stage', 'drop:fields=phone,signup_date,loyalty_tier,city,first_name,last_name',
      '--stage', 'rename:fields=email:contact,customer_id:id',
      '--stage', 'validate',
    ]);
    expect(res.code).toBe(0);
    // after the rename the records have no customer_id: validate cannot tell their kind
    expect(res.out).toEqual([]);
    expect(res.dlq).toHaveLength(7);
    expect(res.dlq[0]!.errors[0]!.code).toBe('unknown_kind');
    expect(res.dlq[0]!.record).toMatchObject({ customer_id: 'C001', email: 'Ada@Example.com', phone: '+44 20 7946 0000' });
  });

  it('rename puts the new name in the old place and replaces a field of that name', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'rename:fields=email:city,customer_id:id', '--stage', 'head:n=1']);
    expect(Object.keys(res.out[0]!)).toEqual(['kind', 'id', 'first_name', 'last_name', 'city', 'phone', 'country', 'signup_date', 'lifetime_value', 'loyalty_tier']);
    expect(res.out[0]!.city).toBe('ada@example.com');
  });

  it('set: a constant, a template and an expression', async () => {
    const res = await runStages(dir, [
      fx('inventory.ndjson'),
      '--stage', 'set:field=source,value=erp, nightly',
      '--stage', 'set:field=label,template={sku} ({warehouse_id}) by {supplier}',
      '--stage', 'set:field=stock_value,expr=quantity * unit_price',
      '--stage', 'set:field=big,expr=quantity >= 12',
    ]);
    expect(res.code).toBe(0);
    expect(res.out[0]).toMatchObject({ source: 'erp, nightly', label: 'AB-1 (WH-1) by ACME', stock_value: 1194, big: true });
    expect(res.out[3]).toMatchObject({ label: 'AB-5 (WH-3) by ', stock_value: 29.75, big: false });
    expect(Object.keys(res.out[0]!).slice(-4)).toEqual(['source', 'label', 'stock_value', 'big']);
  });

  it('set overwrite=false keeps existing values; a null result leaves the field out', async () => {
    const res = await runStages(dir, [
      fx('inventory.ndjson'),
      '--stage', 'set:field=supplier,value=n/a,overwrite=false',
      '--stage', 'set:field=ratio,expr=quantity / (unit_price - 12)',
    ]);
    expect(res.out.map((r) => r.supplier)).toEqual(['ACME', 'Globex', 'Unknown Co', 'n/a']);
    expect(res.out[1]).not.toHaveProperty('ratio'); // division by zero
  });

  it('set needs exactly one of value, template, expr', async () => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--stage', 'set:field=x,value=1,expr=2']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('give exactly one of the options value, template, expr (got value, expr)');
    expect(res.stdout).toBe('');
  });
});
