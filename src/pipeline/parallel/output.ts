// Where the parallel runner's ready-made NDJSON goes: the file/stdout sink
// (bytes per output) or a LineSink such as HTTP (lines with their positions,
// which the sink cuts into batches). Other sinks take the sequential runner.
import { NdjsonSink } from '../../sinks/file.js';
import type { RunPlan } from '../runner.js';
import { isLineSink, type LineRange, type LinesOutcome, type Rejected, type Sink } from '../types.js';
import { PieceWork, type PieceResult, type PieceTask } from './piece.js';

export interface TextOut {
  /** One output per kind ({kind} in the path). */
  readonly split: boolean;
  /** The sink needs each line's end and position (PieceTask.lines). */
  readonly lines: boolean;
  /**
   * Kept records that may be written and not settled beyond the oldest write
   * (a LineSink holds a partial batch across writes); null: a fixed number of writes.
   */
  readonly window: number | null;
  /** Write a piece's output. Rejects when a file sink fails; a LineSink reports per line range. */
  write(res: PieceResult, origin: string): Promise<LinesOutcome>;
  /** Send what the sink holds back for later writes (end of input). */
  flush(): void;
  /**
   * The records go on to stages on the main thread (records mode): every piece is written,
   * its rejects included, and the Runner after it counts what it takes.
   */
  readonly passes?: boolean;
}

const ALL_DONE: LinesOutcome = Object.freeze({ refused: [], undelivered: [] }) as unknown as LinesOutcome;

export function textOutOf(sink: Sink): TextOut | null {
  if (sink instanceof NdjsonSink) {
    return {
      split: sink.split,
      lines: false,
      window: null,
      async write(res) {
        if (res.keptTotal === 0) return ALL_DONE;
        if (!sink.split) {
          if (res.out) await sink.writeEncoded('all', res.out, res.keptTotal);
        } else {
          // outputs are opened in the order kinds are first met, as the sink does
          await Promise.all(res.outByKind.map(([kind, bytes, count]) => sink.writeEncoded(kind, bytes, count)));
        }
        return ALL_DONE;
      },
      flush() {},
    };
  }
  if (isLineSink(sink)) {
    return {
      split: false,
      lines: true,
      window: sink.linesWindow,
      write(res, origin) {
        if (res.keptTotal === 0 || !res.out || !res.ends || !res.pos) return Promise.resolve(ALL_DONE);
        return sink.writeLines({ origin, bytes: res.out, ends: res.ends, pos: res.pos });
      },
      flush() {
        sink.flushLines();
      },
    };
  }
  return null;
}

/**
 * Lines the sink refused (http_rejected) or did not deliver (delivery_failed) go to
 * the dead-letter output as read: the piece is read again for those records.
 */
export async function deadLetterLines(task: PieceTask, outcome: LinesOutcome, plan: Pick<RunPlan, 'stats' | 'dlq'>): Promise<void> {
  const { stats, dlq } = plan;
  const kept = await new PieceWork({ ...task, write: false }).keptRecords();
  const gone = new Uint8Array(kept.length);
  const rows = (ranges: LineRange[], code: 'http_rejected' | 'delivery_failed', message: (r: number) => string): Rejected[] => {
    const out: Rejected[] = [];
    ranges.forEach((range, r) => {
      for (let i = range.from; i < range.to; i++) {
        gone[i] = 1;
        const k = kept[i]!;
        out.push({ source: task.source, line: k.line, kind: k.kind, errors: [{ field: null, code, message: message(r) }], record: k.raw });
      }
    });
    return out;
  };
  const refused = rows(outcome.refused, 'http_rejected', (r) => outcome.refused[r]!.message);
  const failed = rows(outcome.undelivered, 'delivery_failed', () => outcome.failure?.message ?? 'not delivered');
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
