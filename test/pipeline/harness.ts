// A harness for running the sequential Runner on fakes (fakes.ts) under fake timers, and
// the checks every path must pass: what was read is accounted for, acks come in order after delivery.
import { expect, vi } from 'vitest';
import { Runner, type RunOutcome } from '../../src/pipeline/runner.js';
import { RunStats } from '../../src/pipeline/stats.js';
import type { Stage } from '../../src/pipeline/types.js';
import { fakeDlq, fakeSink, fakeSource, keyOf, type BatchSpec, type Dropped, type FakeDlq, type FakeSink, type FakeSource, type SinkOptions, type SourceOptions } from './fakes.js';

/** Let fake time pass until the promise settles (a run that never ends fails the test). */
export async function drive<T>(p: Promise<T>, maxMs = 600_000): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let t = 0; !done && t < maxMs; t += 50) await vi.advanceTimersByTimeAsync(50);
  if (!done) throw new Error(`the run did not end within ${maxMs} ms of fake time`);
  return p;
}

export interface Setup {
  specs: BatchSpec[];
  stages?: (dropped: Dropped) => Stage[];
  sink?: SinkOptions;
  source?: SourceOptions;
  /** Called with the runner before it runs (e.g. a sink hook that stops it). */
  before?: (runner: Runner) => void;
}

export interface Ran {
  outcome: RunOutcome;
  stats: RunStats;
  src: FakeSource;
  sink: FakeSink;
  dlq: FakeDlq;
  dropped: Dropped;
  events: string[];
}

export function build(s: Setup): Omit<Ran, 'outcome'> & { runner: Runner } {
  const events: string[] = [];
  const dropped: Dropped = new Set();
  const dlq = fakeDlq(events);
  const sink = fakeSink(s.sink, events);
  const snapshot = (batch: number) => {
    events.push(`ack ${batch}`);
    return { batch, delivered: new Set(sink.delivered), synced: new Set(dlq.rows.slice(0, dlq.synced).map(keyOf)) };
  };
  const src = fakeSource(s.specs, { snapshot, ...s.source });
  const stats = new RunStats();
  const runner = new Runner({ sources: [src], stages: s.stages?.(dropped) ?? [], sink, dlq, stats });
  s.before?.(runner);
  return { runner, stats, src, sink, dlq, dropped, events };
}

export async function run(s: Setup): Promise<Ran> {
  const b = build(s);
  const outcome = await drive(b.runner.run());
  return { ...b, outcome };
}

export const linesOf = (spec: BatchSpec): number[] => [...spec.lines, ...(spec.bad ?? [])];

/** in = out + rejected + dropped + failed, and each record read is in exactly one of those places. */
export function expectAccounted(r: Ran, failedCode = 'delivery_failed'): void {
  const { stats, src, sink, dlq, dropped } = r;
  expect(stats.recordsIn).toBe(stats.recordsOut + stats.rejected + stats.dropped + stats.failed);
  const read = src.yielded.flatMap(linesOf).map((l) => `in.ndjson:${l}`);
  expect(stats.recordsIn).toBe(read.length);
  const places = [...sink.delivered, ...dlq.rows.map(keyOf), ...dropped];
  expect(places.sort()).toEqual(read.sort());
  expect(stats.recordsOut).toBe(sink.delivered.size);
  expect(stats.dropped).toBe(dropped.size);
  expect(stats.failed).toBe(dlq.rows.filter((row) => row.errors[0]!.code === failedCode).length);
}

/** Each ack came in batch order and saw every record of its batch delivered, dropped, or dead-lettered and synced. */
export function expectAcksAfterDelivery(r: Ran, acked: number[]): void {
  expect(r.src.acks.map((a) => a.batch)).toEqual(acked);
  for (const a of r.src.acks) {
    for (const line of linesOf(r.src.yielded[a.batch]!)) {
      const key = `in.ndjson:${line}`;
      expect(a.delivered.has(key) || a.synced.has(key) || r.dropped.has(key), `${key} settled before ack ${a.batch}`).toBe(true);
    }
  }
}

export const batches = (n: number, size: number, bad: (line: number) => boolean = () => false): BatchSpec[] =>
  Array.from({ length: n }, (_, i) => {
    const all = Array.from({ length: size }, (_, k) => i * size + k + 1);
    return { lines: all.filter((l) => !bad(l)), bad: all.filter(bad) };
  });
