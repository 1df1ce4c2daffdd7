// Header names, the contract error codes (each raised or accounted for), the country list.
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  COUNTRY_CODES,
  ERROR_CODES,
  normalizeHeader,
} from '../../src/contract/index.js';
import type { ErrorCode, Fields } from '../../src/pipeline/types.js';

const CUSTOMER: Fields = { customer_id: 'C1', email: 'a@b.co' };
const INVENTORY: Fields = { sku: 'S1', product_name: 'P', warehouse_id: 'W1', quantity: '1', unit_price: '1' };

const codes = (r: { errors: { field: string | null; code: ErrorCode }[] }) => r.errors.map((e) => [e.field, e.code]);

describe('normalizeHeader', () => {
  it.each([
    ['Customer ID', 'customer_id'],
    ['  EMAIL  ', 'email'],
    ['signup-date', 'signup_date'],
    ['Unit Price', 'unit_price'],
    ['Warehouse-ID', 'warehouse_id'],
    ['already_ok', 'already_ok'],
    ['First Name', 'first_name'],
    ['a  b', 'a__b'],
    ['a - b', 'a___b'],
    ['\tLoyalty Tier\r', 'loyalty_tier'],
    ['Ünit', 'ünit'],
    ['', ''],
  ])('%j -> %j', (input, out) => {
    expect(normalizeHeader(input)).toBe(out);
  });
});

describe('ERROR_CODES', () => {
  it('are exactly the contract codes of records.md', () => {
    expect([...ERROR_CODES]).toEqual([
      'missing_required',
      'invalid_id',
      'invalid_email',
      'invalid_phone',
      'invalid_country',
      'invalid_date',
      'invalid_timestamp',
      'invalid_number',
      'invalid_integer',
      'out_of_range',
      'invalid_enum',
      'too_long',
      'unknown_kind',
      'parse_error',
      'duplicate_key',
    ]);
  });

  // One record per code the contract itself raises; parse_error (sources) and
  // duplicate_key (dedupe stages) are raised elsewhere and never by checkRecord.
  const EXAMPLES: [ErrorCode, Fields][] = [
    ['missing_required', { customer_id: 'C1' }],
    ['invalid_id', { customer_id: 'C 1', email: 'a@b.co' }],
    ['invalid_email', { customer_id: 'C1', email: 'a@b' }],
    ['invalid_phone', { ...CUSTOMER, phone: '12' }],
    ['invalid_country', { ...CUSTOMER, country: 'XK' }],
    ['invalid_date', { ...CUSTOMER, signup_date: '03/15/2023' }],
    ['invalid_timestamp', { ...INVENTORY, updated_at: '2023-03-15T24:00' }],
    ['invalid_number', { ...INVENTORY, unit_price: 'NaN' }],
    ['invalid_integer', { ...INVENTORY, quantity: '1.0' }],
    ['out_of_range', { ...INVENTORY, quantity: '-1' }],
    ['invalid_enum', { ...CUSTOMER, loyalty_tier: 'diamond' }],
    ['too_long', { ...INVENTORY, product_name: 'p'.repeat(201) }],
    ['unknown_kind', { name: 'x' }],
  ];
  it.each(EXAMPLES)('%s is raised', (code, raw) => {
    expect(checkRecord(raw).errors.map((e) => e.code)).toEqual([code]);
  });
  it('every contract code has an example or is raised outside the contract module', () => {
    const covered = new Set<string>([...EXAMPLES.map(([c]) => c), 'parse_error', 'duplicate_key']);
    expect([...covered].sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('COUNTRY_CODES', () => {
  it('has the 249 officially assigned codes, sorted, unique, uppercase', () => {
    expect(COUNTRY_CODES.length).toBe(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
    expect([...COUNTRY_CODES].sort()).toEqual([...COUNTRY_CODES]);
    for (const c of COUNTRY_CODES) expect(c).toMatch(/^[A-Z]{2}$/);
  });
  it('includes territories and recent codes, excludes user-assigned and withdrawn ones', () => {
    for (const c of ['AQ', 'EH', 'SS', 'BQ', 'CW', 'SX', 'TW', 'PS', 'VA', 'UM', 'BV', 'HM', 'AX']) {
      expect(COUNTRY_CODES).toContain(c);
    }
    for (const c of ['XK', 'UK', 'EU', 'AN', 'YU', 'CS', 'TP', 'ZR', 'SU', 'DD', 'ZZ', 'AA', 'QO', 'XA']) {
      expect(COUNTRY_CODES).not.toContain(c);
    }
  });
  it('every code is accepted in lowercase, every other letter pair is rejected', () => {
    const set = new Set(COUNTRY_CODES);
    let accepted = 0;
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const r = checkRecord({ ...CUSTOMER, country: code.toLowerCase() });
        if (set.has(code)) {
          expect(r.value?.country).toBe(code);
          accepted++;
        } else {
          expect(codes(r)).toEqual([['country', 'invalid_country']]);
        }
      }
    }
    expect(accepted).toBe(249);
  });
});
