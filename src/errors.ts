// One error type with stable codes, and the one table from a code to the exit status:
// every command and every path (an error before the run, a failure during it, a signal)
// takes its status from here, so the same failure exits the same however it is met.

export type RecflowErrorCode =
  | 'usage' // bad option, bad value, unknown command → exit 2
  | 'config' // bad config file or stage options → exit 2
  | 'input' // missing/unreadable file, duplicate CSV header → exit 2
  | 'data' // too many rejects → exit 1
  | 'sink' // a sink failed for good → exit 3
  | 'source' // a source failed for good (broker unreachable, a corrupt .gz wherever met) → exit 3
  | 'stage' // a stage cannot go on (dedupe past max_keys, a user stage's flush() threw) → exit 3
  | 'internal' // a bug: a worker crashed, a promise never settled → exit 3
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

/** Error code → exit status (README, "Streams and exit status"). */
export const EXIT_STATUS: Readonly<Record<Exclude<RecflowErrorCode, 'interrupted'>, number>> = {
  usage: 2,
  config: 2,
  input: 2,
  data: 1,
  sink: 3,
  source: 3,
  stage: 3,
  internal: 3,
};

/** A command that did what it was asked. */
export const EXIT_OK = 0;

/** 128 + the signal number, as shells report it. */
export function signalExitStatus(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/** The exit status for anything thrown: a RecflowError by its code; anything else is internal. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof RecflowError)) return EXIT_STATUS.internal;
  if (err.code === 'interrupted') return signalExitStatus(err.signal);
  return EXIT_STATUS[err.code];
}

export const usageError = (message: string): RecflowError => new RecflowError('usage', message);

/**
 * The sink gave up for good. Thrown by Sink.write(), every record of that call counts as
 * undelivered; a sink that delivered part of a write returns this as `failure` instead,
 * with the rest refused by index as delivery_failed (SinkWriteResult).
 */
export class SinkFailure extends RecflowError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('sink', message, { cause: opts.cause });
  }
}
