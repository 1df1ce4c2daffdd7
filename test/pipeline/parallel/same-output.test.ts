// The parallel fast path (worker threads, input cut into pieces) must give the
// same bytes as the sequential runner: stdout, output files, dead-letter file,
// summary JSON (but for times and memory), human summary and exit status.
// RECFLOW_WORKERS=0 forces the sequential runner; RECFLOW_WORKERS=N forces the
// fast path whatever the input size, and RECFLOW_CHUNK_BYTES makes its pieces
// tiny so that small inputs cross many piece boundaries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runCli, tempDir } from '../../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-par-')));
afterAll(() => cleanup());

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  files: Record<string, string>;
  summary: unknown;
}

/** Figures that differ from run to run whatever the runner. */
function stable(summary: Record<string, unknown>): Record<string, unknown> {
  const { durationSeconds, recordsPerSecond, recordsPerHour, peakRssBytes, runId, ...rest } = summary;
  void durationSeconds, recordsPerSecond, recordsPerHour, peakRssBytes, runId;
  return rest;
}

/** Run recflow with the given environment; read back every output (gunzipped). */
async function runWith(env: Record<string, string>, args: string[], outputs: string[], input?: string | Buffer): Promise<Outcome> {
  const summaryPath = join(dir, 'summary.json');
  for (const f of [...outputs, summaryPath]) if (existsSync(f)) writeFileSync(f, '');
  const res = await runCli([...args, '--summary-json', summaryPath], { env: { ...env, RECFLOW_EXPLAIN: '1' }, input });
  const runner = /^recflow: (parallel|sequential) runner/m.exec(res.stderr)?.[1];
  expect(runner, res.stderr).toBe(env.RECFLOW_WORKERS === '0' ? 'sequential' : 'parallel');
  const files: Record<string, string> = {};
  for (const f of outputs) {
    if (!existsSync(f)) continue;
    const raw = readFileSync(f);
    files[f] = f.endsWith('.gz') && raw.length > 0 ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  }
  const text = readFileSync(summaryPath, 'utf8');
  return {
    code: res.code,
    stdout: res.stdout,
    // the first line holds the elapsed time and the rate
    stderr: res.stderr.replace(/^recflow: (parallel|sequential) runner.*\n/m, '').replace(/ in [\d.]+s \([^)]*\)/, ''),
    files,
    summary: text ? stable(JSON.parse(text) as Record<string, unknown>) : null,
  };
}

const SEQUENTIAL = { RECFLOW_WORKERS: '0' };
const parallel = (chunk: number, workers: number | 'inline' = 2): Record<string, string> => ({ RECFLOW_WORKERS: String(workers), RECFLOW_CHUNK_BYTES: String(chunk) });

async function expectSame(args: string[], outputs: string[] = [], opts: { input?: string | Buffer; chunks?: number[]; workers?: (number | 'inline')[] } = {}): Promise<Outcome> {
  const want = await runWith(SEQUENTIAL, args, outputs, opts.input);
  for (const workers of opts.workers ?? [2]) {
    for (const chunk of opts.chunks ?? [1, 13, 200, 4096]) {
      const got = await runWith(parallel(chunk, workers), args, outputs, opts.input);
      expect({ workers, chunk, ...got }).toEqual({ workers, chunk, ...want });
    }
  }
  return want;
}

/** A small seeded PRNG, so failures can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const TRICKY_ROWS: (string | Buffer)[] = [
  '\uFEFFCustomer ID, First Name ,Last-Name,EMAIL,Phone,Country,City,Signup Date,Lifetime Value,Loyalty Tier',
  'C1,"Ann, Jr.","Smith",ann@example.com,(415) 555-0100,us,"New\r\nYork",2023-02-28,10,Gold',
  '',
  'C2,Bo,Li,bo@example.com,,de,Berlin,2023-02-29,5,silver',
  Buffer.concat([Buffer.from('C3,J'), Buffer.from([0xff, 0xfe]), Buffer.from('rg,Ek,jorg@example.com,,se,,,,')]),
  ',NoId,X,noid@example.com,,,,,,',
  'C4,A,B,a@@example.com,,,,,,',
  'C8,A,B,a@example.com,,,,,"1,000",',
  'C11,A,B,a@example.com,,,,,,,extra',
  '"C12,A,B',
  'C13,"multi\r\nline\r\n\r\nname",B,c13@example.com,,,,,,',
  'C14,"say ""hi""",B,c14@example.com,,,,2023-03-15T23:30:00-05:00,,',
  'C15,"closed"after,B,c15@example.com,,,,,,',
  'C16,Zoë,Łukasz 😀,c16@example.com,,,,,,',
  'C17,"\uFEFFbom inside",B,c17@example.com,,,,,,',
  'C18,short row,c18@example.com',
  'C19,"unterminated, and the file ends here',
];

function tricky(eol: string): Buffer {
  return Buffer.concat(TRICKY_ROWS.map((r) => Buffer.concat([Buffer.isBuffer(r) ? r : Buffer.from(r), Buffer.from(eol)])));
}

/** Random CSV with quoted newlines, doubled quotes, stray quotes, bad bytes, CRLF, empty lines, short and long rows. */
function randomCsv(seed: number, rows: number): Buffer {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[r(xs.length)]!;
  const parts: Buffer[] = [Buffer.from('customer_id,first_name,last_name,email,phone,country,city,signup_date,lifetime_value,loyalty_tier\n')];
  const names = ['Ann', 'Zoë', 'Jürgen', 'O\'Neil', 'Łukasz', '李', '😀 emoji', ' spaced  out ', ''];
  for (let i = 0; i < rows; i++) {
    const eol = r(5) === 0 ? '\r\n' : '\n';
    const kind = r(20);
    let first = pick(names);
    if (kind === 0) first = `"multi${eol}line${r(2) ? eol : ''} name"`;
    else if (kind === 1) first = `"with ""quotes"", and comma"`;
    else if (kind === 2) first = `"stray quote`; // never closed on this line
    else if (kind === 3) first = `"closed"junk`;
    else if (kind === 4) first = `a"quote inside`;
    const cells = [`C${i}`, first, pick(names), r(10) ? `u${i}@example.com` : 'bad-email', r(3) ? '+1 415 555 0100' : '', pick(['us', 'DE', 'xx', '']), pick(['Berlin', '"São Paulo"', 'New York']), pick(['2023-02-28', '2023-02-29', '']), pick(['10', '-1', '1,5', '']), pick(['gold', 'Silver', 'diamond', ''])];
    if (r(30) === 0) cells.push('extra');
    if (r(30) === 0) cells.length = 3;
    parts.push(Buffer.from(cells.join(',') + eol));
    if (r(25) === 0) parts.push(Buffer.from(eol));
    if (r(40) === 0) parts.push(Buffer.from([0xe2, 0x82, 0x0a])); // a truncated UTF-8 sequence then a newline
    if (r(40) === 0) parts.push(Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0x2c, 0xc3, 0x0a])); // emoji, comma, lone lead byte
  }
  return Buffer.concat(parts);
}

function randomNdjson(seed: number, rows: number): Buffer {
  const r = rng(seed);
  const parts: Buffer[] = [Buffer.from('\uFEFF')];
  for (let i = 0; i < rows; i++) {
    const eol = r(4) === 0 ? '\r\n' : '\n';
    const k = r(12);
    let line: string | Buffer;
    if (k === 0) line = '{"customer_id": "C' + i + '", "email": "broken';
    else if (k === 1) line = '[1,2,3]';
    else if (k === 2) line = '   ';
    else if (k === 3) line = '\uFEFF{"sku":"bom-' + i + '","product_name":"x","warehouse_id":"w","quantity":1,"unit_price":1}';
    else if (k === 4) line = Buffer.concat([Buffer.from('{"sku":"s' + i + '","product_name":"'), Buffer.from([0xff, 0xc3]), Buffer.from('","warehouse_id":"w","quantity":"2","unit_price":"3.5"}')]);
    else if (k === 5) line = JSON.stringify({ kind: 'order', id: i });
    else if (k < 9) line = JSON.stringify({ customer_id: `C${i}`, first_name: ' Zoë  Li ', email: r(5) ? `z${i}@example.com` : 'nope', country: r(2) ? 'fr' : 'XX', extra: { nested: [i, null] }, __proto__x: 1 });
    else line = JSON.stringify({ sku: `s-${i}`, product_name: 'Lamp 😀', warehouse_id: 'wh1', quantity: r(4) ? String(i) : '1.5', unit_price: r(3) ? 9.99 : -1, updated_at: '2023-03-15 10:00:00+02:00' });
    parts.push(Buffer.isBuffer(line) ? line : Buffer.from(line), Buffer.from(eol));
  }
  parts.push(Buffer.from('{"customer_id":"last","email":"last@example.com"}')); // no final newline
  return Buffer.concat(parts);
}

describe('parallel runner: same output as the sequential runner', () => {
  it('a tricky CSV (BOM, quoted newlines across pieces, bad rows, bad UTF-8) with LF and CRLF', async () => {
    for (const eol of ['\n', '\r\n']) {
      const f = join(dir, `tricky-${eol.length}.csv`);
      writeFileSync(f, tricky(eol));
      const dlq = join(dir, 'dlq.ndjson');
      const want = await expectSame(['run', f, '--dlq', dlq], [dlq], { workers: [1, 2, 'inline'] });
      expect(want.code).toBe(0);
      expect(want.files[dlq]).toContain('parse_error');
    }
  });

  it('random CSVs, piece sizes from one byte up', async () => {
    for (const seed of [1, 2, 3]) {
      const f = join(dir, `random-${seed}.csv`);
      writeFileSync(f, randomCsv(seed, 400));
      const dlq = join(dir, 'dlq.ndjson');
      await expectSame(['run', f, '--dlq', dlq], [dlq], { chunks: [1, 64, 777, 10_000], workers: seed === 1 ? [2, 'inline'] : [2] });
    }
  });

  it('random NDJSON (BOM, U+FEFF opening a later line, bad JSON, bad UTF-8, no final newline)', async () => {
    const f = join(dir, 'random.ndjson');
    writeFileSync(f, randomNdjson(7, 600));
    const dlq = join(dir, 'dlq.ndjson');
    await expectSame(['run', f, '--dlq', dlq], [dlq], { chunks: [1, 100, 5000] });
  });

  it('several files (CSV, gzip CSV, NDJSON) into {kind} files, gzipped', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv.gz');
    const c = join(dir, 'c.ndjson');
    writeFileSync(a, randomCsv(11, 150));
    writeFileSync(b, gzipSync(tricky('\r\n')));
    writeFileSync(c, randomNdjson(12, 200));
    const dlq = join(dir, 'dlq.ndjson');
    const outs = [join(dir, 'out-customer.ndjson.gz'), join(dir, 'out-inventory.ndjson.gz')];
    const want = await expectSame(['run', a, b, c, '--to', join(dir, 'out-{kind}.ndjson.gz'), '--dlq', dlq, '-q'], [dlq, ...outs], { chunks: [50, 3000] });
    expect(Object.keys(want.files)).toHaveLength(3);
  });

  it('one output file, and --kind', async () => {
    const f = join(dir, 'k.csv');
    writeFileSync(f, randomCsv(21, 120));
    const out = join(dir, 'out.ndjson');
    await expectSame(['run', f, '--to', out, '--kind', 'inventory', '-q'], [out], { chunks: [40, 2000] });
  });

  it('stdin CSV and NDJSON', async () => {
    await expectSame(['run', '-', '--format', 'csv', '-q'], [], { input: randomCsv(31, 200), chunks: [30, 1000] });
    await expectSame(['run', '-', '-q'], [], { input: randomNdjson(32, 200), chunks: [30, 1000] });
  });

  it('validate: report and exit status', async () => {
    const f = join(dir, 'v.csv');
    writeFileSync(f, randomCsv(41, 200));
    const want = await expectSame(['validate', f], [], { chunks: [25, 900] });
    expect(want.code).toBe(1);
    await expectSame(['validate', f, '--max-rejects', '100000'], [], { chunks: [900] });
  });

  it('--max-rejects and --max-reject-rate exit statuses', async () => {
    const f = join(dir, 'm.csv');
    writeFileSync(f, randomCsv(51, 100));
    await expectSame(['run', f, '--max-rejects', '3', '-q'], [], { chunks: [64] });
    await expectSame(['run', f, '--max-reject-rate', '0.99', '-q'], [], { chunks: [64] });
  });

  it('edge inputs: empty file, header only, no final newline, only empty lines, a header split by a quoted newline', async () => {
    const cases: [string, string | Buffer][] = [
      ['empty.csv', ''],
      ['header.csv', 'customer_id,email\n'],
      ['header-no-nl.csv', 'customer_id,email'],
      ['blank.csv', '\n\r\n\n'],
      ['bom-only.csv', '\uFEFF'],
      ['quoted-header.csv', '"customer\nid",email\nC1,a@example.com\nC2,b@example.com\n'],
      ['bad-before-header.csv', '"x,y\ncustomer_id,email\nC1,a@example.com\n'],
      ['last-row-no-nl.csv', 'customer_id,email\nC1,a@example.com\nC2,b@example.com'],
      ['empty.ndjson', ''],
      ['blank.ndjson', '\n\n  \n'],
    ];
    for (const [name, content] of cases) {
      const f = join(dir, name);
      writeFileSync(f, content);
      const dlq = join(dir, 'dlq.ndjson');
      await expectSame(['run', f, '--dlq', dlq], [dlq], { chunks: [1, 5, 4096] });
    }
  });

  it('a truncated .gz: the lines read before the damage are written, then the same failure', async () => {
    const gz = gzipSync(randomCsv(61, 3000));
    const f = join(dir, 'cut.csv.gz');
    writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const dlq = join(dir, 'dlq.ndjson');
    const want = await expectSame(['run', f, '--dlq', dlq], [dlq], { chunks: [100, 5000] });
    expect(want.code).toBe(3);
    expect(want.stdout.length).toBeGreaterThan(0);
    // into a .gz file: it is still closed as a whole gzip stream
    const out = join(dir, 'cut-out.ndjson.gz');
    const toGz = await expectSame(['run', f, '--dlq', dlq, '--to', out], [dlq, out], { chunks: [5000] });
    expect(toGz.files[out]!.length).toBeGreaterThan(0);
  });

  it('a duplicate CSV header on stdin stops the run the same way: exit 2 before either runner starts', async () => {
    for (const env of [{ RECFLOW_WORKERS: '0' }, { RECFLOW_WORKERS: 'inline', RECFLOW_CHUNK_BYTES: '3' }]) {
      const res = await runCli(['run', '-', '--format', 'csv'], { env: { ...env, RECFLOW_EXPLAIN: '1' }, input: 'email,EMAIL\na,b\n' });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('names "email" twice');
      expect(res.stderr).not.toMatch(/runner/);
    }
  });
});
