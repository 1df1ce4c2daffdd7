// Outputs you can trust (issue 12), through the built CLI: no output is an input or
// another output (by identity), missing folders are made, unwritable ones refused
// up front, --no-clobber, {date}/{time}/{run}/{kind} templates, unsupported schemes.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, ndjsonLines, runCli, spawnCli, tempDir, type CliResult } from '../support/cli.js';

let root: string;
let cleanup: () => void;
let n = 0;
beforeAll(() => ({ dir: root, cleanup } = tempDir('recflow-cli-outputs-')));
afterAll(() => cleanup());

const CUSTOMERS = '{"customer_id":"C1","email":"a@b.cd"}\n{"customer_id":"C2","email":"bad"}\n';
const INVENTORY = '{"sku":"ab-1","product_name":"Lamp","warehouse_id":"wh1","quantity":4,"unit_price":9.5}\n';

/** A fresh folder holding c.ndjson (2 customers, 1 invalid) and i.ndjson (1 item); the CLI runs in it. */
function folder(): string {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  writeFileSync(join(d, 'c.ndjson'), CUSTOMERS);
  writeFileSync(join(d, 'i.ndjson'), INVENTORY);
  return d;
}

const run = (d: string, args: string[]): Promise<CliResult> => runCli(['run', ...args, '-q'], { cwd: d });
const utcDate = (): string => new Date().toISOString().slice(0, 10);

function expectUsage(res: CliResult, ...parts: string[]): void {
  expect(res.code, res.stderr).toBe(2);
  for (const p of parts) expect(res.stderr).toContain(p);
  expect(res.stdout).toBe('');
}

describe('an output that is an input', () => {
  it.each([
    ['a symlink to it', (d: string) => symlinkSync(join(d, 'c.ndjson'), join(d, 'link.ndjson'))],
    ['a hard link to it', (d: string) => linkSync(join(d, 'c.ndjson'), join(d, 'link.ndjson'))],
  ])('--to link.ndjson, %s → exit 2, the input untouched', async (_name, make) => {
    const d = folder();
    make(d);
    const res = await run(d, ['c.ndjson', '--to', 'link.ndjson']);
    expectUsage(res, '--to link.ndjson is the same file as the input c.ndjson', 'both an input and an output');
    expect(readFileSync(join(d, 'c.ndjson'), 'utf8')).toBe(CUSTOMERS);
  });

  it('../d/c.ndjson as --dlq, and a {kind} file that is an input (inventory) → exit 2', async () => {
    const d = folder();
    mkdirSync(join(d, 'sub'));
    const dlq = await run(d, ['c.ndjson', '--dlq', `../t${n - 1}/sub/../c.ndjson`, '--to', 'o.ndjson']);
    expectUsage(dlq, 'is the same file as the input c.ndjson');
    writeFileSync(join(d, 'inventory.ndjson'), INVENTORY);
    const kind = await run(d, ['c.ndjson', 'inventory.ndjson', '--to', '{kind}.ndjson']);
    expectUsage(kind, '--to {kind}.ndjson (inventory: inventory.ndjson) is the same file as the input inventory.ndjson');
    expect(readFileSync(join(d, 'inventory.ndjson'), 'utf8')).toBe(INVENTORY);
    expect(existsSync(join(d, 'customer.ndjson'))).toBe(false);
  });
});

describe('two outputs on one file', () => {
  it.each([
    [['--to', 'same.ndjson', '--dlq', 'same.ndjson'], '--to same.ndjson and --dlq same.ndjson are the same file', 'same.ndjson'],
    [['--dlq', 's.json', '--summary-json', 's.json'], '--dlq s.json and --summary-json s.json are the same file', 's.json'],
    [['--to', 'out/{kind}.ndjson', '--dlq', 'out/./customer.ndjson'], '--to out/{kind}.ndjson (customer: out/customer.ndjson) and --dlq out/./customer.ndjson', 'out'],
    [['--dlq', 'r.xml', '--report', 'junit:r.xml'], '--dlq r.xml and --report junit r.xml are the same file', 'r.xml'],
  ])('%j → exit 2 naming both, nothing written', async (args, message, file) => {
    const d = folder();
    expectUsage(await run(d, ['c.ndjson', ...args]), message);
    expect(existsSync(join(d, file))).toBe(false);
  });

  it('validate --report-json r.json --summary-json r.json → exit 2', async () => {
    const d = folder();
    const res = await runCli(['validate', 'c.ndjson', '--report-json', 'r.json', '--summary-json', 'r.json', '-q'], { cwd: d });
    expectUsage(res, '--summary-json r.json and --report-json r.json are the same file');
  });
});

describe('folders', () => {
  it("--to 'missing/{kind}.ndjson.gz' creates missing/ and writes; --dlq nodir/d.ndjson creates nodir/", async () => {
    const d = folder();
    const res = await run(d, ['c.ndjson', 'i.ndjson', '--to', 'missing/{kind}.ndjson.gz', '--dlq', 'nodir/deeper/d.ndjson']);
    expect(res.code, res.stderr).toBe(0);
    expect(ndjsonLines(gunzipSync(readFileSync(join(d, 'missing', 'customer.ndjson.gz'))).toString())).toMatchObject([{ customer_id: 'C1' }]);
    expect(ndjsonLines(gunzipSync(readFileSync(join(d, 'missing', 'inventory.ndjson.gz'))).toString())).toMatchObject([{ sku: 'AB-1' }]);
    expect(ndjsonLines(readFileSync(join(d, 'nodir', 'deeper', 'd.ndjson'), 'utf8'))).toMatchObject([{ record: { customer_id: 'C2' } }]);
  });

  it.each([
    ['--to', 'file.txt/x.ndjson'],
    ['--dlq', 'file.txt/sub/d.ndjson'],
    ['--summary-json', 'file.txt/s.json'],
  ])('%s %s (a folder under a regular file) → exit 2 naming it, before any input is read', async (arg, path) => {
    const d = folder();
    writeFileSync(join(d, 'file.txt'), 'x');
    // stdin stays open: only a check made before reading can end the run
    const child = spawnCli(['run', '-', '--to', arg === '--to' ? path : 'o.ndjson', ...(arg === '--to' ? [] : [arg, path]), '-q'], { cwd: d });
    const res = await collect(child, { keepStdinOpen: true, timeoutMs: 20_000 });
    expectUsage(res, `for ${arg} ${path}: file.txt is a file, not a folder`);
    expect(readFileSync(join(d, 'file.txt'), 'utf8')).toBe('x');
    expect(existsSync(join(d, 'o.ndjson'))).toBe(false);
  });
});

describe('schemes', () => {
  it.each([
    [['c.ndjson', '--to', 'ftp://x/y'], 'ftp'],
    [['c.ndjson', '--to', 's3://b/k'], 's3'],
    [['s3://b/k'], 's3'],
    [['c.ndjson', 'gs://bucket/x.csv', '--to', 'o.ndjson'], 'gs'],
  ])('%j → exit 2 unsupported scheme, nothing written', async (args, scheme) => {
    const d = folder();
    const res = await run(d, args);
    expectUsage(res, `unsupported scheme ${scheme}://`, "recflow reads files, stdin ('-') and kafka://, and writes files, stdout, http(s):// and kafka://");
    expect(readdirSync(d).sort()).toEqual(['c.ndjson', 'i.ndjson']); // no ftp:/ or s3:/ folder, no o.ndjson
  });
});

describe('--no-clobber', () => {
  it('an existing output → exit 2 and the file unchanged; a new one is written; without the flag it is replaced', async () => {
    const d = folder();
    writeFileSync(join(d, 'out.ndjson'), 'old\n');
    expectUsage(await run(d, ['c.ndjson', '--to', 'out.ndjson', '--no-clobber']), '--to out.ndjson already exists and --no-clobber is set');
    expect(readFileSync(join(d, 'out.ndjson'), 'utf8')).toBe('old\n');
    writeFileSync(join(d, 'rej.ndjson'), 'old\n');
    expectUsage(await run(d, ['c.ndjson', '--to', 'new.ndjson', '--dlq', 'rej.ndjson', '--no-clobber']), '--dlq rej.ndjson already exists');
    expect(existsSync(join(d, 'new.ndjson'))).toBe(false);
    const fresh = await run(d, ['c.ndjson', '--to', 'new.ndjson', '--no-clobber']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(ndjsonLines(readFileSync(join(d, 'new.ndjson'), 'utf8'))).toHaveLength(1);
    const replaced = await run(d, ['c.ndjson', '--to', 'out.ndjson']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(ndjsonLines(readFileSync(join(d, 'out.ndjson'), 'utf8'))).toMatchObject([{ customer_id: 'C1' }]);
  });
});

describe('templates', () => {
  it("--to 'out/{date}-{kind}.ndjson' gives today's UTC date; {run} matches runId in the summary JSON", async () => {
    const d = folder();
    const before = utcDate();
    const res = await run(d, ['c.ndjson', 'i.ndjson', '--to', 'out/{date}-{kind}.ndjson', '--dlq', 'rej/{run}.ndjson', '--summary-json', 'sum-{time}.json']);
    const after = utcDate();
    expect(res.code, res.stderr).toBe(0);
    const files = readdirSync(join(d, 'out')).sort();
    expect([`${before}-customer.ndjson`, `${after}-customer.ndjson`]).toContain(files[0]);
    expect(files[1]).toBe(files[0]!.replace('customer', 'inventory'));
    const summaryName = readdirSync(d).find((f) => f.startsWith('sum-'))!;
    expect(summaryName).toMatch(/^sum-\d{6}\.json$/);
    const summary = JSON.parse(readFileSync(join(d, summaryName), 'utf8')) as { runId: string; deadLetter: string };
    expect(summary.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(summary.runId.slice(9, 15)).toBe(summaryName.slice(4, 10)); // {time} and {run} from one instant
    expect(readdirSync(join(d, 'rej'))).toEqual([`${summary.runId}.ndjson`]);
    expect(summary.deadLetter).toBe(`rej/${summary.runId}.ndjson`);
  });

  it('--report FORMAT:FILE takes the templates too', async () => {
    const d = folder();
    const before = utcDate();
    const res = await run(d, ['c.ndjson', '--to', 'o.ndjson', '--report', 'junit:reports/{date}.xml']);
    expect(res.code, res.stderr).toBe(0);
    const [file] = readdirSync(join(d, 'reports'));
    expect([`${before}.xml`, `${utcDate()}.xml`]).toContain(file);
    expect(readFileSync(join(d, 'reports', file!), 'utf8')).toMatch(/^<\?xml/);
  });

  it('an unknown template is exit 2 (a typo would otherwise name files literally)', async () => {
    const d = folder();
    expectUsage(await run(d, ['c.ndjson', '--to', 'out/{data}.ndjson']), 'unknown template {data}');
  });

  it('a record whose kind is not a plain name never becomes a path', async () => {
    const d = folder();
    writeFileSync(
      join(d, 'evil.mjs'),
      "export default { name: 'evil', process(records) { for (const r of records) r.value = { ...r.value, kind: '../../evil' }; return { kept: records, rejected: [] }; } };\n",
    );
    const res = await run(d, ['c.ndjson', '--stage', './evil.mjs', '--to', 'out/x/{kind}.ndjson', '--dlq', 'rej.ndjson']);
    expect(readdirSync(d).filter((f) => f.startsWith('evil.')).sort()).toEqual(['evil.mjs']);
    expect(existsSync(join(d, 'out', 'evil.ndjson'))).toBe(false);
    expect(res.stderr).not.toMatch(/1 written/);
  });

  it('a record whose kind is not a plain name is dead-lettered as invalid_kind; the others are written', async () => {
    const d = folder();
    writeFileSync(
      join(d, 'evil.mjs'),
      "export default { name: 'evil', process(records) { for (const r of records) if (r.value.customer_id === 'C1') r.value = { ...r.value, kind: '../../evil' }; return { kept: records, rejected: [] }; } };\n",
    );
    writeFileSync(join(d, 'two.ndjson'), '{"customer_id":"C1","email":"a@b.cc"}\n{"customer_id":"C2","email":"b@b.cc"}\n');
    const res = await run(d, ['two.ndjson', '--stage', './evil.mjs', '--to', 'out/{kind}.ndjson', '--dlq', 'rej.ndjson', '--summary-json', 's.json']);
    expect(res.code).toBe(0);
    const rej = readFileSync(join(d, 'rej.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; errors: Array<{ code: string }> });
    expect(rej).toEqual([expect.objectContaining({ line: 1, errors: [expect.objectContaining({ code: 'invalid_kind', field: 'kind' })] })]);
    expect(readFileSync(join(d, 'out', 'customer.ndjson'), 'utf8')).toMatch(/"customer_id":"C2"/);
    const s = JSON.parse(readFileSync(join(d, 's.json'), 'utf8')) as { records: Record<string, number> };
    expect(s.records).toMatchObject({ in: 2, out: 1, rejected: 1 });
  });
});
