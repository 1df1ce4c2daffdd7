// The shipped sample data (fixtures/): it is what make-fixtures.mjs writes, and
// `recflow run` rejects exactly the records fixtures/README.md and expected.json list.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ndjsonLines, runCli, tempDir } from '../support/cli.js';

interface Expected {
  records?: number;
  valid?: number;
  rejected?: { line: number; errors: { field: string | null; code: string }[] }[];
  exit?: number;
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('fixtures/', () => {
  it('are exactly what make-fixtures.mjs writes (no hand edits)', () => {
    execFileSync(process.execPath, [join(FIXTURES, 'make-fixtures.mjs'), dir], { stdio: 'pipe' });
    const made = readdirSync(dir).sort();
    expect(made).toEqual(Object.keys(expected).concat('README.md', 'expected.json').sort());
    for (const name of made) expect(readFileSync(join(dir, name)).equals(readFileSync(join(FIXTURES, name))), name).toBe(true);
  });

  it('tricky.csv has the bytes it promises', () => {
    const bytes = readFileSync(join(FIXTURES, 'tricky.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM
    expect(bytes.includes(Buffer.from('\r\n\r\n'))).toBe(true); // an empty line
    expect(bytes.includes(Buffer.from('K\xf6ln', 'latin1'))).toBe(true); // not UTF-8
    expect(bytes.toString('utf8').includes('\uFFFD')).toBe(true);
    expect(bytes.subarray(-2).toString()).not.toBe('\r\n'); // no final line end
    const codes = new Set(expected['tricky.csv']!.rejected!.flatMap((r) => r.errors.map((e) => e.code)));
    for (const code of ['missing_required', 'invalid_id', 'invalid_email', 'invalid_phone', 'invalid_country', 'invalid_date', 'out_of_range', 'invalid_enum', 'too_long', 'invalid_number', 'parse_error']) {
      expect(codes, code).toContain(code);
    }
  });

  const files = Object.entries(expected).filter(([, e]) => e.exit === undefined);
  it.each(files)('recflow run %s rejects exactly the listed lines with the listed errors', async (name, exp) => {
    const dlq = join(dir, `${name}.dlq`);
    const res = await runCli(['run', join(FIXTURES, name), '--dlq', dlq, '-q']);
    expect(res.code).toBe(0);
    expect(ndjsonLines(res.stdout)).toHaveLength(exp.valid!);
    const dead = ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; errors: { field: string | null; code: string }[] }[];
    expect(dead.map((d) => ({ line: d.line, errors: d.errors.map((e) => ({ field: e.field, code: e.code })) }))).toEqual(exp.rejected);
  });

  it('duplicate-header.csv stops the run with exit 2 and no output', async () => {
    const res = await runCli(['run', join(FIXTURES, 'duplicate-header.csv')]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/duplicate-header\.csv:1: .*"email" twice/);
  });
});
