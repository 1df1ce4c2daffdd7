// Kinds declared in contract files (docs/contracts.md): each type and rule, table-driven,
// through the same engine as the built-in kinds; agreement with the built-in checkers
// (fast-check); detection order; and the schema's errors (file, line, path).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord, checkRecordJson, detectKind, normalizeRecord } from '../../src/contract/index.js';
import { loadContractFile, type FieldDecl } from '../../src/contract/contract-file.js';
import { useContracts } from '../../src/contract/contracts.js';
import { clearDeclaredKinds, compileKind, keyFieldsOf, registerKinds } from '../../src/contract/declared.js';
import { decimalsOf } from '../../src/contract/declared-checks.js';
import { checkNonNegInteger, checkNonNegNumber } from '../../src/contract/fields.js';
import { RecflowError } from '../../src/errors.js';
import { tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-declared-')));
afterAll(() => cleanup());
afterEach(() => clearDeclaredKinds());

let n = 0;
/** A one-field kind `t<n>` (field `v`) registered from a declaration; its name. */
function oneField(decl: Omit<FieldDecl, 'name'>, extra: 'pass' | 'drop' | 'reject' = 'pass'): string {
  const name = `t${n++}`;
  registerKinds([compileKind({ name, detect: null, key: [], extra, fields: [{ ...decl, name: 'v' } as FieldDecl], file: 'x' })]);
  return name;
}

type Row = [string, Omit<FieldDecl, 'name'>, unknown, { value: unknown } | { code: string }];

const ROWS: Row[] = [
  // string
  ['string trims', { type: 'string' }, '  a b ', { value: 'a b' }],
  ['string trim: false keeps blanks', { type: 'string', trim: false }, ' a ', { value: ' a ' }],
  ['string number as written', { type: 'string' }, 12.5, { value: '12.5' }],
  ['string not text', { type: 'string' }, true, { code: 'too_long' }],
  ['string max_length ok', { type: 'string', max_length: 3 }, 'abc', { value: 'abc' }],
  ['string max_length code points', { type: 'string', max_length: 2 }, '😀😀', { value: '😀😀' }],
  ['string max_length over', { type: 'string', max_length: 3 }, 'abcd', { code: 'too_long' }],
  ['string min_length under', { type: 'string', min_length: 3 }, 'ab', { code: 'out_of_range' }],
  ['string lower', { type: 'string', lower: true }, 'AbC', { value: 'abc' }],
  ['string upper', { type: 'string', upper: true }, 'AbC', { value: 'ABC' }],
  ['string collapse', { type: 'string', collapse: true }, ' a \t b ', { value: 'a b' }],
  ['string pattern ok', { type: 'string', pattern: '^[a-z]+$' }, ' abc ', { value: 'abc' }],
  ['string pattern mismatch', { type: 'string', pattern: '^[a-z]+$' }, 'ab1', { code: 'pattern_mismatch' }],
  ['string pattern unanchored', { type: 'string', pattern: 'b' }, 'abc', { value: 'abc' }],
  // id
  ['id default', { type: 'id' }, ' C-1 ', { value: 'C-1' }],
  ['id default refuses space', { type: 'id' }, 'C 1', { code: 'invalid_id' }],
  ['id number', { type: 'id' }, 123, { value: '123' }],
  ['id upper', { type: 'id', upper: true }, 'ab-1', { value: 'AB-1' }],
  ['id lower', { type: 'id', lower: true }, 'AB-1', { value: 'ab-1' }],
  ['id pattern ok', { type: 'id', pattern: '^O[0-9]{6}$' }, 'O000001', { value: 'O000001' }],
  ['id pattern mismatch is invalid_id', { type: 'id', pattern: '^O[0-9]{6}$' }, 'O1', { code: 'invalid_id' }],
  ['id max_length', { type: 'id', max_length: 3 }, 'abcd', { code: 'too_long' }],
  ['id min_length', { type: 'id', min_length: 3 }, 'ab', { code: 'out_of_range' }],
  ['id boolean', { type: 'id' }, false, { code: 'invalid_id' }],
  // built-in semantics reused
  ['email lowercased', { type: 'email' }, ' A@B.Co ', { value: 'a@b.co' }],
  ['email bad', { type: 'email' }, 'a@b', { code: 'invalid_email' }],
  ['phone stripped', { type: 'phone' }, '+49 (30) 123-4567', { value: '+49301234567' }],
  ['phone bad', { type: 'phone' }, '12', { code: 'invalid_phone' }],
  ['country upper', { type: 'country' }, 'de', { value: 'DE' }],
  ['country unassigned', { type: 'country' }, 'XK', { code: 'invalid_country' }],
  ['date', { type: 'date' }, '2024-02-29', { value: '2024-02-29' }],
  ['date not real', { type: 'date' }, '2023-02-29', { code: 'invalid_date' }],
  ['timestamp to UTC', { type: 'timestamp' }, '2026-12-01T08:00:00+01:00', { value: '2026-12-01T07:00:00.000Z' }],
  ['timestamp bad', { type: 'timestamp' }, '2026-12-01T24:00', { code: 'invalid_timestamp' }],
  // integer
  ['integer string', { type: 'integer' }, ' 42 ', { value: 42 }],
  ['integer negative', { type: 'integer' }, '-7', { value: -7 }],
  ['integer -0', { type: 'integer' }, '-0', { value: 0 }],
  ['integer 1.0 string', { type: 'integer' }, '1.0', { code: 'invalid_integer' }],
  ['integer JSON 1.5', { type: 'integer' }, 1.5, { code: 'invalid_integer' }],
  ['integer unsafe', { type: 'integer' }, '9007199254740993', { code: 'invalid_integer' }],
  ['integer min ok', { type: 'integer', min: 1 }, 1, { value: 1 }],
  ['integer below min', { type: 'integer', min: 1 }, 0, { code: 'out_of_range' }],
  ['integer above max', { type: 'integer', max: 10 }, 11, { code: 'out_of_range' }],
  // number
  ['number string', { type: 'number' }, '12.50', { value: 12.5 }],
  ['number exponent', { type: 'number' }, '1e3', { value: 1000 }],
  ['number negative', { type: 'number' }, -3.5, { value: -3.5 }],
  ['number separators', { type: 'number' }, '1,000', { code: 'invalid_number' }],
  ['number beyond double', { type: 'number' }, '1e999', { code: 'invalid_number' }],
  ['number range', { type: 'number', min: 0, max: 1 }, '1.5', { code: 'out_of_range' }],
  // decimal
  ['decimal in scale', { type: 'decimal', scale: 2 }, '19.90', { value: 19.9 }],
  ['decimal JSON number', { type: 'decimal', scale: 2 }, 7.25, { value: 7.25 }],
  ['decimal trailing zeros', { type: 'decimal', scale: 1 }, '12.500', { value: 12.5 }],
  ['decimal over scale', { type: 'decimal', scale: 2 }, '12.345', { code: 'invalid_number' }],
  ['decimal scale 0', { type: 'decimal', scale: 0 }, '3.1', { code: 'invalid_number' }],
  ['decimal tiny exponent', { type: 'decimal', scale: 2 }, '1e-7', { code: 'invalid_number' }],
  ['decimal not a number', { type: 'decimal', scale: 2 }, 'ten', { code: 'invalid_number' }],
  ['decimal min', { type: 'decimal', scale: 2, min: 0 }, '-0.01', { code: 'out_of_range' }],
  // boolean
  ['boolean true', { type: 'boolean' }, true, { value: true }],
  ['boolean text', { type: 'boolean' }, ' FALSE ', { value: false }],
  ['boolean yes', { type: 'boolean' }, 'Yes', { value: true }],
  ['boolean 0', { type: 'boolean' }, 0, { value: false }],
  ['boolean "1"', { type: 'boolean' }, '1', { value: true }],
  ['boolean 2', { type: 'boolean' }, 2, { code: 'invalid_boolean' }],
  ['boolean maybe', { type: 'boolean' }, 'maybe', { code: 'invalid_boolean' }],
  // enum
  ['enum exact', { type: 'enum', values: ['EUR', 'USD'] }, 'EUR', { value: 'EUR' }],
  ['enum any case, declared spelling', { type: 'enum', values: ['EUR', 'USD'] }, ' usd ', { value: 'USD' }],
  ['enum numbers', { type: 'enum', values: [1, 2] }, 2, { value: '2' }],
  ['enum refused', { type: 'enum', values: ['EUR', 'USD'] }, 'GBP', { code: 'invalid_enum' }],
  ['enum object', { type: 'enum', values: ['EUR'] }, { a: 1 }, { code: 'invalid_enum' }],
];

describe('declared field types and rules', () => {
  it.each(ROWS)('%s', (_label, decl, input, want) => {
    const kind = oneField(decl);
    const res = checkRecord({ v: input }, kind);
    expect(res.kind).toBe(kind);
    if ('value' in want) {
      expect(res.errors).toEqual([]);
      expect(res.value).toEqual({ kind, v: want.value });
      // the JSON fast path agrees with the object
      expect(checkRecordJson({ v: input }, kind).json).toBe(JSON.stringify(res.value));
    } else {
      expect(res.errors.map((e) => [e.field, e.code])).toEqual([['v', want.code]]);
      expect(res.errors[0]!.message).toMatch(/^v /);
    }
  });

  it('required: a missing value is missing_required; an optional one is left out', () => {
    const req = oneField({ type: 'string', required: true });
    const opt = oneField({ type: 'string' });
    for (const missing of [undefined, null, '', '   ']) {
      expect(checkRecord({ v: missing }, req).errors.map((e) => e.code)).toEqual(['missing_required']);
      expect(checkRecord({ v: missing }, opt).value).toEqual({ kind: opt });
    }
  });

  it('extra: pass keeps undeclared fields after the declared ones, drop leaves them out, reject refuses them', () => {
    const pass = oneField({ type: 'string' });
    const drop = oneField({ type: 'string' }, 'drop');
    const reject = oneField({ type: 'string' }, 'reject');
    const raw = { z: 1, v: 'a', other: null };
    expect(JSON.stringify(checkRecord(raw, pass).value)).toBe(`{"kind":"${pass}","v":"a","z":1}`);
    expect(checkRecord(raw, drop).value).toEqual({ kind: drop, v: 'a' });
    expect(checkRecordJson(raw, drop).json).toBe(`{"kind":"${drop}","v":"a"}`);
    const r = checkRecord(raw, reject);
    expect(r.errors.map((e) => [e.field, e.code])).toEqual([['z', 'unknown_field']]); // a missing extra is no error
    expect(r.errors[0]!.message).toContain(`not a field of kind "${reject}"`);
    // lenient normalize never errors
    expect(normalizeRecord({ v: ' a ' }, reject).value).toEqual({ kind: reject, v: 'a' });
  });

  it('fields come out in declaration order, every error of a record is reported', () => {
    registerKinds([
      compileKind({
        name: 'order', detect: ['order_id'], key: ['order_id'], extra: 'pass', file: 'x',
        fields: [
          { name: 'order_id', type: 'id', required: true },
          { name: 'qty', type: 'integer', min: 1 },
          { name: 'paid', type: 'boolean' },
        ] as FieldDecl[],
      }),
    ]);
    expect(JSON.stringify(checkRecord({ paid: 'yes', qty: '2', order_id: 'O1' }).value)).toBe('{"kind":"order","order_id":"O1","qty":2,"paid":true}');
    expect(checkRecord({ order_id: 'O 1', qty: 0, paid: 'x' }).errors.map((e) => e.code)).toEqual(['invalid_id', 'out_of_range', 'invalid_boolean']);
  });
});

describe('agreement with the built-in checkers (fast-check)', () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer().map(String),
    fc.double().map(String),
    fc.double(),
    fc.integer(),
    fc.constantFrom('1.0', '1e3', ' 7 ', '-0', '+5', '9007199254740993', '', 'NaN', 'Infinity', true, null, [1], {}),
  );
  /** What a checker makes of v: the value, or the error's code and message. */
  function run(kind: string, v: unknown): unknown {
    const r = checkRecord({ v }, kind);
    return r.value !== null ? r.value.v : r.errors.map((e) => [e.code, e.message]);
  }
  it('integer with min 0 is exactly the built-in non-negative integer (quantity)', () => {
    const kind = oneField({ type: 'integer', min: 0, required: true });
    const inv = (v: unknown) => {
      const r = checkRecord({ sku: 'S', product_name: 'P', warehouse_id: 'W', unit_price: 1, quantity: v });
      return r.value !== null ? r.value.quantity : r.errors.map((e) => [e.code, e.message.replace(/^quantity/, 'v')]);
    };
    fc.assert(fc.property(value, (v) => { expect(run(kind, v)).toEqual(inv(v)); }), { numRuns: 500 });
    expect(checkNonNegInteger).toBeTypeOf('function');
  });
  it('number with min 0 is exactly the built-in non-negative number (unit_price)', () => {
    const kind = oneField({ type: 'number', min: 0, required: true });
    const inv = (v: unknown) => {
      const r = checkRecord({ sku: 'S', product_name: 'P', warehouse_id: 'W', quantity: 1, unit_price: v });
      return r.value !== null ? r.value.unit_price : r.errors.map((e) => [e.code, e.message.replace(/^unit_price/, 'v')]);
    };
    fc.assert(fc.property(value, (v) => { expect(run(kind, v)).toEqual(inv(v)); }), { numRuns: 500 });
    expect(checkNonNegNumber).toBeTypeOf('function');
  });
  it('decimal accepts exactly the numbers whose decimal text has at most `scale` digits', () => {
    const kind = oneField({ type: 'decimal', scale: 2 });
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 4 }), (units, digits) => {
        const text = (units / 10 ** digits).toFixed(digits);
        const frac = text.split('.')[1]?.replace(/0+$/, '') ?? '';
        const r = checkRecord({ v: text }, kind);
        if (frac.length <= 2) expect(r.value?.v).toBe(Number(text) === 0 ? 0 : Number(text));
        else expect(r.errors.map((e) => e.code)).toEqual(['invalid_number']);
      }),
      { numRuns: 300 },
    );
    expect([decimalsOf('1.5e-7'), decimalsOf('12.50'), decimalsOf('1e3'), decimalsOf('-0.125')]).toEqual([8, 1, 0, 3]);
  });
});

describe('detection with declared kinds', () => {
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  it('--kind, then the kind field, then declared detect rules, then built-in sniffing', async () => {
    await useContracts([write('o.yaml', 'kinds:\n  order:\n    detect: { has: order_id }\n    key: order_id\n    fields:\n      order_id: { type: id }\n')], undefined);
    expect(detectKind({ order_id: 'O1', customer_id: 'C1' })).toBe('order'); // declared rules before sniffing
    expect(detectKind({ order_id: 'O1', kind: 'customer' })).toBe('customer');
    expect(detectKind({ customer_id: 'C1', kind: ' Order ' })).toBe('order');
    expect(detectKind({ customer_id: 'C1' })).toBe('customer');
    expect(detectKind({ sku: 'S' })).toBe('inventory');
    expect(detectKind({ order_id: 'O1' }, 'inventory')).toBe('inventory');
    expect(detectKind({ x: 1 })).toBeNull();
    expect(checkRecord({ x: 1 }).errors).toEqual([
      { field: null, code: 'unknown_kind', message: 'record kind cannot be decided: no --kind option, no "kind" field, and none of the fields that mark a kind: order_id (order), customer_id (customer), sku (inventory)' },
    ]);
    expect(checkRecord({ kind: 'invoice' }).errors[0]!.message).toBe('kind "invoice" is not a known record kind: expected "customer", "inventory" or "order"');
    expect([keyFieldsOf('order'), keyFieldsOf('customer'), keyFieldsOf('inventory'), keyFieldsOf(null)]).toEqual([['order_id'], ['customer_id'], ['sku', 'warehouse_id'], []]);
  });
  it('without contracts the built-in behaviour and messages are unchanged', () => {
    expect(detectKind({ order_id: 'O1', customer_id: 'C1' })).toBe('customer');
    expect(checkRecord({ kind: 'order' }).errors[0]!.message).toBe('kind "order" is not a known record kind: expected "customer" or "inventory"');
  });
  it('--kind must name a known kind; a kind declared twice is refused', async () => {
    const f = write('k.yaml', 'kinds:\n  order:\n    fields:\n      a: { type: string }\n');
    await expect(useContracts(undefined, 'order')).rejects.toThrow(/--kind 'order': not a known kind; expected one of 'customer', 'inventory' \(other kinds need --contract FILE\)/);
    await expect(useContracts([f, f], undefined)).rejects.toThrow(/kinds\.order: kind "order" is already declared in .*k\.yaml/);
  });
});

describe('contract file errors name the file, the line and the path', () => {
  const CASES: [string, string, string, RegExp][] = [
    ['unknown rule', 'a.yaml', 'kinds:\n  order:\n    fields:\n      id: { type: id, requird: true }\n', /a\.yaml:4: kinds\.order\.fields\.id: Unrecognized key\(s\) in object: 'requird'/],
    ['unknown type', 'b.yaml', 'kinds:\n  order:\n    fields:\n      amount: { type: decimall }\n', /b\.yaml:4: kinds\.order\.fields\.amount\.type: Invalid discriminator value\. Expected 'string' \| 'id'/],
    ['rule of another type', 'c.yaml', 'kinds:\n  order:\n    fields:\n      e: { type: email, min: 1 }\n', /c\.yaml:4: kinds\.order\.fields\.e: Unrecognized key\(s\) in object: 'min'/],
    ['min above max', 'd.yaml', 'kinds:\n  order:\n    fields:\n      q: { type: integer, min: 5, max: 1 }\n', /d\.yaml:4: kinds\.order\.fields\.q\.min: min 5 is above max 1/],
    ['decimal needs scale', 'e.yaml', 'kinds:\n  order:\n    fields:\n      a: { type: decimal }\n', /e\.yaml:4: kinds\.order\.fields\.a\.scale: Required/],
    ['bad pattern', 'f.yaml', 'kinds:\n  order:\n    fields:\n      a: { type: string, pattern: "([" }\n', /kinds\.order\.fields\.a\.pattern: not a valid regular expression/],
    ['key not a field', 'g.yaml', 'kinds:\n  order:\n    key: nope\n    fields:\n      a: { type: string }\n', /g\.yaml:3: kinds\.order\.key: "nope" is not one of the kind's fields \(a\)/],
    ['reserved name', 'h.yaml', 'kinds:\n  unknown:\n    fields:\n      a: { type: string }\n', /h\.yaml:3: kinds\.unknown: "unknown" is reserved for records of no known kind/],
    ['bad kind name', 'i.yaml', 'kinds:\n  Order Lines:\n    fields:\n      a: { type: string }\n', /kinds\["Order Lines"\]: kind name "Order Lines": expected a lowercase letter/],
    ['field named kind', 'j.yaml', 'kinds:\n  order:\n    fields:\n      kind: { type: string }\n', /kinds\.order\.fields\.kind: a field cannot be named "kind"/],
    ['no kinds', 'k.yaml', 'description: empty\n', /k\.yaml: \(top level\)|kinds: Required/],
    ['empty enum', 'l.json', '{"kinds":{"order":{"fields":{"c":{"type":"enum","values":[]}}}}}', /l\.json:1: kinds\.order\.fields\.c\.values: Array must contain at least 1 element/],
    ['YAML syntax', 'm.yaml', 'kinds:\n  order: [\n', /m\.yaml:\d+:\d+: not valid YAML/],
    ['extension', 'n.txt', 'kinds: {}\n', /contract .*n\.txt: expected a \.yaml, \.yml or \.json file/],
  ];
  it.each(CASES)('%s', (_label, name, text, message) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    let err: unknown;
    try {
      loadContractFile(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('config');
    expect((err as Error).message).toMatch(message);
  });
  it('the shape of issue 15 is accepted as written', () => {
    const p = join(dir, 'issue.yaml');
    writeFileSync(
      p,
      [
        'kinds:',
        '  order:',
        '    detect: { has: order_id }        # recognised when the record has this field',
        '    key: order_id',
        '    fields:',
        '      order_id:    { type: id, required: true, pattern: "^O[0-9]{6}$" }',
        '      customer_id: { type: id, required: true }',
        '      quantity:    { type: integer, required: true, min: 1 }',
        '      amount:      { type: decimal, scale: 2, required: true, min: 0 }',
        '      currency:    { type: enum, values: [EUR, USD, GBP], required: true }',
        '      ordered_at:  { type: timestamp, required: true }',
        '',
      ].join('\n'),
    );
    const [order] = loadContractFile(p);
    expect(order).toMatchObject({ name: 'order', detect: ['order_id'], key: ['order_id'], extra: 'pass' });
    expect(order!.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['order_id:id', 'customer_id:id', 'quantity:integer', 'amount:decimal', 'currency:enum', 'ordered_at:timestamp']);
  });
  it('a missing file says so', () => {
    expect(() => loadContractFile(join(dir, 'none.yaml'))).toThrow(/cannot read contract .*none\.yaml: file not found; check the --contract path/);
  });
});
