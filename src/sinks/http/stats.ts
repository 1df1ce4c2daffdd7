// The HTTP sink's figures for the summary JSON.

// A type, not an interface, so that it fits Sink.stats()'s Record<string, unknown>.
export type HttpSinkStats = {
  batches: number;
  requests: number;
  retries: number;
  delivered: number;
  deadLettered: number;
  statusCounts: Record<string, number>;
  errorCounts: Record<string, number>;
  breakerOpens: number;
  bytesSent: number;
  /** Batches sent again in halves after a 413. */
  splits: number;
  gaveUp: boolean;
};

/** Every count at zero (the breaker counts its own opens). */
export function noCounts(): Omit<HttpSinkStats, 'breakerOpens'> {
  return { batches: 0, requests: 0, retries: 0, delivered: 0, deadLettered: 0, statusCounts: {}, errorCounts: {}, bytesSent: 0, splits: 0, gaveUp: false };
}

export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
