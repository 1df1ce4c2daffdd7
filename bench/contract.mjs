// Times checkRecord (from dist/, so run `npx tsc -p tsconfig.json` first) on 1e6
// synthetic CSV-like rows (all strings, typical valid values), half customers and
// half inventory records, and prints records/s. Then, per kind, the JSON text of the
// kept record: JSON.stringify(checkRecord().value) against checkRecordJson(), alone and
// with the text written into a Buffer as the parallel runner does (utf8Write; a
// concatenated string is flattened there, so that cost is counted too), in ns/record.
// Usage: node bench/contract.mjs [n]
import { checkRecord, checkRecordJson, validateRecord } from '../dist/contract/index.js';

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

// --- JSON text per kind -------------------------------------------------------------

const customers = rows.filter((_, i) => i % 2 === 0);
const inventories = rows.filter((_, i) => i % 2 === 1);
for (const r of rows) {
  if (checkRecordJson(r).json !== JSON.stringify(checkRecord(r).value)) throw new Error(`differs: ${JSON.stringify(r)}`);
}

const out = Buffer.alloc(1 << 20);
const utf8Write = Buffer.prototype.utf8Write ?? function (s, o) { return this.write(s, o); };
let pos = 0;
function write(json) {
  if (pos + json.length * 3 + 1 > out.length) pos = 0;
  pos += utf8Write.call(out, json, pos);
  out[pos++] = 10;
}

const viaStringify = (r) => JSON.stringify(checkRecord(r).value);
const viaJson = (r) => checkRecordJson(r).json;
const cases = [
  ['JSON.stringify(checkRecord().value)', viaStringify, false],
  ['checkRecordJson().json', viaJson, false],
  ['JSON.stringify(checkRecord().value) + write', viaStringify, true],
  ['checkRecordJson().json + write', viaJson, true],
];

function timeJson(list, fn, withWrite) {
  const n = list.length;
  let len = 0;
  const t0 = process.hrtime.bigint();
  if (withWrite) for (let i = 0; i < n; i++) write(fn(list[i]));
  else for (let i = 0; i < n; i++) len += fn(list[i]).length;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (len < 0) console.log(len); // keeps the results alive
  return ns;
}

const ROUNDS = 5;
for (const [kind, list] of [['customer', customers], ['inventory', inventories]]) {
  const best = cases.map(() => Infinity);
  // warm-up, then interleaved rounds; the best round of each case counts
  for (const [, fn, w] of cases) timeJson(list.slice(0, 100_000), fn, w);
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach(([, fn, w], c) => {
      best[c] = Math.min(best[c], timeJson(list, fn, w));
    });
  }
  cases.forEach(([label], c) => console.log(`${kind}: ${label}: ${best[c].toFixed(0)} ns/record (best of ${ROUNDS})`));
}
