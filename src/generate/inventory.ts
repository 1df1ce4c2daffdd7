// Synthetic inventory records (records.md, Inventory).
import type { ErrorCode } from '../pipeline/types.js';
import { days, money, PAD2, PAD3, paddedId } from './calendar.js';
import { CATEGORIES, PRODUCT_ADJECTIVES, PRODUCT_COLORS, SUPPLIERS } from './data.js';
import type { FieldShape, Row } from './format.js';
import { INVALID_CODES, longText, makeMissing, put } from './invalid.js';
import { weighted, type Rng } from './prng.js';
import type { RecordGenerator } from './record.js';

/** Header order. `plain`: valid values need no CSV quoting or JSON escaping (see format.ts). */
const FIELDS: readonly FieldShape[] = [
  { name: 'sku', plain: true },
  { name: 'product_name' }, // 27" Monitor, Kettle, Olive
  { name: 'category', plain: true },
  { name: 'warehouse_id', plain: true },
  { name: 'quantity', number: true, plain: true },
  { name: 'unit_price', number: true, plain: true },
  { name: 'updated_at', plain: true },
  { name: 'supplier' }, // Acme Industrial Supply, Inc.
];
const [SKU, PRODUCT, CATEGORY, WAREHOUSE, QUANTITY, PRICE, UPDATED, SUPPLIER] = FIELDS.keys();

/** The sku of inventory record `index` (0-based): SKU-000001, SKU-000002, … */
export function sku(index: number): string {
  return paddedId('SKU-', index + 1, 6);
}

const CATEGORY_TABLE = weighted(CATEGORIES);
/** Twelve warehouses, the first few busier. */
const WAREHOUSES = weighted(Array.from({ length: 12 }, (_, i) => [paddedId('WH-', i + 1, 2), i < 4 ? 4 : i < 8 ? 2 : 1] as const));
const UPDATE_DAYS = days(2023, 2025);
const OFFSETS = ['+01:00', '+02:00', '-05:00', '-08:00', '+05:30', '+09:00', '+00:00'];

function productName(noun: string, rng: Rng): string {
  const form = rng.int(20);
  if (form < 10) return `${rng.pick(PRODUCT_ADJECTIVES)} ${noun}`;
  if (form < 15) return `${noun}, ${rng.pick(PRODUCT_COLORS)}`;
  if (form < 18) return `${rng.pick(PRODUCT_ADJECTIVES)} ${noun} (${rng.pick(PRODUCT_COLORS)})`;
  return noun;
}

function timestamp(rng: Rng): string {
  const date = rng.pick(UPDATE_DAYS);
  const time = `${PAD2[rng.int(24)]}:${PAD2[rng.int(60)]}`;
  const form = rng.int(20);
  if (form < 13) return `${date}T${time}:${PAD2[rng.int(60)]}Z`;
  if (form < 16) return `${date}T${time}:${PAD2[rng.int(60)]}.${PAD3[rng.int(1000)]}Z`;
  if (form < 18) return `${date}T${time}:${PAD2[rng.int(60)]}${rng.pick(OFFSETS)}`;
  if (form < 19) return `${date} ${time}:${PAD2[rng.int(60)]}`; // no zone: UTC
  return `${date}T${time}Z`;
}

function fill(row: Row, index: number, rng: Rng): void {
  const v = row.values;
  const cat = rng.pick(CATEGORY_TABLE);
  v[SKU] = sku(index);
  v[PRODUCT] = productName(rng.pick(cat.nouns), rng);
  v[CATEGORY] = rng.chance(0.03) ? null : cat.name;
  const wh = rng.pick(WAREHOUSES);
  v[WAREHOUSE] = rng.chance(0.02) ? wh.toLowerCase() : wh;
  const q = rng.next();
  v[QUANTITY] = rng.chance(0.06) ? '0' : String(1 + Math.floor(q * q * 2500));
  const [lo, hi] = cat.priceCents;
  const p = rng.next();
  let cents = lo + Math.floor(p * p * (hi - lo));
  if (rng.chance(0.4)) cents = Math.floor(cents / 100) * 100 + 99; // charm pricing
  v[PRICE] = rng.chance(0.05) ? String(Math.floor(cents / 100)) : money(cents);
  v[UPDATED] = rng.chance(0.02) ? null : timestamp(rng);
  v[SUPPLIER] = rng.chance(0.04) ? null : rng.pick(SUPPLIERS);
}

const REQUIRED = [PRODUCT, WAREHOUSE, QUANTITY, PRICE];

function mutate(row: Row, code: ErrorCode, rng: Rng): void {
  const v = row.values;
  switch (code) {
    case 'missing_required':
      // Never the sku: an NDJSON record without a sku key would be unknown_kind.
      return makeMissing(row, rng.pick(REQUIRED), rng);
    case 'invalid_id': {
      const id = v[SKU]!;
      const wh = v[WAREHOUSE]!;
      const digits = id.slice(4);
      const bad: Array<[number, string]> = [
        [SKU, `SKU ${digits}`],
        [SKU, `SKU#${digits}`],
        [SKU, `${id}/B`],
        [SKU, `${id}*`],
        [WAREHOUSE, wh.replace('-', ' ')],
        [WAREHOUSE, `${wh}.A`], // a dot is fine in a sku, not in a warehouse id
        [WAREHOUSE, wh.replace('-', '/')],
      ];
      const [field, value] = rng.pick(bad);
      return put(row, field, value);
    }
    case 'invalid_integer': {
      const n = rng.range(1, 99);
      const bad = [`${n}.5`, 'ten', '1e3', `${n} units`, '9007199254740993', `${n}.0`];
      const value = rng.pick(bad);
      // `12.5` is written as a JSON number (still not an integer); the rest as JSON strings,
      // since 1e3 or 12.0 as JSON numbers would parse to integers.
      return put(row, QUANTITY, value, value.endsWith('.5') ? value : undefined);
    }
    case 'out_of_range':
      v[QUANTITY] = '-' + rng.range(1, 50); // a negative integer: a JSON number in NDJSON
      return;
    case 'invalid_number': {
      const cents = rng.range(100_000, 900_000);
      const plain = money(cents);
      const bad = [
        `${Math.floor(cents / 100_000)},${String(Math.floor(cents / 100) % 1000).padStart(3, '0')}.${PAD2[cents % 100]}`,
        `$${plain}`,
        `€${plain.replace('.', ',')}`,
        `${plain} USD`,
        'NaN',
        'Infinity',
        'free',
      ];
      return put(row, PRICE, rng.pick(bad));
    }
    case 'invalid_timestamp': {
      const date = rng.pick(UPDATE_DAYS);
      const [y, m, d] = date.split('-') as [string, string, string];
      const bad = [
        `${y}-13-${d}T10:00:00Z`,
        `${date}T24:00:00Z`,
        `${date}T12:60:00Z`,
        '2023-02-29T08:15:00Z',
        `${y}-06-31T09:00:00Z`,
        `${m}/${d}/${y} 10:00`,
        'yesterday',
        `${date}T10:00:00 UTC`,
        String(1_672_531_200 + rng.int(94_608_000)), // epoch seconds
      ];
      return put(row, UPDATED, rng.pick(bad));
    }
    case 'too_long': {
      const name = v[PRODUCT]!;
      return put(row, PRODUCT, longText(`${name} - durable, versatile and ready for everyday use`, 201 + rng.int(150)));
    }
    default:
      throw new Error(`inventory generator: no mutation for ${code}`);
  }
}

export const inventoryGenerator: RecordGenerator = {
  kind: 'inventory',
  fields: FIELDS,
  codes: INVALID_CODES.inventory,
  fill,
  mutate,
};
