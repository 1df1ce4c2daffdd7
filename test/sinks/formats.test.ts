// Output formats of the file and stdout sinks (--output-format, by extension):
// the encoders alone (tables, fast-check against csv-stringify and csv-parse),
// then the built CLI, whose CSV/TSV/JSON outputs read back equal its NDJSON output.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecflowError } from '../../src/errors.js';
import { cellText, delimitedLine, headerFor } from '../../src/sinks/format/csv.js';
import { formatOfPath, makeEncoder, outputChoice, type RecordEncoder } from '../../src/sinks/format/index.js';

const CUSTOMER = ['kind', 'customer_id', 'first_name', 'last_name', 'email', 'phone', 'country', 'city', 'signup_date', 'lifetime_value', 'loyalty_tier'];
const INVENTORY = ['kind', 'sku', 'product_name', 'category', 'warehouse_id', 'quantity', 'unit_price', 'updated_at', 'supplier'];

/** All of an encoder's text for these batches, end included. */
function run(enc: RecordEncoder, batches: Record<string, unknown>[][]): string {
  return batches.map((b) => enc.encode(b.map((value) => ({ value })))).join('') + enc.end();
}

describe('format from the path and --output-format', () => {
  it.each([
    ['out.ndjson', 'ndjson'],
    ['out.jsonl', 'ndjson'],
    ['out.NDJSON.GZ', 'ndjson'],
    ['out.csv', 'csv'],
    ['out.csv.gz', 'csv'],
    ['dir.csv/out.tsv', 'tsv'],
    ['out.json', 'json'],
    ['out.json.gz', 'json'],
    ['out.txt', null],
    ['out', null],
    ['out.gz', null],
  ])('%s → %s', (path, format) => expect(formatOfPath(path)).toBe(format));

  it.each([
    ['out.csv', { kind: 'customer' }, 'csv'],
    ['out.txt', {}, 'ndjson'],
    ['out.json.gz', {}, 'json'],
    ['-', {}, 'ndjson'],
    ['out.csv', { outputFormat: 'json' }, 'json'],
    ['out.ndjson', { outputFormat: 'CSV', kind: 'customer' }, 'csv'],
    ['out-{kind}.csv', {}, 'csv'],
    ['-', { outputFormat: 'tsv', kind: 'inventory' }, 'tsv'],
  ])('%s with %j writes %s', (to, opts, format) => expect(outputChoice(to, opts).format).toBe(format));

  it.each([
    ['out.csv', {}, "--to 'out-{kind}.csv'"],
    ['data/out.tsv.gz', {}, "--to 'data/out-{kind}.tsv.gz'"],
    ['-', { outputFormat: 'csv' }, "--to 'out-{kind}.csv'"],
    ['out.ndjson', { outputFormat: 'tsv' }, "--to 'out-{kind}.ndjson'"],
  ])('%s with %j: one kind per CSV/TSV output is required (usage error)', (to, opts, hint) => {
    let err: unknown;
    try {
      outputChoice(to, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('usage');
    expect((err as Error).message).toContain('--kind customer|inventory');
    expect((err as Error).message).toContain(hint);
  });

  it('an unknown --output-format is a usage error naming the choices', () => {
    expect(() => outputChoice('out.csv', { outputFormat: 'xml' })).toThrow(/expected one of ndjson, csv, tsv, json/);
  });
});

describe('CSV/TSV cells and lines', () => {
  it.each([
    ['text', 'text'],
    [3, '3'],
    [-0.5, '-0.5'],
    [1e21, '1e+21'],
    [Number.NaN, ''],
    [true, 'true'],
    [false, 'false'],
    [null, ''],
    [undefined, ''],
    [{ a: [1, 'x'] }, '{"a":[1,"x"]}'],
    [[1, 2], '[1,2]'],
  ])('cell %j → %j', (v, text) => expect(cellText(v)).toBe(text));

  it.each([
    [['a', 'b'], ',', 'a,b\n'],
    [['a,b', 'c'], ',', '"a,b",c\n'],
    [['say "hi"'], ',', '"say ""hi"""\n'],
    [['two\nlines', 'cr\r'], ',', '"two\nlines","cr\r"\n'],
    [['', '\r'], ',', ',"\r"\n'],
    [['', ' sp '], ',', ', sp \n'],
    [['a,b', 'tab\there'], '\t', 'a,b\t"tab\there"\n'],
  ] as const)('%j with %j → %j', (cells, d, line) => expect(delimitedLine(cells, d)).toBe(line));

  // csv-stringify leaves a lone CR unquoted (readers may take it for a line end): we quote it
  it('any cells: csv-parse reads them back, and the bytes are csv-stringify\'s (but for quoted CRs)', () => {
    const cell = fc.oneof(fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[a,"\t\r\n ]*$/));
    // two columns at least, as recflow always writes (kind is one)
    const table = fc.integer({ min: 2, max: 5 }).chain((n) => fc.array(fc.array(cell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 5 }));
    fc.assert(
      fc.property(table, fc.constantFrom(',', '\t'), (rows, d) => {
        const delimiter = d as ',' | '\t';
        const text = rows.map((r) => delimitedLine(r, delimiter)).join('');
        if (!rows.some((r) => r.some((c) => c.includes('\r')))) expect(text).toBe(stringify(rows, { delimiter, record_delimiter: 'unix' }));
        expect(parse(text, { delimiter, relax_column_count: false })).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CSV header', () => {
  it.each([
    ['customer', null, CUSTOMER],
    ['inventory', null, INVENTORY],
    [undefined, { kind: 'customer', customer_id: 'C1', email: 'a@b.c' }, CUSTOMER],
    [undefined, { kind: 'customer', customer_id: 'C1', notes: 'x', email: 'a@b.c', zone: 1 }, [...CUSTOMER, 'notes', 'zone']],
    ['inventory', { kind: 'inventory', region: 'EU' }, [...INVENTORY, 'region']],
    [undefined, { id: 1, name: 'x' }, ['id', 'name']],
    [undefined, { kind: 'order', id: 1 }, ['kind', 'id']],
  ])('kind %s, first record %j', (kind, first, header) => expect(headerFor(kind, first)).toEqual(header));

  it('a later field that is not a column is left out, with one warning at the end naming it', () => {
    const warnings: string[] = [];
    const enc = makeEncoder('csv', 'customer', 'out.csv', (m) => warnings.push(m));
    const text = run(enc, [
      [{ kind: 'customer', customer_id: 'C1', email: 'a@b.c' }],
      [
        { kind: 'customer', customer_id: 'C2', email: 'b@b.c', extra: 'x' },
        { kind: 'customer', customer_id: 'C3', email: 'c@b.c', extra: 'y', more: 1 },
      ],
    ]);
    expect(text.split('\n')).toEqual([CUSTOMER.join(','), 'customer,C1,,,a@b.c,,,,,,', 'customer,C2,,,b@b.c,,,,,,', 'customer,C3,,,c@b.c,,,,,,', '']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^out\.csv: 2 record\(s\) had fields that are not columns of the CSV header \("extra", "more"\)/);
  });

  it('no records: the header alone when the kind is known, else nothing', () => {
    expect(run(makeEncoder('tsv', 'inventory', 'x'), [])).toBe(INVENTORY.join('\t') + '\n');
    expect(run(makeEncoder('csv', undefined, 'x'), [])).toBe('');
  });
});

describe('JSON array, streamed', () => {
  it('any records in any batches: JSON.parse gives them back, one element per line', () => {
    const rec = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(fc.array(rec, { maxLength: 4 }), { maxLength: 4 }), (batches) => {
        const text = run(makeEncoder('json', undefined, 'x'), batches);
        const all = batches.flat();
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(all)));
        expect(text.split('\n').length).toBe(all.length === 0 ? 2 : all.length + 3);
      }),
      { numRuns: 200 },
    );
  });

  it('NDJSON: one JSON.stringify per line, nothing at the end', () => {
    expect(run(makeEncoder('ndjson', undefined, 'x'), [[{ a: 1 }], [], [{ b: 'x\ny' }]])).toBe('{"a":1}\n{"b":"x\\ny"}\n');
  });
});
