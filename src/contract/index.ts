// Public face of the record contract (../shared/spec/records.md).
// STUB signatures: implemented in the other files of src/contract/.
import type { Fields, Kind, RecordError } from '../pipeline/types.js';

export interface CheckResult {
  /** The decided kind, or null when unknown_kind. */
  kind: Kind | null;
  /** The normalized record with `kind` first; null when there are errors. */
  value: Fields | null;
  /** Every error found in the record (empty when valid). */
  errors: RecordError[];
}

/** Validate and normalize one record as read (CSV row object or parsed JSON object). */
export declare function checkRecord(raw: Fields, kindHint?: Kind): CheckResult;
