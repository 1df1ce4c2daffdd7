// CSV header names (records.md "CSV specifics").

const SPACE_OR_DASH_RE = /[\s-]/g;

/**
 * Trim, lowercase, and turn every whitespace character and every `-` into `_`
 * (one `_` per character, runs are not collapsed): `Customer ID` -> `customer_id`,
 * ` Signup-Date ` -> `signup_date`.
 */
export function normalizeHeader(name: string): string {
  return name.trim().toLowerCase().replace(SPACE_OR_DASH_RE, '_');
}
