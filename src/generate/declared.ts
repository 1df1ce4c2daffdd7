// `recflow generate --contract FILE --kind K`: synthetic records of a kind declared in a
// contract file. Each field gets values of its type within its rules; every valid value
// and every invalid one is run through the field's own compiled checker once, so what is
// written passes (or fails with the code claimed) by construction, not by hope.
import { compileField } from '../contract/declared-checks.js';
import type { FieldDecl, KindDecl } from '../contract/contract-file.js';
import { BAD, beginRecord, isMissing, takeErrors, type Checker } from '../contract/fields.js';
import { usageError } from '../errors.js';
import type { ErrorCode } from '../pipeline/types.js';
import { days, PAD2 } from './calendar.js';
import { COUNTRIES, GLOBAL_EMAIL_DOMAINS, NAME_POOLS, PRODUCT_ADJECTIVES, SUPPLIERS } from './data.js';
import type { FieldShape, Row } from './format.js';
import { makeMissing, put } from './invalid.js';
import { patternSampler } from './pattern.js';
import type { Rng } from './prng.js';
import type { RecordGenerator } from './record.js';

/** The codes an invalid declared record may get, in cycling order (those its fields can give). */
const CODE_ORDER: readonly ErrorCode[] = [
  'missing_required', 'invalid_id', 'invalid_email', 'invalid_phone', 'invalid_country', 'invalid_date', 'invalid_timestamp',
  'invalid_integer', 'invalid_number', 'out_of_range', 'invalid_enum', 'invalid_boolean', 'too_long', 'pattern_mismatch',
];
/** An optional field is left blank this often. */
const BLANK_SHARE = 0.1;
const TRIES = 50;
const DAYS = days(2020, 2025);
const COUNTRY_CODES = COUNTRIES.map(([c]) => c.code);
const WORDS = [...PRODUCT_ADJECTIVES, ...SUPPLIERS.map((s) => s.split(/[ ,.]/)[0]!), 'harbor', 'maple', 'river', 'stone', 'cedar', 'orbit', 'quartz', 'meadow'];
const ASCII_FIRST = NAME_POOLS.en.first.filter((n) => /^[A-Za-z]+$/.test(n)).map((n) => n.toLowerCase());
const ASCII_LAST = NAME_POOLS.en.last.filter((n) => /^[A-Za-z]+$/.test(n)).map((n) => n.toLowerCase());

type Make = (rng: Rng) => string;

interface FieldPlan {
  decl: FieldDecl;
  check: Checker;
  /** A valid value (random). */
  make: Make;
  /** The unique valid value number i, for key fields; null when the type has no such values. */
  unique: ((i: number) => string | null) | null;
  /** Values that fail the field's checker, by the code they fail with (checked). */
  bad: Map<ErrorCode, string[]>;
}

/** The code a value fails the checker with, null when it passes. */
function failure(f: FieldDecl, check: Checker, v: string): ErrorCode | null {
  beginRecord(false);
  const out = check(f.name, v, 0);
  const errs = takeErrors();
  return out === BAD ? (errs?.[0]?.code ?? null) : null;
}

/** A valid value: not missing (a blank would be missing_required, or left out), and passing the checker. */
const passes = (f: FieldDecl, check: Checker, v: string): boolean => !isMissing(v) && failure(f, check, v) === null;

/** The bounds a numeric field's values are drawn from. */
function bounds(f: { min?: number; max?: number }): [number, number] {
  const lo = f.min ?? (f.max !== undefined ? Math.min(0, f.max - 1000) : 0);
  const hi = f.max ?? lo + 1000;
  return [lo, hi];
}

/** Digits after the point generated for a number: two, or fewer for a small decimal scale. */
function places(f: FieldDecl): number {
  return f.type === 'decimal' ? Math.min(f.scale, 2) : f.type === 'number' ? 2 : 0;
}

function numberMaker(f: FieldDecl & { min?: number; max?: number }): Make {
  const [lo, hi] = bounds(f);
  const k = places(f);
  const scale = 10 ** k;
  const a = Math.ceil(lo * scale);
  const b = Math.floor(hi * scale);
  if (a > b) return () => String(f.min ?? f.max); // no value with k places in the range: its bound
  const span = Math.min(b - a, 1e9);
  return (rng) => {
    const units = a + rng.int(span + 1);
    return k === 0 ? String(units) : (units / scale).toFixed(k);
  };
}

function textMaker(f: Extract<FieldDecl, { type: 'string' }>): Make {
  const min = f.min_length ?? 1;
  const max = f.max_length ?? 60;
  return (rng) => {
    const target = rng.range(Math.min(Math.max(min, 4), max), Math.min(max, Math.max(min, 30)));
    let s = rng.pick(WORDS);
    while (s.length < target) s += ' ' + rng.pick(WORDS).toLowerCase();
    s = s.slice(0, max);
    return s.endsWith(' ') ? s.slice(0, -1) + 'x' : s;
  };
}

/** `order_id` → `ORD`: the prefix of generated ids. */
function idPrefix(name: string): string {
  const base = name.replace(/[_-]?id$/i, '').replace(/[^A-Za-z]/g, '');
  return (base.slice(0, 3) || 'ID').toUpperCase();
}

function idValue(f: Extract<FieldDecl, { type: 'id' }>, digits: string): string {
  const prefix = idPrefix(f.name) + '-';
  const max = Math.min(f.max_length ?? 64, 64);
  const width = Math.max(digits.length, (f.min_length ?? 0) - prefix.length);
  const padded = digits.padStart(width, '0');
  const s = prefix.length + padded.length <= max ? prefix + padded : padded;
  return f.lower ? s.toLowerCase() : s;
}

function makerFor(f: FieldDecl): { make: Make; unique: FieldPlan['unique'] } {
  switch (f.type) {
    case 'id':
    case 'string': {
      if (f.pattern !== undefined) {
        let sampler;
        try {
          sampler = patternSampler(f.pattern);
        } catch (err) {
          throw usageError(`generate: field ${f.name}: ${(err as Error).message}`);
        }
        return { make: (rng) => sampler.random(rng), unique: (i) => sampler.nth(i + 1) }; // counting from 1, as the ids
      }
      if (f.type === 'string') {
        const make = textMaker(f);
        return { make, unique: (i) => `${f.name}-${i + 1}`.slice(0, f.max_length ?? 64).padEnd(f.min_length ?? 0, 'x') };
      }
      return { make: (rng) => idValue(f, rng.digits(6)), unique: (i) => idValue(f, String(i + 1).padStart(6, '0')) };
    }
    case 'email': {
      const make: Make = (rng) => `${rng.pick(ASCII_FIRST)}.${rng.pick(ASCII_LAST)}${rng.int(100)}@${rng.pick(GLOBAL_EMAIL_DOMAINS)}`;
      return { make, unique: (i) => `user${i + 1}@example.com` };
    }
    case 'phone':
      return { make: (rng) => `+${rng.range(1, 99)} ${rng.digits(3)} ${rng.digits(6)}`, unique: (i) => `+1 555 ${String(i).padStart(7, '0')}` };
    case 'country':
      return { make: (rng) => rng.pick(COUNTRY_CODES), unique: null };
    case 'date':
      return { make: (rng) => rng.pick(DAYS), unique: null };
    case 'timestamp':
      return { make: (rng) => `${rng.pick(DAYS)}T${PAD2[rng.int(24)]}:${PAD2[rng.int(60)]}:${PAD2[rng.int(60)]}Z`, unique: null };
    case 'integer': {
      const [lo, hi] = bounds(f);
      return { make: numberMaker(f), unique: (i) => (lo + i <= hi ? String(lo + i) : null) };
    }
    case 'number':
    case 'decimal':
      return { make: numberMaker(f), unique: null };
    case 'boolean':
      return { make: (rng) => (rng.chance(0.5) ? 'true' : 'false'), unique: null };
    case 'enum': {
      const values = f.values.map(String);
      return { make: (rng) => rng.pick(values), unique: null };
    }
  }
}

/** Values a field of this type refuses (each is checked: only those failing are kept). */
function badCandidates(f: FieldDecl, valid: string): string[] {
  const rules = f as { min?: number; max?: number; min_length?: number; max_length?: number };
  const out: string[] = [];
  if (rules.max_length !== undefined) out.push('X'.repeat(rules.max_length + 1), `${valid} ${'x'.repeat(rules.max_length)}`);
  if (rules.min_length !== undefined && rules.min_length > 1) out.push('X'.repeat(rules.min_length - 1), valid.slice(0, rules.min_length - 1));
  if (rules.min !== undefined) out.push(String(rules.min - 1), String(rules.min - 0.5));
  if (rules.max !== undefined) out.push(String(rules.max + 1), String(rules.max + 0.5));
  switch (f.type) {
    case 'id':
      return [...out, 'has space', 'bad!id', '#1'];
    case 'string':
      return [...out, '!', '~~ ~~', '0', 'zz', 'ZZ ZZ', '-'];
    case 'email':
      return ['not-an-email', 'name@@example.com', 'name@example', 'a b@example.com'];
    case 'phone':
      return ['12-34', 'call me', '+1234567890123456'];
    case 'country':
      return ['XX', 'ZZ', 'Germany', 'U.S.'];
    case 'date':
      return ['2023-02-30', '31/12/2023', 'tomorrow', '2023-13-01'];
    case 'timestamp':
      return ['2023-13-01T00:00:00Z', 'yesterday', '2023-01-01T25:00:00Z', '1672531200'];
    case 'integer':
      return [...out, '1.5', 'ten', '12 units', '1e3'];
    case 'decimal':
      out.push(`${valid.split('.')[0]}.${'0'.repeat(f.scale)}1`);
    // falls through: a decimal refuses what a number refuses
    case 'number':
      return [...out, '1,234.50', '$12', 'NaN', 'free'];
    case 'boolean':
      return ['maybe', '2', 'yes please'];
    case 'enum':
      return ['not-a-value', 'zzz-unknown'];
  }
}

function planField(f: FieldDecl, rng: Rng): FieldPlan {
  const check = compileField(f);
  const { make, unique } = makerFor(f);
  // a valid value must come out in a few tries, or the rules allow (almost) none
  let sample: string | undefined;
  for (let t = 0; t < TRIES && sample === undefined; t++) {
    const v = make(rng);
    if (passes(f, check, v)) sample = v;
  }
  if (sample === undefined) throw usageError(`generate: field ${f.name}: no value made for its type and rules passes them (check its pattern and lengths)`);
  const validMake: Make = (r) => {
    for (let t = 0; t < TRIES; t++) {
      const v = make(r);
      if (passes(f, check, v)) return v;
    }
    return sample;
  };
  const bad = new Map<ErrorCode, string[]>();
  for (const v of new Set(badCandidates(f, sample))) {
    const code = isMissing(v) ? null : failure(f, check, v);
    if (code !== null && code !== 'missing_required') bad.set(code, [...(bad.get(code) ?? []), v]);
  }
  return { decl: f, check, make: validMake, unique, bad };
}

/** The fields present in every record: a kind field is written when its detect rule would not find its records. */
function needsKindField(kind: KindDecl, order: readonly KindDecl[]): boolean {
  const always = new Set([...kind.fields.filter((f) => f.required).map((f) => f.name), ...(kind.detect ?? [])]);
  const first = order.find((k) => k.detect !== null && k.detect.every((f) => always.has(f)));
  return first?.name !== kind.name;
}

/**
 * The generator of a declared kind. `order`: every declared kind in detection order (to
 * know whether the records need a `kind` field); `count`: how many will be made (unique keys).
 */
export function declaredGenerator(kind: KindDecl, order: readonly KindDecl[], count: number, seedRng: Rng): RecordGenerator {
  const plans = kind.fields.map((f) => planField(f, seedRng));
  const keys = new Set(kind.key);
  const detect = new Set(kind.detect ?? []);
  const withKind = needsKindField(kind, order);
  const offset = withKind ? 1 : 0;
  for (const p of plans) {
    if (!keys.has(p.decl.name) || p.unique === null || count === 0) continue;
    const last = p.unique(count - 1);
    if (last === null || !passes(p.decl, p.check, last)) {
      throw usageError(`generate: key field ${p.decl.name} of kind ${kind.name}: its rules allow fewer than ${count} distinct values; generate fewer records`);
    }
  }
  const fields: FieldShape[] = [
    ...(withKind ? [{ name: 'kind', plain: /^[a-z0-9_-]+$/.test(kind.name) }] : []),
    ...plans.map((p) => ({
      name: p.decl.name,
      number: ['integer', 'number', 'decimal', 'boolean'].includes(p.decl.type),
      plain: ['integer', 'number', 'decimal', 'boolean', 'date', 'timestamp', 'country', 'email', 'phone'].includes(p.decl.type) || (p.decl.type === 'id' && p.decl.pattern === undefined),
    })),
  ];
  const codes = CODE_ORDER.filter((c) => (c === 'missing_required' ? plans.some((p) => p.decl.required && !detect.has(p.decl.name)) : plans.some((p) => p.bad.has(c))));
  const fill = (row: Row, index: number, rng: Rng): void => {
    const v = row.values;
    if (withKind) v[0] = kind.name;
    plans.forEach((p, i) => {
      const keep = p.decl.required || keys.has(p.decl.name) || detect.has(p.decl.name);
      const value = keys.has(p.decl.name) && p.unique !== null ? p.unique(index) : !keep && rng.chance(BLANK_SHARE) ? null : p.make(rng);
      v[i + offset] = value;
    });
  };
  const mutate = (row: Row, code: ErrorCode, rng: Rng): void => {
    if (code === 'missing_required') {
      // never a detect field: a record without it would not be found as this kind
      const required = plans.map((p, i) => [p, i] as const).filter(([p]) => p.decl.required && !detect.has(p.decl.name));
      return makeMissing(row, rng.pick(required)[1] + offset, rng);
    }
    const able = plans.map((p, i) => [p, i] as const).filter(([p]) => p.bad.has(code));
    const [p, i] = rng.pick(able);
    put(row, i + offset, rng.pick(p.bad.get(code)!));
  };
  return { kind: kind.name, fields, codes, fill, mutate };
}
