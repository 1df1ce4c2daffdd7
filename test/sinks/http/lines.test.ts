// LineBatcher (pre-encoded lines from the parallel runner) cuts the same batches
// as Batcher does for the same records in one write, whatever the writes the
// lines arrive in, and builds the same request bodies.
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Rec } from '../../../src/pipeline/types.js';
import { Batch, Batcher, type BatchLimits } from '../../../src/sinks/http/batcher.js';
import { encodeBody } from '../../../src/sinks/http/encode.js';
import { LineBatch, LineBatcher, type PositionedLines } from '../../../src/sinks/http/lines.js';

interface Cut {
  seq: number;
  origin: string;
  count: number;
  firstPos: number;
  lastPos: number;
  body: string;
}

const text = fc.array(fc.constantFrom('a', 'bc', 'é', '😀', '"', '\n', 'xyz0123456789'), { maxLength: 12 }).map((p) => p.join(''));
/** Segments of records, one origin each (sources are read one after the other). */
const segments = fc.array(fc.array(text, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 });
const limits = fc.record({
  records: fc.integer({ min: 1, max: 12 }),
  bytes: fc.integer({ min: 1, max: 400 }),
  lingerMs: fc.constant(0),
  overheadBytes: fc.constantFrom(0, '{"records":[]}'.length),
});

function recsOf(segs: string[][]): Rec[][] {
  let pos = 0;
  return segs.map((values, s) =>
    values.map((v) => {
      pos += 1 + (v.length % 3); // positions rise, not always by one (lines of rejected records)
      const value = { kind: 'customer', v };
      return { value, raw: value, source: `f${s}`, line: pos, origin: `origin-${s}`, pos };
    }),
  );
}

/** What Batcher sends for these records, each origin in one write. */
async function viaBatcher(segs: Rec[][], lim: BatchLimits): Promise<Cut[]> {
  const batches: Batch[] = [];
  const b = new Batcher(lim, (batch) => batches.push(batch));
  for (const recs of segs) b.add(recs, false);
  b.flush();
  return cutsOf(batches);
}

/** What each batch would send: its place, its positions and its body. */
function cutsOf(batches: Batch[]): Promise<Cut[]> {
  return Promise.all(
    batches.map(async (x) => ({
      seq: x.seq,
      origin: x.origin,
      count: x.recs.length,
      firstPos: x.firstPos,
      lastPos: x.lastPos,
      body: (await encodeBody(x.lines, 'ndjson', false)).toString('utf8'),
    })),
  );
}

function encoded(recs: Rec[]): PositionedLines {
  const buf = Buffer.from(recs.map((r) => JSON.stringify(r.value) + '\n').join(''));
  const ends = new Uint32Array(recs.length);
  let at = 0;
  recs.forEach((r, i) => {
    at += Buffer.byteLength(JSON.stringify(r.value)) + 1;
    ends[i] = at;
  });
  return { origin: recs[0]!.origin, bytes: buf, count: recs.length, ends, pos: Float64Array.from(recs.map((r) => r.pos)) };
}

describe('LineBatcher', () => {
  it('property: the same batches as Batcher, wherever the writes are cut; each write gets back its lines in order', async () => {
    await fc.assert(
      fc.asyncProperty(segments, limits, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }), async (segs, lim, cuts) => {
        const recs = recsOf(segs);
        const want = await viaBatcher(recs, lim);
        const got: LineBatch[] = [];
        const lb = new LineBatcher(lim, (batch) => got.push(batch));
        let c = 0;
        for (const seg of recs) {
          for (let i = 0; i < seg.length; ) {
            const n = Math.min(cuts[c++ % cuts.length]!, seg.length - i);
            const parts = lb.add(encoded(seg.slice(i, i + n)));
            // the write's lines, each in exactly one batch, in order
            expect(parts.map((p) => [p.from, p.to]).flat()).toEqual([0, ...parts.slice(0, -1).flatMap((p) => [p.to, p.to]), n]);
            i += n;
          }
        }
        lb.flush();
        const cutsGot = await Promise.all(
          got.map(async (x) => ({
            seq: x.seq,
            origin: x.origin,
            count: x.count,
            firstPos: x.firstPos,
            lastPos: x.lastPos,
            body: (await x.body('ndjson', false)).toString('utf8'),
          })),
        );
        expect(cutsGot).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('property: Batcher holding across writes (the sequential runner) cuts as in one write, wherever writes end; same content hashes as LineBatcher', async () => {
    await fc.assert(
      fc.asyncProperty(segments, limits, fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 20 }).map((a) => [...a, 1]), async (segs, lim, cuts) => {
        const recs = recsOf(segs);
        const want = await viaBatcher(recs, lim);
        const held: Batch[] = [];
        const b = new Batcher(lim, (batch) => held.push(batch));
        b.holdAcrossWrites();
        const lb = new LineBatcher(lim, () => {});
        const lineBatches = new Set<LineBatch>();
        let c = 0;
        for (const seg of recs) {
          for (let i = 0; i < seg.length; ) {
            const n = Math.min(cuts[c++ % cuts.length]!, seg.length - i); // 0: an empty write (all filtered)
            const write = seg.slice(i, i + n);
            b.add(write, false);
            if (n > 0) for (const p of lb.add(encoded(write))) lineBatches.add(p.batch);
            i += n;
          }
        }
        // what the runner does at the end of the input: releases the writes it waits for
        const hashes = held.map((x) => x.contentHash());
        b.flush();
        hashes.push(...held.slice(hashes.length).map((x) => x.contentHash()));
        const got = await cutsOf(held);
        expect(got).toEqual(want);
        expect(hashes).toEqual([...lineBatches].map((x) => x.contentHash()));
      }),
      { numRuns: 300 },
    );
  });

  it('a full batch leaves at once, not on the next line (so the oldest write is never held back)', () => {
    const sent: LineBatch[] = [];
    const lb = new LineBatcher({ records: 3, bytes: 1 << 20, lingerMs: 0, overheadBytes: 0 }, (b) => sent.push(b));
    const recs = recsOf([['a', 'b', 'c', 'd']])[0]!;
    lb.add(encoded(recs.slice(0, 3)));
    expect(sent.map((b) => b.count)).toEqual([3]);
    lb.add(encoded(recs.slice(3)));
    expect(sent.map((b) => b.count)).toEqual([3]);
    lb.flush();
    expect(sent.map((b) => b.count)).toEqual([3, 1]);
  });

  it('builds the same bodies as encodeBody: NDJSON, {"records":[...]} and gzip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 20 }), fc.constantFrom('ndjson' as const, 'json' as const), fc.boolean(), async (values, format, gzip) => {
        const recs = recsOf([values])[0]!;
        const lb = new LineBatcher({ records: 1000, bytes: 1 << 20, lingerMs: 0, overheadBytes: 0 }, () => {});
        const [part] = lb.add(encoded(recs));
        const got = await part!.batch.body(format, gzip);
        const want = await encodeBody(recs.map((r) => JSON.stringify(r.value)), format, false);
        expect((gzip ? gunzipSync(got) : got).toString('utf8')).toBe(want.toString('utf8'));
        if (format === 'json') expect(JSON.parse(want.toString('utf8')).records).toEqual(recs.map((r) => r.value));
      }),
      { numRuns: 200 },
    );
  });
});
