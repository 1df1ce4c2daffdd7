// Retry with exponential back-off and full jitter, shared by sinks that talk to a remote.
// The attempt function says what happened; this loop decides whether and when to try again.
import { RecflowError } from '../../errors.js';
import type { CircuitBreaker } from './breaker.js';
import { SystemClock, type Clock } from './clock.js';

export interface BackoffPolicy {
  /** Delay bound of the first retry; doubles each retry. */
  baseMs: number;
  /** Upper bound of any one computed delay (Retry-After may ask for more). */
  capMs: number;
}

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^retry)]. */
export function fullJitterDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * bound);
}

/** One attempt's result: a value, or a failure that may be retried (optionally not before retryAfterMs). */
export type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; error: Error; retryable: boolean; retryAfterMs?: number };

export interface RetryOptions {
  policy: BackoffPolicy;
  /** Total tries including the first. */
  maxTries: number;
  /** Give up when the next try would start later than this after the first. */
  maxTimeMs: number;
  breaker?: CircuitBreaker;
  /**
   * Aborting stops every wait (back-off, breaker) at once and gives up with the
   * signal's reason; no retry starts after it. A first try still goes while the
   * breaker is closed (an interrupted run sends what it holds, once).
   */
  signal?: AbortSignal;
  onRetry?: (info: { retry: number; delayMs: number; error: Error }) => void;
  random?: () => number;
  clock?: Clock;
}

/**
 * Thrown when retrying ends without a value: a sink failure (code 'sink'). `retryable`
 * says whether the last error was one worth retrying (false: it stopped the retries).
 */
export class GaveUp extends RecflowError {
  constructor(
    readonly lastError: Error,
    readonly tries: number,
    readonly elapsedMs: number,
    retryable: boolean,
  ) {
    super('sink', lastError.message, { cause: lastError, retryable });
    this.name = 'GaveUp';
  }
}

const defaultClock = new SystemClock();

/**
 * Every wait here is a live timer or a promise an event settles (the breaker's pause
 * timer, a probe's outcome, the signal): the loop ends with a value or GaveUp, and
 * never starts a try later than `maxTimeMs` after the first.
 */
export async function withRetries<T>(attempt: (tryNo: number) => Promise<Attempt<T>>, opts: RetryOptions): Promise<T> {
  const clock = opts.clock ?? defaultClock;
  const { breaker, signal } = opts;
  const started = clock.now();
  const deadline = started + opts.maxTimeMs;
  let lastError: Error | undefined;
  const gaveUp = (tries: number, retryable = true): GaveUp => {
    const why = signal?.aborted ? abortReason(signal, lastError) : (lastError ?? breaker?.lastError ?? new Error('circuit breaker open'));
    return new GaveUp(why, tries, clock.now() - started, retryable);
  };
  for (let tryNo = 1; ; tryNo++) {
    if (breaker) {
      if (!(await breaker.acquire(deadline, signal))) throw gaveUp(tryNo - 1);
      if (tryNo > 1 && (signal?.aborted || clock.now() > deadline)) {
        breaker.release();
        throw gaveUp(tryNo - 1);
      }
    } else if (tryNo > 1 && signal?.aborted) throw gaveUp(tryNo - 1);
    let result: Attempt<T>;
    try {
      result = await attempt(tryNo);
    } catch (err) {
      breaker?.release();
      throw err;
    }
    if (result.ok) {
      breaker?.success();
      return result.value;
    }
    lastError = result.error;
    if (!result.retryable) {
      breaker?.release();
      throw gaveUp(tryNo, false);
    }
    breaker?.failure(lastError);
    const delay = Math.max(fullJitterDelay(opts.policy, tryNo - 1, opts.random), result.retryAfterMs ?? 0);
    if (tryNo >= opts.maxTries || clock.now() + delay > deadline || signal?.aborted) throw gaveUp(tryNo);
    opts.onRetry?.({ retry: tryNo, delayMs: delay, error: lastError });
    if (!(await sleep(delay, signal, clock))) throw gaveUp(tryNo);
  }
}

function abortReason(signal: AbortSignal, fallback: Error | undefined): Error {
  return signal.reason instanceof Error ? signal.reason : (fallback ?? new Error('aborted'));
}

/** Resolves true after ms, or false as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = defaultClock): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
