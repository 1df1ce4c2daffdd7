// The one way a dead-letter row is made: where the record was read, its kind, every
// error, and the record as read (or, for a line that could not be read, its raw text).
import { stringifyLossless } from '../contract/lossless.js';
import type { ErrorCode, Kind, Rec, RecordError, Rejected } from './types.js';

/** A row from its parts. */
export function deadRow(at: { source: string; line: number | null }, kind: Kind | null | undefined, errors: RecordError[], record: unknown): Rejected {
  return { source: at.source, line: at.line, kind: kind ?? null, errors, record };
}

/** A read record's row with one error (a stage's, the sink's refusal); `kind` overrides the record's. */
export function recordRow(r: Pick<Rec, 'source' | 'line' | 'kind'> & { raw: unknown }, code: ErrorCode, field: string | null, message: string, kind: Kind | null | undefined = r.kind): Rejected {
  return deadRow(r, kind, [{ field, code, message }], r.raw);
}

/** A line that is not a record (parse_error, too_long, ...): the message says where, the row holds the text. */
export function lineRow(source: string, line: number | null, kind: Kind | null | undefined, code: ErrorCode, reason: string, raw: unknown): Rejected {
  return deadRow({ source, line }, kind, [{ field: null, code, message: `${source}:${line}: ${reason}` }], raw);
}

/** A row's dead-letter line (records.md), without its newline; `replay`: where a replayed record sat. */
export function deadLetterText(r: Rejected, replay?: object): string {
  const row = { source: r.source, line: r.line, kind: r.kind, errors: r.errors, record: r.record, ...(replay ? { replay } : {}) };
  // the record's numbers as read (a parsed record may carry their texts: contract/lossless.ts)
  return stringifyLossless(row, undefined, r.record);
}
