// A clock for the HTTP sink's timers (retry back-off, breaker pause) in tests: no timer
// sleeps. Timers shorter than `holdFrom` fire on the next turn of the event loop (in the
// order they are due), moving the clock's time forward; longer ones wait for fire().
import { parseHttpSinkOptions } from '../../../src/sinks/http/options.js';
import { HttpSink } from '../../../src/sinks/http/index.js';
import type { Clock, Timer } from '../../../src/sinks/util/clock.js';

interface Pending {
  ms: number;
  due: number;
  fn: () => void;
  live: boolean;
}

export class FakeClock implements Clock {
  pending = 0;
  /** Every wait asked for, in ms, in order. */
  readonly waits: number[] = [];
  private t = Date.now();
  private readonly timers: Pending[] = [];

  constructor(private readonly holdFrom = Infinity) {}

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    const p: Pending = { ms, due: this.t + ms, fn, live: true };
    this.waits.push(ms);
    this.pending++;
    this.timers.push(p);
    if (ms < this.holdFrom) setImmediate(() => this.fireNext((x) => x.ms < this.holdFrom));
    return { cancel: () => this.drop(p) };
  }

  /** Timers held back (as long as `holdFrom` or longer). */
  get held(): number {
    return this.timers.filter((p) => p.live && p.ms >= this.holdFrom).length;
  }

  /** Fire the held timer due first, as if its time came. */
  fire(): void {
    this.fireNext((p) => p.ms >= this.holdFrom);
  }

  /** Fire the live timer due first among those `which` allows. */
  private fireNext(which: (p: Pending) => boolean): void {
    const next = this.timers.filter((p) => p.live && which(p)).sort((a, b) => a.due - b.due)[0];
    if (!next) return;
    this.t = Math.max(this.t, next.due);
    this.drop(next);
    next.fn();
  }

  private drop(p: Pending): void {
    if (!p.live) return;
    p.live = false;
    this.pending--;
    this.timers.splice(this.timers.indexOf(p), 1);
  }
}

/** An HTTP sink on a fake clock, with the test defaults of support/serve.ts's httpSink. */
export function httpSinkOn(clock: FakeClock, url: string, opts: Record<string, unknown> = {}): { sink: HttpSink; logs: string[] } {
  const logs: string[] = [];
  const options = parseHttpSinkOptions(url, { retryBaseMs: '5', retryCapMs: '50', breakerPauseMs: '20', ...opts }, {});
  return { sink: new HttpSink(options, { log: (m) => logs.push(m), debug: true }, clock), logs };
}

/** Let the event loop turn until `cond` holds (real I/O happens; no timer is slept on). */
export async function until(cond: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not met');
}
