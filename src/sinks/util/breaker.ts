// Circuit breaker: after `threshold` failures in a row, nobody tries for `pauseMs`;
// then one probe goes; its success closes the breaker, its failure opens it again.
//
// The state changes only on events (a try's outcome, the pause timer, dispose), never
// by comparing Date.now() with a stored time: a timer may fire a little before
// Date.now() reaches its due time, and a waiter that then waited again, with no timer
// left to wake it, waited forever (issue 11). Invariant: a waiter waits only while the
// breaker is open (the pause timer is live) or a probe is out (its try will report),
// and a waiter with a deadline also holds a timer of its own.
import { SystemClock, type Clock, type Timer } from './clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold: number;
  pauseMs: number;
  /** Told each time the breaker opens (for a log line); `reopened`: a probe failed. */
  onOpen?: (info: { failures: number; pauseMs: number; lastError: Error; reopened: boolean }) => void;
  clock?: Clock;
}

interface Waiter {
  wake(): void;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  private disposed = false;
  private readonly waiters = new Set<Waiter>();
  private pause: Timer | undefined;
  private readonly clock: Clock;
  opens = 0;
  /** The failure that last opened the breaker. */
  lastError: Error | undefined;

  constructor(private readonly opts: BreakerOptions) {
    this.clock = opts.clock ?? new SystemClock();
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Tries waiting for the breaker now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** True while the pause timer is pending (the breaker is open). */
  get pauseLive(): boolean {
    return this.pause !== undefined;
  }

  /** True while a probe is out: its try will report success, failure or release. */
  get probeOut(): boolean {
    return this.probing;
  }

  /** Milliseconds until the next probe may go (0 unless open). */
  remainingMs(): number {
    return this.current === 'open' ? Math.max(0, this.openUntil - this.clock.now()) : 0;
  }

  /**
   * Waits until a try may go; the caller must then report success(), failure() or
   * release(). Resolves false, without waiting in vain, when that cannot be before
   * `deadline`, when the deadline passes, or when the signal aborts.
   */
  async acquire(deadline = Infinity, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.disposed) return false;
      if (this.current === 'closed') return true;
      if (this.current === 'half-open' && !this.probing) {
        this.probing = true;
        return true;
      }
      if (signal?.aborted) return false;
      if (this.current === 'open' && this.openUntil > deadline) return false;
      if (this.clock.now() >= deadline) return false;
      if (!(await this.changed(deadline, signal))) return false;
    }
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
    this.cancelPause();
    this.wake();
  }

  failure(error: Error): void {
    this.failures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.opts.threshold)) this.open(error);
  }

  /** The try ended with neither success nor a countable failure: let the next probe go. */
  release(): void {
    if (this.current === 'half-open' && this.probing) {
      this.probing = false;
      this.wake();
    }
  }

  describe(): string | undefined {
    if (this.current === 'open') return `breaker open ${(this.remainingMs() / 1000).toFixed(1)}s`;
    if (this.current === 'half-open') return 'breaker half-open (probing)';
    return undefined;
  }

  /** No try waits any more; later acquires resolve false. */
  dispose(): void {
    this.disposed = true;
    this.cancelPause();
    this.wake();
  }

  private open(error: Error): void {
    const reopened = this.current === 'half-open';
    this.current = 'open';
    this.probing = false;
    this.lastError = error;
    this.openUntil = this.clock.now() + this.opts.pauseMs;
    this.opens++;
    this.opts.onOpen?.({ failures: this.failures, pauseMs: this.opts.pauseMs, lastError: error, reopened });
    this.cancelPause();
    this.pause = this.clock.after(this.opts.pauseMs, () => {
      this.pause = undefined;
      this.current = 'half-open';
      this.wake();
    });
    this.wake(); // waiters whose deadline comes before the pause ends give up now
  }

  private cancelPause(): void {
    this.pause?.cancel();
    this.pause = undefined;
  }

  /** Resolves true on the next change of state, false at the deadline or on abort. */
  private changed(deadline: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const finish = (value: boolean): void => {
        if (!this.waiters.delete(waiter)) return;
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const waiter: Waiter = { wake: () => finish(true) };
      const onAbort = (): void => finish(false);
      this.waiters.add(waiter);
      if (Number.isFinite(deadline)) timer = this.clock.after(Math.max(0, deadline - this.clock.now()), () => finish(false));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w.wake();
  }
}
