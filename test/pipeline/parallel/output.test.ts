// Which text path the parallel runner takes for a sink follows what the sink declares
// it takes (Sink.encoded), never its class; and what each path hands the sink.
import { describe, expect, it } from 'vitest';
import { textOutOf } from '../../../src/pipeline/parallel/output.js';
import type { PieceResult } from '../../../src/pipeline/parallel/piece.js';
import type { EncodedKind, Sink, SinkBatch } from '../../../src/pipeline/types.js';
import { createStdoutSink } from '../../../src/sinks/file.js';
import { createHttpSink } from '../../../src/sinks/http/index.js';

/** A sink that declares `encoded` and keeps what it was given. */
function declaring(encoded: EncodedKind | undefined, extra: Partial<Sink> = {}): Sink & { batches: SinkBatch[]; flushes: number } {
  const sink = {
    name: 'declaring',
    maxInFlight: 2,
    ...(encoded ? { encoded } : {}),
    batches: [] as SinkBatch[],
    flushes: 0,
    write: async (batch: SinkBatch) => {
      sink.batches.push(batch);
      return {};
    },
    flush: () => void sink.flushes++,
    close: async () => {},
    ...extra,
  };
  return sink;
}

const bytes = (s: string): Uint8Array => Buffer.from(s);

/** A piece's result with two kept lines, of two kinds. */
function piece(): PieceResult {
  return {
    keptTotal: 2,
    out: bytes('{"a":1}\n{"b":2}\n'),
    outByKind: [
      ['customer', bytes('{"a":1}\n'), 1],
      ['inventory', bytes('{"b":2}\n'), 1],
    ],
    ends: Uint32Array.from([8, 16]),
    pos: Float64Array.from([1, 2]),
    keys: ['k1', null],
    kinds: ['customer', 'inventory'],
  } as unknown as PieceResult;
}

describe('textOutOf: the declaration chooses the path', () => {
  it.each([
    ['nothing declared: records only', undefined, null],
    ['ndjson: the bytes of one output', 'ndjson', { split: false, lines: false, window: null }],
    ['ndjson-by-kind: one write per kind', 'ndjson-by-kind', { split: true, lines: false, window: null }],
    ['ndjson-lines: ends and positions, the sink window', 'ndjson-lines', { split: false, lines: true, keys: false, window: 300 }],
    ['ndjson-keyed: keys too', 'ndjson-keyed', { split: false, lines: true, keys: true, window: 300 }],
  ] as const)('%s', (_, encoded, want) => {
    const out = textOutOf(declaring(encoded, { linesWindow: 300 }));
    if (want === null) expect(out).toBeNull();
    else expect(out).toMatchObject(want);
  });

  it('a sink that writes records like a file sink but declares nothing is fed records', () => {
    expect(textOutOf(declaring(undefined, { durableAt: 'close', writeCount: 0 }))).toBeNull();
  });

  it('the shipped sinks declare: stdout NDJSON takes bytes, CSV records; HTTP takes lines', async () => {
    const ctx = { env: {}, log: () => {}, debug: false };
    expect(createStdoutSink({ ...ctx, opts: {} }).encoded).toBe('ndjson');
    expect(createStdoutSink({ ...ctx, opts: { outputFormat: 'csv', kind: 'customer' } }).encoded).toBeUndefined();
    const http = await createHttpSink('http://127.0.0.1:9/in', { ...ctx, opts: {} });
    expect(http.encoded).toBe('ndjson-lines');
    await http.close();
    expect(http.close()).toBe(http.close()); // idempotent: the first call's promise
  });
});

describe('what each path writes', () => {
  it('ndjson: one write of the piece bytes, not streaming', async () => {
    const sink = declaring('ndjson');
    expect(await textOutOf(sink)!.write(piece(), 'o')).toEqual({});
    expect(sink.batches).toEqual([{ lines: { origin: 'o', bytes: piece().out, count: 2 }, streaming: false }]);
  });

  it('ndjson-by-kind: one write per kind, in the order kinds were met', async () => {
    const sink = declaring('ndjson-by-kind');
    await textOutOf(sink)!.write(piece(), 'o');
    expect(sink.batches.map((b) => [b.lines!.kind, b.lines!.count])).toEqual([
      ['customer', 1],
      ['inventory', 1],
    ]);
  });

  it('ndjson-lines: ends and positions, no keys; flush reaches the sink', async () => {
    const sink = declaring('ndjson-lines');
    const out = textOutOf(sink)!;
    await out.write(piece(), 'o');
    const lines = sink.batches[0]!.lines!;
    expect([...lines.ends!]).toEqual([8, 16]);
    expect([...lines.pos!]).toEqual([1, 2]);
    expect(lines.keys).toBeUndefined();
    out.flush();
    expect(sink.flushes).toBe(1);
  });

  it('ndjson-keyed: each line with its key and kind', async () => {
    const sink = declaring('ndjson-keyed');
    await textOutOf(sink)!.write(piece(), 'o');
    expect(sink.batches[0]!.lines).toMatchObject({ keys: ['k1', null], kinds: ['customer', 'inventory'], count: 2 });
  });

  it('an empty piece writes nothing', async () => {
    const sink = declaring('ndjson-lines');
    await textOutOf(sink)!.write({ ...piece(), keptTotal: 0 } as PieceResult, 'o');
    expect(sink.batches).toEqual([]);
  });
});
