// fast-check properties: never throws, value xor errors, idempotence, timestamps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  COUNTRY_CODES,
  ERROR_CODES,
  KNOWN_FIELDS,
  normalizeRecord,
  validateRecord,
} from '../../src/contract/index.js';
import type { Fields, Kind } from '../../src/pipeline/types.js';

const INVENTORY: Fields = { sku: 'S1', product_name: 'P', warehouse_id: 'W1', quantity: '1', unit_price: '1' };

describe('properties', () => {
  const KEYS = [...KNOWN_FIELDS.customer, ...KNOWN_FIELDS.inventory, 'kind'];
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('', '  ', 'customer', 'inventory', '2023-03-15', 'a@b.co', 'DE', '12', '-1', 'gold'),
    fc.double(),
    fc.integer(),
    fc.constant(null),
  );
  const record = fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), value, { maxKeys: 20 });
  const hint = fc.constantFrom<Kind | undefined>(undefined, 'customer', 'inventory');
  const allCodes = new Set<string>(ERROR_CODES);

  it('checkRecord never throws; value xor errors; codes from the contract', () => {
    fc.assert(
      fc.property(record, hint, (raw, h) => {
        const r = checkRecord(raw, h);
        if (r.errors.length === 0) {
          expect(r.value).not.toBeNull();
          expect(r.kind).not.toBeNull();
          expect(Object.keys(r.value!)[0]).toBe('kind');
          expect(r.value!.kind).toBe(r.kind);
        } else {
          expect(r.value).toBeNull();
          for (const e of r.errors) {
            expect(allCodes.has(e.code)).toBe(true);
            expect(e.message.length).toBeGreaterThan(0);
          }
        }
        expect(validateRecord(raw, h)).toEqual({ kind: r.kind, errors: r.errors });
        const n = normalizeRecord(raw, h);
        expect(n.kind).toBe(r.kind);
        expect(n.value === null).toBe(r.kind === null);
      }),
      { numRuns: 3000 },
    );
  });

  const validCustomer = fc.record(
    {
      customer_id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      email: fc.emailAddress().filter((e) => /^[^\s@]{1,64}@(?:[a-z0-9-]+\.)+[a-z]{2,63}$/i.test(e)),
      first_name: fc.string({ maxLength: 100 }),
      country: fc.constantFrom(...COUNTRY_CODES.map((c) => c.toLowerCase())),
      lifetime_value: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map(String),
      signup_date: fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
    },
    { requiredKeys: ['customer_id', 'email'] },
  );

  it('generated valid customers are accepted, and normalizing is idempotent', () => {
    fc.assert(
      fc.property(validCustomer, (raw) => {
        const r = checkRecord(raw);
        expect(r.errors).toEqual([]);
        const again = checkRecord(r.value!);
        expect(again.errors).toEqual([]);
        expect(again.value).toEqual(r.value);
      }),
      { numRuns: 1000 },
    );
  });

  it('generated timestamps in UTC are output as Date#toISOString', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (d, off) => {
          // write the instant as local time at offset `off`, then expect it back in UTC
          const local = new Date(d.getTime() + off * 60_000);
          const iso = local.toISOString();
          if (!/^(?!0000)\d{4}-/.test(iso)) return; // local time shifted out of 0001-9999
          const sign = off < 0 ? '-' : '+';
          const a = Math.abs(off);
          const zone = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
          const text = iso.slice(0, 23) + zone;
          const r = checkRecord({ ...INVENTORY, updated_at: text });
          expect(r.errors).toEqual([]);
          expect(r.value!.updated_at).toBe(d.toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
