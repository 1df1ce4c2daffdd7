// Encoding of generated rows as CSV lines or NDJSON lines. Rows are flat arrays
// of strings in header order, so one row can be written in either format.

export type OutputFormat = 'csv' | 'ndjson';

export interface FieldShape {
  readonly name: string;
  /** Valid values are JSON number literals (`12.50`), written unquoted in NDJSON. */
  readonly number?: boolean;
  /**
   * Valid values never hold a comma, quote, backslash, CR, LF or other control
   * character, so they need no CSV quoting and no JSON escaping and are not
   * checked (the hot path). Values of invalid rows are always checked.
   */
  readonly plain?: boolean;
}

export interface RowShape {
  readonly fields: readonly FieldShape[];
}

export interface Row {
  /** One value per field, in header order; null is a missing value (empty CSV cell, key left out of JSON). */
  values: (string | null)[];
  /**
   * A JSON literal that replaces the default encoding of that field in NDJSON
   * (`null`, `"1,234.50"`, `12.5`); set only by invalid mutations.
   */
  json: (string | undefined)[];
  /** Set when the row was made invalid: its values may hold anything. */
  mutated: boolean;
}

export function newRow(shape: RowShape): Row {
  const n = shape.fields.length;
  return { values: new Array<string | null>(n).fill(null), json: new Array<string | undefined>(n).fill(undefined), mutated: false };
}

/** Forget the mutation marks before the row is filled again. */
export function resetRow(row: Row): void {
  if (row.mutated) {
    row.json.fill(undefined);
    row.mutated = false;
  }
}

const CSV_SPECIAL = /[",\r\n]/;
const QUOTE = /"/g;

/** One CSV cell: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  return CSV_SPECIAL.test(value) ? '"' + value.replace(QUOTE, '""') + '"' : value;
}

const JSON_SPECIAL = /["\\\u0000-\u001f\u2028\u2029]/;

export function jsonString(value: string): string {
  return JSON_SPECIAL.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

export type LineEncoder = (row: Row) => string;

/** The text written before the first record (the CSV header line; nothing for NDJSON). */
export function preamble(shape: RowShape, format: OutputFormat): string {
  return format === 'csv' ? shape.fields.map((f) => csvCell(f.name)).join(',') + '\n' : '';
}

export function lineEncoder(shape: RowShape, format: OutputFormat): LineEncoder {
  const n = shape.fields.length;
  const plain = shape.fields.map((f) => f.plain === true);
  if (format === 'csv') {
    return (row) => {
      const v = row.values;
      const checkAll = row.mutated;
      let line = '';
      for (let i = 0; i < n; i++) {
        const value = v[i];
        if (i > 0) line += ',';
        if (value !== null) line += plain[i] && !checkAll ? value : csvCell(value);
      }
      return line + '\n';
    };
  }
  const keys = shape.fields.map((f) => JSON.stringify(f.name) + ':');
  const numeric = shape.fields.map((f) => f.number === true);
  return (row) => {
    const v = row.values;
    const checkAll = row.mutated;
    let line = '{';
    for (let i = 0; i < n; i++) {
      let literal: string;
      const override = checkAll ? row.json[i] : undefined;
      if (override !== undefined) literal = override;
      else {
        const value = v[i];
        if (value === null) continue;
        literal = numeric[i] ? value : plain[i] && !checkAll ? '"' + value + '"' : jsonString(value);
      }
      line += (line.length === 1 ? keys[i] : ',' + keys[i]) + literal;
    }
    return line + '}\n';
  };
}
