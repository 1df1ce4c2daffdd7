// MessageEngineSource: a Kafka-like source that defers decoding hands raw messages to
// the engine, which decodes them (here inline: a pool with no workers) and runs the
// stateless head of the stages. What comes out must be what the source decoding the
// messages itself (decodeMessage) and the Runner applying every stage give.
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordJson } from '../../../src/contract/index.js';
import { stringifyLossless } from '../../../src/contract/lossless.js';
import { decodeMessage, rawMessages } from '../../../src/kafka/decode.js';
import { MessageEngineSource, type DeferringSource } from '../../../src/pipeline/parallel/message-source.js';
import { parallelPrefix, usePieceStages } from '../../../src/pipeline/parallel/piece-stages.js';
import { Runner } from '../../../src/pipeline/runner.js';
import { RunStats } from '../../../src/pipeline/stats.js';
import { byInputOrder, type Rec, type Rejected, type SourceBatch, type Stage, type StageSpec } from '../../../src/pipeline/types.js';
import { stageRefFromFlag } from '../../../src/stages/parse-spec.js';
import { planStages } from '../../../src/stages/plan.js';
import { tempDir } from '../../support/cli.js';
import { fakeDlq, fakeSink } from '../fakes.js';

afterEach(() => usePieceStages(null)); // the inline pool's stages are per thread: leave none behind

interface Msg {
  value: string | Buffer | null;
  kind?: string;
}

/** Messages of every sort a topic may hold: good ones of both kinds, bad JSON, tombstones, too deep, too long, bad fields. */
function messages(n: number): Msg[] {
  const out: Msg[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 17 === 5) out.push({ value: 'not json {' });
    else if (i % 19 === 6) out.push({ value: null });
    else if (i % 23 === 7) out.push({ value: '['.repeat(1100) + ']'.repeat(1100) });
    else if (i % 29 === 8) out.push({ value: 'x'.repeat(5000) }); // over maxRecordBytes
    else if (i % 31 === 9) out.push({ value: '[1,2]' });
    else if (i % 13 === 3) out.push({ value: JSON.stringify({ customer_id: `C${i}`, email: `bad-${i}`, country: 'de' }) });
    else if (i % 37 === 10) out.push({ value: Buffer.from([0x7b, 0x22, 0x63, 0x75, 0x73, 0x74, 0x6f, 0x6d, 0x65, 0x72, 0x5f, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) }); // {"customer_id":"\xff"}
    else if (i % 2 === 0) out.push({ value: `{"customer_id":"C${i}","email":"u${i}@example.com","country":"${i % 3 ? 'de' : 'FR'}","big":12345678901234567890123}`, kind: i % 4 === 0 ? 'customer' : undefined });
    else out.push({ value: JSON.stringify({ sku: `SKU-${i}`, product_name: `Thing ${i}`, quantity: i % 700, unit_price: '9.99', warehouse_id: 'WH-01', updated_at: '2025-01-01T00:00:00Z' }) });
  }
  return out;
}

const MAX_RECORD_BYTES = 4096;

interface FakeKafka extends DeferringSource {
  deferred: boolean;
  parseErrors: number;
  acked: number[];
  stops: number;
}

/**
 * A Kafka source over fixed messages, `size` per batch, on topic t partition 3 from offset 100:
 * raw messages once deferDecoding() was called, else decoded as the Kafka source does.
 * `idle`: after the messages, wait for more until stopped (a stream).
 */
function fakeKafka(msgs: Msg[], size: number, o: { idle?: boolean } = {}): FakeKafka {
  let wake: (() => void) | null = null;
  const src: FakeKafka = {
    name: 'kafka://fake/t',
    deferred: false,
    parseErrors: 0,
    acked: [],
    stops: 0,
    maxRecordBytes: MAX_RECORD_BYTES,
    deferDecoding() {
      src.deferred = true;
    },
    noteParseErrors(n) {
      src.parseErrors += n;
    },
    async *batches(): AsyncIterable<SourceBatch> {
      for (let at = 0; at < msgs.length && src.stops === 0; at += size) {
        const chunk = msgs.slice(at, at + size).map((m, k) => ({
          value: m.value === null ? null : Buffer.from(m.value),
          offset: String(100 + at + k),
          headers: m.kind ? { kind: Buffer.from(m.kind) } : {},
          key: null,
          timestamp: '0',
          attributes: 0,
        }));
        const batch: SourceBatch = { records: [], rejected: [], ack: async () => void src.acked.push(at / size) };
        if (src.deferred) batch.messages = rawMessages('t', 3, chunk, undefined);
        else
          for (const m of chunk) {
            const d = decodeMessage('t', 3, m, undefined, MAX_RECORD_BYTES);
            if ('rec' in d) batch.records.push(d.rec);
            else {
              src.parseErrors++;
              batch.rejected.push(d.rejected);
            }
          }
        yield batch;
        await null;
      }
      if (o.idle && src.stops === 0) await new Promise<void>((resolve) => (wake = resolve));
    },
    stop() {
      src.stops++;
      wake?.();
    },
  };
  return src;
}

const STAGES = ['filter:expr=quantity > 100 or exists(email),on_drop=reject', 'set:field=tag,template={kind}-x', 'sample:rate=0.8,seed=3', 'dedupe:key=country'];

async function stagesOf(flags: string[]): Promise<{ stages: Stage[]; spec: StageSpec }> {
  const refs = flags.map((f) => stageRefFromFlag(f));
  const plan = await planStages(refs, { validate: true, warn: () => {} });
  return { stages: plan.stages, spec: { refs, validate: true } };
}

/** The engine source over a fresh fake, with the stateless head of the stages inline; the rest for the Runner. */
async function engine(src: FakeKafka, flags: string[], stats: RunStats): Promise<{ source: MessageEngineSource; rest: Stage[]; head: number }> {
  const { stages, spec } = await stagesOf(flags);
  const head = parallelPrefix(stages);
  const source = new MessageEngineSource(src, { spec, count: head, local: stages.slice(0, head) }, 0, stats);
  return { source, rest: stages.slice(head), head };
}

/** Give up on a promise that should have settled (a deadlock fails the test instead of hanging it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** A record's fields, and its texts as the sinks and the dead-letter output write them (numbers as read). */
const recFields = (r: Rec) => ({
  value: r.value,
  raw: r.raw,
  source: r.source,
  line: r.line,
  origin: r.origin,
  pos: r.pos,
  kind: r.kind,
  kindHint: r.kindHint,
  text: recordJson(r.value, r.raw),
  rawText: stringifyLossless(r.raw),
});

/** A run of the messages through the Runner: the source decoding them itself, or the engine (inline) and the rest of the stages. */
async function runPath(deferring: boolean, msgs: Msg[], size: number, flags: string[]) {
  const stats = new RunStats();
  const src = fakeKafka(msgs, size);
  const sink = fakeSink({ maxInFlight: 3 });
  const dlq = fakeDlq();
  let plan;
  if (deferring) {
    const { source, rest } = await engine(src, flags, stats);
    plan = { sources: [source], stages: rest };
  } else plan = { sources: [src], stages: (await stagesOf(flags)).stages };
  const outcome = await new Runner({ ...plan, sink, dlq, stats }).run();
  const { started: _s, peakRss: _p, ...figures } = stats;
  return { outcome, out: sink.writes.flat().map(recFields), dlq: dlq.rows.map((r) => ({ ...r, text: stringifyLossless(r.record) })), figures, acked: src.acked, parseErrors: src.parseErrors };
}

describe('MessageEngineSource with no workers (inline)', () => {
  it('takes over decoding: the inner source is told to defer, and its batches carry raw messages', async () => {
    const src = fakeKafka(messages(4), 4);
    await engine(src, [], new RunStats());
    expect(src.deferred).toBe(true);
  });

  it('yields the batches in order with the records and rejects decodeMessage and the stateless stages give', async () => {
    const msgs = messages(300);
    const size = 16;
    const stats = new RunStats();
    const src = fakeKafka(msgs, size);
    const { source, head } = await engine(src, STAGES, stats);
    expect(head).toBe(4); // contract, filter, set, sample: dedupe keeps state and stays on the main thread
    const got: SourceBatch[] = [];
    for await (const b of source.batches()) got.push(b);
    // the reference: the source decoding itself, then the same stateless stages, batch by batch
    const ref = fakeKafka(msgs, size);
    const local = (await stagesOf(STAGES)).stages.slice(0, head);
    const want: { records: Rec[]; rejected: Rejected[]; dropped: number }[] = [];
    for await (const b of ref.batches()) {
      let recs = b.records;
      const rejected = b.rejected.slice();
      let dropped = 0;
      for (const st of local) {
        const res = await st.process(recs);
        dropped += recs.length - res.kept.length - res.rejected.length;
        rejected.push(...res.rejected);
        recs = res.kept;
      }
      rejected.sort(byInputOrder); // a batch's dead-letter rows in offset order, whichever stage made them
      want.push({ records: recs, rejected, dropped });
    }
    expect(got).toHaveLength(want.length);
    for (let i = 0; i < got.length; i++) {
      expect(got[i]!.messages).toBeUndefined();
      expect(got[i]!.records.map(recFields), `batch ${i}`).toEqual(want[i]!.records.map(recFields));
      expect(got[i]!.rejected, `batch ${i}`).toEqual(want[i]!.rejected);
      for (const r of got[i]!.records) expect(r.source).toBe(`kafka:t/3@${r.pos}`);
    }
    // records in offset order, both kinds, with the kind header as the hint
    const all = got.flatMap((b) => b.records);
    expect(all.map((r) => r.pos)).toEqual(all.map((r) => r.pos).sort((a, b) => a - b));
    expect(new Set(all.map((r) => r.kind))).toEqual(new Set(['customer', 'inventory']));
    expect(all.filter((r) => r.kindHint === 'customer').length).toBeGreaterThan(0);
    // numbers as read survive the trip through the engine
    const big = got.flatMap((b) => b.records).find((r) => r.kind === 'customer')!;
    expect(recordJson(big.value, big.raw)).toContain('12345678901234567890123');
    // acks in order, each once
    for (const b of got) await b.ack!();
    expect(src.acked).toEqual(want.map((_, i) => i));
    // dropped in the engine is counted as read and dropped, as the Runner would have
    const dropped = want.reduce((n, w) => n + w.dropped, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(stats.dropped).toBe(dropped);
    expect(stats.recordsIn).toBe(dropped);
    expect(src.parseErrors).toBe(ref.parseErrors);
    const codes = new Set(got.flatMap((b) => b.rejected.map((r) => r.errors[0]!.code)));
    for (const c of ['parse_error', 'too_long', 'invalid_email', 'filtered']) expect(codes).toContain(c);
    await source.close();
  });

  it('through the Runner: the same output, dead-letter rows, counts and acks as the sequential path', async () => {
    const seq = await runPath(false, messages(400), 25, STAGES);
    const eng = await runPath(true, messages(400), 25, STAGES);
    expect(eng).toEqual(seq);
    expect(seq.figures.recordsIn).toBe(400);
    expect(seq.out.length).toBeGreaterThan(0);
  });

  it('the same as the sequential path for any messages, batch size and stages (property)', async () => {
    const text = (v: Record<string, unknown>): string => JSON.stringify(v);
    const msg: fc.Arbitrary<Msg> = fc.record({
      value: fc.oneof(
        fc.record({ customer_id: fc.constantFrom('C1', 'C2', 'C33', ' c4 ', ''), email: fc.constantFrom('a@b.io', 'x@y.de', 'bad'), country: fc.constantFrom('DE', 'fr', 'XX') }).map(text),
        fc.record({ sku: fc.constantFrom('SKU-1', 'sku-2'), product_name: fc.constantFrom('A', ''), quantity: fc.integer({ min: -5, max: 300 }), unit_price: fc.constantFrom('9.99', '1e400', 'x'), warehouse_id: fc.constant('WH-01'), updated_at: fc.constant('2025-01-01T00:00:00Z') }).map(text),
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.json({ maxDepth: 3 }),
        fc.constant(null),
        fc.integer({ min: 995, max: 1005 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
        fc.integer({ min: -3, max: 3 }).map((d) => `{"customer_id":"C1","email":"a@b.io","pad":"${'é'.repeat(2020)}${'x'.repeat(d + 10)}"}`), // about MAX_RECORD_BYTES
        fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
      ),
      kind: fc.option(fc.constantFrom('customer', 'inventory', 'Customer', 'other'), { nil: undefined }),
    });
    const flags = fc.subarray(['filter:expr=quantity > 100 or exists(email),on_drop=reject', 'set:field=tag,template={kind}-x', 'sample:rate=0.7,seed=3', 'dedupe:key=country', 'rename:fields=email:contact_email,tag:label']);
    await fc.assert(
      fc.asyncProperty(fc.array(msg, { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), flags, async (msgs, size, stages) => {
        const seq = await runPath(false, msgs, size, stages);
        const eng = await runPath(true, msgs, size, stages);
        expect(eng).toEqual(seq);
        usePieceStages(null);
      }),
      { numRuns: 60 },
    );
  });

  it('batches decoded out of order (a slow async parallel stage on the first ones) still come out in order', async () => {
    const tmp = tempDir('recflow-engine-src-');
    try {
      // the first batches take longest: later ones are decoded first
      const stage = join(tmp.dir, 'slow.mjs');
      writeFileSync(stage, `export default { name: 'slow', parallel: true, async process(records) {
        const first = records[0] ? records[0].pos : 0;
        await new Promise((r) => setTimeout(r, Math.max(0, 40 - (first - 100) / 2)));
        return { kept: records, rejected: [] };
      } };\n`);
      const src = fakeKafka(messages(60), 6);
      const { source, head } = await engine(src, [stage], new RunStats());
      expect(head).toBe(2);
      const got: SourceBatch[] = [];
      for await (const b of source.batches()) got.push(b);
      const pos = got.map((b) => [...b.records.map((r) => r.pos), ...b.rejected.map((r) => Number(r.source.split('@')[1]))].sort((a, b) => a - b));
      expect(pos).toEqual(Array.from({ length: 10 }, (_, i) => Array.from({ length: 6 }, (_, k) => 100 + i * 6 + k)));
      for (const b of got) await b.ack!();
      expect(src.acked).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await source.close();
    } finally {
      tmp.cleanup();
    }
  });

  it('yields the oldest decoded batch while the inner source waits for more messages, and a stop ends the wait', async () => {
    const src = fakeKafka(messages(5), 5, { idle: true });
    const { source } = await engine(src, [], new RunStats());
    const it = source.batches()[Symbol.asyncIterator]();
    const first = await within(it.next(), 2000, 'the decoded batch');
    expect(first.done).toBe(false);
    expect(first.value!.records.length + first.value!.rejected.length).toBe(5);
    const next = it.next();
    source.stop();
    expect((await within(next, 2000, 'the end after stop()')).done).toBe(true);
    expect(src.stops).toBe(1);
    await source.close();
  });

  it('in the Runner on an idle stream: the batch is written and acked while the source waits; stop() ends the run', async () => {
    const src = fakeKafka(messages(6), 3, { idle: true });
    const stats = new RunStats();
    const { source, rest } = await engine(src, [], stats);
    const sink = fakeSink();
    const runner = new Runner({ sources: [source], stages: rest, sink, dlq: fakeDlq(), stats });
    const done = runner.run();
    for (let i = 0; i < 200 && src.acked.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(src.acked).toEqual([0, 1]);
    runner.stop('SIGTERM');
    const outcome = await within(done, 2000, 'the run after stop()');
    expect(outcome.interrupted).toBe('SIGTERM');
    expect(stats.recordsIn).toBe(6);
  });

  it('a consumer that leaves the iteration early ends the pending read of the inner source', async () => {
    const src = fakeKafka(messages(3), 3, { idle: true });
    const { source } = await engine(src, [], new RunStats());
    const leave = async (): Promise<number> => {
      for await (const b of source.batches()) return b.records.length + b.rejected.length;
      return 0;
    };
    expect(await within(leave(), 2000, 'leaving the iteration')).toBe(3);
    expect(src.stops).toBe(1);
    await source.close();
  });

  it('a runner leaving early (head) ends the pending read of the inner source', async () => {
    const src = fakeKafka(messages(40), 4, { idle: true });
    const stats = new RunStats();
    const { source, rest } = await engine(src, ['head:n=3'], stats);
    const sink = fakeSink();
    const outcome = await within(new Runner({ sources: [source], stages: rest, sink, dlq: fakeDlq(), stats }).run(), 2000, 'the run');
    expect(outcome).toEqual({ interrupted: undefined, failure: undefined });
    expect(stats.recordsOut).toBe(3);
    expect(stats.recordsIn).toBe(stats.recordsOut + stats.rejected + stats.dropped);
    expect(src.stops).toBeGreaterThan(0);
  });
});
