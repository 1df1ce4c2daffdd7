// Where the parallel runner's ready-made NDJSON goes, chosen from what the sink
// declares it takes (Sink.encoded): the bytes of one output or one write per kind
// (file, stdout), or lines with their ends and positions, and keys if asked (HTTP,
// Kafka), which the sink cuts into batches. Other sinks take records.
import { RecflowError } from '../../errors.js';
import type { RunPlan } from '../runner.js';
import { deadLetterLine, linesNeedNoLookup, noDeadLetter, refusedRows } from '../dlq.js';
import { byInputOrder, placeOf, type EncodedLines, type Rejected, type Sink, type SinkWriteResult, type StageKeys } from '../types.js';
import { parseLossless } from '../../contract/lossless.js';
import { PieceWork, type PieceResult, type PieceTask } from './piece.js';

export interface TextOut {
  /** One output per kind ({kind} in the path). */
  readonly split: boolean;
  /** The sink needs each line's end and position (PieceTask.lines). */
  readonly lines: boolean;
  /** The sink needs each line's key and kind too (PieceTask.keys). */
  readonly keys?: boolean;
  /**
   * Kept records that may be written and not settled beyond the oldest write
   * (the sink holds a partial batch across writes); null: a fixed number of writes.
   */
  readonly window: number | null;
  /** Write a piece's output. Rejects when a file sink fails; refusals are by line index. */
  write(res: PieceResult, origin: string): Promise<SinkWriteResult>;
  /** Send what the sink holds back for later writes (end of input). */
  flush(): void;
  /**
   * The records go on to stages on the main thread (records mode): every piece is written,
   * its rejects included, and the Runner after it counts what it takes.
   */
  readonly passes?: boolean;
}

const ALL_DONE: SinkWriteResult = Object.freeze({});

/** Per line keys and kinds, once the workers give them (PieceTask.keys). */
type KeyedResult = PieceResult & { keys?: (string | null)[] | null; kinds?: (string | null)[] | null };

/** The text path for a sink, from its declaration; null: it takes records only. */
export function textOutOf(sink: Sink): TextOut | null {
  switch (sink.encoded) {
    case 'ndjson':
    case 'ndjson-by-kind':
      return bytesOut(sink, sink.encoded === 'ndjson-by-kind');
    case 'ndjson-lines':
    case 'ndjson-keyed':
      return linesOut(sink, sink.encoded === 'ndjson-keyed');
    default:
      return null;
  }
}

/** The piece's bytes (the parallel runner reads files: never streaming). */
function bytesOut(sink: Sink, split: boolean): TextOut {
  return {
    split,
    lines: false,
    window: null,
    async write(res, origin) {
      if (res.keptTotal === 0) return ALL_DONE;
      if (!split) return res.out ? sink.write({ lines: { origin, bytes: res.out, count: res.keptTotal }, streaming: false }) : ALL_DONE;
      // outputs are opened in the order kinds are first met, as the sink does
      const all = await Promise.all(res.outByKind.map(([kind, bytes, count]) => sink.write({ lines: { origin, bytes, count, kind }, streaming: false })));
      // (a file sink refuses no line: it fails whole, by rejecting)
      const failure = all.find((r) => r.failure)?.failure;
      return failure ? { refused: [{ from: 0, to: res.keptTotal, code: 'delivery_failed', message: failure.message }], failure } : ALL_DONE;
    },
    flush() {},
  };
}

/** The piece's lines with their ends and positions (and keys): the sink cuts batches across writes. */
function linesOut(sink: Sink, keys: boolean): TextOut {
  return {
    split: false,
    lines: true,
    keys,
    window: sink.linesWindow ?? null,
    write(res: KeyedResult, origin) {
      if (res.keptTotal === 0 || !res.out || !res.ends || !res.pos) return Promise.resolve(ALL_DONE);
      const lines: EncodedLines = { origin, bytes: res.out, count: res.keptTotal, ends: res.ends, pos: res.pos };
      if (keys && res.keys) lines.keys = res.keys;
      if (keys && res.kinds) lines.kinds = res.kinds;
      return sink.write({ lines, streaming: false });
    },
    flush() {
      sink.flush?.();
    },
  };
}

/**
 * Lines the sink refused (http_rejected, kafka_rejected) or did not deliver (delivery_failed)
 * go to the dead-letter output as read: the piece is read again for those records.
 */
export async function deadLetterLines(task: PieceTask, outcome: SinkWriteResult, plan: Pick<RunPlan, 'stats' | 'dlq'>): Promise<void> {
  const { stats, dlq } = plan;
  const kept = await new PieceWork({ ...task, write: false }).keptRecords();
  const refusals = outcome.refused ?? [];
  const gone = new Uint8Array(kept.length);
  for (const r of refusals) gone.fill(1, r.from, r.to);
  const rows = refusedRows(kept.map((k) => ({ source: task.source, line: k.line, kind: k.kind, raw: k.raw })), refusals);
  const failed: Rejected[] = [];
  const refused: Rejected[] = [];
  for (const row of rows) (row.errors[0]!.code === 'delivery_failed' ? failed : refused).push(row);
  const byKind = new Map<string, number>();
  let delivered = 0;
  for (let i = 0; i < kept.length; i++) {
    if (gone[i]) continue;
    delivered++;
    byKind.set(kept[i]!.kind, (byKind.get(kept[i]!.kind) ?? 0) + 1);
  }
  countOut(stats, [...byKind], delivered);
  if (refused.length > 0) {
    stats.countRejected(refused);
    dlq.write(refused);
  }
  if (failed.length > 0) {
    stats.failed += failed.length;
    dlq.write(failed);
  }
}

/** Records written, in all and per kind. */
export function countOut(stats: RunPlan['stats'], kept: [string, number][], total: number): void {
  stats.recordsOut += total;
  const m = stats.outByKind;
  for (const [k, n] of kept) m[k] = (m[k] ?? 0) + n;
}

/** A write that rejected: none of its lines were delivered. */
export function failedWrite(err: unknown, kept: number): SinkWriteResult {
  const failure = sinkFailure(err);
  return { refused: kept > 0 ? [{ from: 0, to: kept, code: 'delivery_failed', message: failure.message }] : [], failure };
}

export function sinkFailure(err: unknown): RecflowError {
  return err instanceof RecflowError ? err : new RecflowError('sink', `sink failed: ${(err as Error)?.message ?? err}`, { cause: err });
}

/** The output buffers of a piece, to hand back to the workers once written. */
export function outputsOf(r: PieceResult): Uint8Array[] {
  const list: Uint8Array[] = [];
  if (r.out) list.push(r.out);
  for (const [, b] of r.outByKind) list.push(b);
  return list;
}

/**
 * Rejects come back as rows only where the main thread needs them (records mode, the CI
 * reports told every reject, a replay position to add); else as lines and counts, which
 * the main thread writes and adds up without parsing (measured: bench/RESULTS.md,
 * session 6), with a keyed dedupe's duplicates put among the lines in line order.
 */
export function deadLetterMode(plan: Pick<RunPlan, 'stats' | 'dlq'>, out: TextOut | null): NonNullable<PieceTask['deadLetter']> {
  if (out?.passes || plan.stats.onRejected) return 'rows';
  if (plan.dlq === noDeadLetter) return 'counts';
  return plan.dlq.writeText && linesNeedNoLookup() ? 'lines' : 'rows';
}

/**
 * A piece's rejects into the counts and the dead-letter output: lines and counts the worker
 * made, or its rows (parsed back, numbers as read) with the duplicates a keyed dedupe found.
 */
export function applyRejects(res: PieceResult, duplicates: Rejected[] | null, plan: Pick<RunPlan, 'stats' | 'dlq'>): void {
  const { stats, dlq } = plan;
  if (res.rejectCounts !== null) {
    stats.addRejects(res.rejectCounts);
    if (duplicates) stats.countRejected(duplicates);
    if (duplicates && res.rejectLines !== '') writeAmong(res.rejectLines, res.rejectPlaces!, duplicates, dlq);
    else if (duplicates) dlq.write(duplicates);
    else if (res.rejectLines !== '') dlq.writeText!(res.rejectLines);
    return;
  }
  if (res.rejected === '' && !duplicates) return;
  const rows = res.rejected === '' ? [] : (parseLossless(res.rejected) as Rejected[]);
  if (duplicates) rows.push(...duplicates);
  if (duplicates && rows.length > duplicates.length) rows.sort(byInputOrder); // in line order, as one thread writes them
  stats.countRejected(rows);
  dlq.write(rows);
}

/**
 * The workers' dead-letter lines with the duplicates put among them in line order, as
 * rows sorted by byInputOrder would be (stable: on one place the worker's line first).
 */
function writeAmong(lines: string, places: readonly number[], duplicates: Rejected[], dlq: RunPlan['dlq']): void {
  let text = '';
  let from = 0; // where the lines not taken yet start
  let j = 0; // the next of them
  for (const d of duplicates) {
    const place = placeOf(d);
    let to = from;
    while (j < places.length && places[j]! <= place) {
      to = lines.indexOf('\n', to) + 1;
      j++;
    }
    text += lines.slice(from, to) + deadLetterLine(d) + '\n';
    from = to;
  }
  dlq.writeText!(text + lines.slice(from));
}
