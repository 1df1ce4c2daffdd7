// A model test of the retry loop and the circuit breaker on a fake clock: random
// fault sequences, request durations, breaker settings and timers that fire early
// (as real timers may, relative to Date.now()). Properties: every batch ends
// delivered or given up; whenever nothing is runnable, a timer is pending (no try
// waits on nothing: issue 11, where the process exited 0 with batches undelivered),
// and a try waiting on the breaker always has its pause timer or a probe to wake it;
// a batch never makes more tries than allowed, and gives up no later than
// --retry-max-time plus one request; after an abort (Ctrl-C) no retry starts and
// every batch ends within the request it has on the way.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GaveUp, withRetries, type Attempt } from '../../../src/sinks/util/backoff.js';
import { CircuitBreaker } from '../../../src/sinks/util/breaker.js';
import type { Clock, Timer } from '../../../src/sinks/util/clock.js';

/** Timers fire in due order; each may fire up to `early` ms before its due time, as seen by now(). */
class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();
  constructor(private readonly early: () => number) {}
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): Timer {
    const id = this.seq++;
    this.timers.set(id, { due: this.t + Math.max(0, ms), fn });
    return { cancel: () => void this.timers.delete(id) };
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Fire the earliest timer; false when none is pending. */
  fireNext(): boolean {
    let best: [number, { due: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (!best || e[1].due < best[1].due) best = e;
    if (!best) return false;
    this.timers.delete(best[0]);
    this.t = Math.max(this.t, best[1].due - this.early());
    best[1].fn();
    return true;
  }
}

type Fault = 'ok' | 'fail' | 'throttle' | 'fatal';
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const scenario = fc.record({
  batches: fc.integer({ min: 1, max: 6 }),
  threshold: fc.integer({ min: 1, max: 5 }),
  pauseMs: fc.integer({ min: 0, max: 60 }),
  baseMs: fc.integer({ min: 1, max: 20 }),
  capMs: fc.integer({ min: 1, max: 80 }),
  maxTries: fc.integer({ min: 1, max: 30 }),
  maxTimeMs: fc.integer({ min: 0, max: 600 }),
  /** The endpoint is down (refused, 503...) until this time, then answers as `faults` say. */
  downUntil: fc.integer({ min: 0, max: 1500 }),
  faults: fc.array(fc.constantFrom<Fault>('ok', 'ok', 'ok', 'fail', 'throttle', 'fatal'), { minLength: 1, maxLength: 40 }),
  durations: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 40 }),
  early: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 10 }),
  seed: fc.integer(),
  /** Ctrl-C at this time, if set. */
  abortAt: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function simulate(s: Scenario): Promise<void> {
  let e = 0;
  const clock = new FakeClock(() => s.early[e++ % s.early.length]!);
  let rnd = s.seed >>> 0;
  const random = (): number => ((rnd = (rnd * 1103515245 + 12345) >>> 0) % 1000) / 1000;
  const breaker = new CircuitBreaker({ threshold: s.threshold, pauseMs: s.pauseMs, clock });
  const maxDuration = Math.max(...s.durations);
  let requests = 0;
  const request = (): Promise<Attempt<string>> => {
    const n = requests++;
    const fault: Fault = clock.now() < s.downUntil ? 'fail' : s.faults[n % s.faults.length]!;
    return new Promise((resolve) =>
      clock.after(s.durations[n % s.durations.length]!, () => {
        if (fault === 'ok') resolve({ ok: true, value: 'delivered' });
        else if (fault === 'fatal') resolve({ ok: false, retryable: false, error: new Error('bad certificate') });
        else resolve({ ok: false, retryable: true, error: new Error(fault === 'fail' ? 'HTTP 503' : 'HTTP 429'), retryAfterMs: fault === 'throttle' ? 25 : undefined });
      }),
    );
  };
  const ctl = new AbortController();
  const abortTimer = s.abortAt === undefined ? undefined : clock.after(s.abortAt, () => ctl.abort(new Error('interrupted by SIGINT')));
  let retriesAfterAbort = 0;
  const ends: Array<{ end?: 'delivered' | GaveUp; at?: number; tries: number }> = [];
  const runs = Array.from({ length: s.batches }, (_, i) => {
    const me = { tries: 0 } as (typeof ends)[number];
    ends[i] = me;
    return withRetries(
      () => {
        me.tries++;
        if (ctl.signal.aborted && me.tries > 1) retriesAfterAbort++;
        return request();
      },
      { policy: { baseMs: s.baseMs, capMs: s.capMs }, maxTries: s.maxTries, maxTimeMs: s.maxTimeMs, breaker, random, clock, signal: ctl.signal },
    ).then(
      () => Object.assign(me, { end: 'delivered' as const, at: clock.now() }),
      (err: unknown) => Object.assign(me, { end: err as GaveUp, at: clock.now() }),
    );
  });
  const settled = Promise.all(runs);
  let done = false;
  void settled.then(() => (done = true));
  for (let steps = 0; ; steps++) {
    await turn();
    if (done) break;
    // nothing runnable: something must be pending on the clock, or a try waits forever
    expect(clock.pending, `stuck with ${breaker.waiting} waiting on the breaker (${breaker.state}), nothing pending`).toBeGreaterThan(0);
    // a try waits on the breaker only while something will wake it: the pause timer, or a probe's outcome
    if (breaker.waiting > 0) {
      const live = (breaker.state === 'open' && breaker.pauseLive) || (breaker.state === 'half-open' && breaker.probeOut);
      expect(live, `${breaker.waiting} waiting on a ${breaker.state} breaker that nothing will wake`).toBe(true);
    }
    expect(steps).toBeLessThan(100_000);
    clock.fireNext();
  }
  for (const r of ends) {
    expect(r.end === 'delivered' || r.end instanceof GaveUp).toBe(true);
    expect(r.tries).toBeLessThanOrEqual(s.maxTries);
    if (r.end instanceof GaveUp) expect(r.at!).toBeLessThanOrEqual(s.maxTimeMs + maxDuration + 3);
    // after Ctrl-C a batch ends within the request it has on the way
    if (s.abortAt !== undefined) expect(r.at!).toBeLessThanOrEqual(s.abortAt + maxDuration + 3);
  }
  expect(retriesAfterAbort).toBe(0);
  // and nothing left behind: no waiter, no timer
  expect(breaker.waiting).toBe(0);
  abortTimer?.cancel();
  breaker.dispose();
  expect(clock.pending).toBe(0);
}

describe('retry loop and circuit breaker: model', () => {
  it('every batch ends delivered or given up, in time, and never waits on nothing', async () => {
    await fc.assert(fc.asyncProperty(scenario, simulate), { numRuns: 400 });
  });

  it('a breaker whose pause timer fires before its due time still lets the probe go (issue 11)', async () => {
    await simulate({ batches: 4, threshold: 1, pauseMs: 7, baseMs: 5, capMs: 20, maxTries: 10_000, maxTimeMs: 2000, downUntil: 1000, faults: ['ok'], durations: [1], early: [1, 0, 2], seed: 1 });
  });

  it('an aborted signal ends back-off and breaker waits at once, with the signal reason', async () => {
    const clock = new FakeClock(() => 0);
    const breaker = new CircuitBreaker({ threshold: 1, pauseMs: 10_000, clock });
    const ctl = new AbortController();
    const tries: number[] = [];
    const fail = async (n: number): Promise<Attempt<string>> => (tries.push(n), { ok: false, retryable: true, error: new Error('connection refused') });
    const a = withRetries(fail, { policy: { baseMs: 5000, capMs: 5000 }, maxTries: 100, maxTimeMs: 60_000, breaker, clock, signal: ctl.signal }).catch((e: unknown) => e);
    const b = withRetries(fail, { policy: { baseMs: 5000, capMs: 5000 }, maxTries: 100, maxTimeMs: 60_000, breaker, clock, signal: ctl.signal }).catch((e: unknown) => e);
    await turn();
    ctl.abort(new Error('interrupted by SIGINT'));
    const [ea, eb] = await Promise.all([a, b]);
    expect((ea as GaveUp).lastError.message).toBe('interrupted by SIGINT');
    expect((eb as GaveUp).lastError.message).toBe('interrupted by SIGINT');
    expect(ea).toMatchObject({ name: 'GaveUp', code: 'sink' }); // a RecflowError: the sink failed for good
    expect(tries).toEqual([1, 1]); // one first try each, no retry
    expect(clock.now()).toBe(0);
    breaker.dispose();
    expect(clock.pending).toBe(0);
  });
});
