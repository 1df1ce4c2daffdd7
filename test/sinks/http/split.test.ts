// 413 Payload Too Large at the sink: a batch is sent again in halves, down to single
// records; only a record that is too large alone is refused, and each write learns
// exactly which of its records that was, on both paths (records and encoded lines).
import { describe, expect, it } from 'vitest';
import type { Rec } from '../../../src/pipeline/types.js';
import { customers, httpSink, ids, scriptedServer } from '../../support/serve.js';
import { encoded, rowsOf, write, writeLines } from './write.js';

/** Records C1..Cn, one of them (C`big`) with a field that makes it too large alone. */
function withOneHuge(n: number, big: number): Rec[] {
  return customers(n).map((r) => (r.line === big ? { ...r, value: { ...r.value, note: 'x'.repeat(5000) } } : r));
}

const tooLargeAbove = (limit: number) => scriptedServer((req) => (req.body.length > limit ? { status: 413, body: 'too large' } : { status: 200 }));

describe('HTTP sink: 413 Payload Too Large', () => {
  it('records: halves until they fit; the one record too large alone is refused, in the write it belongs to', async () => {
    const server = await tooLargeAbove(3000);
    const { sink } = await httpSink(`${server.url}/in`, { batchRecords: '40', idempotencyKey: 'source' });
    const recs = withOneHuge(100, 57);
    // writes that do not line up with batches: 30, 30, 40 records
    const results = await Promise.all([write(sink, recs.slice(0, 30)), write(sink, recs.slice(30, 60)), write(sink, recs.slice(60))]);
    await sink.close();
    await server.close();
    expect(results[0]).toEqual({});
    expect(results[2]).toEqual({});
    expect(rowsOf(recs.slice(30, 60), results[1]!).map((r) => r.line)).toEqual([57]);
    expect(rowsOf(recs.slice(30, 60), results[1]!)[0]?.errors[0]).toMatchObject({ code: 'http_rejected', message: expect.stringMatching(/^HTTP 413 from http:\/\/127\.0\.0\.1:\d+\/in: /) });
    const delivered = server.requests.filter((r) => r.body.length <= 3000).flatMap((r) => ids(r.body.toString()));
    expect(delivered.sort()).toEqual(recs.filter((r) => r.line !== 57).map((r) => `C${r.line}`).sort());
    const keys = server.requests.filter((r) => r.body.length <= 3000).map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length); // every half has a key of its own
    expect(sink.stats!()).toMatchObject({ delivered: 99, deadLettered: 1, gaveUp: false });
    expect((sink.stats!() as { splits: number }).splits).toBeGreaterThan(0);
  });

  it('encoded lines (the parallel runner): the same, as line ranges of each write', async () => {
    const server = await tooLargeAbove(3000);
    const { sink } = await httpSink(`${server.url}/in`, { batchRecords: '40', body: 'json' });
    expect(sink.encoded).toBe('ndjson-lines');
    const recs = withOneHuge(100, 57);
    const pending = [writeLines(sink, encoded(recs.slice(0, 30))), writeLines(sink, encoded(recs.slice(30, 60))), writeLines(sink, encoded(recs.slice(60)))];
    sink.flush!();
    const outcomes = await Promise.all(pending);
    await sink.close();
    await server.close();
    expect(outcomes.map((o) => o.failure)).toEqual([undefined, undefined, undefined]);
    expect(outcomes[0]).toEqual({});
    expect(outcomes[2]).toEqual({});
    expect(outcomes[1]!.refused).toEqual([{ from: 26, to: 27, code: 'http_rejected', message: expect.stringMatching(/^HTTP 413 from /) }]); // line 57 is the 27th of the second write
    // every half is a whole {"records":[...]} body
    const taken = server.requests
      .filter((r) => r.body.length <= 3000)
      .flatMap((r) => (JSON.parse(r.body.toString()) as { records: Array<{ customer_id: string }> }).records.map((x) => x.customer_id));
    expect(taken.sort()).toEqual(recs.filter((r) => r.line !== 57).map((r) => `C${r.line}`).sort());
    expect(sink.stats!()).toMatchObject({ delivered: 99, deadLettered: 1 });
  });
});
