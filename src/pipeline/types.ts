// The shapes that flow between sources, stages, sinks and the runner.
// Every component speaks only these types, so each can be built and tested alone.

export type Kind = 'customer' | 'inventory';

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
  | 'duplicate_key'
  // Not contract codes: raised by stages and sinks for the dead-letter output.
  | 'filtered'
  | 'enrich_missing'
  | 'stage_error'
  | 'http_rejected'
  | 'delivery_failed'
  | 'kafka_rejected';

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
  /** Stable identity of where the record came from (path+size+mtime, or topic/partition). */
  origin: string;
  /** Position inside the origin: the line for files, the offset for Kafka. */
  pos: number;
  /** Kind forced by `--kind` for this source, if any. */
  kindHint?: Kind;
  /** Kind once decided (by the validate/normalize stage). */
  kind?: Kind | null;
}

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
}

export interface Source {
  readonly name: string;
  /** Total bytes of input when known (files), for the share of bytes read. */
  readonly totalBytes?: number;
  batches(): AsyncIterable<SourceBatch>;
  /** Stop fetching new data (SIGINT/SIGTERM); the iterable then ends after what is in flight. */
  stop?(): void;
  close?(): Promise<void>;
  /** A short live status (e.g. consumer lag) for the progress line. */
  status?(): string | undefined;
  /** Extra figures for the summary JSON. */
  stats?(): Record<string, unknown>;
}

export interface StageResult {
  kept: Rec[];
  rejected: Rejected[];
}

export interface Stage {
  readonly name: string;
  process(records: Rec[]): StageResult | Promise<StageResult>;
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
}
