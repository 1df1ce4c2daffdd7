// The bench's input files, made once per size and seed and reused (a stamp beside each
// file says how it was made): `recflow generate` customers, the other generator's
// customers (bench/other-customers.py), the 250-row enrich reference, short records for
// Kafka.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './measure.mjs';

const fresh = (out, want) => existsSync(out) && existsSync(`${out}.stamp`) && readFileSync(`${out}.stamp`, 'utf8') === want;

/** `recflow generate KIND --count N --seed S --invalid-share 0.02 --format F` with `build`, into `out`. */
export function generated(build, kind, rows, seed, format, out) {
  const want = `recflow generate ${kind} --count ${rows} --seed ${seed} --invalid-share 0.02 --format ${format}`;
  if (fresh(out, want)) return { path: out, how: want };
  log(`generating ${out}`);
  const res = spawnSync(process.execPath, [build.bin, 'generate', kind, '--count', String(rows), '--seed', String(seed), '--invalid-share', '0.02', '--format', format, '--out', out, '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`${want} failed (exit ${res.status})`);
  writeFileSync(`${out}.stamp`, want);
  return { path: out, how: want };
}

export const generatedCustomers = (build, rows, seed, dir) => generated(build, 'customers', rows, seed, 'csv', join(dir, `gen-customers-${rows}-s${seed}.csv`));

/**
 * bench/other-customers.py's file, checked against the customer contract with
 * `recflow validate` (most rows must pass: the file is meant as valid data with ~2% errors).
 */
export function otherCustomers(root, build, rows, seed, dir) {
  const out = join(dir, `other-customers-${rows}-s${seed}.csv`);
  const how = `python3 bench/other-customers.py --count ${rows} --seed ${seed} --invalid-share 0.02`;
  if (!fresh(out, how)) {
    log(`generating ${out}`);
    const res = spawnSync('python3', [join(root, 'bench', 'other-customers.py'), '--count', String(rows), '--seed', String(seed), '--invalid-share', '0.02', '--out', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (res.status !== 0) throw new Error(`${how} failed (exit ${res.status}); python3 is needed for the second data set`);
    writeFileSync(`${out}.stamp`, how);
    writeFileSync(`${out}.validate.json`, JSON.stringify(validate(build, out, dir)));
  }
  const check = JSON.parse(readFileSync(`${out}.validate.json`, 'utf8'));
  if (check.valid / check.read < 0.95) throw new Error(`${out}: only ${check.valid} of ${check.read} rows pass the customer contract (${JSON.stringify(check.byCode)})`);
  return { path: out, how, check };
}

function validate(build, file, dir) {
  const summary = join(dir, 'validate-summary.json');
  const res = spawnSync(process.execPath, [build.bin, 'validate', file, '--quiet', '--summary-json', summary], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (res.status !== 0 && res.status !== 1) throw new Error(`recflow validate ${file} exited ${res.status}: ${res.stderr.trim().split('\n').pop()}`);
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  return { read: s.records.in, valid: s.records.out, rejected: s.records.rejected, byCode: s.rejectedByCode };
}

// The 249 officially assigned ISO 3166-1 alpha-2 codes and XK: 250 reference rows, one per
// country code, so that every record with a country finds its row.
const CODES = ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD ' +
  'CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF ' +
  'GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN ' +
  'KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
  'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI ' +
  'SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI ' +
  'VN VU WF WS YE YT ZA ZM ZW XK').split(' ');
const REGIONS = ['EMEA', 'AMER', 'APAC', 'LATAM', 'MEA', 'NORDICS'];

/** country,region,market,vat_rate: 250 rows. */
export function countryReference(dir) {
  const out = join(dir, 'countries-250.csv');
  const rows = CODES.map((c, i) => `${c},${REGIONS[(c.charCodeAt(0) * 31 + c.charCodeAt(1)) % REGIONS.length]},market-${(i % 17) + 1},${(5 + (i % 20)).toFixed(1)}`);
  writeFileSync(out, ['country,region,market,vat_rate', ...rows].join('\n') + '\n');
  if (rows.length !== 250) throw new Error('reference must have 250 rows');
  return out;
}

/**
 * The 5-stage pipeline: filter, select, rename, set, enrich (on the reference).
 * Each stage keeps most records, so the pipeline does work on nearly all of them.
 */
export function fiveStages(ref) {
  return [
    'filter:expr=lifetime_value > 0 or not exists(lifetime_value)',
    'select:fields=customer_id,first_name,last_name,email,country,city,signup_date,lifetime_value,loyalty_tier',
    'rename:fields=email:contact_email,loyalty_tier:tier',
    'set:field=full_name,template={first_name} {last_name}',
    `enrich:file=${ref},key=country,fields=region,market`,
  ];
}

/** N short customers as NDJSON (~70 bytes each), so a topic stays under the mock cluster's ~4 MB a partition. */
export function shortRecords(n, dir) {
  const out = join(dir, `kafka-short-${n}.ndjson`);
  const want = `short customers ${n}`;
  if (fresh(out, want)) return out;
  const cc = ['DE', 'FR', 'US', 'GB', 'PL', 'JP', 'BR'];
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(`{"customer_id":"K${String(i).padStart(7, '0')}","email":"k${i}@example.com","country":"${cc[i % cc.length]}"}`);
  writeFileSync(out, lines.join('\n') + '\n');
  writeFileSync(`${out}.stamp`, want);
  return out;
}
