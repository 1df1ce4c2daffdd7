// In process, no worker threads: the parallel runner with pieces done inline
// against the sequential Runner, on random bytes read in random chunk sizes and
// cut into random piece sizes (quoted newlines across cuts, stray quotes, CR,
// BOMs, invalid UTF-8). Output text, dead-letter rows and counters must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner } from '../../../src/pipeline/runner.js';
import { ParallelRunner } from '../../../src/pipeline/parallel/runner.js';
import type { TextOut } from '../../../src/pipeline/parallel/output.js';
import type { PieceResult } from '../../../src/pipeline/parallel/piece.js';
import { Splitter, countLines } from '../../../src/pipeline/parallel/splitter.js';
import { RunStats } from '../../../src/pipeline/stats.js';
import type { DeadLetter } from '../../../src/pipeline/dlq.js';
import { deadLetterLine } from '../../../src/pipeline/dlq.js';
import type { Rejected, Sink } from '../../../src/pipeline/types.js';
import { FileSource } from '../../../src/sources/file.js';
import type { Format } from '../../../src/sources/file-input.js';
import { contractStage } from '../../../src/stages/contract.js';
import { tempDir } from '../../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-pieces-')));
afterAll(() => cleanup());

function collectDlq(): DeadLetter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write: (rows: Rejected[]) => void lines.push(...rows.map(deadLetterLine)),
    flush: async () => {},
    needsDrain: () => false,
    close: async () => {},
  };
}

interface Result {
  out: string;
  /** Position (Rec.pos: the physical line) of each output line. */
  pos: number[];
  dlq: string[];
  stats: Record<string, unknown>;
}

function figures(s: RunStats): Record<string, unknown> {
  return {
    in: s.recordsIn,
    out: s.recordsOut,
    rejected: s.rejected,
    outByKind: s.outByKind,
    rejectedByKind: s.rejectedByKind,
    rejectedByCode: s.rejectedByCode,
    examples: s.examples,
    bytesRead: s.bytesRead,
  };
}

function source(path: string, format: Format | undefined, readBytes: number): FileSource {
  return new FileSource({ name: 'in', path, format, origin: 'test' }, { chunkBytes: readBytes });
}

async function sequential(path: string, format: Format | undefined, readBytes: number): Promise<Result> {
  let out = '';
  const pos: number[] = [];
  const sink: Sink = {
    name: 'collect',
    maxInFlight: 4,
    write: async ({ records = [] }) => {
      for (const r of records) {
        out += JSON.stringify(r.value) + '\n';
        pos.push(r.pos);
      }
      return {};
    },
    close: async () => {},
  };
  const dlq = collectDlq();
  const stats = new RunStats();
  await new Runner({ sources: [source(path, format, readBytes)], stages: [contractStage], sink, dlq, stats }).run();
  return { out, pos, dlq: dlq.lines, stats: figures(stats) };
}

async function piecewise(path: string, format: Format | undefined, readBytes: number, pieceBytes: number): Promise<Result> {
  const chunks: Buffer[] = [];
  const pos: number[] = [];
  const dlq = collectDlq();
  const stats = new RunStats();
  // as a LineSink sees it: each line's end and position come with the bytes
  const out: TextOut = {
    split: false,
    lines: true,
    window: 1,
    write: async (res: PieceResult) => {
      const bytes = Buffer.from(res.out!);
      expect(res.ends!.length).toBe(res.keptTotal);
      let start = 0;
      for (const end of res.ends!) {
        expect(bytes[end - 1]).toBe(10);
        expect(bytes.subarray(start, end - 1).includes(10)).toBe(false);
        start = end;
      }
      expect(start).toBe(bytes.length);
      chunks.push(bytes);
      pos.push(...res.pos!);
      return { refused: [], undelivered: [] };
    },
    flush: () => {},
  };
  await new ParallelRunner({ sources: [source(path, format, readBytes)], stages: [contractStage], sink: null, dlq, stats }, { workers: 0, pieceChars: pieceBytes, out }).run();
  return { out: Buffer.concat(chunks).toString('utf8'), pos, dlq: dlq.lines, stats: figures(stats) };
}

const csvToken = fc.constantFrom<(string | number[])[]>(
  ['C1'], ['x'], [','], [',,'], ['"'], ['""'], ['\n'], ['\r\n'], ['\r'], ['é'], ['😀'], ['\uFEFF'], ['a@b.io'], [' '],
  [[0xff]], [[0xc3]], [[0xe2, 0x82]], ['"q,\nr"'], ['Ann'],
);
const ndjsonLine = fc.constantFrom(
  '{"customer_id":"C1","email":"a@b.io"}', '{"sku":"s","product_name":"p","warehouse_id":"w","quantity":1,"unit_price":2}',
  '{"kind":"x"}', '[1]', '{bad', '', '  ', '\uFEFF{"customer_id":"C2","email":"c@d.io"}', '{"customer_id":"C3","email":"é@x.io"}',
);

function bytesOf(parts: (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

describe('pieces done inline give what the sequential runner gives', () => {
  it('property: random CSV bytes, read and cut anywhere', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(csvToken, { minLength: 1, maxLength: 12 }), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 200 }),
        async (rows, bom, readBytes, pieceBytes) => {
          const body = rows.map((r) => bytesOf([...r.flat() as (string | number[])[], '\n']));
          const bytes = Buffer.concat([Buffer.from((bom ? '\uFEFF' : '') + 'customer_id,first_name,email\n'), ...body]);
          const f = join(dir, `p${n++}.csv`);
          writeFileSync(f, bytes);
          const want = await sequential(f, 'csv', readBytes);
          const got = await piecewise(f, 'csv', readBytes, pieceBytes);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: random NDJSON lines, read and cut anywhere, format sniffed', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(ndjsonLine, fc.constantFrom('\n', '\r\n')), { maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 200 }),
        async (lines, readBytes, pieceBytes) => {
          const f = join(dir, `p${n++}.ndjson`);
          writeFileSync(f, lines.map(([l, eol]) => l + eol).join(''));
          const want = await sequential(f, undefined, readBytes);
          const got = await piecewise(f, undefined, readBytes, pieceBytes);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Splitter', () => {
  it('cuts whole lines of at least the target size, keeps chunk ends and line numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'bc', '\n', 'é\n', 'xyz'), { maxLength: 60 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 20 }), (parts, readBytes, target) => {
        const all = Buffer.from(parts.join(''));
        const s = new Splitter(target);
        const pieces = [];
        const ends: number[] = [];
        for (let i = 0; i < all.length; i += readBytes) {
          s.add(all.subarray(i, i + readBytes), i);
          ends.push(Math.min(all.length, i + readBytes));
          for (let p = s.take(); p; p = s.take()) pieces.push(p);
        }
        pieces.push(s.finish());
        expect(Buffer.concat(pieces.map((p) => p.bytes)).equals(all)).toBe(true);
        let offset = 0;
        let line = 1;
        const seen: number[] = [];
        for (const [k, p] of pieces.entries()) {
          expect(p.line).toBe(line);
          expect(p.first).toBe(k === 0);
          expect(p.final).toBe(k === pieces.length - 1);
          if (!p.final) {
            expect(p.bytes[p.bytes.length - 1]).toBe(10);
            expect(p.bytes.length).toBeGreaterThanOrEqual(target);
            // the shortest such run: its first line end at or after the target is its last byte
            expect(p.bytes.indexOf(10, target - 1)).toBe(p.bytes.length - 1);
          }
          for (const e of p.chunkEnds) seen.push(offset + e);
          offset += p.bytes.length;
          line += countLines(p.bytes);
        }
        expect([...new Set(seen)]).toEqual([...new Set(ends)]);
      }),
    );
  });
});
