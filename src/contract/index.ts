// Public face of the record contract (docs/records.md says what users are promised; it wins over this file).
//
// Decisions where records.md is silent (also listed in the project docs):
// - Value types. Text-like fields (ids, names, city, category, supplier, phone)
//   accept a string or a finite JSON number read as String(n) (customer_id 123 ->
//   "123"); booleans, objects and arrays get the field's code (invalid_id,
//   invalid_phone, ...; for the free-text fields, which only have a length rule,
//   that is too_long with a "not text" message). email, country, signup_date,
//   updated_at and loyalty_tier need a string (a number could never be valid).
//   Numeric fields accept a finite JSON number or a numeric string; anything else
//   is invalid_number / invalid_integer.
// - Kind: --kind (kindHint) wins and the record's own `kind` field is then ignored
//   (not checked, not repeated). Without a hint, a non-missing `kind` field decides
//   alone: "customer"/"inventory" after trim, any case; any other value (e.g.
//   "order", 5) is unknown_kind on field "kind" - we never sniff past an explicit
//   wrong kind. Sniffing looks at keys: a `customer_id` key (even with a missing
//   value, so a CSV with that column always gives customers) makes a customer,
//   else a `sku` key an inventory record. unknown_kind is then the only error
//   (field null when there was no kind field at all).
// - Errors: at most one per field, in table order; missing_required per missing
//   required field. A valid result carries a shared, frozen empty `errors` array.
// - Names: trimmed and inner whitespace runs (any Unicode whitespace) collapsed
//   to one space; the length limit applies to that normalized value. city,
//   category, supplier: limit on the trimmed value. Lengths count code points.
// - Numbers: -0 is output as 0; a numeric string beyond the double range
//   ("1e999") is invalid_number. Integers: "1.0"/"1e3" strings are
//   invalid_integer, JSON 1.0 is 1; an integer outside the safe range is
//   invalid_integer even when negative (range is checked after type).
// - Dates/timestamps: trimmed first; years 0001-9999; `T`/`Z` uppercase only;
//   `.` decimal mark only; a zone only after a time (`2023-03-15Z` is invalid);
//   offsets +-00:00..+-23:59 (RFC 3339 grammar); no leap second; fractional
//   seconds of any length are TRUNCATED to milliseconds; a timestamp whose UTC
//   instant leaves years 0001-9999 is invalid. signup_date keeps the date as
//   written, ignoring the zone.
// - Email: ASCII letters/digits/- in domain labels (IDNs must be punycode), TLD
//   2-63 ASCII letters, the whole address lowercased (local part included).
// - Phone: stripped characters are exactly space, -, ., ( and ); digits ASCII.
// - Country: only ASCII letters; the 249 officially assigned codes (XK, UK, EU
//   are not).
// - Unknown fields: passed through unchanged (same value, not trimmed); those
//   with a missing value are left out; a field named __proto__ is kept as a
//   plain own property.
// - normalizeRecord (lenient): an invalid known value is kept exactly as read
//   (untrimmed, original type).
export type { CheckResult } from './record.js';
export { checkRecord, checkRecordJson, validateRecord, normalizeRecord, recordJson, KNOWN_FIELDS } from './record.js';
export { detectKind } from './kind.js';
// Kinds declared in contract files (--contract; docs/contracts.md): loaded once at start,
// compiled into the same engine; nothing above changes when none is given.
export { useContracts } from './contracts.js';
export { knownKinds, keyFieldsOf } from './declared.js';
export { normalizeHeader } from './header.js';
export { COUNTRY_CODES } from './countries.js';
import type { ErrorCode } from '../pipeline/types.js';

/** The contract error codes of records.md, in the order listed there. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze([
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
] as const);
