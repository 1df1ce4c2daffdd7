// File and stdin sources: CSV or NDJSON, optionally gzip, read in chunks with
// back pressure and handed on as batches of records.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { normalizeHeader } from '../contract/index.js';
import { RecflowError } from '../errors.js';
import type { Fields, Kind, Rec, Rejected, Source, SourceBatch } from '../pipeline/types.js';
import { CsvTokenizer } from './csv.js';
import { delimiterName, encodingFromBom, holdsReplacement, sniffDelimiter, Transcoder, Utf8Checker, type Delimiter, type Encoding, type EncodingOption } from './dialect.js';
import { DEFAULT_MAX_RECORD_BYTES, LineCapper } from './limits.js';
import { NdjsonTokenizer } from './ndjson.js';

export type Format = 'csv' | 'ndjson';

export interface FileSpec {
  /** As the user gave it (`-` for stdin); used as `source` in the dead-letter output. */
  name: string;
  /** Absolute path, or null for stdin. */
  path: string | null;
  /** Known from --format or the extension; else sniffed from the first bytes. */
  format?: Format;
  /** Known from the extension; else sniffed from the magic bytes. */
  gzip?: boolean;
  size?: number;
  /** CSV cell delimiter: given (--delimiter, --format tsv, .tsv) or sniffed from the header; else ','. */
  delimiter?: Delimiter;
  /** The delimiter was sniffed, not given. */
  sniffed?: boolean;
  /** --encoding (default auto: a byte order mark, else UTF-8). */
  encoding?: EncodingOption;
  /** Records holding bytes that are not UTF-8 are rejected as invalid_encoding. */
  strictEncoding?: boolean;
  /** stdin: the raw bytes read already (to check the header before any output), read again first. */
  head?: Buffer[];
  /** Stable identity: path + a print of the content (stdin: `stdin`); see openSources. */
  origin: string;
}

export interface FileSourceOptions {
  kindHint?: Kind;
  chunkBytes?: number;
  /** Longest record in UTF-8 bytes (--max-record-bytes; default 16 MiB). */
  maxRecordBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Raw bytes of the input, decompressed when gzip, with a running count of bytes read. */
async function* inputBytes(spec: FileSpec, chunkBytes: number, counter: { bytes: number }, capture?: Buffer[], stop?: AbortSignal): AsyncGenerator<Buffer> {
  const raw: Readable = spec.path === null ? process.stdin : createReadStream(spec.path, { highWaterMark: chunkBytes });
  const iter = untilStopped(withHead(spec.path === null ? spec.head : undefined, raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>), raw, stop);
  const first = await iter.next();
  if (first.done) return;
  const firstChunk = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
  const gzip = spec.gzip ?? (firstChunk[0] === GZIP_MAGIC[0] && firstChunk[1] === GZIP_MAGIC[1]);
  async function* rawChunks(): AsyncGenerator<Buffer> {
    counter.bytes += firstChunk.length;
    capture?.push(firstChunk);
    yield firstChunk;
    for (let r = await iter.next(); !r.done; r = await iter.next()) {
      counter.bytes += r.value.length;
      capture?.push(r.value);
      yield r.value;
    }
  }
  try {
    if (!gzip) {
      yield* rawChunks();
      return;
    }
    const compressed = Readable.from(rawChunks());
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    // Stopping early (only the header was wanted) destroys the file stream under
    // `compressed`: its premature-close error must not go unhandled.
    compressed.on('error', (err) => gunzip.destroy(err));
    compressed.pipe(gunzip);
    // zlib reads concatenated members (cat a.gz b.gz, pigz, bgzip) one after the other
    let text = 0;
    try {
      for await (const chunk of gunzip) {
        text += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } catch (err) {
      const why = (err as Error).message;
      // a source failure (exit 3) whether met at open (the header is read) or later in the run
      if (text === 0) throw new RecflowError('source', `${spec.name}: not valid gzip data after ${counter.bytes} bytes (${why}); check the file or drop the .gz suffix`, { cause: err });
      // records before the damage were read and delivered: the source failed (exit 3), not the usage
      throw new RecflowError('source', `${spec.name}: gzip data truncated or corrupt at byte ${gunzip.bytesWritten} of the compressed file (${why}), after ${text} bytes of text; the records before it were read`, { cause: err });
    } finally {
      gunzip.destroy();
      compressed.destroy();
    }
  } finally {
    if (raw !== process.stdin) raw.destroy();
  }
}

/**
 * Ends the iteration as soon as `stop` aborts, even while a read waits (stdin from a
 * pipe that stays open would otherwise hold a stopped run until the writer closes it):
 * stdin is then let go of, so it keeps the process alive no longer.
 */
function untilStopped(iter: AsyncIterator<Buffer>, raw: Readable, stop?: AbortSignal): AsyncIterator<Buffer> {
  if (!stop) return iter;
  if (raw === process.stdin) stop.addEventListener('abort', () => process.stdin.destroy(), { once: true });
  // one listener per read, removed when the read settles: racing every read against one
  // long-lived promise would keep every chunk read reachable from it (memory grew with the input)
  return {
    next: () =>
      new Promise<IteratorResult<Buffer>>((resolve, reject) => {
        if (stop.aborted) return resolve({ done: true, value: undefined });
        const onAbort = (): void => resolve({ done: true, value: undefined });
        stop.addEventListener('abort', onAbort, { once: true });
        iter.next().then(
          (r) => {
            stop.removeEventListener('abort', onAbort);
            resolve(r);
          },
          (err: unknown) => {
            stop.removeEventListener('abort', onAbort);
            if (stop.aborted) resolve({ done: true, value: undefined }); // a read cut by the stop (premature close)
            else reject(err);
          },
        );
      }),
  };
}

/** An iterator giving the bytes read already first, then the rest of the stream. */
function withHead(head: Buffer[] | undefined, rest: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  if (head === undefined || head.length === 0) return rest;
  const queue = head.slice();
  return {
    next: async () => (queue.length > 0 ? { done: false, value: queue.shift()! } : rest.next()),
  };
}

/**
 * The input's bytes as UTF-8: decompressed, then decoded from its encoding when that
 * is not UTF-8 (auto: a UTF-16 byte order mark). `chosen` gets the encoding used.
 */
export async function* utf8Bytes(spec: FileSpec, chunkBytes: number, counter: { bytes: number }, chosen: { encoding?: Encoding } = {}, capture?: Buffer[], stop?: AbortSignal): AsyncGenerator<Buffer> {
  let tc: Transcoder | null | undefined;
  const auto = spec.encoding === undefined || spec.encoding === 'auto';
  /** The first bytes, held until there are enough to see a byte order mark. */
  let start: Buffer | null = null;
  const choose = (head: Buffer): void => {
    const enc: Encoding = auto ? encodingFromBom(head) : (spec.encoding as Encoding);
    chosen.encoding = enc;
    tc = enc === 'utf-8' ? null : new Transcoder(enc);
  };
  for await (let bytes of inputBytes(spec, chunkBytes, counter, capture, stop)) {
    if (tc === undefined) {
      if (auto && (start?.length ?? 0) + bytes.length < 2) {
        start = start === null ? bytes : Buffer.concat([start, bytes]);
        continue;
      }
      if (start !== null) bytes = Buffer.concat([start, bytes]);
      start = null;
      choose(bytes);
    }
    yield tc === null ? bytes : tc!.write(bytes);
  }
  if (tc === undefined && start !== null) {
    choose(start); // input of one byte
    yield tc === null ? start : tc!.write(start);
  }
  if (tc) {
    const rest = tc.end();
    if (rest.length > 0) yield rest;
  }
}

export function sniffFormat(text: string): Format {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('{') ? 'ndjson' : 'csv';
}

/** Header names as the contract wants them; empty names become column_N. */
export function headerNames(cells: string[], source: string): string[] {
  const names = cells.map((c, i) => normalizeHeader(c) || `column_${i + 1}`);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const prev = seen.get(n);
    if (prev !== undefined) {
      throw new RecflowError(
        'input',
        `${source}:1: the CSV header names "${n}" twice (columns ${prev + 1} and ${i + 1}); rename one of them`,
      );
    }
    seen.set(n, i);
  });
  return names;
}

/**
 * Makes the record object of a CSV row: header names as keys, in header order;
 * a short row gets only the cells it has. For rows with every cell (the common
 * case) a function with one object literal is compiled for the header: much
 * faster than keyed stores, and the same object.
 */
export function rowMaker(header: readonly string[]): (cells: string[]) => Fields {
  const generic = (cells: string[]): Fields => {
    const o: Fields = {};
    for (let k = 0; k < cells.length; k++) {
      const h = header[k]!;
      // a store to `__proto__` would set the prototype (or be ignored): define an own field
      if (h === '__proto__') Object.defineProperty(o, h, { value: cells[k], enumerable: true, writable: true, configurable: true });
      else o[h] = cells[k];
    }
    return o;
  };
  // `__proto__` in a literal sets the prototype: such a header takes the generic path.
  if (header.length === 0 || header.length > 64 || header.includes('__proto__')) return generic;
  try {
    const props = header.map((h, i) => `${JSON.stringify(h)}: c[${i}]`).join(', ');
    const make = new Function('generic', `return function row(c) { return c.length === ${header.length} ? { ${props} } : generic(c); };`);
    return make(generic) as (cells: string[]) => Fields;
  } catch {
    return generic; // code generation disallowed (--disallow-code-generation-from-strings)
  }
}

/**
 * A CSV tokenizer whose first row is the header (names checked, cell count bounded) and
 * whose other rows become records for `add`; `useHeader` sets the header read elsewhere
 * (a resumed read: the header is at the top of the file, not in the bytes read).
 */
export function csvRecords(
  name: string,
  add: (v: Fields, line: number) => void,
  bad: ConstructorParameters<typeof CsvTokenizer>[0]['bad'],
  options: ConstructorParameters<typeof CsvTokenizer>[1],
): { tokenizer: CsvTokenizer; useHeader: (cells: string[]) => void } {
  let make: ((cells: string[]) => Fields) | null = null;
  const useHeader = (cells: string[]): void => {
    const header = headerNames(cells, name);
    tokenizer.maxCells = header.length;
    make = rowMaker(header);
  };
  const tokenizer: CsvTokenizer = new CsvTokenizer(
    {
      row(cells, line) {
        if (make === null) useHeader(cells);
        else add(make(cells), line);
      },
      bad,
    },
    options,
  );
  return { tokenizer, useHeader };
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
    for await (const bytes of utf8Bytes(this.spec, this.opts.chunkBytes ?? 128 * 1024, this.counter, this.chosen, undefined, this.stopper.signal)) {
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
      rejected.push({
        source: spec.name,
        line,
        kind: kindHint ?? null,
        errors: [{ field: null, code, message: `${spec.name}:${line}: ${reason}` }],
        record: raw,
      });
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
  return {
    source,
    line,
    kind: kind ?? null,
    errors: [{ field: null, code: 'invalid_encoding', message: `${source}:${line}: the record holds bytes that are not valid UTF-8 (--strict-encoding); give the file's --encoding, e.g. windows-1252` }],
    record,
  };
}

/** Text read by readHead: enough for the header and a few records to sniff from. */
const HEAD_BYTES = 64 * 1024;
const HEAD_LINES = 8;

/**
 * The start of the input as UTF-8 text (decoded as the run decodes it): up to a few
 * lines or 64 KiB. For stdin the raw bytes read are kept in spec.head, to be read again.
 */
export async function readHead(spec: FileSpec): Promise<{ text: string; final: boolean }> {
  const decoder = new StringDecoder('utf8');
  const capture: Buffer[] | undefined = spec.path === null ? [] : undefined;
  const gen = utf8Bytes(spec, HEAD_BYTES, { bytes: 0 }, {}, capture);
  let text = '';
  let final = true;
  try {
    for await (const chunk of gen) {
      text += decoder.write(chunk);
      if (text.length >= HEAD_BYTES || countNl(text) >= HEAD_LINES) {
        final = false;
        break;
      }
    }
    if (final) text += decoder.end();
  } catch (err) {
    // damage after the start (a truncated gzip member): the run reads up to it, then reports it
    if (!(err instanceof RecflowError && err.code === 'source')) throw err;
    final = false;
  } finally {
    await gen.return(undefined);
    if (capture) spec.head = capture;
  }
  return { text, final };
}

function countNl(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1 && n < HEAD_LINES; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The header row of a CSV text's start (null when it holds no complete row). */
export function headerOf(head: { text: string; final: boolean }, delimiter: Delimiter | undefined): string[] | null {
  let header: string[] | null = null;
  const tok = new CsvTokenizer({
    row(cells) {
      header ??= cells;
    },
    bad() {},
  }, { delimiter });
  tok.push(head.text, head.final);
  return header;
}

/** Read just the header row of a CSV spec (in its delimiter and encoding). */
export async function readCsvHeader(spec: FileSpec): Promise<string[] | null> {
  return headerOf(await readHead(spec), spec.delimiter);
}
