// One POST of one batch body through undici, and what the answer means for retrying.
import { Pool } from 'undici';
import type { Attempt } from '../util/backoff.js';
import { parseRetryAfter } from '../util/backoff.js';
import { isRetriedStatus, type HttpSinkOptions } from './options.js';

/** An answered request: 2xx delivered, otherwise refused for good (e.g. 400). */
export interface Answer {
  status: number;
  delivered: boolean;
  /** The start of the response body, for the dead-letter message. */
  bodyStart: string;
}

export interface ClientEvents {
  /** An answered request: its status, and seconds from sending to the whole answer. */
  onStatus(status: number, seconds: number): void;
  onError(code: string): void;
}

// TLS and DNS failures do not heal by retrying: stop at once with the reason.
const PERMANENT_ERRORS = /^(ENOTFOUND|CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_SSL_)/;
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class HttpClient {
  private readonly pool: Pool;
  private readonly path: string;
  /** The URL as messages show it: no query string (it may hold an API key). */
  readonly target: string;

  constructor(
    private readonly opts: HttpSinkOptions,
    private readonly events: ClientEvents,
  ) {
    this.pool = new Pool(opts.url.origin, {
      connections: opts.concurrency,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: Math.min(opts.timeoutMs, 10_000) },
    });
    this.path = opts.url.pathname + opts.url.search;
    this.target = opts.url.origin + opts.url.pathname;
  }

  /** One try; `stop` aborts it (an interrupted run), which is reported as not retryable, with the stop's reason. */
  async post(body: Buffer, headers: Record<string, string>, stop?: AbortSignal): Promise<Attempt<Answer>> {
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    const t0 = performance.now();
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body,
        signal: stop ? AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), stop]) : AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      text = await res.body.text();
    } catch (err) {
      if (stop?.aborted) return { ok: false, retryable: false, error: stop.reason instanceof Error ? stop.reason : new Error('aborted') };
      const { code, message, retryable } = describeError(err, this.opts.timeoutMs);
      this.events.onError(code);
      return { ok: false, retryable, error: new Error(message) };
    }
    this.events.onStatus(status, (performance.now() - t0) / 1000);
    const bodyStart = text.slice(0, 200);
    if (status >= 200 && status < 300) return { ok: true, value: { status, delivered: true, bodyStart } };
    const error = new Error(`HTTP ${status}${bodyStart ? `: ${oneLine(bodyStart.slice(0, 120))}` : ''}`);
    if (status >= 400 && isRetriedStatus(this.opts.retryOn, status)) {
      return { ok: false, retryable: true, error, retryAfterMs: parseRetryAfter(retryAfter) };
    }
    if (status >= 400) return { ok: true, value: { status, delivered: false, bodyStart } };
    // 1xx/3xx: undici follows no redirects, and dead-lettering everything would hide a wrong URL.
    return { ok: false, retryable: false, error: new Error(`${error.message} (redirects are not followed: use the final URL)`) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function describeError(err: unknown, timeoutMs: number): { code: string; message: string; retryable: boolean } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'error';
  if (e.name === 'TimeoutError' || TIMEOUTS.has(code)) {
    return { code: 'timeout', message: `no answer within ${timeoutMs} ms (timeout)`, retryable: true };
  }
  const text = e.cause?.message ?? e.message ?? String(err);
  if (code === 'ECONNREFUSED') return { code, message: 'connection refused (ECONNREFUSED)', retryable: true };
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
    return { code: 'ECONNRESET', message: `connection closed before an answer (${text})`, retryable: true };
  }
  return { code, message: `${text} (${code})`, retryable: !PERMANENT_ERRORS.test(code) };
}
