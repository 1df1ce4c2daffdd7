// Idempotency keys: one per batch, the same on every retry, and (mode `source`) the
// same on every run of the same data through the same pipeline, so an idempotent
// receiver takes it once; other data or another pipeline gets other keys.
// docs/http.md ("Idempotency keys") states the rule for users.
import { createHash, randomUUID } from 'node:crypto';
import type { BodyFormat, KeyMode } from './options.js';

export interface BatchPosition {
  /**
   * Where the records came from: `file:<resolved path>:<content print>` for files,
   * `stdin` for stdin, `kafka:<topic>/<partition>` for Kafka (see src/sources/index.ts).
   */
  origin: string;
  firstPos: number;
  lastPos: number;
  count: number;
}

export interface KeyParts {
  /** The sink URL's path and query: another endpoint of the receiver gets other keys; its host and port do not matter. */
  url: string;
  /** The pipeline's fingerprint (ComponentContext.pipeline): stages, kind, format, contract. */
  pipeline: string;
  body: BodyFormat;
  /** Hash of the batch's NDJSON lines as sent, before gzip; called only in mode `source`. */
  content: () => string;
}

/** `source`: rf1- and 40 hex digits of sha256 over everything that makes the batch what it is. `random`: a fresh UUID. */
export function batchKey(mode: KeyMode, at: BatchPosition, parts: KeyParts): string {
  if (mode === 'random') return randomUUID();
  const fields = ['recflow-batch-v2', parts.url, at.origin, at.firstPos, at.lastPos, at.count, parts.pipeline, parts.body, parts.content()];
  return `rf1-${createHash('sha256').update(fields.join('\n')).digest('hex').slice(0, 40)}`;
}

/** sha256 (hex) of NDJSON lines given as strings without their '\n' (Batch) or as byte slices with it (LineBatch). */
export function linesHash(lines: readonly string[] | readonly Uint8Array[]): string {
  const h = createHash('sha256');
  if (lines.length === 0) return h.digest('hex');
  // one string for all lines: a third of the time of one update per line
  if (typeof lines[0] === 'string') return h.update(`${(lines as readonly string[]).join('\n')}\n`).digest('hex');
  for (const slice of lines as readonly Uint8Array[]) h.update(slice);
  return h.digest('hex');
}
