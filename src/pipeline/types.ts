// The shapes that flow between sources, stages, sinks and the runner.
// Every component speaks only these types, so each can be built and tested alone.
import type { RecflowError } from '../errors.js';

/** The kinds recflow knows without a contract file. */
export type BuiltinKind = 'customer' | 'inventory';
/**
 * A record kind: a built-in one or one declared in a contract file (--contract,
 * docs/contracts.md). Declared names are checked when the file loads.
 */
export type Kind = string;

export type ErrorCode =
  | 'missing_required'
  | 'invalid_id'
  | 'invalid_email'
  | 'invalid_phone'
  | 'invalid_country'
  | 'invalid_date'
  | 'invalid_timestamp'
  | 'invalid_number'
  | 'invalid_integer'
  | 'out_of_range'
  | 'invalid_enum'
  | 'too_long'
  | 'unknown_kind'
  | 'parse_error'
  | 'invalid_encoding'
  | 'duplicate_key'
  // Only from kinds declared in a contract file (docs/contracts.md).
  | 'invalid_boolean'
  | 'pattern_mismatch'
  | 'unknown_field'
  // Not contract codes: raised by stages and sinks for the dead-letter output.
  | 'filtered'
  | 'enrich_missing'
  | 'stage_error'
  | 'http_rejected'
  | 'delivery_failed'
  | 'kafka_rejected'
  | 'invalid_kind';

export interface RecordError {
  field: string | null;
  code: ErrorCode;
  message: string;
}

/** A plain JSON object: a record as read or as normalized. */
export type Fields = Record<string, unknown>;

/**
 * One record in flight. `value` is the current form (normalized after the
 * validate/normalize stages, with `kind` first); `raw` is the record as read,
 * kept for the dead-letter output.
 */
export interface Rec {
  value: Fields;
  raw: Fields;
  /** Source name as given by the user (`-` for stdin) or `kafka:<topic>/<partition>@<offset>`. */
  source: string;
  /** 1-based physical line where the record starts; null for Kafka. */
  line: number | null;
  /** Stable identity of where the record came from (path+content print, stdin, or topic/partition). */
  origin: string;
  /** Position inside the origin: the line for files, the offset for Kafka. */
  pos: number;
  /** Kind forced by `--kind` for this source, if any. */
  kindHint?: Kind;
  /** Kind once decided (by the validate/normalize stage). */
  kind?: Kind | null;
}

/**
 * On a Rec whose value already holds every number as read (a record decoded from the
 * worker threads' text): writers need not look at `raw`, which is then parsed only
 * when a dead-letter row needs it.
 */
export const VALUE_HOLDS_TEXTS: unique symbol = Symbol('recflow.valueHoldsTexts');

/** Where a dead-letter row's record was: its line, or for Kafka (line null) the offset that ends its source. */
function placeOf(r: { line: number | null; source: string }): number {
  if (r.line !== null) return r.line;
  const at = r.source.lastIndexOf('@');
  return at === -1 ? 0 : Number(r.source.slice(at + 1)) || 0;
}

/** Dead-letter rows in input order (sort is stable: rows of one place keep theirs). */
export const byInputOrder = (a: Rejected, b: Rejected): number => placeOf(a) - placeOf(b);

/** One dead-letter line, exactly as records.md shows it. */
export interface Rejected {
  source: string;
  line: number | null;
  kind: Kind | null;
  errors: RecordError[];
  /** The record as read, or for a parse_error the raw text. */
  record: unknown;
}

/** What a source yields: a batch of records plus the parse failures met while reading it. */
export interface SourceBatch {
  records: Rec[];
  rejected: Rejected[];
  /** Bytes of input consumed so far for this source (for progress), if known. */
  bytesRead?: number;
  /**
   * Called by the runner, in batch order, once every record of this batch is
   * written by the sink or in the dead-letter output. Kafka commits here.
   */
  ack?: () => Promise<void>;
  /** Messages to decode into `records`/`rejected` first (a source asked to defer decoding). */
  messages?: RawMessages;
}

/** Kafka messages not decoded yet (the parallel engine decodes them in its worker threads). */
export interface RawMessages {
  topic: string;
  partition: number;
  /** Message values (null: a tombstone). */
  values: (Uint8Array | null)[];
  offsets: number[];
  /** Kind per message from --kind or the `kind` header, if any. */
  kinds: (Kind | null)[];
}

export interface Source {
  readonly name: string;
  /** Total bytes of input when known (files), for the share of bytes read. */
  readonly totalBytes?: number;
  batches(): AsyncIterable<SourceBatch>;
  /** Stop fetching new data (SIGINT/SIGTERM); the iterable then ends after what is in flight. */
  stop?(): void;
  close?(): Promise<void>;
  /** Records left to read when known without reading them (Kafka batch mode), for the ETA. */
  remaining?(): number | undefined;
  /** A short live status (e.g. consumer lag) for the progress line. */
  status?(): string | undefined;
  /** Extra figures for the summary JSON. */
  stats?(): Record<string, unknown>;
}

/** A stage as the user gave it (name, options, where), plain data a worker thread can build it from. */
export interface StageRef {
  name: string;
  options: Record<string, unknown>;
  /** For messages: `--stage "dedupe:key=id"` or `pipeline.yaml: stages[2]`. */
  where: string;
  /** Relative paths (modules, reference files) resolve against this folder. */
  baseDir: string;
  /** Option locations as a config path (`stages[2].options.key`) rather than `option 'key'`. */
  inConfig?: boolean;
}

/** The stages of a run as given: building them again from this gives the same Stage list. */
export interface StageSpec {
  refs: StageRef[];
  /** false with --no-validate (no implicit contract pass). */
  validate: boolean;
  /** Contract files (--contract) whose kinds the stages check against: loaded in every worker too. */
  contracts?: readonly string[];
}

export interface StageResult {
  kept: Rec[];
  rejected: Rejected[];
}

export interface Stage {
  readonly name: string;
  /**
   * Stateless: the same records in give the same result whatever the batch, with no
   * state shared between calls or threads. Such a stage is built again in every
   * worker thread (from its StageRef) and runs there, on each piece of input.
   */
  readonly parallel?: boolean;
  process(records: Rec[]): StageResult | Promise<StageResult>;
  /**
   * True once the stage keeps no more records whatever comes (head): the runner
   * then stops reading, as on a stop signal but not as an interruption.
   */
  done?(): boolean;
  /** Called once at the end of input; may emit held records (e.g. dedupe keep=last). */
  flush?(): StageResult | Promise<StageResult>;
  close?(): Promise<void>;
}

export interface SinkWriteResult {
  /** Records the sink could not deliver permanently (e.g. HTTP 4xx); they go to the dead-letter output. */
  rejected?: Rejected[];
}

export interface Sink {
  readonly name: string;
  /** How many write() calls the runner may keep in flight at once. */
  readonly maxInFlight: number;
  /**
   * Resolves only when the records are durably written (flushed, 2xx, broker ack)
   * or returned as rejected. Rejects with a RecflowError when the sink failed for good.
   */
  write(records: Rec[]): Promise<SinkWriteResult>;
  /** Flush and release; resolves when everything written is durable. */
  close(): Promise<SinkWriteResult | void>;
  status?(): string | undefined;
  stats?(): Record<string, unknown>;
  /**
   * The run is stopping on SIGINT/SIGTERM: stop retrying and waiting now; what is not
   * delivered soon fails its write (a RecflowError whose `signal` is set), to be
   * dead-lettered. Without it, the runner waits for pending writes as they are.
   */
  abort?(signal: NodeJS.Signals): void;
  /**
   * The sequential runner calls this once before its first write, promising to call
   * release(records) before it waits for that write: the sink may then hold records
   * back for a batch cut across writes (HTTP), so batches depend on the input alone.
   */
  holdAcrossWrites?(): void;
  /** The runner is about to wait for the write of exactly these records: send what holds them now. */
  release?(records: Rec[]): void;
  /**
   * When written records are durable in their final place: 'write' (the default) once
   * write() resolved; 'close' only once close() resolved, or, for the records of the first
   * `mark` write calls (see writeCount), once onDurable reported `mark` (a file sink that
   * renames into place at close or at each rotation). The runner acks sources only then.
   */
  readonly durableAt?: 'write' | 'close';
  /** write() calls made so far, counted as each call starts (with durableAt 'close'). */
  readonly writeCount?: number;
  /** With durableAt 'close': `listener(mark)` once the records of the first `mark` write calls are durable. */
  onDurable?(listener: (mark: number) => void): void;
}

/**
 * NDJSON lines encoded elsewhere (by the parallel runner's workers): the kept
 * records of one piece of input, in input order.
 */
export interface EncodedLines {
  /** Stable identity of where the records came from (see Rec.origin). */
  origin: string;
  /** UTF-8 NDJSON, one record per line, each line ending in '\n'. */
  bytes: Uint8Array;
  /** Per line: the offset in `bytes` just past its '\n'. */
  ends: Uint32Array;
  /** Per line: the record's position in its origin (Rec.pos). */
  pos: Float64Array;
}

/** A range of lines of an EncodedLines, `from` included, `to` excluded. */
export interface LineRange {
  from: number;
  to: number;
}

/** What became of lines written to a LineSink (lines in no range were delivered). */
export interface LinesOutcome {
  /** Refused for good (HTTP 4xx): these go to the dead-letter output, the run goes on. */
  refused: Array<LineRange & { message: string }>;
  /** Not delivered because the sink gave up: dead-lettered as delivery_failed, and the run stops with `failure`. */
  undelivered: LineRange[];
  failure?: RecflowError;
}

/** A sink that also takes pre-encoded lines; the parallel runner feeds it from its workers. */
export interface LineSink extends Sink {
  /** Resolves once every line is delivered or accounted for in the outcome; never rejects. */
  writeLines(lines: EncodedLines): Promise<LinesOutcome>;
  /** Send lines held back for the next write (a partial batch): at the end of input. */
  flushLines(): void;
  /**
   * Kept records the runner may have written and not settled beyond the oldest
   * write: at least one batch, so the oldest write's lines are never held back.
   */
  readonly linesWindow: number;
}

export function isLineSink(sink: Sink): sink is LineSink {
  return typeof (sink as Partial<LineSink>).writeLines === 'function' && typeof (sink as Partial<LineSink>).flushLines === 'function';
}
