// Where the parallel runner's ready-made NDJSON goes: the file/stdout sink
// (bytes per output) or a LineSink such as HTTP (lines with their positions,
// which the sink cuts into batches). Other sinks take the sequential runner.
import { NdjsonSink } from '../../sinks/file.js';
import { isLineSink, type LinesOutcome, type Sink } from '../types.js';
import type { PieceResult } from './piece.js';

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
          const counts = new Map(res.kept);
          await Promise.all(res.outByKind.map(([kind, bytes]) => sink.writeEncoded(kind, bytes, counts.get(kind) ?? 0)));
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
