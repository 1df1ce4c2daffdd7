// Times checkRecord (from dist/, so run `npx tsc -p tsconfig.json` first) on 1e6
// synthetic CSV-like rows (all strings, typical valid values), half customers and
// half inventory records, and prints records/s. Usage: node bench/contract.mjs [n]
import { checkRecord, validateRecord } from '../dist/contract/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const TIERS = ['bronze', 'Silver', 'GOLD', 'platinum'];
const COUNTRIES = ['DE', 'us', 'Fr', 'GB', 'jp'];

function customer(i) {
  return {
    customer_id: `C${i}`,
    first_name: ' Ann  Marie ',
    last_name: 'Smith',
    email: `User${i}@Example.com`,
    phone: '+1 (415) 555-0100',
    country: COUNTRIES[i % 5],
    city: 'Berlin',
    signup_date: `20${10 + (i % 14)}-0${1 + (i % 9)}-${10 + (i % 18)}`,
    lifetime_value: `${i % 5000}.${i % 100}`,
    loyalty_tier: TIERS[i % 4],
  };
}

function inventory(i) {
  return {
    sku: `sku-${i}.a`,
    product_name: 'Widget  deluxe',
    category: 'tools',
    warehouse_id: `wh-${i % 50}`,
    quantity: String(i % 1000),
    unit_price: `${i % 300}.99`,
    updated_at: `2023-0${1 + (i % 9)}-1${i % 10}T10:${10 + (i % 50)}:00${i % 2 ? 'Z' : '+02:00'}`,
    supplier: 'ACME GmbH',
  };
}

const rows = new Array(N);
for (let i = 0; i < N; i++) rows[i] = i % 2 === 0 ? customer(i) : inventory(i);

function run(label, fn) {
  // warm-up
  for (let i = 0; i < Math.min(N, 200_000); i++) fn(rows[i]);
  let bad = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (fn(rows[i]).errors.length !== 0) bad++;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (bad) console.error(`${label}: ${bad} rows unexpectedly invalid`);
  console.log(`${label}: ${N} records in ${ms.toFixed(0)} ms = ${Math.round((N / ms) * 1000).toLocaleString('en-US')} records/s`);
}

run('checkRecord', checkRecord);
run('validateRecord', validateRecord);
