// The shared retry machinery (src/sinks/util): full jitter, Retry-After, the retry loop, the breaker.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { fullJitterDelay, GaveUp, parseRetryAfter, withRetries, type Attempt } from '../../../src/sinks/util/backoff.js';
import { CircuitBreaker } from '../../../src/sinks/util/breaker.js';
import { Semaphore } from '../../../src/sinks/util/semaphore.js';
import { exitCodeFor, RecflowError } from '../../../src/errors.js';

describe('full jitter', () => {
  it('stays within [0, min(cap, base * 2^retry))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (base, cap, retry, r) => {
        const d = fullJitterDelay({ baseMs: base, capMs: cap }, retry, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(1, Math.min(cap, base * 2 ** retry)));
      }),
    );
  });

  it('doubles its bound each retry up to the cap', () => {
    const top = (retry: number): number => fullJitterDelay({ baseMs: 100, capMs: 1000 }, retry, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
});

/** withRetries and the breaker wait on timers: fake ones, advanced by the tests. */
function fakeTimers(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

describe('withRetries', () => {
  fakeTimers();
  const fail = (retryAfterMs?: number): Attempt<string> => ({ ok: false, retryable: true, error: new Error('HTTP 503'), retryAfterMs });

  it('tries maxTries times, then gives up with the last error and the count', async () => {
    let tries = 0;
    const p = withRetries(async () => (tries++, fail()), { policy: { baseMs: 1, capMs: 2 }, maxTries: 4, maxTimeMs: 10_000 }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await p;
    expect(tries).toBe(4);
    expect(err).toBeInstanceOf(GaveUp);
    expect(err).toMatchObject({ tries: 4, retryable: true, message: 'HTTP 503' });
  });

  it('gives up with a RecflowError of code sink (exit 3) that keeps its name, fields and cause', async () => {
    const p = withRetries(async () => fail(), { policy: { baseMs: 1, capMs: 2 }, maxTries: 2, maxTimeMs: 10_000 }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = (await p) as GaveUp;
    expect(err).toBeInstanceOf(GaveUp);
    expect(err).toBeInstanceOf(RecflowError);
    expect(err).toMatchObject({ name: 'GaveUp', code: 'sink', tries: 2, retryable: true, message: 'HTTP 503' });
    expect(err.lastError).toBe(err.cause);
    expect(err.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(exitCodeFor(err)).toBe(3);
  });

  it('stops at once on an error that is not retryable', async () => {
    let tries = 0;
    const err = await withRetries(async () => (tries++, { ok: false, retryable: false, error: new Error('bad cert') }), { policy: { baseMs: 1, capMs: 1 }, maxTries: 5, maxTimeMs: 1000 }).catch((e: unknown) => e);
    expect(tries).toBe(1);
    expect(err).toMatchObject({ tries: 1, retryable: false, code: 'sink' });
  });

  it('gives up without waiting when Retry-After reaches past the time budget', async () => {
    const t0 = Date.now();
    const err = await withRetries(async () => fail(60_000), { policy: { baseMs: 1, capMs: 1 }, maxTries: 5, maxTimeMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ tries: 1 });
    expect(Date.now() - t0).toBe(0); // (fake time: no timer was waited on)
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops waiting when aborted', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('another batch gave up')), 50);
    const p = withRetries(async () => fail(10_000), { policy: { baseMs: 1, capMs: 1 }, maxTries: 5, maxTimeMs: 60_000, signal: ctl.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50); // long before the 10 s Retry-After
    const err = await p;
    expect((err as GaveUp).lastError.message).toBe('another batch gave up');
  });
});

describe('CircuitBreaker', () => {
  fakeTimers();
  it('opens after the threshold, lets one probe through after the pause, and closes on its success', async () => {
    const opened: number[] = [];
    const b = new CircuitBreaker({ threshold: 2, pauseMs: 100, onOpen: ({ failures }) => opened.push(failures) });
    expect(await b.acquire()).toBe(true);
    b.failure(new Error('x'));
    expect(b.state).toBe('closed');
    b.failure(new Error('x'));
    expect(b.state).toBe('open');
    expect(b.describe()).toMatch(/^breaker open 0\.\ds$/);
    expect(opened).toEqual([2]);
    let probe: boolean | undefined;
    void b.acquire().then((v) => (probe = v));
    await vi.advanceTimersByTimeAsync(99);
    expect(probe).toBeUndefined(); // the pause is not over
    await vi.advanceTimersByTimeAsync(1);
    expect(probe).toBe(true);
    let second = false;
    const waiting = b.acquire().then((v) => (second = v));
    await vi.advanceTimersByTimeAsync(1000);
    expect(second).toBe(false); // one probe at a time
    b.success();
    await waiting;
    expect(second).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('opens again when the probe fails, and refuses to wait past a deadline', async () => {
    const b = new CircuitBreaker({ threshold: 1, pauseMs: 50 });
    b.failure(new Error('x'));
    const early = b.acquire(Date.now() + 10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await early).toBe(false);
    const later = b.acquire();
    await vi.advanceTimersByTimeAsync(40);
    expect(await later).toBe(true);
    b.failure(new Error('probe failed'));
    expect(b.state).toBe('open');
    expect(b.opens).toBe(2);
    b.dispose();
  });
});

describe('Semaphore', () => {
  it('hands out at most size slots, first come first served', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    expect(s.waiting).toBe(2);
    r1();
    r1(); // a second release of the same slot does nothing
    (await w3)();
    r2();
    (await w4)();
    expect(order).toEqual([3, 4]);
    expect(s.inUse).toBe(0);
  });
});
