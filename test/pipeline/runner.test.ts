// The sequential Runner with fake sources, stages, sinks and dead-letter writers:
// when acks are made, what a sink failure or a stop does, and that every record read
// is written, dead-lettered, dropped on purpose or counted as failed, on every path.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecflowError, SinkFailure } from '../../src/errors.js';
import { mayAckLate } from '../../src/pipeline/acks.js';
import { Runner } from '../../src/pipeline/runner.js';
import { RunStats } from '../../src/pipeline/stats.js';
import type { SinkWriteResult } from '../../src/pipeline/types.js';
import { fakeDlq, fakeSink, fakeSource, headStage, holdingStage, pickStage, rejectOf } from './fakes.js';
import type { Dropped } from './fakes.js';
import { batches, build, drive, expectAccounted, expectAcksAfterDelivery, run, type Ran, type Setup } from './harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const slowFirst = (n: number): number => 500 - (n % 4) * 100; // later writes of a window resolve first

describe('acks', () => {
  it('are made in batch order, each after the sink resolved its records and the dead-letter rows are synced', async () => {
    const r = await run({
      specs: batches(8, 5, (l) => l % 7 === 0),
      stages: (d) => [pickStage('reject', d, { reject: (x) => x.line! % 4 === 0 }), pickStage('drop', d, { drop: (x) => x.line! % 9 === 0 })],
      sink: { maxInFlight: 4, delay: slowFirst },
    });
    expect(r.outcome).toEqual({ interrupted: undefined, failure: undefined });
    expectAcksAfterDelivery(r, [0, 1, 2, 3, 4, 5, 6, 7]);
    expectAccounted(r);
    // writes did resolve out of order: the order of the acks is the runner's doing
    const written = r.events.filter((e) => e.startsWith('written')).map((e) => Number(e.split(' ')[1]));
    expect(written).not.toEqual([...written].sort((a, b) => a - b));
  });

  it('a batch all rejected by a stage is acked after the batches before it, and after its rows are synced', async () => {
    const r = await run({
      specs: [{ lines: [1, 2] }, { lines: [3, 4] }, { lines: [5] }],
      stages: (d) => [pickStage('reject', d, { reject: (x) => x.line === 3 || x.line === 4 })],
      sink: { maxInFlight: 3, delay: (n) => (n === 0 ? 1000 : 10) },
    });
    expectAcksAfterDelivery(r, [0, 1, 2]);
    expect(r.events.indexOf('ack 1')).toBeGreaterThan(r.events.indexOf('written 0'));
    expectAccounted(r);
  });

  it('with a sink durable at close: held until onDurable reports their write calls, the rest at close', async () => {
    let more!: () => void;
    const idle = new Promise<void>((res) => (more = res));
    const b = build({ specs: batches(3, 2), sink: { durableAt: 'close', maxInFlight: 1 }, source: { more: idle } });
    const done = b.runner.run();
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.sink.writes).toHaveLength(3);
    expect(b.src.acks).toEqual([]); // written, not durable: the source waits for more messages
    b.sink.listener!(2); // a rotation: the files of the first two write calls are in place
    await vi.advanceTimersByTimeAsync(10);
    expect(b.src.acks.map((a) => a.batch)).toEqual([0, 1]);
    expect(b.sink.closes).toBe(0);
    more();
    const outcome = await drive(done);
    expect(outcome.failure).toBeUndefined();
    expect(b.src.acks.map((a) => a.batch)).toEqual([0, 1, 2]);
    expect(b.events.indexOf('ack 2')).toBeGreaterThan(b.events.indexOf('close'));
    expect(b.src.closed).toBe(true);
  });

  it.each([
    ['succeeds: its ack waits for it', undefined, [0, 1, 2]],
    ['fails: neither it nor any later batch is acked', new SinkFailure('disk full'), []],
  ])('with a sink durable at close, reported durable while its write is pending, the write %s', async (_, err, acked) => {
    const r = await run({
      specs: batches(3, 2),
      sink: {
        durableAt: 'close',
        maxInFlight: 3,
        delay: (n) => (n === 0 ? 300 : 10),
        onWrite: (n, sink) => n === 2 && sink.listener!(2), // a rotation covering writes 0 and 1, write 0 still pending
        outcome: (n) => (n === 0 ? err : undefined),
      },
    });
    expect(r.outcome.failure).toBe(err);
    expectAcksAfterDelivery(r, acked);
    expectAccounted(r);
  });

  it('with a sink durable at close: a failed write stops the acks at the batch before it', async () => {
    const err = new SinkFailure('disk full');
    const r = await run({
      specs: batches(4, 2),
      sink: { durableAt: 'close', maxInFlight: 1, delay: () => 100, onWrite: (n, sink) => n === 2 && sink.listener!(2), outcome: (n) => (n === 2 ? err : undefined) },
    });
    expect(r.outcome.failure).toBe(err);
    expect(r.sink.closes).toBe(1); // its close() reported every write durable: the failed one stops the acks
    expect(r.src.acks.map((a) => a.batch)).toEqual([0, 1]);
    expectAccounted(r);
  });

  it('late acks (a checkpoint) wait until the records a stage held back are written', async () => {
    const r = await run({
      specs: batches(3, 4),
      stages: (d) => [holdingStage(d)],
      sink: { delay: () => 100 },
      source: { wrapAck: mayAckLate },
    });
    expect(r.sink.writes.flat().map((x) => x.line)).toEqual([1, 2, 4, 7, 8, 11]);
    expectAcksAfterDelivery(r, [0, 1, 2]);
    expect(r.events.indexOf('ack 0')).toBeGreaterThan(r.events.indexOf('written 0'));
    expectAccounted(r);
  });
});

describe('sinks and sources', () => {
  it('a sink holding writes across calls is released before the runner waits on each (else the run would hang)', async () => {
    for (const stages of [undefined, (d: Dropped) => [holdingStage(d)]]) {
      const r = await run({ specs: batches(5, 3), stages, sink: { holdUntilRelease: true, maxInFlight: 2 } });
      expect(r.outcome.failure).toBeUndefined();
      expect(r.events[0]).toBe('hold');
      expect(r.sink.writes.length).toBe(stages ? 1 : 5); // with a holding stage: one write, at the end
      r.sink.writes.forEach((_, n) => expect(r.events.indexOf(`release ${n}`)).toBeLessThan(r.events.indexOf(`written ${n}`)));
      expectAccounted(r);
    }
  });

  it('a source whose acks wait for a sink durable at close stays open until they are made, then the next source runs', async () => {
    const events: string[] = [];
    const dlq = fakeDlq(events);
    const sink = fakeSink({ durableAt: 'close' }, events);
    const one = fakeSource(batches(2, 2), { snapshot: (i) => (events.push(`ack one ${i}`), { batch: i, delivered: new Set(), synced: new Set() }), onClose: () => events.push('one closed') });
    const two = fakeSource([{ lines: [11, 12] }], { snapshot: (i) => (events.push(`ack two ${i}`), { batch: i, delivered: new Set(), synced: new Set() }), onClose: () => events.push('two closed') });
    const stats = new RunStats();
    const outcome = await drive(new Runner({ sources: [one, two], stages: [], sink, dlq, stats }).run());
    expect(outcome.failure).toBeUndefined();
    expect(sink.writes.flat().map((x) => x.line)).toEqual([1, 2, 3, 4, 11, 12]);
    expect(events.filter((e) => !e.startsWith('writ'))).toEqual(['close', 'ack one 0', 'ack one 1', 'ack two 0', 'one closed', 'two closed']);
  });
});

describe('an ack that fails (a commit refused for good)', () => {
  it.each<['write' | 'close']>([['write'], ['close']])('with a sink durable at %s: the run fails as a source failure, later batches are not acked', async (durableAt) => {
    let calls = 0;
    const r = await run({
      specs: batches(4, 2),
      sink: { durableAt },
      source: {
        wrapAck: (ack) => async () => {
          if (calls++ === 1) throw new Error('offset commit refused');
          await ack();
        },
      },
    });
    expect(r.outcome.failure).toBeInstanceOf(RecflowError);
    expect(r.outcome.failure!.code).toBe('source');
    expect(r.outcome.failure!.message).toContain('offset commit refused');
    // (a file sink's batches made durable together at close are acked together: the later ones may be made)
    expect(r.src.acks.map((a) => a.batch)).toEqual(durableAt === 'write' ? [0] : [0, 2, 3]);
    expect(r.src.closed).toBe(true);
    expectAccounted(r);
  });
});

describe('a sink write that fails for good', () => {
  it.each([
    ['a SinkFailure: every record of the write', () => new SinkFailure('HTTP 503 after 5 tries'), [5, 6, 7, 8]],
    ['any other error', () => new Error('socket hang up'), [5, 6, 7, 8]],
  ])('%s is dead-lettered as delivery_failed and the source is stopped', async (_, make, failedLines) => {
    let thrown: Error | undefined;
    const r = await run({
      specs: batches(6, 4),
      sink: { outcome: (n) => (n === 1 ? (thrown = make()) : undefined) },
    });
    expect(r.outcome.failure).toBeInstanceOf(RecflowError);
    expect(r.outcome.failure!.code).toBe('sink');
    expect(r.outcome.failure!.message).toContain(thrown!.message);
    expect(r.src.stops).toBeGreaterThan(0);
    expect(r.src.yielded.length).toBeLessThan(6);
    const failed = r.dlq.rows.filter((row) => row.errors[0]!.code === 'delivery_failed');
    expect(failed.map((row) => row.line)).toEqual(failedLines);
    expect(failed[0]).toEqual({ source: 'in.ndjson', line: failedLines[0], kind: 'customer', errors: [{ field: null, code: 'delivery_failed', message: r.outcome.failure!.message }], record: { id: `C${failedLines[0]}` } });
    expect(r.src.acks.map((a) => a.batch)).toEqual([0]); // not the failed batch, nor any after it
    expectAccounted(r);
    expect(r.src.closed).toBe(true);
    expect(r.sink.closes).toBe(1);
  });

  it('answered as a result (the sink gave up, by index): the refused are dead-lettered as delivery_failed, the rest counted out', async () => {
    const failure = new SinkFailure('broker gone');
    const r = await run({
      specs: batches(6, 4),
      sink: { outcome: (n) => (n === 1 ? { refused: [{ from: 2, to: 4, code: 'delivery_failed', message: failure.message }], failure } : undefined) },
    });
    expect(r.outcome.failure).toBe(failure);
    const failed = r.dlq.rows.filter((row) => row.errors[0]!.code === 'delivery_failed');
    expect(failed.map((row) => row.line)).toEqual([7, 8]);
    expect(r.stats.failed).toBe(2);
    expect(r.stats.recordsOut).toBe(6); // the first write's 4 and 5, 6 of the second
    expect(r.src.acks.map((a) => a.batch)).toEqual([0]);
    expectAccounted(r);
  });

  it('with writes in flight after the failed one: they count as written but are not acked', async () => {
    const r = await run({
      specs: batches(6, 3),
      sink: { maxInFlight: 3, delay: () => 100, outcome: (n) => (n === 1 ? new SinkFailure('gone') : undefined) },
    });
    expect(r.outcome.failure?.message).toBe('gone');
    expect(r.src.acks.map((a) => a.batch)).toEqual([0]);
    expectAccounted(r);
  });
});

describe('SinkBatch.streaming', () => {
  it.each([
    ['a source that says it streams (Kafka)', { streaming: true }, 'in.ndjson', true],
    ['a source that does not say', {}, 'in.ndjson', false],
    ['a source named kafka:// that does not say: the name is not read', {}, 'kafka://localhost:9092/orders', false],
  ])('%s: every write says so, what the stages held too', async (_, said, name, streaming) => {
    const b = build({ specs: batches(3, 2), stages: (d) => [holdingStage(d)] });
    Object.assign(b.src, said, { name });
    await drive(b.runner.run());
    expect(b.sink.streaming.length).toBeGreaterThan(0);
    expect(new Set(b.sink.streaming)).toEqual(new Set([streaming]));
  });
});

describe('dead-letter rows', () => {
  it('of one batch come out in line order whichever stage rejected them, batch after batch', async () => {
    const r = await run({
      specs: [
        { lines: [1, 3, 4, 5, 6, 8, 9], bad: [2, 7] },
        { lines: [10, 11, 12, 14], bad: [13] },
      ],
      stages: (d) => [
        pickStage('late', d, { reject: (x) => [5, 9, 12].includes(x.line!) }),
        pickStage('early', d, { reject: (x) => [3, 8, 11].includes(x.line!), code: 'stage_error' }),
        pickStage('third', d, { reject: (x) => x.line === 1 }),
      ],
    });
    expect(r.dlq.rows.map((row) => row.line)).toEqual([1, 2, 3, 5, 7, 8, 9, 11, 12, 13]);
    expectAccounted(r);
  });

  it('the rows a sink refuses are dead-lettered and not counted out', async () => {
    const r = await run({ specs: batches(2, 3), sink: { outcome: (n, recs) => (n === 1 ? [rejectOf(recs[1]!, 'http_rejected')] : undefined) } });
    expect(r.dlq.rows.map((row) => [row.line, row.errors[0]!.code])).toEqual([[5, 'http_rejected']]);
    expectAccounted(r);
  });
});

describe('stop(signal)', () => {
  it('during a slow sink write: the write finishes, its batch is acked, then the run ends interrupted', async () => {
    const b = build({ specs: [], source: { forever: true }, sink: { delay: () => 10_000 } });
    const done = b.runner.run();
    let ended = false;
    void done.then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(25_000); // two writes done, the third under way
    expect(b.sink.writes).toHaveLength(3);
    b.runner.stop('SIGTERM');
    await vi.advanceTimersByTimeAsync(4000);
    expect(ended).toBe(false); // drains: the pending write is waited for
    const outcome = await drive(done);
    expect(outcome).toEqual({ interrupted: 'SIGTERM', failure: undefined });
    expect(b.events.indexOf('close')).toBeGreaterThan(b.events.indexOf(`written ${b.sink.writes.length - 1}`));
    expectAccounted({ ...b, outcome });
    expectAcksAfterDelivery({ ...b, outcome }, b.src.yielded.map((_, i) => i));
    expect(b.src.yielded.length).toBeLessThanOrEqual(4);
  });

  it('with a sink that aborts: the pending write is dead-lettered as delivery_failed and not acked', async () => {
    const b = build({
      specs: [],
      source: { forever: true },
      sink: { delay: () => 60_000, abortWith: (signal) => new RecflowError('sink', `stopped by ${signal}`, { signal }) },
    });
    const done = b.runner.run();
    await vi.advanceTimersByTimeAsync(61_000);
    b.runner.stop('SIGINT');
    const outcome = await drive(done, 1000);
    expect(outcome.interrupted).toBe('SIGINT');
    expect(b.sink.aborted).toBe('SIGINT');
    expect(b.src.acks.map((a) => a.batch)).toEqual([0]);
    expect(b.dlq.rows.map((row) => row.errors[0]!.code)).toEqual(Array(10).fill('delivery_failed'));
    expectAccounted({ ...b, outcome });
  });
});

describe('in = out + rejected + dropped + failed', () => {
  it.each<[string, Partial<Setup> & { stopAtWrite?: number; stopAtBatch?: number }, (r: Ran) => void]>([
    ['a normal run', { specs: batches(5, 6, (l) => l % 11 === 0), stages: (d) => [pickStage('f', d, { drop: (x) => x.line! % 2 === 0, reject: (x) => x.line! % 5 === 0 })] }, (r) => expect(r.outcome.failure).toBeUndefined()],
    ['a sink failure', { specs: batches(5, 6), sink: { maxInFlight: 2, delay: () => 50, outcome: (n) => (n === 2 ? new SinkFailure('no') : undefined) } }, (r) => expect(r.stats.failed).toBe(6)],
    ['stop(signal) mid-run', { specs: [], source: { forever: true }, stopAtWrite: 3, stages: (d) => [pickStage('f', d, { drop: (x) => x.line! % 4 === 0 })] }, (r) => expect(r.outcome.interrupted).toBe('SIGINT')],
    ['a stage that flushes held records', { specs: batches(4, 5, (l) => l === 7), stages: (d) => [holdingStage(d), pickStage('after', d, { reject: (x) => x.line === 8 })] }, (r) => expect(r.sink.writes.flat().length).toBeGreaterThan(0)],
    ['stop(signal) with a stage that holds records: they are flushed', { specs: [], source: { forever: true }, stopAtBatch: 3, stages: (d) => [pickStage('f', d, { reject: (x) => x.line === 2 }), holdingStage(d)] }, (r) => expect(r.sink.writes.flat().length).toBeGreaterThan(0)],
    ['head done()', { specs: [], source: { forever: true }, stages: (d) => [pickStage('f', d, { reject: (x) => x.line! % 3 === 0 }), headStage(12, d)] }, (r) => {
      expect(r.outcome).toEqual({ interrupted: undefined, failure: undefined });
      expect(r.stats.recordsOut).toBe(12);
      expect(r.src.stops).toBe(1);
    }],
  ])('%s', async (_, s, more) => {
    let runner: Runner | undefined;
    const stop = (at: number | undefined) => (n: number) => n === at && runner!.stop('SIGINT');
    const r = await run({
      specs: s.specs ?? [],
      ...s,
      sink: { ...s.sink, onWrite: stop(s.stopAtWrite) },
      source: { ...s.source, onYield: stop(s.stopAtBatch) },
      before: (x) => (runner = x),
    });
    expectAccounted(r);
    more(r);
  });

  // (the records of the batch a stage failed on were once counted in and nowhere else)
  it('a stage that cannot go on (dedupe past max_keys): what it had in hand is dead-lettered as stage_error and failed, nothing after is acked', async () => {
    const boom = new RecflowError('stage', 'more than max_keys=5 distinct keys');
    const r = await run({
      specs: [{ lines: [1, 2, 3] }, { lines: [4, 5, 7, 8, 9], bad: [6] }, { lines: [10] }],
      stages: (d) => [
        pickStage('filter', d, { reject: (x) => x.line === 7, drop: (x) => x.line === 4 }),
        { name: 'dedupe', process: (recs) => (recs.some((x) => x.line === 8) ? Promise.reject(boom) : { kept: recs, rejected: [] }) },
      ],
    });
    expect(r.outcome.failure).toBe(boom);
    expect(r.src.acks.map((a) => a.batch)).toEqual([0]);
    expect(r.dlq.rows.map((row) => [row.line, row.errors[0]!.code])).toEqual([[6, 'parse_error'], [7, 'filtered'], [5, 'stage_error'], [8, 'stage_error'], [9, 'stage_error']]);
    expect(r.dlq.rows[2]!.errors[0]!.message).toBe(boom.message);
    expect(r.stats.failed).toBe(3);
    expect(r.src.closed).toBe(true);
    expect(r.sink.closes).toBe(1);
    expectAccounted(r, 'stage_error');
  });

  // BUG (runner.ts flushStages; not fixed: the runner cannot tell held records from dropped ones): when a
  // stage's flush() fails (a user stage "failed at the end of the input"), the records it held were counted
  // as dropped when it took them and stay so: the summary says "6 dropped by stages" for records that were
  // neither dropped on purpose nor dead-lettered. The stage API would need to say how many it holds.
  it.fails("a stage whose flush() fails: the records it held are not reported as dropped on purpose", async () => {
    const boom = new RecflowError('stage', 'stage hold failed at the end of the input: boom');
    const r = await run({
      specs: batches(2, 3),
      stages: (d) => [{ ...holdingStage(d), flush: () => Promise.reject(boom) }],
    });
    expect(r.outcome.failure).toBe(boom);
    expect(r.stats.dropped).toBe(0);
    expect(r.stats.failed).toBe(6);
  });

  it('holds for any batches, stages, sink failure and stop point (property)', async () => {
    const setup = fc.record({
      sizes: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
      badMod: fc.integer({ min: 2, max: 9 }),
      rejectMod: fc.integer({ min: 2, max: 9 }),
      dropMod: fc.integer({ min: 2, max: 9 }),
      hold: fc.boolean(),
      head: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      failAt: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      partial: fc.boolean(),
      stopAt: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      maxInFlight: fc.integer({ min: 1, max: 4 }),
      durableAt: fc.constantFrom<'write' | 'close'>('write', 'close'),
      /** With durableAt close: a rotation makes the first writes durable as write n starts. */
      rotateAt: fc.integer({ min: 0, max: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(setup, async (p) => {
        let line = 0;
        const specs = p.sizes.map((n) => {
          const all = Array.from({ length: n }, () => ++line);
          return { lines: all.filter((l) => l % p.badMod !== 0), bad: all.filter((l) => l % p.badMod === 0) };
        });
        let runner: Runner | undefined;
        const r = await run({
          specs,
          stages: (d) => [
            pickStage('f', d, { reject: (x) => x.line! % p.rejectMod === 0, drop: (x) => x.line! % p.dropMod === 1 }),
            ...(p.hold ? [holdingStage(d)] : []),
            ...(p.head !== undefined ? [headStage(p.head, d)] : []),
          ],
          sink: {
            maxInFlight: p.maxInFlight,
            delay: (n) => (n % 3) * 20,
            durableAt: p.durableAt,
            onWrite: (n, sink) => {
              if (n === p.rotateAt) sink.listener?.(Math.max(0, n - 1));
              if (n === p.stopAt) runner!.stop('SIGTERM');
            },
            // partial: the sink gave up after the first record, the rest refused by index
            outcome: (n, recs) => (n !== p.failAt ? undefined : p.partial ? gaveUpAfterFirst(recs.length) : new SinkFailure('no')),
          },
          // a Kafka commit is made before held records are written (docs/stages.md: keep_last is for files); a checkpoint waits
          source: p.hold ? { wrapAck: mayAckLate } : {},
          before: (x) => (runner = x),
        });
        expectAccounted(r);
        const acked = r.src.acks.map((a) => a.batch);
        expectAcksAfterDelivery(r, [...acked].sort((a, b) => a - b));
        if (r.outcome.failure === undefined) expect(acked).toEqual(r.src.yielded.map((_, i) => i));
      }),
      { numRuns: 150 },
    );
  });
});

/** A sink's answer when it delivered the first record of a write and gave up on the rest. */
function gaveUpAfterFirst(count: number): SinkWriteResult {
  const failure = new SinkFailure('no');
  return { refused: count > 1 ? [{ from: 1, to: count, code: 'delivery_failed', message: failure.message }] : [], failure };
}
