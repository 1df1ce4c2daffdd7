// checkRecordJson: the kept record as JSON text, byte for byte what
// JSON.stringify(checkRecord(raw, hint).value) gives, with the same kind and errors.
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  checkRecordJson,
  COUNTRY_CODES,
  KNOWN_FIELDS,
  normalizeHeader,
} from '../../src/contract/index.js';
import { isCanonicalNumber } from '../../src/contract/json.js';
import { checkRecordList } from '../../src/contract/record.js';
import { newList, objectOf } from '../../src/stages/shape.js';
import type { Fields, Kind } from '../../src/pipeline/types.js';

const CUSTOMER: Fields = {
  customer_id: 'C1', first_name: ' Ann  Marie ', last_name: 'Smith', email: 'Ann@Example.com',
  phone: '+1 (415) 555-0100', country: 'de', city: 'Berlin', signup_date: '2023-03-15',
  lifetime_value: '1520.50', loyalty_tier: 'GOLD',
};
const INVENTORY: Fields = {
  sku: 'sku-1.a', product_name: 'Widget  deluxe', category: 'tools', warehouse_id: 'wh-1', quantity: '42',
  unit_price: '369.11', updated_at: '2023-03-15T10:00:00+02:00', supplier: 'ACME GmbH',
};
const BASES: Record<Kind, Fields> = { customer: CUSTOMER, inventory: INVENTORY };

function expected(raw: Fields, hint?: Kind) {
  const r = checkRecord(raw, hint);
  return { kind: r.kind, json: r.value === null ? null : JSON.stringify(r.value), errors: r.errors };
}

/** checkRecordJson agrees with checkRecord; returns its json. */
function same(raw: Fields, hint?: Kind): string | null {
  const want = expected(raw, hint);
  const got = checkRecordJson(raw, hint);
  expect(got).toEqual(want);
  return got.json;
}

/** Own properties in this order, `__proto__` included (a literal would set the prototype). */
function record(entries: [string, unknown][]): Fields {
  const r: Fields = {};
  for (const [k, v] of entries) {
    Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return r;
}

const without = (base: Fields, field: string): Fields =>
  record(Object.entries(base).filter(([k]) => k !== field));

describe('checkRecordJson: tables', () => {
  it('every field present', () => {
    expect(same(CUSTOMER)).toBe(
      '{"kind":"customer","customer_id":"C1","first_name":"Ann Marie","last_name":"Smith",' +
        '"email":"ann@example.com","phone":"+14155550100","country":"DE","city":"Berlin",' +
        '"signup_date":"2023-03-15","lifetime_value":1520.5,"loyalty_tier":"gold"}',
    );
    expect(same(INVENTORY)).toBe(
      '{"kind":"inventory","sku":"SKU-1.A","product_name":"Widget deluxe","category":"tools",' +
        '"warehouse_id":"WH-1","quantity":42,"unit_price":369.11,"updated_at":"2023-03-15T08:00:00.000Z",' +
        '"supplier":"ACME GmbH"}',
    );
  });

  for (const kind of ['customer', 'inventory'] as const) {
    describe(kind, () => {
      const base = BASES[kind];
      it.each(KNOWN_FIELDS[kind].map((f) => [f]))('field %s missing (absent, null, blank)', (field) => {
        same(without(base, field));
        same({ ...base, [field]: null });
        same({ ...base, [field]: '  ' });
        same({ ...base, [field]: undefined });
      });

      it('only one field present, and each field alone last', () => {
        for (const keep of KNOWN_FIELDS[kind]) same(record([[keep, base[keep]]]), kind);
        same(record([]), kind);
      });

      it.each<[string, [string, unknown][]]>([
        ['a plain extra', [['note', 'x']]],
        ['an integer-like key', [['123', 'a']]],
        ['integer-like keys after others', [['z', 1], ['10', true], ['2', null], ['1', 'one']]],
        ['__proto__', [['__proto__', 'p']]],
        ['__proto__ holding an object', [['__proto__', { a: 1 }]]],
        ['extras of every JSON type', [['n', 1.5], ['b', false], ['o', { x: [1, '"'] }], ['s', 'é\u2028']]],
        ['only missing extras (left out: no fallback)', [['note', null], ['blank', ' '], ['u', undefined]]],
        ['a kind field', [['kind', kind]]],
        ['a kind field in other case', [['kind', ` ${kind.toUpperCase()} `]]],
      ])('extras: %s', (_label, extras) => {
        same(record([...Object.entries(base), ...extras]));
        same(record([...extras, ...Object.entries(base)]));
        same(record([...extras, ...Object.entries(base)]), kind);
      });
    });
  }

  const HOSTILE = [
    'say "hi"', 'back\\slash', 'a\\"b', 'tab\there', 'nl\nand\rcr', '\u0000nul', 'ctl \u0001\u0008\u000b\u000c\u001f',
    'del \u007f', 'line sep \u2028 para sep \u2029', 'lone high \ud800', 'lone low \udc00 x', '\udbff',
    'reversed pair \udc00\ud800', 'pair \ud83d\ude00', 'Fábrica', '日本語', 'ß and \u00a0nbsp', '</script>', '',
  ];

  describe.each([
    ['customer', ['first_name', 'last_name', 'city']],
    ['inventory', ['product_name', 'category', 'supplier']],
  ] as const)('%s strings needing escapes', (kind, fields) => {
    it.each(HOSTILE.map((s) => [s]))('%j', (s) => {
      for (const f of fields) same({ ...BASES[kind], [f]: s });
      same({ ...BASES[kind], [fields[0]]: s, [fields[1]]: s, [fields[2]]: s + s });
    });
  });

  it('hostile text in emails and ids', () => {
    const emails = ['a"b@example.com', 'a\\b@example.com', 'a\u0001b@example.com', 'Ä"@x.com', 'a\ud800@example.com'];
    for (const email of emails) same({ ...CUSTOMER, email });
    for (const id of ['a"b', 'a\\b', 'ß', 123, 1.5, 1e21, -0]) {
      same({ ...CUSTOMER, customer_id: id });
      same({ ...INVENTORY, sku: id });
      same({ ...INVENTORY, warehouse_id: id });
    }
  });

  const NUMBERS: unknown[] = [
    // numeric strings as read from CSV
    '0', '0.5', '1.10', '1.0', '0.0', '00', '01', '+1', '-1', '1e3', '1E3', '1e-7', '1.', '.5', ' 12 ', '12 ',
    '-0', '+0', '0.000001', '0.0000001', '0.00001', '0.1', '0.10', '0.30000000000000004', '100', '1000000',
    '369.11', '19.99', '123456789012345', '1234567890123456', '12345678901234567890123', '9007199254740993',
    '999999999999999', '99999999999999.9', '0.123456789012', '1.23456789012345', '100000000000000000000',
    '1000000000000000000000', '1e21', '1e999', 'abc', '1,5', '0x10', 'Infinity', 'NaN', '',
    // JSON numbers (NDJSON) and other types
    0, -0, 1, 1.5, 19.99, 0.1 + 0.2, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, -1,
    NaN, Infinity, true, null, [1], { n: 1 },
  ];

  it.each(NUMBERS.map((n) => [n]))('numbers: %j', (n) => {
    same({ ...INVENTORY, unit_price: n });
    same({ ...INVENTORY, quantity: n });
    same({ ...CUSTOMER, lifetime_value: n });
    same({ ...INVENTORY, unit_price: n, quantity: n });
  });

  it('anchors: numbers as JSON.stringify prints them', () => {
    const text = (p: unknown) =>
      /"unit_price":([^,]*),/.exec(checkRecordJson({ ...INVENTORY, unit_price: p }).json!)![1];
    expect(text('1.10')).toBe('1.1');
    expect(text('0.0000001')).toBe('1e-7');
    expect(text('0.000001')).toBe('0.000001');
    expect(text(' 12 ')).toBe('12');
    expect(text('-0')).toBe('0');
    expect(text('1e3')).toBe('1000');
    expect(text('1234567890123456789')).toBe('1234567890123456800');
    expect(text('12345678901234567890123')).toBe('1.2345678901234568e+22');
    expect(text(1e21)).toBe('1e+21');
    expect(text(-0)).toBe('0');
    expect(text('369.11')).toBe('369.11');
  });

  it('rejects: json null, the same errors as checkRecord', () => {
    const rejects: [Fields, Kind?][] = [
      [{ ...CUSTOMER, email: 'nope' }],
      [{ ...CUSTOMER, email: null, country: 'UK' }],
      [{ ...INVENTORY, quantity: '1.5', unit_price: '-1' }],
      [without(INVENTORY, 'sku'), 'inventory'],
      [{ kind: 'order', id: 1 }],
      [{ name: 'no kind at all' }],
      [{}],
      [CUSTOMER, 'inventory'],
      [INVENTORY, 'customer'],
    ];
    for (const [raw, hint] of rejects) {
      const r = checkRecordJson(raw, hint);
      expect(r.json).toBeNull();
      expect(r.errors.length).toBeGreaterThan(0);
      same(raw, hint);
    }
  });

  it('kind hints win over the kind field and sniffing', () => {
    const both = { ...CUSTOMER, ...INVENTORY };
    for (const hint of [undefined, 'customer', 'inventory'] as const) {
      same(both, hint);
      same({ ...both, kind: 'inventory' }, hint);
      same({ ...both, kind: 'customer' }, hint);
      same({ ...CUSTOMER, kind: 'order' }, hint);
    }
  });

  it('every record of the fixtures', () => {
    const dir = new URL('../../fixtures/', import.meta.url);
    let n = 0;
    for (const name of readdirSync(dir)) {
      const text = readFileSync(new URL(name, dir), 'utf8');
      let rows: Fields[] = [];
      if (name.endsWith('.ndjson')) {
        for (const line of text.split('\n')) {
          try {
            rows.push(JSON.parse(line) as Fields);
          } catch {
            // a malformed line: not a record
          }
        }
      } else if (name.endsWith('.csv') && name !== 'duplicate-header.csv') {
        rows = parse(text, {
          bom: true,
          columns: (h: string[]) => h.map(normalizeHeader),
          relax_column_count: true,
        }) as Fields[];
      }
      for (const raw of rows) {
        for (const hint of [undefined, 'customer', 'inventory'] as const) same(raw, hint);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(100);
  });
});

// ---------------------------------------------------------------------------

const nasty = fc.constantFrom('"', '\\', '\u0000', '\n', '\t', ' ', '\u2028', '\ud800', '\udc00', '\ud83d\ude00', 'á');
const hostileText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.string({ unit: nasty }),
);
const numericText = fc.oneof(
  fc.double().map(String),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d.toFixed(2)),
  fc.tuple(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 20 })).map(([d, k]) => d.toFixed(k)),
  fc.nat().map(String),
  fc.stringMatching(/^[ +-]?\d{0,20}(\.\d{0,8})?([eE][+-]?\d{1,3})?\s?$/),
);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 3, arbitrary: numericText },
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, undefined, true, false, '', '  ', [] as unknown, {} as unknown, -0, 1e21),
);

/** Per field: mostly plausible (so that records are often kept), sometimes anything. */
function fieldArb(field: string): fc.Arbitrary<unknown> {
  const plausible: Record<string, fc.Arbitrary<unknown>> = {
    customer_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.nat()),
    sku: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), fc.nat(), fc.double({ min: 0, max: 1e6 })),
    warehouse_id: fc.stringMatching(/^ ?[a-z0-9_-]{1,20} ?$/),
    email: fc.oneof(
      fc.emailAddress(),
      fc
        .string({ unit: fc.constantFrom('a', '"', '\\', '\u0001', 'É', '\ud800', '.'), minLength: 1, maxLength: 10 })
        .map((l) => `${l}@Example.com`),
    ),
    phone: fc.oneof(fc.stringMatching(/^\+?[0-9]{7,15}$/), fc.constantFrom('+1 (415) 555-0100', '030 1234.567')),
    country: fc.constantFrom(...COUNTRY_CODES.slice(0, 20), 'de', ' us ', 'UK'),
    signup_date: fc.constantFrom('2023-03-15', '2024-02-29', ' 2019-03-14T10:00:00Z ', '2023-02-30'),
    updated_at: fc.constantFrom('2024-06-01T10:00Z', '2024-06-01T12:00+02:00', '2024-06-01 12:00:00.1234','2024-06-01'),
    loyalty_tier: fc.constantFrom('gold', ' Silver ', 'PLATINUM', 'bronze', 'tin'),
    quantity: fc.oneof(
      { weight: 4, arbitrary: fc.oneof(fc.nat().map(String), fc.nat()) },
      { weight: 1, arbitrary: numericText },
    ),
    unit_price: fc.oneof(numericText, fc.double({ min: 0, max: 1e7, noNaN: true })),
    lifetime_value: fc.oneof(numericText, fc.double({ min: 0, noNaN: true })),
  };
  return fc.oneof({ weight: 20, arbitrary: plausible[field] ?? hostileText }, { weight: 1, arbitrary: anyValue });
}

function recordArb(kind: Kind): fc.Arbitrary<Fields> {
  const names = KNOWN_FIELDS[kind];
  const known = fc.record(Object.fromEntries(names.map((f) => [f, fieldArb(f)])));
  // leave fields out: none, some optional ones (still kept), or any (mostly rejected)
  const optional = names.filter((f) => !checkRecord({ ...BASES[kind], [f]: null }).errors.length);
  const dropped = fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as string[]) },
    { weight: 3, arbitrary: fc.subarray(optional) },
    { weight: 1, arbitrary: fc.subarray([...names], { maxLength: 2 }) },
  );
  const extraKey = fc.oneof(fc.string(), fc.constantFrom('123', '0', '__proto__', 'kind', 'note', 'constructor'));
  const extras = fc.oneof(
    { weight: 2, arbitrary: fc.constant([] as [string, unknown][]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, anyValue), { maxLength: 4 }) },
  );
  return fc.tuple(known, dropped, extras, fc.boolean()).map(([k, drop, e, extrasFirst]) => {
    const entries = Object.entries(k).filter(([f]) => !drop.includes(f));
    return record(extrasFirst ? [...e, ...entries] : [...entries, ...e]);
  });
}

describe('checkRecordJson: properties', () => {
  const hint = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom<Kind>('customer', 'inventory') },
  );

  it('agrees with checkRecord on generated records of both kinds', () => {
    let kept = 0;
    fc.assert(
      fc.property(fc.oneof(recordArb('customer'), recordArb('inventory')), hint, (raw, h) => {
        const want = expected(raw, h);
        expect(checkRecordJson(raw, h)).toEqual(want);
        if (want.json !== null) kept++;
      }),
      { numRuns: 5000 },
    );
    expect(kept).toBeGreaterThan(1500); // the fast path was exercised, not only rejects
  });

  it('checkRecordList: the list stands for the same object, with the same kind and errors', () => {
    const list = newList();
    let listed = 0;
    fc.assert(
      fc.property(fc.oneof(recordArb('customer'), recordArb('inventory')), hint, (raw, h) => {
        const want = expected(raw, h);
        const got = checkRecordList(raw, h, list);
        expect({ kind: got.kind, errors: got.errors }).toEqual({ kind: want.kind, errors: want.errors });
        if (!got.listed) return; // an integer-like extra, or a rejected record
        listed++;
        expect(JSON.stringify(objectOf(list))).toBe(want.json);
      }),
      { numRuns: 5000 },
    );
    expect(listed).toBeGreaterThan(1500);
  });

  it('agrees on numbers alone (everything else valid)', () => {
    const num = fc.oneof(numericText, fc.double(), fc.integer(), fc.nat({ max: 1e6 }).map((n) => `${n / 100}`));
    fc.assert(
      fc.property(num, num, (p, q) => {
        same({ ...INVENTORY, unit_price: p, quantity: q });
        same({ ...CUSTOMER, lifetime_value: p });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('isCanonicalNumber', () => {
  /** What the rule accepts is what String(Number(s)) prints. */
  const holds = (s: string) => {
    if (isCanonicalNumber(s)) expect(String(Number(s))).toBe(s);
  };

  it('accepts only canonical texts: strings made of number characters', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('0', '0', '1', '5', '9', '.', '-', '+', 'e', ' '), maxLength: 18 }),
        holds,
      ),
      { numRuns: 20000 },
    );
  });

  it('accepts only canonical texts: decimal-looking strings', () => {
    const decimal = fc
      .tuple(
        fc.oneof(fc.constant('0'), fc.stringMatching(/^[0-9]{1,17}$/)),
        fc.option(fc.stringMatching(/^0{0,8}[0-9]{0,12}0{0,8}$/), { nil: undefined }),
      )
      .map(([i, f]) => (f === undefined ? i : `${i}.${f}`));
    let accepted = 0;
    fc.assert(
      fc.property(decimal, (s) => {
        holds(s);
        if (isCanonicalNumber(s)) accepted++;
      }),
      { numRuns: 20000 },
    );
    expect(accepted).toBeGreaterThan(2000);
  });

  it('accepts only canonical texts: fixed and precision forms of doubles', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e16, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 21 }),
        (d, k, p) => {
          holds(d.toFixed(k));
          holds(d.toPrecision(p));
          holds(String(d));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it("accepts a double's own text when it is short and has no exponent", () => {
    const short = (s: string) => s.length <= 15 && !s.includes('e') && !s.startsWith('-');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 0, max: 1e15, noNaN: true }),
          fc.nat().map((n) => n / 100),
          fc.nat().map((n) => n / 1e6),
        ),
        (d) => {
          const s = String(d);
          expect(isCanonicalNumber(s)).toBe(short(s));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it.each<[string, boolean]>([
    ['0', true], ['7', true], ['10', true], ['0.5', true], ['369.11', true], ['0.000001', true], ['0.0000012', true],
    ['123456789012345', true], ['1234567890123.5', true], ['0.1234567890123', true], ['12345678901234.5', false],
    ['1234567890123456', false], ['0.0000001', false], ['0.00000012', false], ['1.10', false], ['1.0', false],
    ['0.0', false], ['310.00', false], ['0.', false], ['1.', false], ['00', false], ['01', false], ['+1', false],
    ['-1', false], ['-0', false], ['1e3', false], ['.5', false], [' 1', false], ['1 ', false], ['', false],
    ['1.2.3', false], ['0x1', false], ['١', false],
  ])('%j -> %s', (s, ok) => {
    expect(isCanonicalNumber(s)).toBe(ok);
    if (ok) expect(String(Number(s))).toBe(s);
  });

  it('0.0…0d with 0-9 zeros; runs of 1-17 digits', () => {
    for (let z = 0; z < 10; z++) for (const d of ['1', '5', '9', '25', '10', '0']) holds(`0.${'0'.repeat(z)}${d}`);
    for (let n = 1; n <= 17; n++) {
      holds('9'.repeat(n));
      holds('1' + '0'.repeat(n - 1));
      if (n > 1) holds(`${'9'.repeat(n - 1)}.9`);
      holds(`1.${'0'.repeat(n)}`);
      holds(`1.${'0'.repeat(n)}1`);
    }
  });
});
