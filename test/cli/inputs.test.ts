// Inputs read right, or refused loudly: delimiters (given and sniffed), encodings,
// bytes that are not UTF-8, multi-member gzip, stdin by default, header checks on
// every input path. Through the built CLI, on both runners.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, ndjsonLines, runCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-inputs-')));
afterAll(() => cleanup());

const HEADER = ['customer_id', 'first_name', 'last_name', 'email', 'country', 'city'];
const ROWS = [
  ['C1', 'Jörg', 'Müller', 'j@example.com', 'DE', 'Köln'],
  ['C2', 'Zoë', 'Brontë', 'z@example.com', 'FR', 'Besançon; Doubs, France'],
  ['C3', 'Ann', 'Ó Súilleabháin', 'a@example.com', 'IE', 'Cork\n(city)'],
  ['C4', 'Ñandú', 'Peña', 'n@example.com', 'ES', 'A Coruña | Galicia'],
];

/** CSV text with `d` as the delimiter; cells holding it, a quote or a newline are quoted. */
function csvText(d: string, rows: string[][] = ROWS, eol = '\n'): string {
  const cell = (c: string): string => (/[",;|\t\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [HEADER, ...rows].map((r) => r.map(cell).join(d)).join(eol) + eol;
}

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function utf16(text: string, order: 'le' | 'be'): Buffer {
  const le = Buffer.from('\uFEFF' + text, 'utf16le');
  return order === 'le' ? le : le.swap16();
}

const RUNNERS = {
  sequential: { RECFLOW_WORKERS: '0' },
  parallel: { RECFLOW_WORKERS: 'inline', RECFLOW_CHUNK_BYTES: '7' },
} as const;

let reference: string;
beforeAll(async () => {
  const res = await runCli(['run', file('ref.csv', csvText(',')), '-q'], { env: RUNNERS.sequential });
  expect(res.code).toBe(0);
  reference = res.stdout;
  expect(ndjsonLines(reference)).toHaveLength(ROWS.length);
});

describe.each(Object.entries(RUNNERS))('%s runner', (_name, env) => {
  it('a semicolon CSV in windows-1252 gives the NDJSON of the UTF-8 comma CSV (flag, and sniffed)', async () => {
    const p = file(`w1252-${_name}.csv`, new TextEncoderLatin1().encode(csvText(';')));
    const given = await runCli(['run', p, '--encoding', 'windows-1252', '--delimiter', 'semicolon', '-q'], { env });
    expect(given.stderr).not.toContain('warning');
    expect(given.code).toBe(0);
    expect(given.stdout).toBe(reference);
    const sniffed = await runCli(['run', p, '--encoding', 'latin1', '--summary-json', join(dir, `s-${_name}.json`)], { env: { ...env, RECFLOW_EXPLAIN: '1' } });
    expect(sniffed.code).toBe(0);
    expect(sniffed.stdout).toBe(reference);
    // Windows-1252 input takes the fast path too (no fallback to one thread)
    expect(sniffed.stderr).toContain(_name === 'parallel' ? 'parallel runner' : 'sequential runner');
    expect(sniffed.stderr).toContain('reading as semicolon-separated');
    const summary = JSON.parse(readFileSync(join(dir, `s-${_name}.json`), 'utf8'));
    expect(summary.sources[0]).toMatchObject({ delimiter: 'semicolon', encoding: 'latin1' });
  });

  it('a UTF-16LE TSV and a UTF-16BE pipe file with a BOM are read with no flag at all', async () => {
    const le = await runCli(['run', file(`le-${_name}.tsv`, utf16(csvText('\t'), 'le')), '-q'], { env });
    expect(le.code).toBe(0);
    expect(le.stderr).not.toContain('warning');
    expect(le.stdout).toBe(reference);
    const be = await runCli(['run', file(`be-${_name}.txt`, utf16(csvText('|', ROWS, '\r\n'), 'be')), '-q'], { env });
    expect(be.code).toBe(0);
    expect(be.stdout).toBe(reference);
  });

  it('bytes that are not UTF-8: counted and warned about (naming windows-1252), or rejected as invalid_encoding', async () => {
    const p = file(`latin-${_name}.csv`, new TextEncoderLatin1().encode(csvText(',')));
    const summaryPath = join(dir, `lat-${_name}.json`);
    const res = await runCli(['validate', p, '--summary-json', summaryPath], { env });
    expect(res.stderr).toMatch(/warning: .*latin-\w+\.csv: 4 records hold bytes that are not valid UTF-8 \(first at .*:2\).*--encoding windows-1252/);
    expect(res.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary.sources[0].invalid_utf8).toEqual({ records: 4, first: [2, 3, 4, 6].map((l) => `${p}:${l}`) });
    const json = await runCli(['validate', p, '--log-format', 'json'], { env });
    const rows = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string });
    expect(rows.find((r) => r.level === 'warn')?.message).toContain('--encoding windows-1252');
    const dlq = join(dir, `dlq-${_name}.ndjson`);
    const strict = await runCli(['run', p, '--strict-encoding', '--dlq', dlq, '-q'], { env });
    expect(strict.code).toBe(0);
    expect(strict.stdout).toBe('');
    const dead = ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; errors: { code: string }[] }[];
    expect(dead.map((r) => [r.line, r.errors[0]!.code])).toEqual([2, 3, 4, 6].map((l) => [l, 'invalid_encoding']));
  });

  it('a valid U+FFFD in UTF-8 input is not counted as a bad byte', async () => {
    const rows = [['C1', 'A\uFFFDb', 'X', 'a@example.com', 'DE', 'Bonn']];
    const res = await runCli(['validate', file(`fffd-${_name}.csv`, csvText(',', rows)), '--strict-encoding'], { env });
    expect(res.code).toBe(0);
    expect(res.stderr).not.toContain('not valid UTF-8');
  });
});

function hasScript(): boolean {
  return spawnSync('script', ['-qec', 'true', '/dev/null']).status === 0;
}

/** windows-1252 for the repertoire these tests use (Latin-1 letters). */
class TextEncoderLatin1 {
  encode(text: string): Buffer {
    for (const ch of text) if (ch.codePointAt(0)! > 0xff) throw new Error(`not in Latin-1: ${ch}`);
    return Buffer.from(text, 'latin1');
  }
}

describe('delimiters', () => {
  it('--delimiter takes the characters and the words; --format tsv and .tsv/.tab(.gz) mean tab', async () => {
    const cases: [string, string, string[]][] = [
      ['d1.txt', csvText('|'), ['--delimiter', '|']],
      ['d2.txt', csvText('|'), ['--delimiter', 'pipe']],
      ['d3.txt', csvText('\t'), ['--delimiter', '\t']],
      ['d4.txt', csvText('\t'), ['--delimiter', 'tab']],
      ['d5.txt', csvText('\t'), ['--format', 'tsv']],
      ['d6.tsv', csvText('\t'), []],
      ['d7.tab', csvText('\t'), []],
    ];
    for (const [name, text, flags] of cases) {
      const res = await runCli(['run', file(name, text), ...flags, '-q']);
      expect([name, res.code, res.stderr.includes('warning')]).toEqual([name, 0, false]);
      expect(res.stdout).toBe(reference);
    }
    const gz = await runCli(['run', file('d8.tsv.gz', gzipSync(csvText('\t'))), '-q']);
    expect(gz.stdout).toBe(reference);
  });

  it('an unknown --delimiter is a usage error', async () => {
    const res = await runCli(['run', file('x.csv', csvText(',')), '--delimiter', 'x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("expected ',', ';', '\\t' or '|'");
    expect(res.stdout).toBe('');
  });

  it('no consistent delimiter: read as comma, with one warning naming the likely one and the flag', async () => {
    // rows with a varying number of ';' cells: the sniffer cannot trust ';'
    const text = 'customer_id;first_name;email\nC1;Ann;a@example.com\nC2;Bob\nC3;Cy;c@example.com;extra\n';
    const res = await runCli(['run', file('ragged.csv', text)]);
    expect(res.stderr.match(/warning: .*ragged\.csv.*semicolon-separated; pass --delimiter ';'/g)).toHaveLength(1);
    expect(res.stderr).toContain('unknown_kind');
  });

  it('config files: delimiter and encoding keys, and per source as { path, delimiter, encoding }', async () => {
    const w1252 = file('cfg-semi.txt', Buffer.from(csvText(';'), 'latin1'));
    const pipe = file('cfg-pipe.txt', csvText('|'));
    file('global.yaml', `delimiter: semicolon\nencoding: windows-1252\nsources: [cfg-semi.txt]\n`);
    const global = await runCli(['run', '--config', join(dir, 'global.yaml'), '-q']);
    expect(global.code).toBe(0);
    expect(global.stdout).toBe(reference);
    file('each.yaml', `sources:\n  - path: cfg-pipe.txt\n    delimiter: pipe\n  - { path: cfg-semi.txt, delimiter: ';', encoding: windows-1252 }\n`);
    const each = await runCli(['run', '--config', join(dir, 'each.yaml'), '-q']);
    expect(each.code).toBe(0);
    expect(each.stdout).toBe(reference + reference);
    file('bad.yaml', `sources:\n  - { path: ${pipe}, delimiter: colon }\n`);
    const bad = await runCli(['run', '--config', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml: sources\[0\]: delimiter: expected/);
    void w1252;
  });

  it('a sniffed delimiter is said on stderr; a comma file says nothing', async () => {
    const semi = await runCli(['validate', file('semi.csv', csvText(';'))]);
    expect(semi.code).toBe(0);
    expect(semi.stderr).toContain('semi.csv: reading as semicolon-separated');
    const comma = await runCli(['validate', file('comma.csv', csvText(','))]);
    expect(comma.stderr).not.toContain('reading as');
  });
});

describe('stdin, gzip and headers', () => {
  it('run and validate read stdin when no source is given and stdin is not a TTY', async () => {
    const run = await runCli(['run', '-q'], { input: csvText(',') });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(reference);
    const validate = await runCli(['validate'], { input: csvText(';') });
    expect(validate.code).toBe(0);
    expect(validate.stderr).toContain('4 valid');
  });

  if (!hasScript()) console.log('skipping "stdin a terminal": no `script` (util-linux) to give the CLI a pseudo-terminal');
  it.skipIf(!hasScript())('no source with stdin a terminal: exit 2 with a usage line, not silence', () => {
    // `script` gives the CLI a pseudo-terminal as stdin
    const res = spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" run`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
    expect(res.status).toBe(2);
    expect(res.stdout).toContain('no sources');
    expect(res.stdout).toContain('usage: recflow run [options] <source...>');
  });

  it('--fail-on-empty exits 1 on an empty file', async () => {
    const res = await runCli(['validate', file('empty.csv', ''), '--fail-on-empty']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no records read');
  });

  it('multi-member gzip (cat a.gz b.gz) is read whole, on both runners', async () => {
    const text = csvText(',');
    const cut = text.indexOf('\nC3') + 1;
    const p = file('multi.csv.gz', Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut))]));
    for (const env of Object.values(RUNNERS)) {
      const res = await runCli(['run', p, '-q'], { env });
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(reference);
    }
  });

  it('a truncated member after good ones: the good records written, then exit 3 naming the file and offset', async () => {
    const text = csvText(',');
    const cut = text.indexOf('\nC3') + 1;
    const good = gzipSync(text.slice(0, cut));
    const bad = gzipSync(text.slice(cut));
    const p = file('trunc.csv.gz', Buffer.concat([good, bad.subarray(0, 14)]));
    for (const env of Object.values(RUNNERS)) {
      const res = await runCli(['run', p, '-q'], { env });
      expect(res.code).toBe(3);
      expect(ndjsonLines(res.stdout)).toEqual(ndjsonLines(reference).slice(0, 2));
      expect(res.stderr).toMatch(/trunc\.csv\.gz: .*gzip.* \d+ bytes/);
    }
  });

  it('a gzip bomb (256 MiB of text from a 600 KiB file, in many members) stays at flat memory', async () => {
    const member = gzipSync(('C1,a@example.com,' + 'x'.repeat(1007) + '\n').repeat(4096), { level: 9 }); // 4 MiB of text
    const p = file('bomb.csv.gz', Buffer.concat([gzipSync('customer_id,email,note\n'), ...Array.from({ length: 64 }, () => member)]));
    expect(readFileSync(p).length).toBeLessThan(1024 * 1024);
    const summary = join(dir, 'bomb.json');
    const res = await runCli(['validate', p, '--summary-json', summary], { env: RUNNERS.parallel });
    expect(res.code).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.records).toMatchObject({ in: 64 * 4096, rejected: 0 });
    expect(s.peakRssBytes).toBeLessThan(200 * 1024 * 1024);
  });

  it('a duplicate header from stdin or a sniffed file is exit 2, nothing written, no output truncated', async () => {
    const dup = 'customer_id,email,EMAIL\nC1,a@example.com,b@example.com\n';
    const out = file('keep.ndjson', 'old\n');
    const stdin = await runCli(['run', '-', '--to', out], { input: dup });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('names "email" twice');
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    const sniffed = await runCli(['run', file('dup.txt', dup), '--to', out]);
    expect(sniffed.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    const semi = await runCli(['run', file('dup-semi.txt', dup.replace(/,/g, ';')), '--to', join(dir, 'new.ndjson')]);
    expect(semi.code).toBe(2);
    expect(existsSync(join(dir, 'new.ndjson'))).toBe(false);
  });
});
