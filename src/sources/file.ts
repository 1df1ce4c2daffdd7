// File and stdin sources: CSV or NDJSON, optionally gzip, read in chunks with
// back pressure and handed on as batches of records.
import { StringDecoder } from 'node:string_decoder';
import type { Fields, Kind, Rec, Rejected, Source, SourceBatch } from '../pipeline/types.js';
import { CsvTokenizer } from './csv.js';
import { csvRecords, sniffFormat } from './csv-header.js';
import { delimiterName, holdsReplacement, sniffDelimiter, Utf8Checker, type Delimiter, type Encoding } from './dialect.js';
import { Closer } from './closer.js';
import { utf8Bytes, type FileSpec, type Format } from './file-input.js';
import { DEFAULT_MAX_RECORD_BYTES, LineCapper } from './limits.js';
import { NdjsonTokenizer } from './ndjson.js';
import { lineRow } from '../pipeline/dead-row.js';

export interface FileSourceOptions {
  kindHint?: Kind;
  chunkBytes?: number;
  /** Longest record in UTF-8 bytes (--max-record-bytes; default 16 MiB). */
  maxRecordBytes?: number;
}

/** One chunk of the input as decoded text (invalid UTF-8 as U+FFFD). */
export interface TextChunk {
  text: string;
  /** The decoder's rest at the end of input: always the last chunk, unless stopped. */
  final: boolean;
  /** Bytes of input read so far (compressed bytes for gzip). */
  bytesRead: number;
}

export class FileSource implements Source {
  readonly name: string;
  readonly totalBytes?: number;
  private readonly counter = { bytes: 0 };
  private stopped = false;
  /** Aborted by stop(): a read waiting on stdin ends at once. */
  private readonly stopper = new AbortController();
  /** Holds the bytes being read (their finally blocks let go of the file). */
  private readonly closer = new Closer<Buffer>(() => this.stop());
  /** The encoding the input was read in (set once reading starts). */
  private readonly chosen: { encoding?: Encoding } = {};
  /** Records that hold bytes that are not UTF-8 (U+FFFD in their text), and where the first few start. */
  private invalid = 0;
  private readonly invalidAt: number[] = [];
  /** Bytes that are not UTF-8 were met: from then on records are checked for U+FFFD. */
  private suspect = false;
  /** The first bytes that are not UTF-8 read as printable windows-1252. */
  private probe = false;

  constructor(
    private readonly spec: FileSpec,
    private readonly opts: FileSourceOptions = {},
  ) {
    this.name = spec.name;
    this.totalBytes = spec.size;
  }

  stop(): void {
    this.stopped = true;
    this.stopper.abort();
  }

  /** Stops reading and lets go of the file (a read in flight ends first); a second call gets the first's promise. */
  close(): Promise<void> {
    return this.closer.close();
  }

  /** Kind forced by --kind for this source, if any. */
  get kindHint(): Kind | undefined {
    return this.opts.kindHint;
  }

  /** Longest record in UTF-8 bytes. */
  get maxRecordBytes(): number {
    return this.opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** Stable identity of the input (path + content print; stdin: `stdin`). */
  get origin(): string {
    return this.spec.origin;
  }

  /** Format from --format or the extension, if known before reading. */
  get format(): Format | undefined {
    return this.spec.format;
  }

  /**
   * The input's bytes (decompressed when gzip), one chunk per read. The parallel
   * runner reads through this too, so bytes counted and stop() behave the same.
   * After stop(), ends after the chunk in hand. A line longer than the record limit is
   * cut just past it (its rest dropped), so that it never sits in memory whole.
   */
  async *chunks(): AsyncGenerator<{ bytes: Buffer; bytesRead: number }> {
    const capper = new LineCapper(this.maxRecordBytes + 1);
    const checker = new Utf8Checker();
    const input = this.closer.hold(utf8Bytes(this.spec, this.opts.chunkBytes ?? 128 * 1024, this.counter, this.chosen, undefined, this.stopper.signal));
    for await (const bytes of input) {
      // bytes that are not UTF-8 (only UTF-8 input is not decoded on the way): from
      // here records are checked for U+FFFD
      if (!this.suspect && this.chosen.encoding === 'utf-8' && checker.write(bytes)) {
        this.suspect = true;
        this.probe = cp1252Plausible(bytes);
      }
      for (const part of capper.take(bytes)) yield { bytes: part, bytesRead: this.counter.bytes };
      if (this.stopped) return;
    }
    if (!this.suspect && checker.end()) this.suspect = true; // the input ends inside a sequence
  }

  /** True once stop() was called. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** The CSV delimiter, when known before reading (given, or sniffed when the header was checked). */
  get delimiter(): Delimiter | undefined {
    return this.spec.delimiter;
  }

  /** --strict-encoding for this source. */
  get strictEncoding(): boolean {
    return this.spec.strictEncoding === true;
  }

  /** Count records holding bytes that are not UTF-8 (from the parallel runner's pieces too). */
  noteInvalid(count: number, lines: readonly number[]): void {
    this.invalid += count;
    for (const l of lines) if (this.invalidAt.length < INVALID_LINES_KEPT) this.invalidAt.push(l);
  }

  /** The warning line for records holding bytes that are not UTF-8 (null when none). */
  encodingWarning(): string | null {
    if (this.invalid === 0) return null;
    const n = this.invalid === 1 ? '1 record holds' : `${this.invalid} records hold`;
    const where = this.invalidAt[0] === undefined ? '' : ` (first at ${this.spec.name}:${this.invalidAt[0]})`;
    const guess = this.probe ? 'the file is probably windows-1252 (Latin-1), not UTF-8: pass --encoding windows-1252' : 'the file is probably not UTF-8: pass --encoding with its encoding (utf-16le, utf-16be, windows-1252)';
    const strict = this.strictEncoding ? 'rejected as invalid_encoding' : 'read with U+FFFD in their place (--strict-encoding rejects such records)';
    return `${this.spec.name}: ${n} bytes that are not valid UTF-8${where}, ${strict}; ${guess}`;
  }

  /** The input as decoded text, one chunk per read, then the decoder's rest (not after a stop). */
  async *texts(): AsyncGenerator<TextChunk> {
    const decoder = new StringDecoder('utf8'); // invalid UTF-8 becomes U+FFFD
    for await (const c of this.chunks()) yield { text: decoder.write(c.bytes), final: false, bytesRead: c.bytesRead };
    if (this.stopped) return;
    yield { text: decoder.end(), final: true, bytesRead: this.counter.bytes };
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    const { spec } = this;
    const kindHint = this.opts.kindHint;
    let records: Rec[] = [];
    let rejected: Rejected[] = [];
    const bad = (line: number, raw: string, reason: string, code: 'parse_error' | 'too_long' = 'parse_error'): void => {
      rejected.push(lineRow(spec.name, line, kindHint, code, reason, raw));
    };
    const add = (value: Fields, line: number): void => {
      if (this.suspect && holdsReplacement(value)) {
        this.noteInvalid(1, [line]);
        if (spec.strictEncoding) {
          rejected.push(invalidEncodingReject(spec.name, line, kindHint, value));
          return;
        }
      }
      records.push({ value, raw: value, source: spec.name, line, origin: spec.origin, pos: line, kindHint });
    };
    let format = spec.format;
    let tokenizer: CsvTokenizer | NdjsonTokenizer | undefined;
    const limits = { maxRecordBytes: this.maxRecordBytes };
    let head = '';
    const makeTokenizer = (f: Format): CsvTokenizer | NdjsonTokenizer => {
      if (f === 'ndjson') return new NdjsonTokenizer({ row: add, bad }, limits);
      const delimiter = spec.delimiter ?? (spec.format === undefined ? sniffDelimiter(head) ?? undefined : undefined);
      if (delimiter !== undefined && spec.delimiter === undefined) spec.delimiter = delimiter;
      return csvRecords(spec.name, add, bad, { ...limits, delimiter }).tokenizer;
    };
    for await (const chunk of this.texts()) {
      if (tokenizer === undefined) {
        if (chunk.final && chunk.text.length === 0) return; // empty input: no records
        format ??= sniffFormat(chunk.text);
        head = chunk.text;
        tokenizer = makeTokenizer(format);
      }
      tokenizer.push(chunk.text, chunk.final);
      if (records.length > 0 || rejected.length > 0) {
        yield { records, rejected, bytesRead: this.counter.bytes };
        records = [];
        rejected = [];
      }
    }
  }

  stats(): Record<string, unknown> {
    const s: Record<string, unknown> = { bytes: this.counter.bytes };
    if (this.spec.delimiter !== undefined && this.spec.delimiter !== ',') s.delimiter = delimiterName(this.spec.delimiter);
    if (this.chosen.encoding !== undefined && this.chosen.encoding !== 'utf-8') s.encoding = this.chosen.encoding;
    if (this.invalid > 0) s.invalid_utf8 = { records: this.invalid, first: this.invalidAt.map((l) => `${this.spec.name}:${l}`) };
    return s;
  }
}

/** Bytes decode as windows-1252 to printable text (none of its five unassigned bytes). */
function cp1252Plausible(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) return false;
  }
  return true;
}

/** Lines of the first records with bytes that are not UTF-8 kept for the summary. */
const INVALID_LINES_KEPT = 5;

/** The dead-letter row of a record that holds bytes that are not UTF-8 (--strict-encoding). */
export function invalidEncodingReject(source: string, line: number, kind: Kind | undefined, record: Fields): Rejected {
  return lineRow(source, line, kind, 'invalid_encoding', "the record holds bytes that are not valid UTF-8 (--strict-encoding); give the file's --encoding, e.g. windows-1252", record);
}
