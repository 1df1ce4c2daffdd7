// From what became of batches (by record index in each batch) to what became of
// one write's records: a write's records are one contiguous run of each batch.
import { SinkFailure } from '../../errors.js';
import type { LineRange, Refusal } from '../../pipeline/types.js';
import type { BatchResult } from './batcher.js';

/** The sink's failure after a SIGINT/SIGTERM: records not delivered because the run was interrupted. */
export class DeliveryInterrupted extends SinkFailure {
  override readonly signal: NodeJS.Signals;
  constructor(message: string, signal: NodeJS.Signals, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.signal = signal;
  }
}

export interface Ranges {
  refused: Array<{ from: number; to: number; message: string }>;
  undelivered: Array<{ from: number; to: number }>;
}

/**
 * The outcome of records [offset, offset + length) of a batch, as ranges relative to
 * `offset`. A batch promise that rejected (a bug) leaves all of them undelivered.
 */
export function rangesOf(outcome: PromiseSettledResult<BatchResult>, offset: number, length: number): Ranges {
  const out: Ranges = { refused: [], undelivered: [] };
  if (outcome.status === 'rejected') {
    if (length > 0) out.undelivered.push({ from: 0, to: length });
    return out;
  }
  const clip = (r: { from: number; to: number }): { from: number; to: number } | null => {
    const from = Math.max(r.from, offset) - offset;
    const to = Math.min(r.to, offset + length) - offset;
    return to > from ? { from, to } : null;
  };
  for (const r of outcome.value.refused ?? []) {
    const c = clip(r);
    if (c) out.refused.push({ ...c, message: r.message });
  }
  for (const r of outcome.value.undelivered ?? []) {
    const c = clip(r);
    if (c) out.undelivered.push(c);
  }
  return out;
}

/** Results of the two halves of a batch, the second's indices already shifted. */
export function merged(a: BatchResult, b: BatchResult): BatchResult {
  return {
    refused: [...(a.refused ?? []), ...(b.refused ?? [])],
    undelivered: [...(a.undelivered ?? []), ...(b.undelivered ?? [])],
  };
}

export const countOf = (ranges: ReadonlyArray<{ from: number; to: number }>): number => ranges.reduce((n, r) => n + r.to - r.from, 0);

/** A write's share of one batch: the batch's outcome, where the share starts in the batch, and its size. */
export interface Part {
  outcome: PromiseSettledResult<BatchResult>;
  offset: number;
  length: number;
  /** The index in the write of the share's k-th record. */
  at: (k: number) => number;
}

/** What became of one write's records, by index in the write, in the order of its parts. */
export function writeRanges(parts: readonly Part[]): { refused: Array<LineRange & { message: string }>; undelivered: LineRange[] } {
  const refused: Array<LineRange & { message: string }> = [];
  const undelivered: LineRange[] = [];
  for (const p of parts) {
    const ranges = rangesOf(p.outcome, p.offset, p.length);
    for (const r of ranges.refused) for (const run of runsOf(p.at, r)) refused.push({ ...run, message: r.message });
    for (const r of ranges.undelivered) undelivered.push(...runsOf(p.at, r));
  }
  return { refused, undelivered };
}

/** Runs of consecutive write indices of a share's records [from, to). */
function runsOf(at: (k: number) => number, r: LineRange): LineRange[] {
  const runs: LineRange[] = [];
  for (let k = r.from; k < r.to; k++) {
    const i = at(k);
    const last = runs[runs.length - 1];
    if (last && last.to === i) last.to = i + 1;
    else runs.push({ from: i, to: i + 1 });
  }
  return runs;
}

/** Ranges as refusals with one code. */
export const coded = (ranges: ReadonlyArray<LineRange & { message?: string }>, code: Refusal['code'], message?: string): Refusal[] =>
  ranges.map((r) => ({ from: r.from, to: r.to, code, message: message ?? r.message ?? '' }));
