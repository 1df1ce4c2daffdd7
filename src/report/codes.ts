// One sentence of help per error code, for SARIF rules and the GitHub step summary.
import type { ErrorCode } from '../pipeline/types.js';

export const CODE_HELP: Partial<Record<ErrorCode, string>> = {
  missing_required: 'A required field is absent, null, or empty after trimming.',
  invalid_id: 'An id must be 1-64 characters of letters, digits, _ and - (sku also allows .).',
  invalid_email: 'An email needs one @, a local part of 1-64 characters and a domain of dot-separated labels with a TLD of 2+ letters.',
  invalid_phone: 'A phone number, after removing spaces, -, ., ( and ), is an optional + and 7-15 digits.',
  invalid_country: 'A country is an ISO 3166-1 alpha-2 code such as DE or US.',
  invalid_date: 'A date is YYYY-MM-DD (a real calendar date) or a full ISO 8601 timestamp.',
  invalid_timestamp: 'A timestamp is ISO 8601: YYYY-MM-DD[THH:MM[:SS[.fff]]] with Z, +HH:MM, -HH:MM or nothing (UTC).',
  invalid_number: 'A number is a JSON number or a decimal string such as 12.50 (no thousands separators, currency signs, NaN or Infinity).',
  invalid_integer: 'An integer is a JSON number or a string of digits that is a safe integer.',
  out_of_range: 'The value is outside the allowed range (e.g. a negative quantity or price).',
  invalid_enum: 'The value is not one of the allowed values (e.g. loyalty_tier bronze, silver, gold, platinum).',
  too_long: 'The text is longer than the field allows (or is not text).',
  unknown_kind: 'The record is neither a customer (customer_id) nor an inventory record (sku), and no kind was given.',
  parse_error: 'The line or CSV row cannot be read as a record (bad JSON, too many cells, too deep or too long).',
  invalid_encoding: 'The record holds bytes that are not valid UTF-8 (--strict-encoding); give the file\'s --encoding, such as windows-1252.',
  duplicate_key: 'Another record has the same key.',
  invalid_boolean: 'A boolean field (declared in a contract file) holds something other than true/false, yes/no or 1/0.',
  pattern_mismatch: "A text field (declared in a contract file) does not match its pattern.",
  unknown_field: 'The record has a field its kind does not declare, and the contract file says extra: reject.',
  filtered: 'A filter stage set to reject refused the record.',
  enrich_missing: 'The enrich stage found no reference row for the record.',
  stage_error: 'A stage failed on the record.',
  http_rejected: 'The HTTP endpoint refused the batch with a permanent 4xx answer.',
  delivery_failed: 'The sink gave up delivering the record.',
  kafka_rejected: 'Kafka refused the record.',
  invalid_kind: 'The record kind is not a plain name and cannot become part of an output path.',
};

export function helpFor(code: string): string {
  return (CODE_HELP as Record<string, string>)[code] ?? `Records rejected with ${code}.`;
}
