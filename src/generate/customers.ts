// Synthetic customer records (records.md, Customer).
import type { ErrorCode } from '../pipeline/types.js';
import { days, money, PAD2, paddedId } from './calendar.js';
import { COUNTRIES, GLOBAL_EMAIL_DOMAINS, type Country } from './data.js';
import type { FieldShape, Row } from './format.js';
import { INVALID_CODES, longText, makeMissing, put } from './invalid.js';
import { weighted, type Rng } from './prng.js';
import type { RecordGenerator } from './record.js';

/** Header order. `plain`: valid values need no CSV quoting or JSON escaping (see format.ts). */
const FIELDS: readonly FieldShape[] = [
  { name: 'customer_id', plain: true },
  { name: 'first_name', plain: true },
  { name: 'last_name', plain: true },
  { name: 'email', plain: true },
  { name: 'phone', plain: true },
  { name: 'country', plain: true },
  { name: 'city' }, // Washington, D.C.
  { name: 'signup_date', plain: true },
  { name: 'lifetime_value', number: true, plain: true },
  { name: 'loyalty_tier', plain: true },
];
const [ID, FIRST, LAST, EMAIL, PHONE, COUNTRY, CITY, SIGNUP, VALUE, TIER] = FIELDS.keys();

/** The id of customer record `index` (0-based): C0000001, C0000002, … */
export function customerId(index: number): string {
  return paddedId('C', index + 1, 7);
}

/** A name as it may appear in an email local part: ASCII letters only. */
function emailToken(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/[øØ]/g, 'o')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

interface Name {
  text: string;
  token: string;
}

interface CountryTables {
  country: Country;
  first: readonly Name[];
  last: readonly Name[];
  domains: readonly string[];
}

const TABLES: readonly CountryTables[] = weighted(
  COUNTRIES.map(([country, weight]) => {
    const names = (list: readonly string[]): Name[] => list.map((text) => ({ text, token: emailToken(text) }));
    const tables: CountryTables = {
      country,
      first: names(country.names.first),
      last: names(country.names.last),
      // Regional providers take about a third of the addresses where there are any.
      domains: country.domains.length ? [...GLOBAL_EMAIL_DOMAINS, ...country.domains, ...country.domains, ...country.domains] : GLOBAL_EMAIL_DOMAINS,
    };
    return [tables, weight] as const;
  }),
);

const SIGNUP_DAYS = days(2015, 2025);
const LN_MAX_VALUE = Math.log(25_000);

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function email(first: string, last: string, domain: string, rng: Rng): string {
  let local: string;
  const form = rng.int(20);
  if (form < 7) local = first + '.' + last;
  else if (form < 10) local = first + '.' + last + rng.range(1, 99);
  else if (form < 13) local = first.charAt(0) + last;
  else if (form < 15) local = first + '_' + last;
  else if (form < 18) local = first + rng.range(1960, 2006);
  else local = last + '.' + first;
  // A few people type their address with capitals; the contract lowercases it.
  if (rng.chance(0.03)) return capitalize(local) + '@' + capitalize(domain);
  return local + '@' + domain;
}

/** An E.164-ish phone in one of the ways people write them; 8 to 15 digits after stripping. */
function phone(c: Country, rng: Rng): string {
  const nsn = String(rng.range(2, 9)) + rng.digits(c.nsn - 1);
  const a = nsn.slice(0, 3);
  const b = nsn.slice(3, 6);
  const rest = nsn.slice(6);
  const form = rng.int(10);
  if (form < 5) return `+${c.dial} ${a} ${b} ${rest}`;
  if (form < 7) return `+${c.dial}-${a}-${b}-${rest}`;
  if (form < 8) return `+${c.dial}${nsn}`;
  if (form < 9) return c.dial === '1' ? `(${a}) ${b}-${rest}` : `0${a} ${b}${rest}`;
  return `+${c.dial}.${a}.${b}.${rest}`;
}

const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;

/** Tiers follow the lifetime value, with some noise (tiers are assigned by other rules too). */
function tierFor(cents: number, rng: Rng): string {
  if (rng.chance(0.1)) return rng.pick(TIERS);
  if (cents < 25_000) return 'bronze';
  if (cents < 150_000) return 'silver';
  if (cents < 800_000) return 'gold';
  return 'platinum';
}

function fill(row: Row, index: number, rng: Rng): void {
  const v = row.values;
  const t = rng.pick(TABLES);
  const c = t.country;
  const first = rng.pick(t.first);
  const last = rng.pick(t.last);
  v[ID] = customerId(index);
  // A little untidy whitespace, as typed into forms; normalize trims and collapses it.
  v[FIRST] = rng.chance(0.01) ? ' ' + first.text + '  ' : first.text;
  v[LAST] = last.text;
  v[EMAIL] = email(first.token, last.token, rng.pick(t.domains), rng);
  v[PHONE] = rng.chance(0.08) ? null : phone(c, rng);
  v[COUNTRY] = rng.chance(0.02) ? null : rng.chance(0.03) ? c.code.toLowerCase() : c.code;
  v[CITY] = rng.chance(0.03) ? null : rng.pick(c.cities);
  const day = rng.pick(SIGNUP_DAYS);
  v[SIGNUP] = rng.chance(0.02)
    ? null
    : rng.chance(0.04)
      ? `${day}T${PAD2[rng.int(24)]}:${PAD2[rng.int(60)]}:${PAD2[rng.int(60)]}Z`
      : day;
  // Log-uniform from 1.00 to 25,000.00 (most customers spend little, a few a lot), some never bought.
  const cents = rng.chance(0.06) ? 0 : Math.floor(100 * Math.exp(rng.next() * LN_MAX_VALUE));
  v[VALUE] = rng.chance(0.03) ? null : money(cents);
  const tier = tierFor(cents, rng);
  v[TIER] = rng.chance(0.03) ? null : rng.chance(0.05) ? capitalize(tier) : tier;
}

const BAD_COUNTRIES = ['UK', 'USA', 'Germany', 'XX', 'ZZ', 'U.S.', 'Deutschland', 'E', 'QQ'];
const BAD_TIERS = ['diamond', 'vip', 'Gold Plus', 'standard', 'premium', 'platnum', 'tier-2'];
const IMPOSSIBLE_DATES = ['2023-02-29', '2022-04-31', '2021-13-01', '2019-00-10', '2024-06-31', '2018-11-00'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function mutate(row: Row, code: ErrorCode, rng: Rng): void {
  const v = row.values;
  switch (code) {
    case 'missing_required':
      // The email, not the id: an NDJSON record without a customer_id key would be unknown_kind.
      return makeMissing(row, EMAIL, rng);
    case 'invalid_id': {
      const id = v[ID]!;
      const bad = [`${id}!`, `#${id}`, `${id}/2`, `${id} X`, `${id}.1`, `${id}-${'X'.repeat(Math.max(1, 64 - id.length))}`];
      return put(row, ID, rng.pick(bad));
    }
    case 'invalid_email': {
      const e = v[EMAIL] ?? 'someone@example.com';
      const at = e.indexOf('@');
      const local = e.slice(0, at);
      const domain = e.slice(at + 1);
      const bad = [
        `${local}.${domain}`, // no @
        `${local}@@${domain}`,
        `${local}@${domain.split('.')[0]}`, // no TLD
        `${local.slice(0, Math.ceil(local.length / 2))} ${local.slice(Math.ceil(local.length / 2))}@${domain}`, // a space in the local part
        `${local}@${domain}.`,
        `${local}@-${domain}`,
        `${local}@${domain.replace(/\.[a-z]+$/i, '.c')}`,
        `@${domain}`,
        `${local}@${domain.replace(/\./g, ',')}`,
        `${local}@${domain}.123`,
      ];
      return put(row, EMAIL, rng.pick(bad));
    }
    case 'invalid_phone': {
      const bad = ['12345', '555-CALL-NOW', 'n/a', `+${rng.digits(16)}`, `+1 415 555 ${rng.digits(4)} ext. 12`, '0', 'unknown'];
      return put(row, PHONE, rng.pick(bad));
    }
    case 'invalid_country':
      return put(row, COUNTRY, rng.pick(BAD_COUNTRIES));
    case 'invalid_date': {
      const [y, m, d] = rng.pick(SIGNUP_DAYS).split('-') as [string, string, string];
      const bad = [
        `${m}/${d}/${y}`,
        `${d}.${m}.${y}`,
        `${y}/${m}/${d}`,
        `${MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`,
        rng.pick(IMPOSSIBLE_DATES),
        rng.pick(IMPOSSIBLE_DATES),
      ];
      return put(row, SIGNUP, rng.pick(bad));
    }
    case 'out_of_range':
      v[VALUE] = '-' + money(rng.range(1, 500_000)); // a negative amount: a JSON number in NDJSON
      return;
    case 'invalid_enum':
      return put(row, TIER, rng.pick(BAD_TIERS));
    case 'too_long': {
      const field = rng.chance(0.5) ? FIRST : LAST;
      return put(row, field, longText(v[field]?.trim() || 'Name', 101 + rng.int(80)));
    }
    case 'invalid_number': {
      const cents = rng.range(100_000, 2_000_000);
      const plain = money(cents);
      const bad = [
        `${Math.floor(cents / 100_000)},${String(Math.floor(cents / 100) % 1000).padStart(3, '0')}.${PAD2[cents % 100]}`,
        `$${plain}`,
        `€${plain}`,
        `${plain} USD`,
        'NaN',
        'Infinity',
        `${plain}.5`,
      ];
      return put(row, VALUE, rng.pick(bad));
    }
    default:
      throw new Error(`customer generator: no mutation for ${code}`);
  }
}

export const customerGenerator: RecordGenerator = {
  kind: 'customer',
  fields: FIELDS,
  codes: INVALID_CODES.customer,
  fill,
  mutate,
};
