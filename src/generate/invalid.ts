// Which generated records are made invalid, and with which error code.
import type { ErrorCode, Kind } from '../pipeline/types.js';
import { jsonString, type Row } from './format.js';
import type { Rng } from './prng.js';

/**
 * The codes an invalid record of each kind is given, in the order they are
 * cycled through: the n-th invalid record gets `codes[n % codes.length]`.
 * Each mutation makes the record fail with exactly that one code.
 */
export const INVALID_CODES: Readonly<Record<Kind, readonly ErrorCode[]>> = {
  customer: [
    'missing_required',
    'invalid_id',
    'invalid_email',
    'invalid_phone',
    'invalid_country',
    'invalid_date',
    'out_of_range',
    'invalid_enum',
    'too_long',
    'invalid_number',
  ],
  inventory: [
    'missing_required',
    'invalid_id',
    'invalid_integer',
    'out_of_range',
    'invalid_number',
    'invalid_timestamp',
    'too_long',
  ],
};

/**
 * Picks exactly `round(count * share)` of `count` records, spread at random
 * (selection sampling, Knuth's Algorithm S: record i is picked with
 * probability still-needed / still-left), and cycles the error codes over them.
 */
export class InvalidPicker {
  private left: number;
  private needed: number;
  private picked = 0;

  constructor(
    count: number,
    share: number,
    private readonly codes: readonly ErrorCode[],
    private readonly rng: Rng,
  ) {
    this.left = count;
    this.needed = Math.min(count, Math.round(count * share));
  }

  /** The code for the next record, or null when it stays valid. Call once per record, in order. */
  next(): ErrorCode | null {
    if (this.needed === 0) return null;
    const pick = this.rng.next() * this.left < this.needed;
    this.left--;
    if (!pick) return null;
    this.needed--;
    return this.codes[this.picked++ % this.codes.length]!;
  }
}

/**
 * Set a field to `value`, written in NDJSON as the literal `json`; by default as
 * a JSON string even in a number field, or left out when `value` is null.
 */
export function put(row: Row, field: number, value: string | null, json?: string): void {
  row.values[field] = value;
  const literal = json ?? (value === null ? undefined : jsonString(value));
  if (literal !== undefined) row.json[field] = literal;
}

/** Make a field missing in one of the ways records.md counts as missing. */
export function makeMissing(row: Row, field: number, rng: Rng): void {
  switch (rng.int(4)) {
    case 0:
      return put(row, field, null); // empty CSV cell, key absent in JSON
    case 1:
      return put(row, field, null, 'null'); // empty CSV cell, JSON null
    case 2:
      return put(row, field, '   '); // whitespace only
    default:
      return put(row, field, ''); // empty string
  }
}

/** A string of at least `min` characters made by repeating `text` (words stay separated by single spaces). */
export function longText(text: string, min: number): string {
  let s = text;
  while (s.length < min) s += ' ' + text;
  return s;
}
