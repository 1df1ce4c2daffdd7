// Idempotency keys: one per batch, the same on every retry, and (mode `source`) the
// same on every run over the same input, so an idempotent receiver takes it once.
import { createHash, randomUUID } from 'node:crypto';
import type { KeyMode } from './options.js';

export interface BatchPosition {
  /**
   * Where the records came from: path+size+mtime for files, topic/partition for
   * Kafka; unique per run for stdin, which has no identity to rerun.
   */
  origin: string;
  firstPos: number;
  lastPos: number;
  count: number;
}

/** `source`: a hash of the origin, first and last position, count and sink URL. `random`: a fresh UUID. */
export function batchKey(mode: KeyMode, at: BatchPosition, url: string): string {
  if (mode === 'random') return randomUUID();
  const h = createHash('sha256').update(['recflow-batch-v1', url, at.origin, at.firstPos, at.lastPos, at.count].join('\n'));
  return `rf1-${h.digest('hex').slice(0, 40)}`;
}
