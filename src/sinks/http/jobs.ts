// A batch as the sender sees it: identity (for its idempotency key), its body, and
// its two halves, for a 413 Payload Too Large (the sender tries each half alone,
// down to one record). Halves are cut from the batch's NDJSON lines as sent.
import { encodeBody, gzipBody } from './encode.js';
import { linesHash } from './idempotency.js';
import { wrapJson } from './lines.js';
import type { BodyFormat } from './options.js';

export interface Job {
  seq: number;
  origin: string;
  firstPos: number;
  lastPos: number;
  count: number;
  /** Hash of the lines as sent (before gzip), for the idempotency key; before body(). */
  contentHash(): string;
  /** The request body, built once a request slot is free. */
  body(): Promise<Buffer>;
  /** The first and second half of the records (count >= 2), after body(). */
  halves(): [Job, Job];
}

export interface Wire {
  format: BodyFormat;
  gzip: boolean;
}

/** A batch of records (the sequential runner's): its lines as strings, without '\n'. */
export function recordJob(seq: number, origin: string, positions: readonly number[], lines: readonly string[], wire: Wire): Job {
  const count = lines.length;
  return {
    seq,
    origin,
    firstPos: positions[0]!,
    lastPos: positions[count - 1]!,
    count,
    contentHash: () => linesHash(lines),
    body: () => encodeBody(lines, wire.format, wire.gzip),
    halves: () => {
      const mid = count >> 1;
      return [
        recordJob(seq, origin, positions.slice(0, mid), lines.slice(0, mid), wire),
        recordJob(seq, origin, positions.slice(mid), lines.slice(mid), wire),
      ];
    },
  };
}

/**
 * A batch of pre-encoded lines (the parallel runner's). `ndjson()` yields the lines
 * as they are, each ending in '\n' (called once); `positions` each line's position.
 */
export function lineJob(
  head: { seq: number; origin: string; firstPos: number; lastPos: number; count: number; contentHash(): string },
  positions: () => readonly number[],
  ndjson: () => Promise<Buffer>,
  wire: Wire,
): Job {
  let raw: Buffer | undefined;
  return {
    seq: head.seq,
    origin: head.origin,
    firstPos: head.firstPos,
    lastPos: head.lastPos,
    count: head.count,
    contentHash: () => head.contentHash(),
    body: async () => {
      raw = await ndjson();
      return wireBody(raw, wire);
    },
    halves: () => {
      if (!raw) throw new Error('halves() before body()');
      return splitLines(head.seq, head.origin, positions(), raw, wire);
    },
  };
}

function bytesJob(seq: number, origin: string, positions: readonly number[], raw: Buffer, wire: Wire): Job {
  return {
    seq,
    origin,
    firstPos: positions[0]!,
    lastPos: positions[positions.length - 1]!,
    count: positions.length,
    contentHash: () => linesHash([raw]),
    body: () => wireBody(raw, wire),
    halves: () => splitLines(seq, origin, positions, raw, wire),
  };
}

function splitLines(seq: number, origin: string, positions: readonly number[], raw: Buffer, wire: Wire): [Job, Job] {
  const mid = positions.length >> 1;
  let at = -1;
  for (let i = 0; i < mid; i++) at = raw.indexOf(10, at + 1);
  const cut = at + 1;
  return [
    bytesJob(seq, origin, positions.slice(0, mid), raw.subarray(0, cut), wire),
    bytesJob(seq, origin, positions.slice(mid), raw.subarray(cut), wire),
  ];
}

async function wireBody(ndjson: Buffer, wire: Wire): Promise<Buffer> {
  const raw = wire.format === 'ndjson' ? ndjson : wrapJson(ndjson);
  return wire.gzip ? gzipBody(raw) : raw;
}
