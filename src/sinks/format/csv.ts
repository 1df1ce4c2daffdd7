// CSV and TSV output: one header line, then one line per record, RFC 4180 quoting
// (a value holding the delimiter, a quote, CR or LF is quoted, quotes doubled),
// lines ending in '\n'. TSV is the same with a tab as delimiter.
//
// The header is fixed once the first record is seen, since a stream cannot go
// back: `kind`, the kind's contract fields in contract order (all of them, so a
// record lacking an optional field, or a later file of the same kind, keeps the
// same columns), then the first record's other fields in its order. A later
// record's field that is not a column is left out, and counted: one warning at
// the end names those fields.
//
// Hand-written rather than csv-stringify: 2.2-3.6x less CPU for the same bytes
// (bench/formats.mjs, bench/RESULTS.md); tests check it against csv-stringify.
import { CUSTOMER_FIELDS } from '../../contract/customer.js';
import { INVENTORY_FIELDS } from '../../contract/inventory.js';
import { declaredKind } from '../../contract/declared.js';
import { stringifyLossless, textsOf } from '../../contract/lossless.js';
import type { Fields } from '../../pipeline/types.js';
import type { RecordEncoder, Valued } from './index.js';

const CONTRACT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  customer: ['kind', ...CUSTOMER_FIELDS.map((f) => f.name)],
  inventory: ['kind', ...INVENTORY_FIELDS.map((f) => f.name)],
};

const CONTRACT_NAMES: ReadonlySet<string> = new Set([...CONTRACT_COLUMNS.customer!, ...CONTRACT_COLUMNS.inventory!]);

/** The columns for an output whose first record is `first` (null: none yet). */
export function headerFor(kind: string | undefined, first: Fields | null): string[] {
  const k = kind ?? (typeof first?.kind === 'string' ? first.kind : undefined);
  const declared = k !== undefined ? declaredKind(k) : undefined; // a --contract kind, or a built-in one it replaces
  const columns = [...(k !== undefined ? (declared ? ['kind', ...declared.spec.names] : (CONTRACT_COLUMNS[k] ?? [])) : [])];
  if (first) {
    const known = new Set(columns);
    for (const name of Object.keys(first)) if (!known.has(name)) columns.push(name);
  }
  return columns;
}

/** Cells that need quotes: the delimiter, a quote, CR or LF. */
const NEEDS_QUOTES: Readonly<Record<',' | '\t', RegExp>> = { ',': /[",\r\n]/, '\t': /[\t"\r\n]/ };

/** One line (with its '\n') from cell texts, RFC 4180 quoting. */
export function delimitedLine(cells: readonly string[], delimiter: ',' | '\t'): string {
  const needs = NEEDS_QUOTES[delimiter];
  let line = '';
  for (let c = 0; c < cells.length; c++) {
    const s = cells[c]!;
    if (c > 0) line += delimiter;
    line += needs.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s;
  }
  return line + '\n';
}

/**
 * One cell's text, as the NDJSON output writes the value: numbers as JSON writes
 * them, or as read (`text`, lossless.ts) while still that number; objects and arrays
 * as JSON (`marked`: the record, for their number texts); null and absent empty.
 */
export function cellText(v: unknown, text?: string, marked?: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      if (text !== undefined && Object.is(Number(text), v)) return text;
      return Number.isFinite(v) ? String(v) : '';
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'undefined':
      return '';
    default:
      return v === null ? '' : (stringifyLossless(v, undefined, marked ?? v) ?? '');
  }
}

/**
 * Number texts of the record's own fields (as recordJson finds them): its own, or
 * when a stage made a copy, those of the record as read but for the contract's
 * fields, which it normalized.
 */
function numberTexts(value: Fields, raw: Fields | undefined): ReadonlyMap<string, string> | undefined {
  const own = textsOf(value);
  if (own !== undefined || raw === undefined || raw === value) return own;
  const read = textsOf(raw);
  if (read === undefined) return undefined;
  return new Map([...read].filter(([k]) => !CONTRACT_NAMES.has(k)));
}

export class DelimitedEncoder implements RecordEncoder {
  private columns: string[] | null = null;
  private columnSet: Set<string> = new Set();
  /** Fields met that are not columns, and how many records had any. */
  private readonly leftOut = new Set<string>();
  private leftOutRecords = 0;

  constructor(
    private readonly delimiter: ',' | '\t',
    private readonly kind: string | undefined,
    private readonly label: string,
    private readonly warn: (message: string) => void,
  ) {}

  encode(records: readonly Valued[]): string {
    if (records.length === 0) return '';
    let head = '';
    if (!this.columns) {
      this.columns = headerFor(this.kind, records[0]!.value);
      this.columnSet = new Set(this.columns);
      head = delimitedLine(this.columns, this.delimiter);
    }
    let text = head;
    for (let i = 0; i < records.length; i++) text += delimitedLine(this.row(records[i]!), this.delimiter);
    return text;
  }

  end(): string {
    if (this.leftOutRecords > 0) {
      const names = [...this.leftOut].map((n) => JSON.stringify(n)).join(', ');
      this.warn(
        `${this.label}: ${this.leftOutRecords} record(s) had fields that are not columns of the ${this.delimiter === ',' ? 'CSV' : 'TSV'} ` +
          `header (${names}), left out of it; the header is the contract fields and the first record's other fields. ` +
          'Write NDJSON or JSON to keep every field.',
      );
    }
    // an output with no record still gets its header when the kind is known
    if (!this.columns && this.kind !== undefined) {
      this.columns = headerFor(this.kind, null);
      return this.columns.length > 0 ? delimitedLine(this.columns, this.delimiter) : '';
    }
    return '';
  }

  private row(rec: Valued): string[] {
    const { value, raw } = rec;
    const cols = this.columns!;
    const texts = numberTexts(value, raw);
    const cells = new Array<string>(cols.length);
    for (let c = 0; c < cols.length; c++) {
      const name = cols[c]!;
      cells[c] = cellText(value[name], texts?.get(name), raw ?? value);
    }
    let extra = false;
    for (const name in value) {
      if (!this.columnSet.has(name)) {
        this.leftOut.add(name);
        extra = true;
      }
    }
    if (extra) this.leftOutRecords++;
    return cells;
  }
}
