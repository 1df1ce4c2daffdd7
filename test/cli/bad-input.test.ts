import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ndjsonLines, runCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** One line on stderr, no stack trace, exit 2, and the output file untouched. */
async function expectUsageError(args: string[], pattern: RegExp, out: string): Promise<void> {
  writeFileSync(out, 'KEEP ME\n');
  const res = await runCli([...args, '--to', out]);
  expect(res.code).toBe(2);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(pattern);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(readFileSync(out, 'utf8')).toBe('KEEP ME\n');
}

describe('bad input', () => {
  it('missing file: names it, says what to do, exit 2, output not truncated', async () => {
    await expectUsageError(['run', join(dir, 'nope.csv')], /cannot read .*nope\.csv: file not found; check the path/, join(dir, 'out.ndjson'));
  });

  it('unreadable file', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: simulate with a directory, which is also unreadable as a file
      await expectUsageError(['run', dir], /is a directory/, join(dir, 'out.ndjson'));
      return;
    }
    const f = join(dir, 'locked.csv');
    writeFileSync(f, 'a\n1\n');
    chmodSync(f, 0o000);
    await expectUsageError(['run', f], /permission denied/, join(dir, 'out.ndjson'));
  });

  it('duplicate CSV headers (after normalization) stop the run before any output', async () => {
    const f = join(dir, 'dup.csv');
    writeFileSync(f, 'Customer ID,email,customer-id\nC1,a@b.cd,C1\n');
    await expectUsageError(['run', f], /dup\.csv:1: the CSV header names "customer_id" twice \(columns 1 and 3\)/, join(dir, 'out.ndjson'));
  });

  it('unknown option and bad option value', async () => {
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'customer_id,email\nC1,a@b.cd\n');
    await expectUsageError(['run', f, '--bogus'], /unknown option '--bogus'/, join(dir, 'out.ndjson'));
    await expectUsageError(['run', f, '--max-rejects', 'lots'], /--max-rejects.*'lots' is invalid/, join(dir, 'out.ndjson'));
    await expectUsageError(['run', f, '--format', 'xml'], /--format.*'xml' is invalid.*'csv' or 'ndjson'/, join(dir, 'out.ndjson'));
  });

  it('refuses to write over an input file', async () => {
    const f = join(dir, 'a.ndjson');
    writeFileSync(f, '{"customer_id":"C1","email":"a@b.cd"}\n');
    const res = await runCli(['run', f, '--to', f]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/both an input and an output/);
    expect(readFileSync(f, 'utf8')).toBe('{"customer_id":"C1","email":"a@b.cd"}\n');
  });

  it('a stack trace appears only with --debug', async () => {
    const res = await runCli(['run', join(dir, 'nope.csv'), '--debug']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/\n\s+at /);
  });

  it('empty file and header-only CSV: no records, exit 0, an empty output file', async () => {
    for (const [name, text] of [['empty.csv', ''], ['header.csv', 'customer_id,email\r\n'], ['empty.ndjson', '\n\n']] as const) {
      writeFileSync(join(dir, name), text);
      const out = join(dir, `${name}.out`);
      const res = await runCli(['run', join(dir, name), '--to', out, '-q']);
      expect(res.code, name).toBe(0);
      expect(res.stderr).toMatch(/0 read, 0 written, 0 rejected/);
      expect(existsSync(out)).toBe(true);
      expect(readFileSync(out, 'utf8')).toBe('');
    }
  });

  it('garbage bytes: no crash, every line accounted for', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const f = join(dir, 'garbage.ndjson');
    writeFileSync(f, bytes);
    const dlq = join(dir, 'dlq.ndjson');
    const res = await runCli(['run', f, '--dlq', dlq, '--summary-json', join(dir, 's.json'), '-q']);
    expect(res.code).toBe(0);
    const s = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
    const dead = ndjsonLines(readFileSync(dlq, 'utf8'));
    expect(s.records.in).toBe(s.records.out + s.records.rejected);
    expect(dead).toHaveLength(s.records.rejected);
    expect(s.records.rejected).toBeGreaterThan(0);
  });

  it('a 10 MB single line is read and rejected cleanly', async () => {
    const f = join(dir, 'long.ndjson');
    writeFileSync(f, `{"customer_id":"C1","email":"a@b.cd","note":"${'x'.repeat(10 * 1024 * 1024)}"}\n{"oops"\n`);
    const res = await runCli(['run', f, '--to', join(dir, 'o.ndjson'), '-q']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/2 read, 1 written, 1 rejected/);
    expect(readFileSync(join(dir, 'o.ndjson'), 'utf8').length).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('a corrupt .gz: clear message naming the file, no stack trace', async () => {
    const f = join(dir, 'bad.csv.gz');
    writeFileSync(f, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7]));
    const res = await runCli(['run', f, '-q']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/bad\.csv\.gz: not valid gzip data/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('recflow with no arguments', () => {
  it('prints the help on stderr and exits 2 (a usage error, nothing on stdout)', async () => {
    const res = await runCli([]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^Usage: recflow \[options\] \[command\]/);
    expect(res.stderr).toMatch(/\brun \[options\]/);
  });
});
