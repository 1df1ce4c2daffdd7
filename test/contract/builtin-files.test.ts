// contracts/customer.yaml and contracts/inventory.yaml are the definition of the built-in
// kinds: compiled by the declared-kind compiler they give exactly what the hand-tuned
// code gives (kind, normalized value in field order, error codes and messages, JSON text).
//
// 1. Every case of the existing contract tests: their files are imported here with the
//    contract's entry points wrapped, so each call runs on the built-in code AND on the
//    compiled files (registered as replacements) and the two results must be equal.
// 2. fast-check: random records of both kinds, near-valid and broken, the same way.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { loadContractFile } from '../../src/contract/contract-file.js';
import { declaredOn, keyFieldsOf, knownKinds } from '../../src/contract/declared.js';
import { detectKind } from '../../src/contract/kind.js';
import { checkRecord, checkRecordJson, normalizeRecord, validateRecord } from '../../src/contract/record.js';
import type { Fields, Kind } from '../../src/pipeline/types.js';
import { ROOT } from '../support/cli.js';

type Twice = <A extends unknown[], R>(name: string, fn: (...a: A) => R, args: A) => R;
const h = vi.hoisted(() => ({ calls: 0, twice: null as unknown as Twice, withFiles: null as unknown as <R>(f: () => R) => R }));

vi.mock('../../src/contract/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/contract/index.js')>();
  const { loadContractFile: load } = await import('../../src/contract/contract-file.js');
  const { clearDeclaredKinds, compileKind, registerKinds } = await import('../../src/contract/declared.js');
  const { expect: want } = await import('vitest');
  const { fileURLToPath } = await import('node:url');
  const dir = fileURLToPath(new URL('../../contracts/', import.meta.url));
  const compiled = ['customer.yaml', 'inventory.yaml'].flatMap((f) => load(dir + f)).map(compileKind);
  const show = (v: unknown): string => JSON.stringify(v, (_, x: unknown) => (x === undefined ? '(undefined)' : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  h.withFiles = <R>(f: () => R): R => {
    registerKinds(compiled);
    try {
      return f();
    } finally {
      clearDeclaredKinds();
    }
  };
  h.twice = (name, fn, args) => {
    const builtin = fn(...args);
    const declared = h.withFiles(() => fn(...args));
    h.calls++;
    const what = `${name}(${show(args)}) through contracts/*.yaml`;
    want(declared, what).toStrictEqual(builtin);
    want(show(declared), `${what}: field order`).toBe(show(builtin));
    return builtin;
  };
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...a: A) => R) =>
    (...a: A): R =>
      h.twice(name, fn, a);
  return {
    ...real,
    checkRecord: wrap('checkRecord', real.checkRecord),
    checkRecordJson: wrap('checkRecordJson', real.checkRecordJson),
    validateRecord: wrap('validateRecord', real.validateRecord),
    normalizeRecord: wrap('normalizeRecord', real.normalizeRecord),
    detectKind: wrap('detectKind', real.detectKind),
    recordJson: wrap('recordJson', real.recordJson),
  };
});

// the existing contract tests, run again here through the wrapped entry points
import './codes.test.js';
import './customer.test.js';
import './inventory.test.js';
import './json.test.js';
import './kind.test.js';
import './properties.test.js';
import './record.test.js';

describe('the built-in kinds as contract files', () => {
  it('the files are valid contracts that declare exactly customer and inventory, with their keys and detection', () => {
    const [customer] = loadContractFile(join(ROOT, 'contracts', 'customer.yaml'));
    const [inventory] = loadContractFile(join(ROOT, 'contracts', 'inventory.yaml'));
    expect([customer!.name, customer!.key, customer!.detect, customer!.extra]).toEqual(['customer', ['customer_id'], ['customer_id'], 'pass']);
    expect([inventory!.name, inventory!.key, inventory!.detect, inventory!.extra]).toEqual(['inventory', ['sku', 'warehouse_id'], ['sku'], 'pass']);
    h.withFiles(() => {
      expect(declaredOn).toBe(true);
      expect(knownKinds()).toEqual(['customer', 'inventory']);
      expect([keyFieldsOf('customer'), keyFieldsOf('inventory')]).toEqual([['customer_id'], ['sku', 'warehouse_id']]);
    });
    expect(declaredOn).toBe(false);
  });

  it('every call of the existing contract tests agreed (they ran above, wrapped)', () => {
    // the imported files' tests run before this one (file order): thousands of calls
    expect(h.calls).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------
// fast-check: records of both kinds, most near-valid, some broken.

/** Characters where case mapping, trimming or Unicode classes could make two checkers differ. */
const tricky = fc.constantFrom('ſ', 'ı', 'İ', 'K', 'ﬀ', 'ß', 'é', 'É', '\u00a0', '\u2028', '\t', ' ', '.', '-', '_', '@', '"', '\\', '😀', '\ud800', '0', 'a', 'Z');
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: tricky, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }));
const numeric = fc.oneof(
  fc.double().map(String),
  fc.integer({ min: -5, max: 1e6 }).map(String),
  fc.stringMatching(/^[ +-]?\d{0,4}(\.\d{0,3})?([eE][+-]?\d{1,3})?\s?$/),
  fc.constantFrom('1e999', '-0', '0.0', '9007199254740993', ' 12 ', '1,5'),
);
const anyValue = fc.oneof(
  text,
  numeric,
  fc.double(),
  fc.integer(),
  fc.constantFrom<unknown>(null, undefined, true, false, '', '  ', [], {}, -0, 1e21),
);

const pad = (a: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('', '', ' ', '\t'), a, fc.constantFrom('', '', ' ', '\n')).map(([l, s, r]) => l + s + r);
/** Text of these characters, now and then one of the tricky ones. */
const chars = (set: string, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...set) }, { weight: 1, arbitrary: tricky }), minLength: 1, maxLength: max });
/** Around a length limit, in ASCII and in code points beyond the BMP. */
const limit = (n: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer({ min: n - 2, max: n + 2 }).map((k) => 'x'.repeat(k)),
    fc.integer({ min: n - 2, max: n + 2 }).map((k) => 'é😀\u00a0 '.repeat(Math.ceil(k / 4))),
  );

/** Per field: mostly valid values near the rules (case, blanks, lengths at the limit), sometimes anything. */
const NEAR: Record<string, fc.Arbitrary<unknown>> = {
  customer_id: fc.oneof(pad(chars('Ab9_-', 66)), fc.nat()),
  sku: fc.oneof(pad(chars('sKu9_.-', 66)), fc.nat(), fc.double({ min: 0, max: 1e6, noNaN: true })),
  warehouse_id: fc.oneof(pad(chars('wh1_-', 12)), fc.nat()),
  first_name: limit(100),
  last_name: limit(100),
  city: limit(100),
  category: limit(100),
  product_name: limit(200),
  supplier: limit(200),
  email: fc.oneof(pad(fc.emailAddress()), fc.constantFrom('A@B.CO', 'a@b', 'a b@c.de', 'ſ@x.de', 'a@ex-.com', 'a@xn--bcher-kva.de')),
  phone: fc.oneof(pad(fc.stringMatching(/^\+?[0-9 .()-]{7,18}$/)), fc.nat()),
  country: fc.constantFrom('DE', 'de', ' us ', 'UK', 'XK', 'gB', 'ĸr', 12),
  signup_date: fc.constantFrom('2023-03-15', '2024-02-29', '2023-02-29', ' 2019-03-14T10:00:00Z ', '2023-03-15Z', 20230315),
  updated_at: fc.constantFrom('2024-06-01T10:00Z', '2024-06-01T12:00+02:00', '2024-06-01 12:00:00.1234', '2024-06-01', '2024-06-01t10:00z'),
  loyalty_tier: fc.constantFrom('gold', ' Silver ', 'PLATINUM', 'bronze', 'tin', 'SİLVER', 5, 'goldd'),
  lifetime_value: fc.oneof(numeric, fc.double({ min: 0, max: 1e9, noNaN: true })),
  unit_price: fc.oneof(numeric, fc.double({ min: 0, max: 1e9, noNaN: true })),
  quantity: fc.oneof(fc.nat(1000), fc.nat(1000).map(String), numeric, fc.integer({ min: -3, max: 100 })),
};
const near = (field: string): fc.Arbitrary<unknown> => fc.oneof({ weight: 30, arbitrary: NEAR[field]! }, { weight: 1, arbitrary: anyValue });

const CUSTOMER_FIELDS = ['customer_id', 'first_name', 'last_name', 'email', 'phone', 'country', 'city', 'signup_date', 'lifetime_value', 'loyalty_tier'];
const INVENTORY_FIELDS = ['sku', 'product_name', 'category', 'warehouse_id', 'quantity', 'unit_price', 'updated_at', 'supplier'];

/** A record with the kind's fields (now and then one or two left out) and extras, extras first or last. */
function recordOf(names: readonly string[]): fc.Arbitrary<Fields> {
  const fields = fc.record(Object.fromEntries(names.map((f) => [f, near(f)])));
  const dropped = fc.oneof({ weight: 4, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.subarray([...names], { maxLength: 2 }) });
  const extraKey = fc.oneof(fc.constantFrom('kind', 'note', '0', '__proto__', 'sku', 'customer_id'), fc.string({ maxLength: 4 }));
  const extras = fc.oneof({ weight: 3, arbitrary: fc.constant([] as [string, unknown][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, anyValue), { maxLength: 3 }) });
  return fc.tuple(fields, dropped, extras, fc.boolean()).map(([f, drop, e, first]) => {
    const known = Object.entries(f).filter(([k]) => !drop.includes(k));
    const out: Fields = {};
    for (const [k, v] of first ? [...e, ...known] : [...known, ...e]) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

describe('compiled contract files agree with the built-in code (fast-check)', () => {
  const hint = fc.constantFrom<Kind | undefined>(undefined, undefined, 'customer', 'inventory');
  const record = fc.oneof(recordOf(CUSTOMER_FIELDS), recordOf(INVENTORY_FIELDS));

  it('checkRecord, checkRecordJson, validateRecord, normalizeRecord and detectKind give the same results', () => {
    let kept = 0;
    let refused = 0;
    fc.assert(
      fc.property(record, hint, (raw, k) => {
        const r = h.twice('checkRecord', checkRecord, [raw, k]);
        if (r.value === null) refused++;
        else kept++;
        h.twice('checkRecordJson', checkRecordJson, [raw, k]);
        h.twice('validateRecord', validateRecord, [raw, k]);
        h.twice('normalizeRecord', normalizeRecord, [raw, k]);
        h.twice('detectKind', detectKind, [raw, k]);
      }),
      { numRuns: 4000 },
    );
    // both sides of the contract were exercised
    expect(kept).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });
});
