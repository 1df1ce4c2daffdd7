// Customer fields, rule by rule (records.md "Customer", "Email", "Numbers", "Dates").
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/contract/index.js';
import type { ErrorCode, Fields } from '../../src/pipeline/types.js';

const BASE: Fields = { customer_id: 'C1', email: 'a@b.co' };

/** Check a valid base customer with `field` set to `input`. */
function run(field: string, input: unknown) {
  return checkRecord({ ...BASE, [field]: input });
}

function expectValid(field: string, input: unknown, expected: unknown): void {
  const r = run(field, input);
  expect(r.errors).toEqual([]);
  expect(r.kind).toBe('customer');
  expect(r.value).not.toBeNull();
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

const a64 = 'a'.repeat(64);

table(
  'customer_id',
  [
    ['C1', 'C1'],
    ['  abc_DEF-09  ', 'abc_DEF-09'],
    [a64, a64],
    ['_', '_'],
    ['-', '-'],
    ['\tX9\n', 'X9'],
    [123, '123'],
    [0, '0'],
  ],
  [['a'.repeat(65)], ['a b'], ['a.b'], ['ä1'], ['a@b'], ['#1'], ['C1;'], [1.5], [true], [{}], [['C1']]],
  'invalid_id',
);

const twoSpaces = 'a'.repeat(50) + '     ' + 'b'.repeat(49); // 104 chars, 100 once collapsed
for (const field of ['first_name', 'last_name']) {
  table(
    field,
    [
      ['Ann', 'Ann'],
      ['  Ann  ', 'Ann'],
      ['Ann   Marie', 'Ann Marie'],
      [' Ann \t Marie\n Lee ', 'Ann Marie Lee'],
      ['Ann\u00a0\u00a0Marie', 'Ann Marie'],
      ['José', 'José'],
      ['x'.repeat(100), 'x'.repeat(100)],
      ['é'.repeat(100), 'é'.repeat(100)],
      ['😀'.repeat(100), '😀'.repeat(100)], // 200 UTF-16 units, 100 code points
      [twoSpaces, 'a'.repeat(50) + ' ' + 'b'.repeat(49)],
      ['  ' + 'x'.repeat(100) + '  ', 'x'.repeat(100)],
      [42, '42'],
    ],
    [['x'.repeat(101)], ['😀'.repeat(101)], ['a'.repeat(60) + ' ' + 'b'.repeat(40)], [{}], [true], [['Ann']]],
    'too_long',
  );
}

table(
  'email',
  [
    ['bob@example.com', 'bob@example.com'],
    ['  Bob@Example.COM  ', 'bob@example.com'],
    ['a.b+tag@sub.example.co.uk', 'a.b+tag@sub.example.co.uk'],
    ['x@a-b.io', 'x@a-b.io'],
    ["o'reilly@x.org", "o'reilly@x.org"],
    ['a@1.example.com', 'a@1.example.com'],
    ['a@b.cd', 'a@b.cd'],
    ['ÄNN@example.com', 'änn@example.com'],
    [`${a64}@example.com`, `${a64}@example.com`],
    [`a@${'b'.repeat(63)}.com`, `a@${'b'.repeat(63)}.com`],
    ['a@b.c-d.museum', 'a@b.c-d.museum'],
  ],
  [
    ['bob@'],
    ['@example.com'],
    ['bob'],
    ['bob.example.com'],
    ['a@@b.com'],
    ['a@b@c.com'],
    ['a b@c.com'],
    ['a\t@b.com'],
    ['a@localhost'],
    ['a@b.c'],
    ['a@b.c1'],
    ['a@b.123'],
    ['a@b.c-m'],
    ['a@-b.com'],
    ['a@b-.com'],
    ['a@b..com'],
    ['a@.b.com'],
    ['a@b.com.'],
    ['a@b_c.com'],
    ['a@bü.com'],
    ['a@b .com'],
    [`${'a'.repeat(65)}@example.com`],
    [`a@${'b'.repeat(64)}.com`],
    [`a@b.${'c'.repeat(64)}`],
    [123],
    [{}],
    [true],
  ],
  'invalid_email',
);

it('email message names the field, the value and what was expected', () => {
  const r = run('email', 'bob@');
  expect(r.errors[0]!.message).toBe('email "bob@" is not a valid address: expected name@domain.tld');
});

table(
  'phone',
  [
    ['+14155550100', '+14155550100'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['415.555.0100', '4155550100'],
    ['  +49 30 1234567  ', '+49301234567'],
    ['1234567', '1234567'],
    ['123456789012345', '123456789012345'],
    ['+123456789012345', '+123456789012345'],
    ['(0)30-123.456', '030123456'],
    [4155550100, '4155550100'],
  ],
  [
    ['123456'],
    ['+123456'],
    ['1234567890123456'],
    ['++14155550100'],
    ['1415+5550100'],
    ['+1 415 555 0100 ext 2'],
    ['(415) 555-01OO'],
    ['１２３４５６７８'],
    ['+'],
    ['415/555/0100'],
    ['415_555_0100'],
    ['4155550100#'],
    [true],
    [{}],
  ],
  'invalid_phone',
);

table(
  'country',
  [
    ['DE', 'DE'],
    ['de', 'DE'],
    ['  us  ', 'US'],
    ['Gb', 'GB'],
    ['gB', 'GB'],
    ['AQ', 'AQ'],
    ['eh', 'EH'],
    ['SS', 'SS'],
    ['ax', 'AX'],
    ['BQ', 'BQ'],
    ['CW', 'CW'],
    ['SX', 'SX'],
    ['ZW', 'ZW'],
    ['AD', 'AD'],
  ],
  [
    ['XK'],
    ['UK'],
    ['uk'],
    ['EU'],
    ['ZZ'],
    ['AN'],
    ['YU'],
    ['CS'],
    ['AA'],
    ['D'],
    ['DEU'],
    ['Germany'],
    ['D E'],
    ['ıd'], // dotless i would uppercase to "ID"
    ['12'],
    [49],
    [{}],
  ],
  'invalid_country',
);

table(
  'city',
  [
    ['Berlin', 'Berlin'],
    ['  Berlin  ', 'Berlin'],
    ['New  York', 'New  York'], // trimmed only, inner whitespace kept
    ['x'.repeat(100), 'x'.repeat(100)],
    ['  ' + 'x'.repeat(100) + '  ', 'x'.repeat(100)],
    ['München', 'München'],
    [10115, '10115'],
  ],
  [['x'.repeat(101)], ['😀'.repeat(101)], [{}], [false]],
  'too_long',
);

table(
  'signup_date',
  [
    ['2023-03-15', '2023-03-15'],
    ['  2023-03-15  ', '2023-03-15'],
    ['2024-02-29', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['2023-01-31', '2023-01-31'],
    ['2023-04-30', '2023-04-30'],
    ['0001-01-01', '0001-01-01'],
    ['9999-12-31', '9999-12-31'],
    ['2023-03-15T10:00:00Z', '2023-03-15'],
    ['2023-03-15T23:30:00-05:00', '2023-03-15'], // date as written, not converted
    ['2023-03-15T00:30+02:00', '2023-03-15'],
    ['2023-03-15 10:00', '2023-03-15'],
    ['2023-12-31T23:59:59.999999+14:00', '2023-12-31'],
    ['2024-02-29T12:00:00', '2024-02-29'],
  ],
  [
    ['2023-02-29'],
    ['1900-02-29'],
    ['2100-02-29'],
    ['2023-13-01'],
    ['2023-00-10'],
    ['2023-04-31'],
    ['2023-06-31'],
    ['2023-01-00'],
    ['2023-01-32'],
    ['0000-01-01'],
    ['03/15/2023'],
    ['15.03.2023'],
    ['2023/03/15'],
    ['2023-3-15'],
    ['2023-03-5'],
    ['20230315'],
    ['2023-03-15T25:00'],
    ['2023-03-15T10:60'],
    ['2023-03-15T'],
    ['2023-03-15X'],
    ['2023-03-15Z'],
    ['2023-02-29T10:00:00Z'],
    ['2023-03-15T10:00:00+24:00'],
    ['March 15, 2023'],
    [20230315],
    [{}],
  ],
  'invalid_date',
);

describe('lifetime_value', () => {
  it.each([
    ['0', 0],
    ['1234.50', 1234.5],
    ['  12  ', 12],
    ['+5', 5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-2', 0.01],
    ['2.5e+1', 25],
    ['-0', 0],
    ['007', 7],
    [99.95, 99.95],
    [0, 0],
    [-0, 0],
    [1e21, 1e21],
  ] as Ok[])('valid %j -> %j', (input, out) => expectValid('lifetime_value', input, out));

  it.each([
    ['1,234.50'],
    ['$5'],
    ['5$'],
    ['€5'],
    ['NaN'],
    ['Infinity'],
    ['-Infinity'],
    ['abc'],
    ['1e'],
    ['.'],
    ['+'],
    ['-'],
    ['1.2.3'],
    ['0x10'],
    ['1_000'],
    ['5 5'],
    ['1e999'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [true],
    [{}],
    [[1]],
  ] as Bad[])('invalid %j -> invalid_number', (input) => expectError('lifetime_value', input, 'invalid_number'));

  it.each([['-1'], ['-0.01'], ['-1e3'], [-5], [-0.001]] as Bad[])('negative %j -> out_of_range', (input) =>
    expectError('lifetime_value', input, 'out_of_range'),
  );
});

table(
  'loyalty_tier',
  [
    ['bronze', 'bronze'],
    ['silver', 'silver'],
    ['gold', 'gold'],
    ['platinum', 'platinum'],
    ['GOLD', 'gold'],
    ['  Silver  ', 'silver'],
    ['PlAtInUm', 'platinum'],
  ],
  [['diamond'], ['golden'], ['g'], ['gold tier'], ['gold,silver'], [1], [true], [{}]],
  'invalid_enum',
);

describe('customer output', () => {
  it('normalizes a full record, kind first, fields in table order', () => {
    const r = checkRecord({
      loyalty_tier: 'Gold',
      lifetime_value: '1234.50',
      signup_date: '2023-03-15',
      city: ' Berlin ',
      country: 'de',
      phone: '+49 (30) 123-4567',
      email: ' Ann@Example.com ',
      last_name: ' Smith ',
      first_name: ' Ann  Marie ',
      customer_id: ' C-1 ',
    });
    expect(r.errors).toEqual([]);
    expect(JSON.stringify(r.value)).toBe(
      JSON.stringify({
        kind: 'customer',
        customer_id: 'C-1',
        first_name: 'Ann Marie',
        last_name: 'Smith',
        email: 'ann@example.com',
        phone: '+49301234567',
        country: 'DE',
        city: 'Berlin',
        signup_date: '2023-03-15',
        lifetime_value: 1234.5,
        loyalty_tier: 'gold',
      }),
    );
  });
});
