// The HTTP sink's figures for the summary JSON.
import type { BreakerState } from '../util/breaker.js';

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
  /** The circuit breaker now (the metrics gauge and /ready read it). */
  breaker: BreakerState;
  bytesSent: number;
  /** Batches sent again in halves after a 413. */
  splits: number;
  gaveUp: boolean;
};

/** Every count at zero (the breaker counts its own opens and knows its state). */
export function noCounts(): Omit<HttpSinkStats, 'breakerOpens' | 'breaker'> {
  return { batches: 0, requests: 0, retries: 0, delivered: 0, deadLettered: 0, statusCounts: {}, errorCounts: {}, bytesSent: 0, splits: 0, gaveUp: false };
}

export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
