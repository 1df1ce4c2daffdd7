// Record-level rules: known fields, missing values, unknown fields, multiple errors,
// module state, and the validate/normalize variants.
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  KNOWN_FIELDS,
  normalizeRecord,
  validateRecord,
} from '../../src/contract/index.js';
import type { ErrorCode, Fields, Kind } from '../../src/pipeline/types.js';

const CUSTOMER: Fields = { customer_id: 'C1', email: 'a@b.co' };
const INVENTORY: Fields = { sku: 'S1', product_name: 'P', warehouse_id: 'W1', quantity: '1', unit_price: '1' };
const BASES: Record<Kind, Fields> = { customer: CUSTOMER, inventory: INVENTORY };
const REQUIRED: Record<Kind, readonly string[]> = {
  customer: ['customer_id', 'email'],
  inventory: ['sku', 'product_name', 'warehouse_id', 'quantity', 'unit_price'],
};

const codes = (r: { errors: { field: string | null; code: ErrorCode }[] }) => r.errors.map((e) => [e.field, e.code]);

describe('KNOWN_FIELDS', () => {
  it('lists the fields of each kind in the order of the spec tables', () => {
    expect(KNOWN_FIELDS.customer).toEqual([
      'customer_id',
      'first_name',
      'last_name',
      'email',
      'phone',
      'country',
      'city',
      'signup_date',
      'lifetime_value',
      'loyalty_tier',
    ]);
    expect(KNOWN_FIELDS.inventory).toEqual([
      'sku',
      'product_name',
      'category',
      'warehouse_id',
      'quantity',
      'unit_price',
      'updated_at',
      'supplier',
    ]);
  });
});

describe('missing values', () => {
  const forms: [string, (r: Fields, f: string) => void][] = [
    ['absent', (r, f) => delete r[f]],
    ['null', (r, f) => (r[f] = null)],
    ['""', (r, f) => (r[f] = '')],
    ['"   "', (r, f) => (r[f] = '   ')],
    ['"\\t\\n"', (r, f) => (r[f] = '\t\n')],
    ['undefined', (r, f) => (r[f] = undefined)],
  ];
  for (const kind of ['customer', 'inventory'] as const) {
    for (const field of KNOWN_FIELDS[kind]) {
      const required = REQUIRED[kind].includes(field);
      for (const [label, apply] of forms) {
        it(`${kind}.${field} ${label} -> ${required ? 'missing_required' : 'left out'}`, () => {
          const raw: Fields = { ...BASES[kind], [field]: 'placeholder' };
          apply(raw, field);
          const r = checkRecord(raw, kind);
          if (required) {
            expect(r.value).toBeNull();
            expect(codes(r)).toEqual([[field, 'missing_required']]);
            expect(r.errors[0]!.message).toContain(field);
          } else {
            expect(r.errors).toEqual([]);
            expect(r.value).not.toBeNull();
            expect(Object.keys(r.value!)).not.toContain(field);
          }
        });
      }
    }
  }

  it('reports every missing required field of an empty customer', () => {
    expect(codes(checkRecord({}, 'customer'))).toEqual([
      ['customer_id', 'missing_required'],
      ['email', 'missing_required'],
    ]);
  });

  it('reports every missing required field of an empty inventory record', () => {
    expect(codes(checkRecord({ sku: '' }))).toEqual(REQUIRED.inventory.map((f) => [f, 'missing_required']));
  });
});

describe('unknown fields', () => {
  it('pass through unchanged, after the known fields, in their original order', () => {
    const obj = { nested: [1, 2] };
    const raw: Fields = {
      zeta: '  keep me  ',
      email: ' A@B.CO ',
      alpha: 5,
      obj,
      customer_id: 'C1',
      flag: false,
      zero: 0,
      empty: '',
      blank: '   ',
      nul: null,
      und: undefined,
      last: 'x',
    };
    const r = checkRecord(raw);
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value!)).toEqual(['kind', 'customer_id', 'email', 'zeta', 'alpha', 'obj', 'flag', 'zero', 'last']);
    expect(r.value!.zeta).toBe('  keep me  ');
    expect(r.value!.alpha).toBe(5);
    expect(r.value!.obj).toBe(obj);
    expect(r.value!.flag).toBe(false);
    expect(r.value!.zero).toBe(0);
  });

  it('are never an error, whatever their value', () => {
    const r = checkRecord({ ...INVENTORY, email: 'not an email', country: 'XX', quantity2: '-1' });
    expect(r.errors).toEqual([]);
    expect(r.value).toMatchObject({ email: 'not an email', country: 'XX', quantity2: '-1' });
  });

  it('a __proto__ field from JSON stays a plain own property', () => {
    const raw = JSON.parse('{"customer_id":"C1","email":"a@b.co","__proto__":{"polluted":1}}') as Fields;
    const r = checkRecord(raw);
    expect(r.errors).toEqual([]);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(Object.keys(r.value!)).toEqual(['kind', 'customer_id', 'email', '__proto__']);
    expect((r.value as { polluted?: number }).polluted).toBeUndefined();
  });

  it('the input record is not modified', () => {
    const raw: Fields = { kind: 'customer', customer_id: ' C1 ', email: ' A@B.CO ', extra: ' x ' };
    const copy = structuredClone(raw);
    checkRecord(raw);
    normalizeRecord(raw);
    validateRecord(raw);
    expect(raw).toEqual(copy);
  });
});

describe('multiple errors', () => {
  it('reports every failing customer field, in table order', () => {
    const r = checkRecord({
      loyalty_tier: 'diamond',
      lifetime_value: '-5',
      signup_date: '2023-02-29',
      city: 'c'.repeat(101),
      country: 'UK',
      phone: '123',
      email: 'bob@',
      last_name: 'l'.repeat(101),
      first_name: 'f'.repeat(101),
      customer_id: 'bad id',
      extra: 'fine',
    });
    expect(r).toMatchObject({ kind: 'customer', value: null });
    expect(codes(r)).toEqual([
      ['customer_id', 'invalid_id'],
      ['first_name', 'too_long'],
      ['last_name', 'too_long'],
      ['email', 'invalid_email'],
      ['phone', 'invalid_phone'],
      ['country', 'invalid_country'],
      ['city', 'too_long'],
      ['signup_date', 'invalid_date'],
      ['lifetime_value', 'out_of_range'],
      ['loyalty_tier', 'invalid_enum'],
    ]);
    for (const e of r.errors) {
      expect(e.message).toContain(e.field!);
      expect(e.message.length).toBeGreaterThan(e.field!.length + 10);
    }
  });

  it('reports every failing inventory field, mixing missing and invalid', () => {
    const r = checkRecord({
      sku: 'a b',
      product_name: '   ',
      category: 'c'.repeat(101),
      quantity: '1.5',
      unit_price: '$5',
      updated_at: '2023-03-15T24:00',
      supplier: 's'.repeat(201),
    });
    expect(codes(r)).toEqual([
      ['sku', 'invalid_id'],
      ['product_name', 'missing_required'],
      ['category', 'too_long'],
      ['warehouse_id', 'missing_required'],
      ['quantity', 'invalid_integer'],
      ['unit_price', 'invalid_number'],
      ['updated_at', 'invalid_timestamp'],
      ['supplier', 'too_long'],
    ]);
  });

  it('messages show the value as read and the expectation', () => {
    const r = checkRecord({ ...INVENTORY, quantity: '-3', unit_price: '1,234.50', sku: 'x'.repeat(100) });
    const byField = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
    expect(byField.quantity).toMatch(/^quantity "-3" is out of range: expected .*>= 0/);
    expect(byField.unit_price).toMatch(/^unit_price "1,234\.50" is not a number/);
    expect(byField.sku).toContain('…'); // long values are shortened
    expect(byField.sku!.length).toBeLessThan(200);
  });
});

describe('module state does not leak between records', () => {
  it('a full record, then a minimal one', () => {
    checkRecord({ ...CUSTOMER, first_name: 'Ann', city: 'Berlin', loyalty_tier: 'gold' });
    expect(Object.keys(checkRecord({ ...CUSTOMER }).value!)).toEqual(['kind', 'customer_id', 'email']);
  });
  it('an invalid record, then a valid one', () => {
    checkRecord({ ...CUSTOMER, first_name: 'Ann', email: 'bad' });
    const r = checkRecord({ ...CUSTOMER });
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value!)).toEqual(['kind', 'customer_id', 'email']);
  });
  it('errors are reported again after a lenient normalizeRecord', () => {
    normalizeRecord({ ...CUSTOMER, email: 'bad' });
    expect(codes(checkRecord({ ...CUSTOMER, email: 'bad' }))).toEqual([['email', 'invalid_email']]);
  });
  it('an unknown-kind record, then a valid one', () => {
    checkRecord({ kind: 'x' });
    expect(checkRecord({ ...INVENTORY }).errors).toEqual([]);
  });
});

describe('validateRecord', () => {
  it('returns the kind and the same errors as checkRecord, no value', () => {
    const raw = { ...INVENTORY, quantity: '-1', unit_price: 'x', supplier: '' };
    const v = validateRecord(raw);
    expect(v.kind).toBe('inventory');
    expect(v.errors).toEqual(checkRecord(raw).errors);
    expect(v).not.toHaveProperty('value');
  });
  it('no errors on a valid record', () => {
    expect(validateRecord({ ...CUSTOMER })).toEqual({ kind: 'customer', errors: [] });
  });
  it('unknown_kind', () => {
    expect(codes(validateRecord({}))).toEqual([[null, 'unknown_kind']]);
    expect(validateRecord({}).kind).toBeNull();
  });
});

describe('normalizeRecord (lenient)', () => {
  it('normalizes valid fields, keeps invalid ones as read, drops missing ones, never errors', () => {
    const r = normalizeRecord({
      extra: ' e ',
      sku: ' ab 1 ',
      product_name: '  Widget   Pro ',
      quantity: '-3',
      unit_price: '1,5',
      warehouse_id: '',
      category: null,
      updated_at: '2023-03-15T10:00:00+01:00',
      blank: '  ',
    });
    expect(r.kind).toBe('inventory');
    expect(JSON.stringify(r.value)).toBe(
      JSON.stringify({
        kind: 'inventory',
        sku: ' ab 1 ',
        product_name: 'Widget Pro',
        quantity: '-3',
        unit_price: '1,5',
        updated_at: '2023-03-15T09:00:00.000Z',
        extra: ' e ',
      }),
    );
    expect(r).not.toHaveProperty('errors');
  });
  it('gives the same value as checkRecord for a valid record', () => {
    const raw = { ...CUSTOMER, first_name: ' A  B ', country: 'fr', lifetime_value: '3.50', x: 1 };
    expect(normalizeRecord(raw).value).toEqual(checkRecord(raw).value);
  });
  it('null value when the kind is unknown', () => {
    expect(normalizeRecord({ a: 1 })).toEqual({ kind: null, value: null });
    expect(normalizeRecord({ kind: 'order', sku: 'S' })).toEqual({ kind: null, value: null });
  });
  it('honours the hint', () => {
    expect(normalizeRecord({ sku: 's1' }, 'customer').value).toEqual({ kind: 'customer', sku: 's1' });
  });
});
