// Inventory fields, rule by rule (records.md "Inventory", "Numbers", "Timestamps").
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/contract/index.js';
import type { ErrorCode, Fields } from '../../src/pipeline/types.js';

const BASE: Fields = { sku: 'S1', product_name: 'P', warehouse_id: 'W1', quantity: '1', unit_price: '1' };

function run(field: string, input: unknown) {
  return checkRecord({ ...BASE, [field]: input });
}

function expectValid(field: string, input: unknown, expected: unknown): void {
  const r = run(field, input);
  expect(r.errors).toEqual([]);
  expect(r.kind).toBe('inventory');
  expect(r.value![field]).toStrictEqual(expected);
}

function expectError(field: string, input: unknown, code: ErrorCode): void {
  const r = run(field, input);
  expect(r.value).toBeNull();
  expect(r.errors.map((e) => [e.field, e.code])).toEqual([[field, code]]);
  expect(r.errors[0]!.message).toContain(field);
}

type Ok = [input: unknown, out: unknown];
type Bad = [input: unknown];

function table(field: string, valid: Ok[], invalid: Bad[], code: ErrorCode): void {
  describe(field, () => {
    it.each(valid)(`valid %j -> %j`, (input, out) => expectValid(field, input, out));
    it.each(invalid)(`invalid %j -> ${code}`, (input) => expectError(field, input, code));
  });
}

table(
  'sku',
  [
    ['S1', 'S1'],
    ['abc-1.2_x', 'ABC-1.2_X'],
    ['  sku1  ', 'SKU1'],
    ['A'.repeat(64), 'A'.repeat(64)],
    ['a'.repeat(64), 'A'.repeat(64)],
    ['v1.0', 'V1.0'],
    ['...', '...'],
    [12345, '12345'],
    [1.5, '1.5'],
  ],
  [['a b'], ['a/b'], ['A'.repeat(65)], ['sku#1'], ['ß1'], ['sku,1'], [{}], [true], [['S1']]],
  'invalid_id',
);

table(
  'product_name',
  [
    ['Widget', 'Widget'],
    ['  Widget   Pro  ', 'Widget Pro'],
    ['Widget\t\nPro', 'Widget Pro'],
    ['x'.repeat(200), 'x'.repeat(200)],
    ['😀'.repeat(200), '😀'.repeat(200)],
    ['x'.repeat(100) + '      ' + 'y'.repeat(99), 'x'.repeat(100) + ' ' + 'y'.repeat(99)],
    [42, '42'],
  ],
  [['x'.repeat(201)], ['😀'.repeat(201)], [{}], [true]],
  'too_long',
);

table(
  'category',
  [
    ['tools', 'tools'],
    ['  Garden  Tools  ', 'Garden  Tools'],
    ['x'.repeat(100), 'x'.repeat(100)],
  ],
  [['x'.repeat(101)], [[1]]],
  'too_long',
);

table(
  'warehouse_id',
  [
    ['W1', 'W1'],
    ['wh-1', 'WH-1'],
    ['  w_2  ', 'W_2'],
    ['w'.repeat(64), 'W'.repeat(64)],
    [7, '7'],
  ],
  [['wh.1'], ['w 1'], ['W'.repeat(65)], ['wh/1'], ['é'], [{}], [false]],
  'invalid_id',
);

describe('quantity', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['  7  ', 7],
    ['+3', 3],
    ['007', 7],
    ['-0', 0],
    ['9007199254740991', 9007199254740991],
    [42, 42],
    [1.0, 1],
    [0, 0],
    [-0, 0],
  ] as Ok[])('valid %j -> %j', (input, out) => expectValid('quantity', input, out));

  it.each([
    ['1.0'],
    ['1.5'],
    ['1e3'],
    ['1.'],
    ['.5'],
    ['abc'],
    ['1,000'],
    ['1 000'],
    ['$3'],
    ['NaN'],
    ['Infinity'],
    ['0x10'],
    ['9007199254740992'],
    ['-9007199254740992'],
    ['99999999999999999999'],
    [1.5],
    [1e20],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [true],
    [{}],
  ] as Bad[])('invalid %j -> invalid_integer', (input) => expectError('quantity', input, 'invalid_integer'));

  it.each([['-1'], ['  -42  '], [-5], [-9007199254740991]] as Bad[])('negative %j -> out_of_range', (input) =>
    expectError('quantity', input, 'out_of_range'),
  );
});

describe('unit_price', () => {
  it.each([
    ['0', 0],
    ['19.99', 19.99],
    ['  19.99  ', 19.99],
    ['1e2', 100],
    ['.99', 0.99],
    ['10.', 10],
    ['-0.0', 0],
    [5, 5],
    [0.5, 0.5],
  ] as Ok[])('valid %j -> %j', (input, out) => expectValid('unit_price', input, out));

  it.each([['1,234.50'], ['$5'], ['5 EUR'], ['NaN'], ['Infinity'], ['free'], ['1e999'], ['--1'], [true], [{}]] as Bad[])(
    'invalid %j -> invalid_number',
    (input) => expectError('unit_price', input, 'invalid_number'),
  );

  it.each([['-0.01'], ['-1'], [-1]] as Bad[])('negative %j -> out_of_range', (input) =>
    expectError('unit_price', input, 'out_of_range'),
  );
});

table(
  'updated_at',
  [
    ['2023-03-15', '2023-03-15T00:00:00.000Z'],
    ['2023-03-15T10:20', '2023-03-15T10:20:00.000Z'],
    ['2023-03-15T10:20:30', '2023-03-15T10:20:30.000Z'],
    ['2023-03-15 10:20:30', '2023-03-15T10:20:30.000Z'],
    ['2023-03-15T10:20:30Z', '2023-03-15T10:20:30.000Z'],
    ['2023-03-15T10:20Z', '2023-03-15T10:20:00.000Z'],
    ['2023-03-15T10:20:30.1Z', '2023-03-15T10:20:30.100Z'],
    ['2023-03-15T10:20:30.12Z', '2023-03-15T10:20:30.120Z'],
    ['2023-03-15T10:20:30.123Z', '2023-03-15T10:20:30.123Z'],
    ['2023-03-15T10:20:30.123456789Z', '2023-03-15T10:20:30.123Z'],
    ['2023-03-15T10:20:30.9999Z', '2023-03-15T10:20:30.999Z'], // truncated, not rounded
    ['2023-03-15T10:20:30.5', '2023-03-15T10:20:30.500Z'],
    ['2023-03-15T10:20:30+02:00', '2023-03-15T08:20:30.000Z'],
    ['2023-03-15T01:00:00+02:00', '2023-03-14T23:00:00.000Z'],
    ['2023-03-15T22:30-05:30', '2023-03-16T04:00:00.000Z'],
    ['2023-12-31T23:00:00-01:00', '2024-01-01T00:00:00.000Z'],
    ['2024-02-28T23:00:00-01:00', '2024-02-29T00:00:00.000Z'],
    ['2023-03-01T00:30:00+01:00', '2023-02-28T23:30:00.000Z'],
    ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000Z'],
    ['2023-03-15T10:20:30.250+05:45', '2023-03-15T04:35:30.250Z'],
    ['2023-03-15T10:20:30+00:00', '2023-03-15T10:20:30.000Z'],
    ['2023-03-15T10:20:30-00:00', '2023-03-15T10:20:30.000Z'],
    ['2023-03-15T00:00:00+23:59', '2023-03-14T00:01:00.000Z'],
    ['  2023-03-15T10:20:30Z  ', '2023-03-15T10:20:30.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['2023-03-15T23:59:59.999Z', '2023-03-15T23:59:59.999Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0001-01-01T05:00:00+05:00', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['1969-12-31T23:59:59.999-00:01', '1970-01-01T00:00:59.999Z'],
  ],
  [
    ['2023-02-29T10:00:00Z'],
    ['2023-02-29'],
    ['2023-13-01'],
    ['2023-04-31T00:00'],
    ['2023-03-15T24:00'],
    ['2023-03-15T23:60'],
    ['2023-03-15T23:59:60'],
    ['2023-03-15T10'],
    ['2023-03-15T10:2'],
    ['2023-03-15T1:20'],
    ['2023-03-15T10:20:3'],
    ['2023-03-15T10:20:30.'],
    ['2023-03-15T10:20:30.Z'],
    ['2023-03-15T10:20.5'],
    ['2023-03-15  10:20'],
    ['2023-03-15t10:20'],
    ['2023-03-15T10:20z'],
    ['2023-03-15T10:20:30+0200'],
    ['2023-03-15T10:20:30+02'],
    ['2023-03-15T10:20:30+2:00'],
    ['2023-03-15T10:20:30+24:00'],
    ['2023-03-15T10:20:30+02:60'],
    ['2023-03-15T10:20:30 +02:00'],
    ['2023-03-15T10:20:30ZZ'],
    ['2023-03-15T10:20:30Z junk'],
    ['2023-03-15T10:20:30,5Z'],
    ['2023-03-15Z'],
    ['2023-03-15+02:00'],
    ['03/15/2023 10:00'],
    ['1678875630'],
    ['today'],
    ['0000-06-01T00:00:00Z'],
    ['0001-01-01T00:00:00+01:00'], // before year 1 in UTC
    ['9999-12-31T23:00:00-01:00'], // after year 9999 in UTC
    [1678875630000],
    [{}],
  ],
  'invalid_timestamp',
);

table(
  'supplier',
  [
    ['ACME', 'ACME'],
    ['  ACME  GmbH  ', 'ACME  GmbH'],
    ['x'.repeat(200), 'x'.repeat(200)],
  ],
  [['x'.repeat(201)], [{}]],
  'too_long',
);

describe('inventory output', () => {
  it('normalizes a full record, kind first, fields in table order', () => {
    const r = checkRecord({
      supplier: ' ACME ',
      updated_at: '2023-03-15T10:20:30+02:00',
      unit_price: '19.990',
      quantity: ' 12 ',
      warehouse_id: 'wh-1',
      category: ' tools ',
      product_name: ' Widget  Pro ',
      sku: ' abc.1 ',
    });
    expect(r.errors).toEqual([]);
    expect(JSON.stringify(r.value)).toBe(
      JSON.stringify({
        kind: 'inventory',
        sku: 'ABC.1',
        product_name: 'Widget Pro',
        category: 'tools',
        warehouse_id: 'WH-1',
        quantity: 12,
        unit_price: 19.99,
        updated_at: '2023-03-15T08:20:30.000Z',
        supplier: 'ACME',
      }),
    );
  });

  it('accepts JSON numbers for quantity and unit_price and outputs JSON numbers', () => {
    const r = checkRecord({ ...BASE, quantity: 3, unit_price: 2.5 });
    expect(r.value).toMatchObject({ quantity: 3, unit_price: 2.5 });
    expect(typeof r.value!.quantity).toBe('number');
  });
});
