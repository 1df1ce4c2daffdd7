// Writes to a sink as the runners do (a SinkBatch), and the dead-letter rows its
// refusals become: shared by the HTTP sink tests.
import { refusedRows } from '../../../src/pipeline/dlq.js';
import type { EncodedLines, Rec, Rejected, Sink, SinkWriteResult } from '../../../src/pipeline/types.js';

/** A write of records; streaming (a Kafka source) unless told, as a test's origins say. */
export function write(sink: Sink, records: Rec[], streaming = records.some((r) => r.origin.startsWith('kafka:'))): Promise<SinkWriteResult> {
  return sink.write({ records, streaming });
}

/** A write of pre-encoded lines, as the parallel runner makes it. */
export function writeLines(sink: Sink, lines: EncodedLines): Promise<SinkWriteResult> {
  return sink.write({ lines, streaming: false });
}

/** Lines for `recs`, with each one's end and position ('ndjson-lines'). */
export function encoded(recs: Rec[]): EncodedLines {
  const text = recs.map((r) => JSON.stringify(r.value) + '\n');
  const bytes = Buffer.from(text.join(''));
  let at = 0;
  const ends = Uint32Array.from(text.map((t) => (at += Buffer.byteLength(t))));
  return { origin: recs[0]!.origin, bytes, count: recs.length, ends, pos: Float64Array.from(recs.map((r) => r.pos)) };
}

/** The dead-letter rows of a write's refusals, as a runner makes them. */
export function rowsOf(records: Rec[], res: SinkWriteResult): Rejected[] {
  return refusedRows(records, res.refused ?? []);
}

/** Writes in chunks with up to maxInFlight writes pending, awaited in order, as the runner does. */
export async function pump(sink: Sink, records: Rec[], chunk: number): Promise<{ rejected: number; results: SinkWriteResult[] }> {
  const pending: Promise<SinkWriteResult>[] = [];
  const results: SinkWriteResult[] = [];
  for (let i = 0; i < records.length; i += chunk) {
    pending.push(write(sink, records.slice(i, i + chunk)));
    if (pending.length >= sink.maxInFlight) results.push(await pending.shift()!);
  }
  while (pending.length > 0) results.push(await pending.shift()!);
  const refused = results.flatMap((r) => r.refused ?? []).reduce((n, r) => n + r.to - r.from, 0);
  return { rejected: refused, results };
}
