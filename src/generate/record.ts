// What each kind's generator provides (customers.ts, inventory.ts).
import type { ErrorCode, Kind } from '../pipeline/types.js';
import type { Row, RowShape } from './format.js';
import type { Rng } from './prng.js';

export interface RecordGenerator extends RowShape {
  readonly kind: Kind;
  /** The codes an invalid record of this kind may carry, in cycling order. */
  readonly codes: readonly ErrorCode[];
  /** Fill `row` with valid record number `index` (0-based). */
  fill(row: Row, index: number, rng: Rng): void;
  /** Change the filled `row` so that it fails the contract with exactly `code`. */
  mutate(row: Row, code: ErrorCode, rng: Rng): void;
}
