// Delimiters × quoting × encodings read back as written: the sniffer, the file reader
// (in-process, small chunks), and the built CLI on both runners with small pieces.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDelimiter, parseEncoding, sniffDelimiter, Utf8Checker, type Delimiter } from '../../src/sources/dialect.js';
import { FileSource } from '../../src/sources/file.js';
import type { FileSpec } from '../../src/sources/file-input.js';
import { ndjsonLines, runCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-dialect-')));
afterAll(() => cleanup());

type Enc = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
const DELIMS: Delimiter[] = [',', ';', '\t', '|'];

/** Characters every encoding here can hold (Latin-1 printable), and more for the Unicode ones. */
const LATIN = [...'abcXYZ09 .-é ÖüßñÆ¿', ',', ';', '\t', '|', '"', '\n', '\r\n'];
const WIDE = [...LATIN, 'Ω', '中', '😀', '\uFEFF'];

const cellArb = (wide: boolean): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...(wide ? WIDE : LATIN)), { maxLength: 6 }).map((a) => a.join(''));

function quote(c: string, always: boolean): string {
  return always || /[",;|\t\r\n]/.test(c) || c.startsWith('\uFEFF') ? `"${c.replace(/"/g, '""')}"` : c;
}

/** The text of a CSV file: header c1..cn, then the rows; physical start line of each row. */
function csvOf(rows: string[][], n: number, d: string, quoteAll: boolean, eol: string): { text: string; lines: number[] } {
  const header = Array.from({ length: n }, (_, i) => `c${i + 1}`);
  const lines: number[] = [];
  let line = 2;
  let text = header.join(d) + eol;
  for (const r of rows) {
    lines.push(line);
    const row = r.map((c) => quote(c, quoteAll)).join(d) + eol;
    line += row.split('\n').length - 1;
    text += row;
  }
  return { text, lines };
}

function encode(text: string, enc: Enc): Buffer {
  if (enc === 'utf-8') return Buffer.from(text, 'utf8');
  if (enc === 'windows-1252') return Buffer.from(text, 'latin1'); // the repertoire used is Latin-1 printable
  const le = Buffer.from('\uFEFF' + text, 'utf16le');
  return enc === 'utf-16le' ? le : le.swap16();
}

const caseArb = fc
  .record({
    n: fc.integer({ min: 2, max: 4 }),
    d: fc.constantFrom(...DELIMS),
    enc: fc.constantFrom<Enc>('utf-8', 'utf-16le', 'utf-16be', 'windows-1252'),
    quoteAll: fc.boolean(),
    crlf: fc.boolean(),
    seed: fc.integer(),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      rows: fc.array(fc.array(cellArb(c.enc !== 'windows-1252'), { minLength: c.n, maxLength: c.n }), { minLength: 1, maxLength: 6 }),
    }),
  );

async function readAll(spec: FileSpec, chunkBytes: number): Promise<{ cells: string[]; line: number }[]> {
  const src = new FileSource(spec, { chunkBytes });
  const out: { cells: string[]; line: number }[] = [];
  for await (const b of src.batches()) {
    expect(b.rejected).toEqual([]);
    for (const r of b.records) out.push({ cells: Object.values(r.value as Record<string, string>), line: r.line! });
  }
  return out;
}

describe('options', () => {
  it.each([
    [',', ','], ['comma', ','], [';', ';'], ['semicolon', ';'], ['\t', '\t'], ['\\t', '\t'], ['tab', '\t'], ['TAB', '\t'], ['|', '|'], ['pipe', '|'],
  ])('--delimiter %j is %j', (v, d) => expect(parseDelimiter(v)).toBe(d));
  it.each(['', ':', ',,', 'space'])('--delimiter %j is refused', (v) => expect(() => parseDelimiter(v)).toThrow(/expected/));
  it.each([['UTF-8', 'utf-8'], ['utf16le', 'utf-16le'], ['cp1252', 'windows-1252'], ['latin1', 'latin1'], ['auto', 'auto']])('--encoding %s', (v, e) =>
    expect(parseEncoding(v)).toBe(e),
  );
  it('--encoding ebcdic is refused', () => expect(() => parseEncoding('ebcdic')).toThrow(/expected utf-8/));
});

describe('the sniffer', () => {
  it('picks the delimiter of generated headers and rows (quoted cells may hold the others)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DELIMS),
        fc.array(fc.array(fc.constantFrom(...'ab1 _', ',', ';', '|', '\t'), { minLength: 1, maxLength: 5 }).map((a) => a.join('')), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        (d, names, more, final) => {
          const line = (cells: string[]): string => cells.map((c) => quote(c, false)).join(d);
          const text = [line(names), ...Array.from({ length: more }, () => line(names.map((x) => x + 'v')))].join('\n') + '\n';
          expect(sniffDelimiter(text, final)).toBe(d);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says nothing (null) for rows that no candidate splits consistently, or a single column', () => {
    expect(sniffDelimiter('a;b;c\n1;2\n3;4;5;6\n')).toBeNull();
    expect(sniffDelimiter('customer_id\nC1\n')).toBeNull();
    expect(sniffDelimiter('a;b,c;d\n1;2,3;4\n')).toBe(';'); // most cells wins
  });
});

describe('Utf8Checker: bytes that are not UTF-8, wherever the chunks are cut', () => {
  const feed = (bytes: Buffer, cuts: number[]): boolean => {
    const c = new Utf8Checker();
    let bad = false;
    let from = 0;
    for (const at of [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((x, y) => x - y)) {
      bad = c.write(bytes.subarray(from, at)) || bad;
      from = at;
    }
    bad = c.write(bytes.subarray(from)) || bad;
    return c.end() || bad;
  };
  const text = fc.array(fc.constantFrom('a', 'é', '中', '😀', '\n', '\uFFFD'), { maxLength: 30 }).map((a) => a.join(''));

  it('valid UTF-8 (a U+FFFD in it too) is never reported', () => {
    fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, cuts) => {
      expect(feed(Buffer.from(t), cuts)).toBe(false);
    }), { numRuns: 500 });
  });

  it('a stray byte, a lone continuation byte or a sequence cut by the end of input is reported', () => {
    fc.assert(
      fc.property(text, fc.constantFrom([0xff], [0x80], [0xc3], [0xe4, 0xb8], [0xf6]), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), (t, badBytes, pos, cuts) => {
        const b = Buffer.from(t);
        // put it between two characters (a cut inside one would be invalid anyway)
        const starts = [0, ...[...b.keys()].filter((i) => (b[i]! & 0xc0) !== 0x80), b.length];
        const at = starts[pos % starts.length]!;
        const bytes = Buffer.concat([b.subarray(0, at), Buffer.from(badBytes), Buffer.from('x'), b.subarray(at)]);
        expect(feed(bytes, cuts)).toBe(true);
        expect(feed(Buffer.concat([b, Buffer.from([0xe4, 0xb8])]), cuts)).toBe(true); // ends inside a sequence
      }),
      { numRuns: 500 },
    );
  });
});

describe('round trips', () => {
  it('file reader: cells and physical lines come back for every delimiter, quoting and encoding, at any chunk size', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 64 }), async ({ c, rows }, chunk) => {
        const { text, lines } = csvOf(rows, c.n, c.d, c.quoteAll, c.crlf ? '\r\n' : '\n');
        const path = join(dir, `rt${k++}.dat`);
        writeFileSync(path, encode(text, c.enc));
        const given = c.enc === 'utf-16le' || c.enc === 'utf-16be' ? 'auto' : c.enc; // UTF-16 through its BOM
        const spec: FileSpec = { name: path, path, format: 'csv', delimiter: c.d, encoding: given, origin: path };
        const got = await readAll(spec, chunk);
        expect(got).toEqual(rows.map((cells, i) => ({ cells, line: lines[i] })));
      }),
      { numRuns: 150 },
    );
  });

  it('multi-member gzip reads as the concatenated text', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, fc.array(fc.nat(), { maxLength: 3 }), async ({ c, rows }, cuts) => {
        const bytes = encode(csvOf(rows, c.n, c.d, c.quoteAll, '\n').text, c.enc);
        const at = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
        const parts = [0, ...at, bytes.length].slice(1).map((end, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], end));
        const one = join(dir, `one${k}.csv`);
        const many = join(dir, `many${k++}.csv.gz`);
        writeFileSync(one, bytes);
        writeFileSync(many, Buffer.concat([gzipSync(bytes.subarray(0, 0)), ...parts.map((p) => gzipSync(p))]));
        const spec = (p: string, gzip: boolean): FileSpec => ({ name: p, path: p, format: 'csv', gzip, delimiter: c.d, origin: p });
        expect(await readAll(spec(many, true), 16)).toEqual(await readAll(spec(one, false), 16));
      }),
      { numRuns: 40 },
    );
  });

  it('the built CLI, sequential and parallel with small pieces: the same cells and lines, delimiter and encoding sniffed or given', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 40 }), fc.boolean(), async ({ c, rows }, piece, sniff) => {
        const { text, lines } = csvOf(rows, c.n, c.d, c.quoteAll, c.crlf ? '\r\n' : '\n');
        const path = join(dir, `cli${k}.csv`);
        writeFileSync(path, encode(text, c.enc));
        // sniffed when the sniffer (on the lines the CLI reads for it) agrees, else given
        const sniffable = sniff && (text.match(/\n/g) ?? []).length < 8 && (sniffDelimiter(text) ?? ',') === c.d;
        const flags = [...(sniffable ? [] : ['--delimiter', c.d]), ...(c.enc === 'windows-1252' ? ['--encoding', 'windows-1252'] : [])];
        const want = rows.map((cells, i) => ({ line: lines[i], record: Object.fromEntries(cells.map((v, j) => [`c${j + 1}`, v])) }));
        for (const env of [{ RECFLOW_WORKERS: '0' }, { RECFLOW_WORKERS: 'inline', RECFLOW_CHUNK_BYTES: String(piece) }]) {
          const dlq = join(dir, `cli${k}-${env.RECFLOW_WORKERS}.ndjson`);
          const res = await runCli(['run', path, '--kind', 'customer', '--dlq', dlq, '-q', ...flags], { env });
          expect(res.code, res.stderr).toBe(0);
          // every row lacks customer_id, so each is dead-lettered with its cells as read
          const got = (ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; record: Record<string, string> }[]).map((r) => ({ line: r.line, record: r.record }));
          expect(got).toEqual(want);
        }
        k++;
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
