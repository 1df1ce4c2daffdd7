// The shape of a kind's field table.
import type { Fields, Kind } from '../pipeline/types.js';
import type { Checker } from './fields.js';

export interface FieldSpec {
  readonly name: string;
  readonly required: boolean;
  /** Validates a non-missing value: returns the normalized value or BAD (after reporting). */
  readonly check: Checker;
  /** Extra argument for the checker (the length limit of text fields). */
  readonly arg: number;
}

export interface KindSpec {
  readonly kind: Kind;
  readonly fields: readonly FieldSpec[];
  readonly names: readonly string[];
  /** field name -> index in `fields`; `kind` -> -1 (never output as an extra). Null prototype. */
  readonly index: Readonly<Record<string, number>>;
  /** Builds `{ kind, ...known fields in table order }` from the normalized values. */
  readonly build: (vals: readonly unknown[]) => Fields;
  /** Fields the kind does not declare: passed through (undefined), dropped, or rejected (declared kinds only). */
  readonly extra?: 'drop' | 'reject';
}

export function makeKindSpec(
  kind: Kind,
  fields: readonly FieldSpec[],
  build: (vals: readonly unknown[]) => Fields,
): KindSpec {
  const index: Record<string, number> = Object.create(null) as Record<string, number>;
  fields.forEach((f, i) => {
    index[f.name] = i;
  });
  index.kind = -1;
  return Object.freeze({
    kind,
    fields: Object.freeze(fields.slice()),
    names: Object.freeze(fields.map((f) => f.name)),
    index: Object.freeze(index),
    build,
  });
}
