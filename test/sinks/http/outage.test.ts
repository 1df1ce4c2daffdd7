// The HTTP sink's timing in an outage, on a fake clock (no sleeps, exact delays): the
// breaker's pause and probes, the retry back-off, and SIGINT ending every wait at once.
// reliability.test.ts runs the same outages end to end and checks only the outcome.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryInterrupted } from '../../../src/sinks/http/outcome.js';
import { customers, scriptedServer } from '../../support/serve.js';
import { FakeClock, httpSinkOn, until } from './fake-clock.js';
import { write } from './write.js';

afterEach(() => vi.restoreAllMocks());

describe('HTTP sink on a fake clock: the circuit breaker in an outage', () => {
  it('pauses exactly --breaker-pause-ms after each failure, probes once per pause, and delivers once the receiver is up', async () => {
    const clock = new FakeClock(100); // back-off (at most 5 ms) fires at once; the 300 ms pause waits for fire()
    let up = false;
    const at: number[] = [];
    const server = await scriptedServer(() => {
      at.push(clock.now());
      return { status: up ? 200 : 503 };
    });
    const { sink } = httpSinkOn(clock, `${server.url}/in`, { breakerThreshold: '1', breakerPauseMs: '300', retries: '50', retryBaseMs: '1', retryCapMs: '5', retryMaxTime: '10m', batchRecords: '5', concurrency: '1' });
    const t0 = clock.now();
    let settled = false;
    const writing = write(sink, customers(5)).finally(() => (settled = true));
    // open and waiting: the try answered, the pause timer held
    const opened = (n: number): boolean => at.length === n && (sink.stats() as { breakerOpens: number }).breakerOpens === n && clock.held > 0;
    await until(() => opened(1));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(at).toHaveLength(1); // nothing sent while open, however long the loop turns
    expect(sink.status!()).toBe('http: 1 in flight, breaker open 0.3s');
    clock.fire(); // the pause ends: one probe, which fails and opens the breaker again
    await until(() => opened(2));
    expect(sink.status!()).toBe('http: 1 in flight, breaker open 0.3s');
    up = true;
    clock.fire();
    expect(await writing).toEqual({});
    expect(settled).toBe(true);
    // each try exactly one pause after the one before: no earlier, and no later
    expect(at.map((t) => t - t0)).toEqual([0, 300, 600]);
    expect(clock.waits.filter((w) => w === 300)).toHaveLength(2);
    expect(sink.stats!()).toMatchObject({ breakerOpens: 2, delivered: 5, retries: 2, breaker: 'closed' });
    expect(sink.status!()).toBe('http: 0 in flight');
    await sink.close();
    await server.close();
    expect(clock.pending).toBe(0);
  });

  it('waits out the back-off of each retry: full jitter under min(cap, base × 2^retry)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // the jitter draw, fixed: the delays are exact
    const clock = new FakeClock();
    const at: number[] = [];
    const server = await scriptedServer(() => {
      at.push(clock.now());
      return { status: at.length <= 4 ? 503 : 200 };
    });
    const { sink } = httpSinkOn(clock, `${server.url}/in`, { breakerThreshold: '1000', retries: '10', retryBaseMs: '100', retryCapMs: '400', retryMaxTime: '10m' });
    const t0 = clock.now();
    expect(await write(sink, customers(1))).toEqual({});
    await sink.close();
    await server.close();
    expect(clock.waits).toEqual([50, 100, 200, 200]); // bounds 100, 200, 400, then the 400 cap
    expect(at.map((t) => t - t0)).toEqual([0, 50, 150, 350, 550]);
  });
});

describe('HTTP sink on a fake clock: SIGINT during an outage', () => {
  it('ends the breaker wait at once: no timer fires, every record undelivered as interrupted', async () => {
    const clock = new FakeClock(100); // the 10-minute pause would be waited out only on fire()
    const server = await scriptedServer(() => ({ status: 503 }));
    const { sink } = httpSinkOn(clock, `${server.url}/in`, { breakerThreshold: '1', breakerPauseMs: '600000', retries: '50', retryMaxTime: '1h', batchRecords: '2', concurrency: '2' });
    let settled = false;
    const writing = write(sink, customers(4)).finally(() => (settled = true));
    await until(() => server.requests.length === 2 && sink.stats!().breaker === 'open' && clock.held > 0);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const before = clock.now();
    sink.abort!('SIGINT');
    await until(() => settled, 1000); // a wait that ignored the abort would hold the write for the pause
    expect(clock.now()).toBe(before); // no timer fired: the abort itself ended the waits
    const res = await writing;
    expect(res.failure).toBeInstanceOf(DeliveryInterrupted);
    expect(res.failure!.message).toBe(`interrupted by SIGINT before delivery to ${server.url}/in`);
    const failed = { code: 'delivery_failed', message: res.failure!.message };
    expect(res.refused).toEqual([{ from: 0, to: 2, ...failed }, { from: 2, to: 4, ...failed }]); // both batches
    expect(server.requests).toHaveLength(2); // no retry after the signal
    await sink.close();
    await server.close();
    expect(clock.pending).toBe(0); // the breaker's pause, cancelled (and the grace timer)
  });
});
