// One error type with stable codes; the CLI maps codes to exit statuses in one table.

export type RecflowErrorCode =
  | 'usage' // bad option, bad value, unknown command → exit 2
  | 'config' // bad config file or stage options → exit 2
  | 'input' // missing/unreadable file, duplicate CSV header → exit 2
  | 'data' // too many rejects → exit 1
  | 'sink' // a sink failed for good → exit 3
  | 'source' // a source failed for good (broker unreachable) → exit 3
  | 'interrupted'; // SIGINT/SIGTERM after a clean drain → 130/143

export class RecflowError extends Error {
  readonly code: RecflowErrorCode;
  readonly retryable: boolean;
  /** For 'interrupted': the signal that stopped the run. */
  readonly signal?: NodeJS.Signals;

  constructor(
    code: RecflowErrorCode,
    message: string,
    opts: { cause?: unknown; retryable?: boolean; signal?: NodeJS.Signals } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RecflowError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.signal = opts.signal;
  }
}

const EXIT: Record<RecflowErrorCode, number> = {
  usage: 2,
  config: 2,
  input: 2,
  data: 1,
  sink: 3,
  source: 3,
  interrupted: 130,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof RecflowError) {
    if (err.code === 'interrupted') return err.signal === 'SIGTERM' ? 143 : 130;
    return EXIT[err.code];
  }
  return 3;
}

export const usageError = (message: string): RecflowError => new RecflowError('usage', message);

/**
 * Thrown by Sink.write() when the sink gave up for good. `undelivered` lists the
 * records of that write() call that were not delivered; when absent, the runner
 * treats every record of the call as undelivered and dead-letters them.
 */
export class SinkFailure extends RecflowError {
  readonly undelivered?: import('./pipeline/types.js').Rec[];
  constructor(message: string, opts: { cause?: unknown; undelivered?: import('./pipeline/types.js').Rec[] } = {}) {
    super('sink', message, { cause: opts.cause });
    this.undelivered = opts.undelivered;
  }
}
