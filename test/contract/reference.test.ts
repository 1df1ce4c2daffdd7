// A plain, slow reference interpreter of declared kinds, written from docs/contracts.md
// ("Types", "Rules", the kind's `extra`), and a fast-check property: for random contract
// files and random records, the compiled checks (checkRecord with the kind registered)
// agree with it on kept or rejected, the output (values and field order) and the errors
// (field + code, in order). Only the canonical forms of email, phone, country, date and
// timestamp come from the built-in checkers (unit-tested in their own files); everything
// per kind (missing values, rule order, normalisation, extras, which code wins) is here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord, checkRecordJson } from '../../src/contract/index.js';
import { loadContractFile, type FieldDecl, type KindDecl } from '../../src/contract/contract-file.js';
import { clearDeclaredKinds, compileKind, registerKinds } from '../../src/contract/declared.js';
import { BAD, beginRecord, checkCountry, checkDate, checkEmail, checkPhone, checkTimestamp } from '../../src/contract/fields.js';
import { tempDir } from '../support/cli.js';

type Raw = Record<string, unknown>;
type Err = { field: string; code: string };
type Outcome = { kept: true; out: [string, unknown][] } | { kept: false; errors: Err[] };

// ---------------------------------------------------------------------------
// The reference interpreter.

class Refused {
  constructor(readonly code: string) {}
}

/** Missing: absent, null, or text that is blank. */
const missing = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
/** Text, or a finite JSON number as written; else null. */
const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
const length = (s: string): number => [...s].length;
const asciiCase = (s: string, how: 'lower' | 'upper'): string =>
  [...s].map((c) => (/[A-Za-z]/.test(c) ? (how === 'lower' ? c.toLowerCase() : c.toUpperCase()) : c)).join('');

/** A built-in canonical form (email, phone, ...), asked quietly: its value, or the type's code. */
function canonical(check: (field: string, v: unknown) => unknown, code: string, v: unknown): unknown {
  beginRecord(true);
  const r = check('f', v);
  beginRecord(false);
  if (r === BAD) throw new Refused(code);
  return r;
}

function refString(f: Extract<FieldDecl, { type: 'string' }>, v: unknown): string {
  const t = text(v);
  if (t === null) throw new Refused('too_long');
  let s = f.trim === false ? t : t.trim();
  if (f.collapse) s = s.split(/\s+/).join(' ');
  if (f.lower) s = s.toLowerCase();
  if (f.upper) s = s.toUpperCase();
  if (f.max_length !== undefined && length(s) > f.max_length) throw new Refused('too_long');
  if (f.min_length !== undefined && length(s) < f.min_length) throw new Refused('out_of_range');
  if (f.pattern !== undefined && !new RegExp(f.pattern, 'u').test(s)) throw new Refused('pattern_mismatch');
  return s;
}

function refId(f: Extract<FieldDecl, { type: 'id' }>, v: unknown): string {
  const t = text(v);
  if (t === null) throw new Refused('invalid_id');
  let s = f.trim === false ? t : t.trim();
  if (f.lower) s = asciiCase(s, 'lower');
  if (f.upper) s = asciiCase(s, 'upper');
  const re = f.pattern !== undefined ? new RegExp(f.pattern, 'u') : /^[A-Za-z0-9_-]{1,64}$/;
  if (!re.test(s)) throw new Refused('invalid_id');
  if (f.max_length !== undefined && length(s) > f.max_length) throw new Refused('too_long');
  if (f.min_length !== undefined && length(s) < f.min_length) throw new Refused('out_of_range');
  return s;
}

function inRange(f: { min?: number; max?: number }, n: number): number {
  if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) throw new Refused('out_of_range');
  return n === 0 ? 0 : n; // -0 comes out as 0
}

function refInteger(f: Extract<FieldDecl, { type: 'integer' }>, v: unknown): number {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^[+-]?[0-9]+$/.test(v.trim())) n = Number(v.trim());
  if (!Number.isSafeInteger(n)) throw new Refused('invalid_integer');
  return inRange(f, n);
}

const NUMERIC = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function parseNum(v: unknown): number {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && NUMERIC.test(v.trim())) n = Number(v.trim());
  if (!Number.isFinite(n)) throw new Refused('invalid_number');
  return n;
}

/** Digits after the decimal point as written, trailing zeros not counted, the exponent applied. */
function scaleOf(written: string): number {
  const [mantissa = '', exp = '0'] = written.trim().toLowerCase().split('e');
  const frac = (mantissa.split('.')[1] ?? '').replace(/0+$/, '');
  return Math.max(0, frac.length - Number(exp));
}

function refDecimal(f: Extract<FieldDecl, { type: 'decimal' }>, v: unknown): number {
  const n = parseNum(v);
  // the scale is part of the type, checked before the range ("after the type is checked")
  if (scaleOf(typeof v === 'string' ? v : String(v)) > f.scale) throw new Refused('invalid_number');
  return inRange(f, n);
}

function refBoolean(v: unknown): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (['true', 'yes', '1'].includes(s)) return true;
  if (['false', 'no', '0'].includes(s)) return false;
  throw new Refused('invalid_boolean');
}

function refEnum(f: Extract<FieldDecl, { type: 'enum' }>, v: unknown): string {
  const t = text(v);
  const hit = t === null ? undefined : f.values.map(String).find((d) => d.toLowerCase() === t.trim().toLowerCase());
  if (hit === undefined) throw new Refused('invalid_enum');
  return hit;
}

function refValue(f: FieldDecl, v: unknown): unknown {
  switch (f.type) {
    case 'string': return refString(f, v);
    case 'id': return refId(f, v);
    case 'email': return canonical(checkEmail, 'invalid_email', v);
    case 'phone': return canonical(checkPhone, 'invalid_phone', v);
    case 'country': return canonical(checkCountry, 'invalid_country', v);
    case 'date': return canonical(checkDate, 'invalid_date', v);
    case 'timestamp': return canonical(checkTimestamp, 'invalid_timestamp', v);
    case 'integer': return refInteger(f, v);
    case 'number': return inRange(f, parseNum(v));
    case 'decimal': return refDecimal(f, v);
    case 'boolean': return refBoolean(v);
    case 'enum': return refEnum(f, v);
  }
}

/** One record of a declared kind, as docs/contracts.md describes it. */
function reference(kind: KindDecl, raw: Raw): Outcome {
  const errors: Err[] = [];
  const out: [string, unknown][] = [['kind', kind.name]];
  const declared = new Set(kind.fields.map((f) => f.name));
  for (const f of kind.fields) {
    const v = raw[f.name];
    if (missing(v)) {
      if (f.required === true) errors.push({ field: f.name, code: 'missing_required' });
      continue;
    }
    try {
      out.push([f.name, refValue(f, v)]);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      errors.push({ field: f.name, code: e.code });
    }
  }
  for (const [k, v] of Object.entries(raw)) {
    if (declared.has(k) || k === 'kind' || missing(v)) continue;
    if (kind.extra === 'reject') errors.push({ field: k, code: 'unknown_field' });
    else if (kind.extra === 'pass') out.push([k, v]);
  }
  return errors.length > 0 ? { kept: false, errors } : { kept: true, out };
}

// ---------------------------------------------------------------------------
// The compiled checks, as the pipeline runs them (checkRecord; checkRecordJson for NDJSON out).

function compiled(kind: KindDecl, raw: Raw): Outcome {
  const r = checkRecord(raw, kind.name);
  expect(r.kind).toBe(kind.name);
  // the parallel engine writes the JSON text of the scratch values: the same record
  const json = checkRecordJson(raw, kind.name).json;
  expect(json).toBe(r.value === null ? null : JSON.stringify(r.value));
  if (r.value !== null) return { kept: true, out: Object.entries(r.value) };
  return { kept: false, errors: r.errors.map((e) => ({ field: e.field ?? '', code: e.code })) };
}

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-reference-')));
afterAll(() => cleanup());
afterEach(() => clearDeclaredKinds());

let files = 0;
/** Write the contract as a JSON file, load it as --contract does, register its kind. */
function load(contract: unknown): KindDecl {
  const file = join(dir, `c${files++}.json`);
  writeFileSync(file, JSON.stringify(contract));
  const [kind] = loadContractFile(file);
  clearDeclaredKinds();
  registerKinds([compileKind(kind!)]);
  return kind!;
}

// ---------------------------------------------------------------------------
// Random contracts and records.

const PATTERNS = ['^[a-z]+$', '^O[0-9]{3}$', 'b', '^[A-Z0-9-]{2,6}$', '^\\p{L}+$', '[0-9]$'];
const ENUM_POOL = ['EUR', 'usd', 'Gbp', 'open', 'Shipped', 'x', 'ß', 'İ', '10'];

const textRules = {
  trim: fc.boolean(),
  lower: fc.boolean(),
  upper: fc.boolean(),
  min_length: fc.integer({ min: 0, max: 4 }),
  max_length: fc.integer({ min: 1, max: 8 }),
  pattern: fc.constantFrom(...PATTERNS),
};

const bounds = (gen: fc.Arbitrary<number>) =>
  fc.record({ min: gen, max: gen }, { requiredKeys: [] }).map((r) =>
    r.min !== undefined && r.max !== undefined && r.min > r.max ? { min: r.max, max: r.min } : r,
  );

/** Drop rule combinations the schema refuses (lower with upper, min_length above max_length). */
function fixText<T extends Record<string, unknown>>(r: T): T {
  const o: Record<string, unknown> = { ...r };
  if (o.lower && o.upper) delete o.upper;
  if (typeof o.min_length === 'number' && typeof o.max_length === 'number' && o.min_length > o.max_length) delete o.min_length;
  return o as T;
}

const fieldDecl: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('string'), ...textRules, collapse: fc.boolean() }, { requiredKeys: ['type'] }).map(fixText),
  fc.record({ type: fc.constant('id'), ...textRules }, { requiredKeys: ['type'] }).map(fixText),
  fc.constantFrom('email', 'phone', 'country', 'date', 'timestamp', 'boolean').map((type) => ({ type })),
  bounds(fc.integer({ min: -5, max: 100 })).map((b) => ({ type: 'integer', ...b })),
  bounds(fc.constantFrom(-1.5, 0, 0.25, 10, 99.99)).map((b) => ({ type: 'number', ...b })),
  fc.tuple(fc.integer({ min: 0, max: 3 }), bounds(fc.constantFrom(-1, 0, 1.5, 50))).map(([scale, b]) => ({ type: 'decimal', scale, ...b })),
  fc.uniqueArray(fc.constantFrom(...ENUM_POOL), { minLength: 1, maxLength: 4, selector: (s) => s.toLowerCase() }).map((values) => ({ type: 'enum', values })),
);

const contract = fc
  .record({
    fields: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-h][a-z_]{0,3}$/), fieldDecl, fc.boolean()), {
      minLength: 1,
      maxLength: 6,
      selector: ([n]) => n,
    }),
    extra: fc.constantFrom(undefined, 'pass', 'drop', 'reject'),
  })
  .map(({ fields, extra }) => ({
    kinds: {
      k: {
        ...(extra === undefined ? {} : { extra }),
        fields: Object.fromEntries(fields.map(([n, d, req]) => [n, req ? { ...d, required: true } : d])),
      },
    },
  }));

/** Values of every type, good and bad: the same pool for every field, so each type meets the others' values. */
const VALUES: unknown[] = [
  '', '   ', null, 'abc', ' AbC ', 'a  b\tc', 'O123', ' O123 ', 'o123', 'C-1', 'ab_c-9', 'a b', 'ſ', 'K', 'ı', 'é', '😀😀', 'x'.repeat(70),
  'ann@example.com', ' Bob@Example.COM ', 'not-an-email', '+44 20 7946 0958', '(030) 1234-567', '12', 'de', ' GB ', 'XX',
  '2024-02-29', '2023-02-29', '2024-01-05T10:00:00+02:00', '2024-01-05T25:00', '2024-01-05 10:00Z',
  '0', '1', '-0', '007', '+5', '1e3', '12.50', '12.345', '-1.5', '.5', '5.', '1,5', '1e999', '9007199254740993', '0.25',
  99.99, 10, -3, 0, -0, 1, 1.5, 1e-7, 2 ** 60, true, false, 'TRUE', ' yes ', 'No', 'maybe',
  'EUR', 'eur', ' usd ', 'gbp', 'OPEN', 'shipped', 'SS', 'i̇', 'x', {}, [1],
];
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: -20, max: 120 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -200, max: 200 }) },
);

/** A record: some of the declared fields (and a few names no kind declares), each with a value. */
const recordOf = (names: readonly string[]): fc.Arbitrary<Raw> =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: names.length + 2 }),
      fc.array(fc.tuple(fc.constantFrom('x_note', 'zz', 'extra_a'), value), { maxLength: 2 }),
    )
    .map(([known, extras]) => Object.fromEntries([...known, ...extras]));

// Cases where the compiled checks disagreed with the reference and docs/contracts.md
// sided with the reference: each row runs through the compiled checks.
const DISAGREED: [string, Record<string, unknown>, unknown, string][] = [
  // a decimal's scale is its type, checked before the range ("min / max: ... after the type is checked")
  ['decimal over scale and below min', { type: 'decimal', scale: 2, min: 0 }, '-1.234', 'invalid_number'],
  ['decimal over scale and above max', { type: 'decimal', scale: 0, max: 1 }, 5.5, 'invalid_number'],
  ['decimal tiny number below min', { type: 'decimal', scale: 0, min: 50 }, 5e-324, 'invalid_number'],
];

describe('declared kinds: cases the property found', () => {
  it.each(DISAGREED)('%s', (_name, decl, v, code) => {
    const kind = load({ kinds: { k: { fields: { a: decl } } } });
    expect(compiled(kind, { a: v })).toEqual({ kept: false, errors: [{ field: 'a', code }] });
    expect(reference(kind, { a: v })).toEqual({ kept: false, errors: [{ field: 'a', code }] });
  });
});

describe('declared kinds: the compiled checks agree with the reference interpreter', () => {
  it('on random contracts and records: kept or rejected, the output in field order, the error codes', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        contract.chain((c) => {
          const names = Object.keys(c.kinds.k.fields);
          return fc.tuple(fc.constant(c), fc.array(recordOf(names), { minLength: 1, maxLength: 12 }));
        }),
        ([c, records]) => {
          const kind = load(c);
          for (const raw of records) {
            const want = reference(kind, raw);
            expect(compiled(kind, raw)).toEqual(want);
            if (want.kept) seen.add(`kept ${kind.extra} ${want.out.length > 1 ? 'some' : 'none'}`);
            else for (const e of want.errors) seen.add(e.code);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // the records reached every outcome: kept under each `extra`, and every code of the types
    const codes = ['missing_required', 'too_long', 'out_of_range', 'pattern_mismatch', 'invalid_id', 'invalid_email', 'invalid_phone',
      'invalid_country', 'invalid_date', 'invalid_timestamp', 'invalid_integer', 'invalid_number', 'invalid_boolean', 'invalid_enum', 'unknown_field'];
    const kept = ['kept pass some', 'kept drop some', 'kept reject some'];
    expect([...codes, ...kept].filter((k) => !seen.has(k))).toEqual([]);
  });
});
