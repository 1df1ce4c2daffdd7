// What the main thread sends a worker for one piece of input, and what comes back.
import type { RecflowError } from '../../errors.js';
import type { Kind, PackedKeys } from '../types.js';
import type { RejectSummary } from '../stats.js';

export interface PieceTask {
  /** Sequence number of this dispatch (a piece done again gets a new one). */
  id: number;
  /** Source name as given (`-` for stdin): `source` of dead-letter rows and messages. */
  source: string;
  /** Stable identity of the source (Rec.origin). */
  origin: string;
  /** 'messages': Kafka message values, ended at `valueEnds`, decoded one by one. */
  format: 'csv' | 'ndjson' | 'messages';
  /** format 'messages': where each value ends in `bytes` (-1: a tombstone), its offset and kind, topic and partition. */
  kafka?: { topic: string; partition: number; valueEnds: number[]; offsets: number[]; kinds: (Kind | null)[] };
  kindHint?: Kind;
  /** Whole lines of the input, as bytes (decoded here, so the main thread does not). */
  bytes: Uint8Array;
  /**
   * Offsets in `bytes` where a chunk of the input, as read, ended. Decoder and
   * tokenizer are fed chunk by chunk as the sequential reader feeds them, so the
   * text and even the tokenizer's 64 MiB rule (applied at chunk ends) are the same.
   */
  chunkEnds: number[];
  /** Physical line of the first byte. */
  line: number;
  /** `bytes` start the input (a byte order mark is dropped). */
  first: boolean;
  /** `bytes` end the input. */
  final: boolean;
  /** CSV header names; null while the header was not met yet (the first piece). */
  header: string[] | null;
  /** Output NDJSON text (false for `validate`: count only). */
  write: boolean;
  /** Output one text per kind (a `{kind}` sink). */
  split: boolean;
  /** Also give each output line's end and position (a sink that declares 'ndjson-lines' or 'ndjson-keyed' cuts batches by them; not with split). */
  lines: boolean;
  /** With `lines`: also give each output line's dedupe key (the dedupe stage after the pieces; fields null: each kind's key). */
  dedupe?: { fields: readonly string[] | null };
  /** With `lines`: also give each output line's Kafka message key and kind (a Kafka sink; see contract/message-key.ts). */
  keys?: boolean;
  /**
   * Output records for stages that run after the pieces, on the main thread: each line
   * `value TAB raw TAB kind`, value and raw as JSON with numbers as read (raw empty: the
   * same as value), kind as JSON (null: none). JSON text holds no raw tab or newline.
   */
  records?: boolean;
  /** Output buffers the main thread is done with, for reuse (transferred). */
  spare?: ArrayBuffer[];
  /**
   * How rejects come back: 'rows' (default) as `rejected`, for a main thread that needs the
   * rows (CI reports, records mode); 'lines' as dead-letter lines and counts; 'counts' (no
   * dead-letter output) counts only. The last two spare the main thread parsing rows back.
   */
  deadLetter?: 'rows' | 'lines' | 'counts';
  /** Longest record in UTF-8 bytes (--max-record-bytes); default 16 MiB. */
  maxRecordBytes?: number;
  /** CSV cell delimiter (default ','). */
  delimiter?: string;
  /** Records holding bytes that are not UTF-8 become invalid_encoding rejects. */
  strictEncoding?: boolean;
}

export interface PieceResult {
  id: number;
  /** The piece's bytes, handed back (they were transferred to the worker). */
  input: Uint8Array;
  /** Records read: good rows plus parse errors. */
  recordsIn: number;
  /** NDJSON of the kept records, UTF-8 (not split; null when none). */
  out: Uint8Array | null;
  /** NDJSON per kind, kinds in the order first met, with its number of lines (split). */
  outByKind: [string, Uint8Array, number][];
  /** With PieceTask.lines: per line of `out`, the offset just past its '\n', and its physical line. */
  ends: Uint32Array | null;
  pos: Float64Array | null;
  /** With PieceTask.keys: per line of `out`, its Kafka message key and its kind (null: none). */
  keys: (string | null)[] | null;
  kinds: (string | null)[] | null;
  /** With PieceTask.dedupe: per line of `out`, its dedupe key (encoded and hashed) and the kind it is counted under. */
  dedupeKeys: PackedKeys | null;
  lineKinds: string[] | null;
  /** Kept records per kind, kinds in the order first met. */
  kept: [string, number][];
  keptTotal: number;
  /** Records a stage left out on purpose (filter, sample). */
  dropped: number;
  /**
   * The rejected rows (parse errors and contract rejects) in line order, as a JSON array
   * with numbers as read ('' when none): read it back with parseLossless.
   */
  rejected: string;
  /** PieceTask.deadLetter 'lines': the dead-letter lines of the rejects, in line order ('' when none). */
  rejectLines: string;
  /** With rejectLines: where each of its lines' records was (placeOf), to merge a keyed dedupe's duplicates in. */
  rejectPlaces: number[] | null;
  /** PieceTask.deadLetter 'lines' or 'counts': the rejects counted (null: none, or given as rows). */
  rejectCounts: RejectSummary | null;
  /** CSV: where in `bytes` an incomplete record starts (the cut was inside it); -1 when none. */
  pendingByte: number;
  /** The line where it starts. */
  pendingLine: number;
  /**
   * The push after which the last record of the piece came out: i for the i-th
   * chunk end, chunkEnds.length for the end of the piece; -1 for none. (The
   * sequential reader reports bytes read as of the last chunk that gave records.)
   */
  lastEmit: number;
  /** CSV: the header names once met (in the piece that holds the header). */
  header: string[] | null;
  /** Records holding bytes that are not UTF-8 (U+FFFD in their text), and the first few lines. */
  invalidUtf8: number;
  invalidLines: number[];
  /** A whole-input problem (duplicate header names): the run stops with it. */
  error?: { code: RecflowError['code']; message: string };
}

