// Output formats of the file and stdout sinks (--output-format, by extension):
// the encoders alone (tables, fast-check against csv-stringify and csv-parse),
// then the built CLI, whose CSV/TSV/JSON outputs read back equal its NDJSON output.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecflowError } from '../../../src/errors.js';
import { cellText, delimitedLine, headerFor } from '../../../src/sinks/format/csv.js';
import { formatOfPath, makeEncoder, outputChoice, type RecordEncoder } from '../../../src/sinks/format/index.js';
import { ndjsonLines, runCli, tempDir, type CliResult } from '../../support/cli.js';

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

// ---------------------------------------------------------------------------
// The built CLI: every format read back equals the NDJSON output of the same input.

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-formats-')));
afterAll(() => cleanup());

const at = (name: string): string => join(dir, name);
const read = (path: string): string => {
  const raw = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
};
const recflow = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> => runCli([...args, '-q'], { env });

// commas, quotes, a newline and a tab inside values, unicode, numbers to normalize,
// missing optional fields, a pass-through column, one reject (no email)
const TRICKY = [
  'customer_id,first_name,last_name,email,phone,country,city,signup_date,lifetime_value,loyalty_tier,note',
  'C1,"Ann, Marie","O""Brien",ann@example.com,+1 415 555 0100,de,"Köln',
  'Nord",2021-03-15,12.50,Gold,"says ""hi"", twice"',
  'C2,Bo,,bo@example.com,,,,,,,',
  'C3,Zoë 🚀,Ünal,z@example.com,,fr,"tab\tin",2020-01-01,0,silver,=1+2',
  'C4,No,Email,,,,,,,,',
  'C5,"  spaced  ",x,e5@example.com,,GB,,,1e3,,"a\r\nb"',
].join('\n') + '\n';

const INVENTORY_CSV = ['sku,product_name,warehouse_id,quantity,unit_price,supplier', 'ab-1,"Bolt, 5"" long",wh-1,3,0.10,"ACME, Inc."', 'ab-2,Nut,wh-2,0,2,'].join('\n') + '\n';

/** What a CSV cell holds for a value of the NDJSON output. */
const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The NDJSON records as CSV rows: every column, as text. */
function asRows(records: unknown[], columns: string[]): Record<string, string>[] {
  return (records as Record<string, unknown>[]).map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c])])));
}

function readDelimited(path: string, delimiter: ',' | '\t'): { header: string[]; rows: Record<string, string>[] } {
  const text = read(path);
  const header = (parse(text, { delimiter, to_line: 1 }) as string[][])[0] ?? [];
  return { header, rows: parse(text, { delimiter, columns: true }) as Record<string, string>[] };
}

describe('recflow run --to <file> in each format', () => {
  let expected: unknown[];
  beforeAll(async () => {
    writeFileSync(at('tricky.csv'), TRICKY);
    const res = await recflow(['run', at('tricky.csv'), '--to', at('base.ndjson')]);
    expect(res.code, res.stderr).toBe(0);
    expected = ndjsonLines(read(at('base.ndjson')));
    expect(expected).toHaveLength(4);
  });

  it.each([
    ['out.csv', ',', ['--kind', 'customer']],
    ['out.csv.gz', ',', ['--kind', 'customer']],
    ['out-{kind}.tsv', '\t', []],
    ['out.txt', ',', ['--output-format', 'csv', '--kind', 'customer']],
  ] as const)('%s: read back with csv-parse, equal to the NDJSON output', async (name, delimiter, args) => {
    const res = await recflow(['run', at('tricky.csv'), '--to', at(name), '--dlq', at(`${name.replace("{kind}", "all")}.dlq`), ...args]);
    expect(res.code, res.stderr).toBe(0);
    const { header, rows } = readDelimited(at(name.replace('{kind}', 'customer')), delimiter);
    expect(header).toEqual([...CUSTOMER, 'note']);
    expect(rows).toEqual(asRows(expected, header));
    expect(ndjsonLines(read(at(`${name.replace("{kind}", "all")}.dlq`)))).toHaveLength(1); // C4 is rejected, not in the output
  });

  it.each([['out.json'], ['out.json.gz']])('%s: one JSON array equal to the NDJSON records', async (name) => {
    const res = await recflow(['run', at('tricky.csv'), '--to', at(name)]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(read(at(name)))).toEqual(expected);
  });

  it('--output-format ndjson wins over a .csv name; .jsonl is NDJSON', async () => {
    for (const [name, args] of [['forced.csv', ['--output-format', 'ndjson']], ['out.jsonl', []]] as const) {
      const res = await recflow(['run', at('tricky.csv'), '--to', at(name), ...args]);
      expect(res.code, res.stderr).toBe(0);
      expect(ndjsonLines(read(at(name)))).toEqual(expected);
    }
  });

  it('stdout: --output-format json and csv (with --kind)', async () => {
    const json = await recflow(['run', at('tricky.csv'), '--output-format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(expected);
    const csv = await recflow(['run', at('tricky.csv'), '--output-format', 'csv', '--kind', 'customer']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(parse(csv.stdout, { columns: true })).toEqual(asRows(expected, [...CUSTOMER, 'note']));
  });

  it('numbers passed through keep their text in CSV as in NDJSON', async () => {
    writeFileSync(at('big.ndjson'), '{"customer_id":"N1","email":"n@example.com","big":12345678901234567890123,"list":[1.0,{"x":-0}]}\n');
    const nd = await recflow(['run', at('big.ndjson'), '--to', at('big-out.ndjson')]);
    const csv = await recflow(['run', at('big.ndjson'), '--to', at('big-out.csv'), '--kind', 'customer']);
    expect([nd.code, csv.code], nd.stderr + csv.stderr).toEqual([0, 0]);
    const text = read(at('big-out.ndjson'));
    const [row] = readDelimited(at('big-out.csv'), ',').rows;
    expect(row!.big).toBe(/"big":([^,}]+)/.exec(text)![1]);
    expect(row!.list).toBe(/"list":(\[.*\])\}/.exec(text)![1]);
  });
});

describe('records of both kinds', () => {
  beforeAll(() => {
    writeFileSync(at('mixed-c.csv'), TRICKY);
    writeFileSync(at('mixed-i.csv'), INVENTORY_CSV);
  });

  it('{kind} in the path: one CSV per kind, each with its own header, equal to the NDJSON split', async () => {
    const inputs = [at('mixed-c.csv'), at('mixed-i.csv')];
    const nd = await recflow(['run', ...inputs, '--to', at('split-{kind}.ndjson')]);
    const csv = await recflow(['run', ...inputs, '--to', at('split-{kind}.csv')]);
    expect([nd.code, csv.code], nd.stderr + csv.stderr).toEqual([0, 0]);
    for (const [kind, header] of [['customer', [...CUSTOMER, 'note']], ['inventory', INVENTORY]] as const) {
      const got = readDelimited(at(`split-${kind}.csv`), ',');
      expect(got.header).toEqual(header);
      expect(got.rows).toEqual(asRows(ndjsonLines(read(at(`split-${kind}.ndjson`))), [...header]));
    }
  });

  it('one JSON file holds both kinds', async () => {
    const res = await recflow(['run', at('mixed-c.csv'), at('mixed-i.csv'), '--to', at('both.json')]);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(read(at('both.json'))) as { kind: string }[]).map((r) => r.kind)).toEqual([...Array(4).fill('customer'), 'inventory', 'inventory']);
  });

  it.each([
    [['--to', 'one.csv'], "one.csv: CSV output has one header, so it holds one kind of record; give --kind customer|inventory when the input holds one kind, or put {kind} in the path for one file per kind (--to '"],
    [['--to', 'one.tsv.gz'], 'TSV output has one header'],
    [['--output-format', 'csv'], 'stdout: CSV output has one header'],
  ])('%j without {kind} or --kind: exit 2 before anything is written', async (args, message) => {
    const to = args[0] === '--to' ? ['--to', at(args[1]!)] : args;
    const res = await runCli(['run', at('mixed-c.csv'), at('mixed-i.csv'), ...to, '--dlq', at('never.dlq')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stdout).toBe('');
    expect(existsSync(at('one.csv')) || existsSync(at('one.tsv.gz')) || existsSync(at('never.dlq'))).toBe(false);
  });
});

describe('edge cases', () => {
  it('no records: JSON is [], CSV with a known kind is its header alone', async () => {
    writeFileSync(at('empty.csv'), 'customer_id,email\n');
    const json = await recflow(['run', at('empty.csv'), '--to', at('empty.json')]);
    const csv = await recflow(['run', at('empty.csv'), '--to', at('empty.csv.out'), '--output-format', 'csv', '--kind', 'customer']);
    expect([json.code, csv.code]).toEqual([0, 0]);
    expect(read(at('empty.json'))).toBe('[]\n');
    expect(read(at('empty.csv.out'))).toBe(CUSTOMER.join(',') + '\n');
  });

  it('a field that is no column (met after the first record) is left out, with one warning naming it', async () => {
    writeFileSync(at('late.ndjson'), ['{"customer_id":"L1","email":"l1@example.com"}', '{"customer_id":"L2","email":"l2@example.com","extra":"x"}', '{"customer_id":"L3","email":"l3@example.com","extra":"y"}'].join('\n') + '\n');
    const res = await recflow(['run', at('late.ndjson'), '--to', at('late.csv'), '--kind', 'customer']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.match(/warning/g)).toHaveLength(1);
    expect(res.stderr).toContain('2 record(s) had fields that are not columns of the CSV header ("extra")');
    const { header, rows } = readDelimited(at('late.csv'), ',');
    expect(header).toEqual(CUSTOMER);
    expect(rows.map((r) => r.customer_id)).toEqual(['L1', 'L2', 'L3']);
  });

  it('--rotate-records: every rotated CSV has its header, every rotated JSON is a whole array', async () => {
    mkdirSync(at('rot'));
    writeFileSync(at('rot.csv'), 'customer_id,email\nR1,r1@example.com\nR2,r2@example.com\nR3,r3@example.com\n');
    for (const name of ['rot-out.csv', 'rot-out.json']) {
      const res = await recflow(['run', at('rot.csv'), '--to', at(`rot/${name}`), '--kind', 'customer', '--rotate-records', '2']);
      expect(res.code, res.stderr).toBe(0);
    }
    const files = readdirSync(at('rot')).sort();
    expect(files).toHaveLength(4);
    const csvs = files.filter((f) => f.endsWith('.csv')).map((f) => readDelimited(at(`rot/${f}`), ','));
    expect(csvs.map((c) => c.header)).toEqual([CUSTOMER, CUSTOMER]);
    expect(csvs.flatMap((c) => c.rows.map((r) => r.customer_id))).toEqual(['R1', 'R2', 'R3']);
    const arrays = files.filter((f) => f.endsWith('.json')).map((f) => JSON.parse(read(at(`rot/${f}`))) as { customer_id: string }[]);
    expect(arrays.map((a) => a.map((r) => r.customer_id))).toEqual([['R1', 'R2'], ['R3']]);
  });

  it('--output-format is refused for HTTP and Kafka sinks', async () => {
    for (const to of ['http://127.0.0.1:9/ingest', 'kafka://127.0.0.1:9/t']) {
      const res = await runCli(['run', at('empty.csv'), '--to', to, '--output-format', 'csv']);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain('--output-format applies to a file or stdout sink');
    }
  });

  it('an unknown --output-format is exit 2 naming the choices', async () => {
    const res = await runCli(['run', at('empty.csv'), '--output-format', 'xml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('expected one of ndjson, csv, tsv, json');
  });

  it('a large input: the workers check the records and the main thread writes the CSV (workers write NDJSON only), same records', async () => {
    const lines = ['customer_id,email,first_name,lifetime_value'];
    for (let i = 0; i < 20_000; i++) lines.push(`P${i},p${i}@example.com,"N, ${i}",${i % 100}.5`);
    writeFileSync(at('large.csv'), lines.join('\n') + '\n');
    const env = { RECFLOW_WORKERS: '2', RECFLOW_CHUNK_BYTES: '8192', RECFLOW_EXPLAIN: '1' };
    const nd = await recflow(['run', at('large.csv'), '--to', at('large.ndjson')], env);
    const csv = await recflow(['run', at('large.csv'), '--to', at('large-out.csv'), '--kind', 'customer'], env);
    expect(nd.stderr).toContain('parallel runner');
    expect(csv.stderr).toMatch(/parallel runner: 2 worker thread\(s\).*stages in the workers: contract; then on the main thread, in input order: the /);
    // on its own choice (no RECFLOW_WORKERS), a contract-only CSV run stays on one thread: faster than parsing every record twice
    const auto = await recflow(['run', at('large.csv'), '--to', at('large-auto.csv'), '--kind', 'customer'], { RECFLOW_EXPLAIN: '1', RECFLOW_WORKERS: undefined });
    expect(auto.stderr).toMatch(/sequential runner: (small input|the contract alone before the .* sink: one thread is faster)/);
    expect(read(at('large-auto.csv'))).toBe(read(at('large-out.csv')));
    expect(readDelimited(at('large-out.csv'), ',').rows).toEqual(asRows(ndjsonLines(read(at('large.ndjson'))), CUSTOMER));
  });
});
