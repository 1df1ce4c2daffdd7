// Retry with exponential back-off and full jitter, shared by sinks that talk to a remote.
// The attempt function says what happened; this loop decides whether and when to try again.
import type { CircuitBreaker } from './breaker.js';

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
  /** Aborting stops waiting at once and gives up with the signal's reason. */
  signal?: AbortSignal;
  onRetry?: (info: { retry: number; delayMs: number; error: Error }) => void;
  random?: () => number;
}

/** Thrown when retrying ends without a value. */
export class GaveUp extends Error {
  constructor(
    readonly lastError: Error,
    readonly tries: number,
    readonly elapsedMs: number,
    readonly retryable: boolean,
  ) {
    super(lastError.message, { cause: lastError });
    this.name = 'GaveUp';
  }
}

export async function withRetries<T>(attempt: (tryNo: number) => Promise<Attempt<T>>, opts: RetryOptions): Promise<T> {
  const started = Date.now();
  const deadline = started + opts.maxTimeMs;
  let lastError: Error = new Error('not tried');
  for (let tryNo = 1; ; tryNo++) {
    if (opts.signal?.aborted) throw new GaveUp(abortReason(opts.signal, lastError), tryNo - 1, Date.now() - started, true);
    if (opts.breaker && !(await opts.breaker.acquire(deadline, opts.signal))) {
      throw new GaveUp(opts.signal?.aborted ? abortReason(opts.signal, lastError) : lastError, tryNo - 1, Date.now() - started, true);
    }
    const result = await attempt(tryNo);
    if (result.ok) {
      opts.breaker?.success();
      return result.value;
    }
    lastError = result.error;
    if (!result.retryable) {
      opts.breaker?.release();
      throw new GaveUp(lastError, tryNo, Date.now() - started, false);
    }
    opts.breaker?.failure(lastError);
    const delay = Math.max(fullJitterDelay(opts.policy, tryNo - 1, opts.random), result.retryAfterMs ?? 0);
    if (tryNo >= opts.maxTries || Date.now() + delay > deadline) {
      throw new GaveUp(lastError, tryNo, Date.now() - started, true);
    }
    opts.onRetry?.({ retry: tryNo, delayMs: delay, error: lastError });
    if (!(await sleep(delay, opts.signal))) throw new GaveUp(abortReason(opts.signal!, lastError), tryNo, Date.now() - started, true);
  }
}

function abortReason(signal: AbortSignal, fallback: Error): Error {
  return signal.reason instanceof Error ? signal.reason : fallback;
}

/** Resolves true after ms, or false as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
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
