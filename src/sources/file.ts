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
async function* inputBytes(spec: FileSpec, chunkBytes: number, counter: { bytes: number }, stop?: AbortSignal): AsyncGenerator<Buffer> {
  const raw: Readable = spec.path === null ? process.stdin : createReadStream(spec.path, { highWaterMark: chunkBytes });
  const iter = untilStopped(raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>, raw, stop);
  const first = await iter.next();
  if (first.done) return;
  const firstChunk = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
  const gzip = spec.gzip ?? (firstChunk[0] === GZIP_MAGIC[0] && firstChunk[1] === GZIP_MAGIC[1]);
  async function* rawChunks(): AsyncGenerator<Buffer> {
    counter.bytes += firstChunk.length;
    yield firstChunk;
    for (let r = await iter.next(); !r.done; r = await iter.next()) {
      counter.bytes += r.value.length;
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
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (err) {
      const why = (err as Error).message;
      throw new RecflowError('input', `${spec.name}: not valid gzip data after ${counter.bytes} bytes (${why}); check the file or drop the .gz suffix`, { cause: err });
    } finally {
      gunzip.destroy();
      compressed.destroy();
    }
  } finally {
    if (raw !== process.stdin) raw.destroy();
  }
}

export function sniffFormat(text: string): Format {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('{') ? 'ndjson' : 'csv';
}

/**
 * Ends the iteration as soon as `stop` aborts, even while a read waits (stdin from a
 * pipe that stays open would otherwise hold a stopped run until the writer closes it):
 * stdin is then let go of, so it keeps the process alive no longer.
 */
function untilStopped(iter: AsyncIterator<Buffer>, raw: Readable, stop?: AbortSignal): AsyncIterator<Buffer> {
  if (!stop) return iter;
  const stopped = new Promise<IteratorResult<Buffer>>((resolve) => {
    const end = (): void => {
      if (raw === process.stdin) process.stdin.destroy();
      resolve({ done: true, value: undefined });
    };
    if (stop.aborted) end();
    else stop.addEventListener('abort', end, { once: true });
  });
  return {
    next: () => {
      const read = iter.next();
      read.catch(() => {}); // a read cut by the stop fails with a premature close: nobody waits for it
      return Promise.race([read, stopped]);
    },
  };
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
    for await (const bytes of inputBytes(this.spec, this.opts.chunkBytes ?? 128 * 1024, this.counter, this.stopper.signal)) {
      for (const part of capper.take(bytes)) yield { bytes: part, bytesRead: this.counter.bytes };
      if (this.stopped) return;
    }
  }

  /** True once stop() was called. */
  get stopping(): boolean {
    return this.stopped;
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
      records.push({ value, raw: value, source: spec.name, line, origin: spec.origin, pos: line, kindHint });
    };
    let format = spec.format;
    let tokenizer: CsvTokenizer | NdjsonTokenizer | undefined;
    const limits = { maxRecordBytes: this.maxRecordBytes };
    const makeTokenizer = (f: Format): CsvTokenizer | NdjsonTokenizer => {
      if (f === 'ndjson') return new NdjsonTokenizer({ row: add, bad }, limits);
      let make: ((cells: string[]) => Fields) | null = null;
      const csv: CsvTokenizer = new CsvTokenizer({
        row(cells, line) {
          if (make === null) {
            const header = headerNames(cells, spec.name);
            csv.maxCells = header.length;
            make = rowMaker(header);
            return;
          }
          add(make(cells), line);
        },
        bad,
      }, limits);
      return csv;
    };
    for await (const chunk of this.texts()) {
      if (tokenizer === undefined) {
        if (chunk.final && chunk.text.length === 0) return; // empty input: no records
        format ??= sniffFormat(chunk.text);
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
    return { bytes: this.counter.bytes };
  }
}

/** Read just the header row of a CSV spec (to check it before any output). */
export async function readCsvHeader(spec: FileSpec): Promise<string[] | null> {
  let header: string[] | null = null;
  const tok = new CsvTokenizer({
    row(cells) {
      header ??= cells;
    },
    bad() {},
  });
  const decoder = new StringDecoder('utf8');
  const gen = inputBytes(spec, 64 * 1024, { bytes: 0 });
  try {
    for await (const chunk of gen) {
      tok.push(decoder.write(chunk));
      if (header !== null) break;
    }
    if (header === null) tok.push(decoder.end(), true);
  } finally {
    await gen.return(undefined);
  }
  return header;
}
