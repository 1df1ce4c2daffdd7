// Kind detection (records.md "Kinds"): hint > kind field > sniffing > unknown_kind.
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  detectKind,
} from '../../src/contract/index.js';
import type { ErrorCode, Fields, Kind } from '../../src/pipeline/types.js';

const CUSTOMER: Fields = { customer_id: 'C1', email: 'a@b.co' };
const INVENTORY: Fields = { sku: 'S1', product_name: 'P', warehouse_id: 'W1', quantity: '1', unit_price: '1' };
const REQUIRED: Record<Kind, readonly string[]> = {
  customer: ['customer_id', 'email'],
  inventory: ['sku', 'product_name', 'warehouse_id', 'quantity', 'unit_price'],
};

const codes = (r: { errors: { field: string | null; code: ErrorCode }[] }) => r.errors.map((e) => [e.field, e.code]);

describe('kind detection', () => {
  it.each([
    // [raw, hint, expected]
    [{ kind: 'inventory', customer_id: 'C1' }, 'customer', 'customer'],
    [{ customer_id: 'C1' }, 'inventory', 'inventory'],
    [{ kind: 'order' }, 'customer', 'customer'],
    [{}, 'inventory', 'inventory'],
    [{ kind: 'inventory', customer_id: 'C1' }, undefined, 'inventory'],
    [{ kind: 'customer', sku: 'S1' }, undefined, 'customer'],
    [{ kind: ' Customer ' }, undefined, 'customer'],
    [{ kind: 'INVENTORY' }, undefined, 'inventory'],
    [{ kind: 'order', customer_id: 'C1' }, undefined, null],
    [{ kind: 'customers', customer_id: 'C1' }, undefined, null],
    [{ kind: 5, sku: 'S1' }, undefined, null],
    [{ kind: true }, undefined, null],
    [{ kind: '', customer_id: 'C1' }, undefined, 'customer'],
    [{ kind: '   ', sku: 'S1' }, undefined, 'inventory'],
    [{ kind: null, sku: 'S1' }, undefined, 'inventory'],
    [{ customer_id: 'C1', sku: 'S1' }, undefined, 'customer'],
    [{ sku: 'S1', customer_id: 'C1' }, undefined, 'customer'],
    [{ customer_id: '' }, undefined, 'customer'],
    [{ customer_id: null }, undefined, 'customer'],
    [{ sku: '' }, undefined, 'inventory'],
    [{ sku: 'S1' }, undefined, 'inventory'],
    [{ email: 'a@b.co', product_name: 'x' }, undefined, null],
    [{}, undefined, null],
  ] as [Fields, Kind | undefined, Kind | null][])('detectKind(%j, %s) = %s', (raw, hint, expected) => {
    expect(detectKind(raw, hint)).toBe(expected);
    expect(checkRecord(raw, hint).kind).toBe(expected);
  });

  it('unknown_kind with no kind at all: one error, field null', () => {
    const r = checkRecord({ email: 'not-an-email', quantity: '-1' });
    expect(r).toMatchObject({ kind: null, value: null });
    expect(codes(r)).toEqual([[null, 'unknown_kind']]);
    expect(r.errors[0]!.message).toMatch(/kind/);
  });

  it('unknown_kind for an explicit wrong kind: one error on field kind, no sniffing', () => {
    const r = checkRecord({ kind: 'order', customer_id: 'C1', email: 'bad' });
    expect(codes(r)).toEqual([['kind', 'unknown_kind']]);
    expect(r.errors[0]!.message).toContain('"order"');
  });

  it('the hint overrides the kind field, which is neither checked nor repeated', () => {
    const r = checkRecord({ kind: 'order', ...CUSTOMER }, 'customer');
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value!)).toEqual(['kind', 'customer_id', 'email']);
    expect(r.value!.kind).toBe('customer');
  });

  it('a kind field in other case is output as the canonical kind, first, once', () => {
    const r = checkRecord({ email: 'a@b.co', kind: ' CUSTOMER ', customer_id: 'C1' });
    expect(JSON.stringify(r.value)).toBe('{"kind":"customer","customer_id":"C1","email":"a@b.co"}');
  });

  it('with a hint of the other kind, the other kind\'s fields are unknown fields', () => {
    const r = checkRecord({ ...INVENTORY, customer_id: 'C9' }, 'inventory');
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value!)).toEqual(['kind', ...Object.keys(INVENTORY), 'customer_id']);
  });

  it('a customer-id-only hint mismatch reports the missing fields of the hinted kind', () => {
    expect(codes(checkRecord({ ...CUSTOMER }, 'inventory'))).toEqual(
      REQUIRED.inventory.map((f) => [f, 'missing_required']),
    );
  });
});
