// Circuit breaker: after `threshold` failures in a row, nobody tries for `pauseMs`;
// then one probe goes; its success closes the breaker, its failure opens it again.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold: number;
  pauseMs: number;
  /** Told each time the breaker opens (for a log line). */
  onOpen?: (info: { failures: number; pauseMs: number; lastError: Error }) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  opens = 0;

  constructor(private readonly opts: BreakerOptions) {}

  get state(): BreakerState {
    if (this.openUntil === 0) return 'closed';
    return Date.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** Milliseconds until the next probe may go (0 unless open). */
  remainingMs(): number {
    return Math.max(0, this.openUntil - Date.now());
  }

  /**
   * Waits until a try may go. Resolves false, without waiting in vain, when that
   * cannot be before `deadline`, or when the signal aborts.
   */
  async acquire(deadline = Infinity, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const state = this.state;
      if (state === 'closed') return true;
      if (state === 'half-open' && !this.probing) {
        this.probing = true;
        return true;
      }
      // Open, or a probe is out: wait for a change (or the pause to end).
      if (state === 'open' && this.openUntil > deadline) return false;
      if (!(await this.changed(signal))) return false;
      if (Date.now() > deadline) return false;
    }
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.probing = false;
    this.wake();
  }

  failure(error: Error): void {
    this.failures++;
    const probeFailed = this.probing;
    this.probing = false;
    if (probeFailed || (this.openUntil === 0 && this.failures >= this.opts.threshold)) {
      this.openUntil = Date.now() + this.opts.pauseMs;
      this.opens++;
      this.opts.onOpen?.({ failures: this.failures, pauseMs: this.opts.pauseMs, lastError: error });
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.wake(), this.opts.pauseMs);
    }
    this.wake();
  }

  /** The try ended with neither success nor a countable failure: let the next probe go. */
  release(): void {
    this.probing = false;
    this.wake();
  }

  describe(): string | undefined {
    const state = this.state;
    if (state === 'open') return `breaker open ${(this.remainingMs() / 1000).toFixed(1)}s`;
    if (state === 'half-open') return 'breaker half-open (probing)';
    return undefined;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.wake();
  }

  private changed(signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
