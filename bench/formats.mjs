// Times the output encoders (from dist/, so run `npm run build` first) on 1e6
// normalized customer records in batches of 1000, as the file sink gets them:
// NDJSON, JSON array, CSV with recflow's hand-written writer, and CSV with
// csv-stringify's sync API per batch (same header and cell texts), in CPU seconds
// (user+system of this process) and as a ratio to NDJSON. The two CSV outputs are
// checked byte-equal first.
// Usage: node bench/formats.mjs [n]
import { makeEncoder } from '../dist/sinks/format/index.js';
import { cellText, headerFor } from '../dist/sinks/format/csv.js';
import { stringify } from 'csv-stringify/sync';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];

function customer(i) {
  const r = {
    kind: 'customer',
    customer_id: `C${i}`,
    first_name: i % 50 === 0 ? 'Ann, "Annie"' : 'Ann Marie',
    last_name: 'Smith',
    email: `user${i}@example.com`,
    phone: '+14155550100',
    country: 'DE',
    city: i % 97 === 0 ? 'Köln\nNord' : 'Berlin',
    signup_date: '2021-03-15',
    lifetime_value: (i % 5000) + 0.25,
    loyalty_tier: TIERS[i % 4],
  };
  if (i % 3 === 0) delete r.phone; // a missing optional field
  return r;
}

/** The csv-stringify alternative: same header and cells, one stringify() per batch. */
function stringifyEncoder() {
  let columns = null;
  return {
    encode(records) {
      const rows = [];
      if (!columns) rows.push((columns = headerFor('customer', records[0].value)));
      for (const r of records) rows.push(columns.map((c) => cellText(r.value[c])));
      return stringify(rows, { record_delimiter: 'unix' });
    },
    end: () => '',
  };
}

const batches = [];
for (let i = 0; i < N; i += BATCH) {
  const b = [];
  for (let j = i; j < Math.min(N, i + BATCH); j++) b.push({ value: customer(j) });
  batches.push(b);
}

function time(make) {
  const enc = make();
  const t0 = process.cpuUsage();
  let bytes = 0;
  for (const b of batches) bytes += Buffer.byteLength(enc.encode(b)); // counts flattening, as a write does
  bytes += enc.end().length;
  const t = process.cpuUsage(t0);
  return { cpu: (t.user + t.system) / 1e6, bytes };
}

const cases = {
  ndjson: () => makeEncoder('ndjson', undefined, 'bench'),
  json: () => makeEncoder('json', undefined, 'bench'),
  'csv (recflow)': () => makeEncoder('csv', 'customer', 'bench', () => {}),
  'csv (csv-stringify)': stringifyEncoder,
};

const a = makeEncoder('csv', 'customer', 'bench', () => {});
const h = stringifyEncoder();
const sample = batches.slice(0, 5);
if (sample.map((b) => a.encode(b)).join('') !== sample.map((b) => h.encode(b)).join('')) throw new Error('the two CSV writers differ');

// round 1 warms up; round 2 is printed, ratios against its NDJSON figure
for (const round of [1, 2]) {
  const rows = Object.entries(cases).map(([name, make]) => ({ name, ...time(make) }));
  if (round === 1) continue;
  const base = rows[0].cpu;
  for (const { name, cpu, bytes } of rows) {
    console.log(`${name.padEnd(22)} ${cpu.toFixed(2)} s CPU  ${(cpu / base).toFixed(2)}x NDJSON  ${(bytes / 1e6).toFixed(0)} MB`);
  }
}
