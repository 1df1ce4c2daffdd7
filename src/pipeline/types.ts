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
export function placeOf(r: { line: number | null; source: string }): number {
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
  /** Unbounded (Kafka): the runner marks its writes `streaming` (SinkBatch). */
  readonly streaming?: boolean;
  batches(): AsyncIterable<SourceBatch>;
  /** Stop fetching new data (SIGINT/SIGTERM); the iterable then ends after what is in flight. */
  stop?(): void;
  close?(): Promise<void>;
  /** Records left to read when known without reading them (Kafka batch mode), for the ETA. */
  remaining?(): number | undefined;
  /** A short live status (e.g. consumer lag) for the progress line. */
  status?(): string | undefined;
  /** False while the source cannot deliver yet (a Kafka source before it joins its group), for /ready; absent: ready. */
  readonly ready?: boolean;
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
  /**
   * The stage decides by a key per record (dedupe reject/drop): the engine's workers may
   * compute the keys and this thread only admit them (pipeline/parallel/keyed.ts).
   */
  readonly keyed?: StageKeys;
  /**
   * The stage only reshapes each record's fields, never drops or rejects one (select,
   * rename, drop, set with a value or template, enrich that passes or tags): the
   * engine's workers may chain such steps on a field list and write the JSON line
   * straight from it (stages/shape.ts). Gives exactly what process() gives, order included.
   */
  readonly shape?: ShapeStep;
  /** The stage keeps or leaves out each record by a condition on its fields (filter): the same on a field list. */
  readonly test?: ListTest;
}

export interface ListTest {
  keep(l: FieldList): boolean;
  /** The one error of a record it does not keep (its dead-letter row); null: such records are dropped. */
  readonly refusal: RecordError | null;
}

/** A record's fields in object order (names are unique), for ShapeStep. */
export interface FieldList {
  names: string[];
  vals: unknown[];
  n: number;
  /** The record's decided kind (Rec.kind). */
  kind: Kind | null | undefined;
}

export interface ShapeStep {
  /** Field names the step may add: one that is an array index (`7`) keeps a plan off the list path. */
  readonly adds: readonly string[];
  /** Write the reshaped fields into `to` and return true, or return false: `from` is unchanged. */
  apply(from: FieldList, to: FieldList): boolean;
}

/** The dedupe keys of a piece's lines, encoded and hashed by a worker (stages/key-set.ts, KeyPacker). */
export interface PackedKeys {
  /** The keys' bytes, one after another. */
  bytes: Uint8Array;
  /** Per line: its key's byte length, or -1 for none (the line passes unchecked). */
  lengths: Int32Array;
  hashes: Int32Array;
}

/** What a stage that keys records offers the engine. */
export interface StageKeys {
  /** Key fields given (null: each record's kind's key). */
  readonly fields: readonly string[] | null;
  readonly onDuplicate: 'reject' | 'drop';
  /**
   * True for a key not seen before (remembered while there is room; may throw with
   * on_full=fail): the key of `length` bytes at `bytes[offset]`, of hash `hash` (PackedKeys).
   */
  admit(bytes: Uint8Array, offset: number, length: number, hash: number): boolean;
  /** The dead-letter row of a duplicate record. */
  duplicate(r: Rec): Rejected;
}

/** Records (or lines) of a write by index in it: `from` included, `to` excluded. */
export interface LineRange {
  from: number;
  to: number;
}

/** Records (or lines) of one write that a sink did not deliver, by index, with why. */
export interface Refusal extends LineRange {
  /**
   * delivery_failed: not delivered because the sink gave up (the result has `failure`);
   * the others are refused for good (HTTP 4xx, a broker's refusal, a bad {kind} name).
   */
  code: 'http_rejected' | 'kafka_rejected' | 'invalid_kind' | 'delivery_failed';
  message: string;
}

/** What became of one write: what is in no refusal was delivered. */
export interface SinkWriteResult {
  /** By record or line index; the runner turns them into dead-letter rows, and the run goes on. */
  refused?: Refusal[];
  /** The sink gave up: the run stops (what it did not deliver is refused as delivery_failed). */
  failure?: RecflowError;
}

/**
 * What a write carries: records, or NDJSON lines encoded elsewhere (by the parallel
 * runner's workers, for a sink that declares `encoded`).
 */
export type SinkBatch =
  | { readonly records: Rec[]; readonly lines?: undefined; readonly streaming: boolean }
  | { readonly lines: EncodedLines; readonly records?: undefined; readonly streaming: boolean };

/**
 * Which pre-encoded lines a sink takes (besides records), so the runner knows what to
 * ask of its workers: 'ndjson' the bytes of one output; 'ndjson-by-kind' one write per
 * kind ({kind} outputs); 'ndjson-lines' also each line's end and position (the sink cuts
 * batches across writes, see linesWindow); 'ndjson-keyed' those and each line's key.
 */
export type EncodedKind = 'ndjson' | 'ndjson-by-kind' | 'ndjson-lines' | 'ndjson-keyed';

export interface Sink {
  readonly name: string;
  /** How many write() calls the runner may keep in flight at once. */
  readonly maxInFlight: number;
  /** Pre-encoded lines this sink takes; absent: records only. */
  readonly encoded?: EncodedKind;
  /**
   * With 'ndjson-lines'/'ndjson-keyed': kept records the runner may have written and not
   * settled beyond the oldest write (at least one batch, so the oldest write's lines are
   * never held back); absent: a fixed number of writes.
   */
  readonly linesWindow?: number;
  /**
   * Resolves only when the records are durably written (flushed, 2xx, broker ack)
   * or refused (SinkWriteResult, by index). When the sink failed for good it either rejects
   * (a RecflowError: none of the write delivered) or answers `failure` with what it did not
   * deliver refused as delivery_failed.
   * `streaming` (a Kafka source): a partial batch may leave after a linger time.
   */
  write(batch: SinkBatch): Promise<SinkWriteResult>;
  /** Send what is held back for later writes (a partial batch of lines): at the end of input. */
  flush?(): void;
  /** Flush and release; resolves when everything written is durable. A second call returns the first's promise. */
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
 * records of one piece of input (of one kind with 'ndjson-by-kind'), in input order.
 */
export interface EncodedLines {
  /** Stable identity of where the records came from (see Rec.origin). */
  origin: string;
  /** UTF-8 NDJSON, one record per line, each line ending in '\n'. */
  bytes: Uint8Array;
  /** Lines in `bytes`. */
  count: number;
  /** The kind of every line, with 'ndjson-by-kind' (the output it goes to). */
  kind?: string;
  /** Per line: the offset in `bytes` just past its '\n' ('ndjson-lines', 'ndjson-keyed'). */
  ends?: Uint32Array;
  /** Per line: the record's position in its origin (Rec.pos) ('ndjson-lines', 'ndjson-keyed'). */
  pos?: Float64Array;
  /** Per line: the Kafka message key ('ndjson-keyed'). */
  keys?: (string | null)[];
  /** Per line: its kind for the Kafka `kind` header and {kind} topic, null: none ('ndjson-keyed'). */
  kinds?: (string | null)[];
}

/** What every source, stage and sink is given when it is made. */
export interface ComponentContext {
  /** Every option of the command as parsed (flags > env > config > defaults already applied). */
  opts: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Log one line to stderr (respects --quiet for info lines). Never pass secrets. */
  log: (message: string) => void;
  debug: boolean;
  /** Output paths planned and checked before the run (an OutputPlan, src/sinks/outputs.ts): the file sink's file for a kind. */
  outputs?: { pathFor(kind: string): string };
  /**
   * Fingerprint of what turns input into output (stages and their options, kind,
   * contract version): part of every HTTP idempotency key (src/config/fingerprint.ts).
   */
  pipeline?: string;
  /** Told the duration of each answered HTTP request, in seconds (--metrics' latency histogram). */
  observeLatency?: (seconds: number) => void;
}
