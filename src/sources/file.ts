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
  /** Stable identity: path + size + mtime (stdin: unique per run). */
  origin: string;
}

export interface FileSourceOptions {
  kindHint?: Kind;
  chunkBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Raw bytes of the input, decompressed when gzip, with a running count of bytes read. */
async function* inputBytes(spec: FileSpec, chunkBytes: number, counter: { bytes: number }): AsyncGenerator<Buffer> {
  const raw: Readable = spec.path === null ? process.stdin : createReadStream(spec.path, { highWaterMark: chunkBytes });
  const iter = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
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
    const gunzip = Readable.from(rawChunks()).pipe(createGunzip({ chunkSize: 256 * 1024 }));
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (err) {
      const why = (err as Error).message;
      throw new RecflowError('input', `${spec.name}: not valid gzip data after ${counter.bytes} bytes (${why}); check the file or drop the .gz suffix`, { cause: err });
    } finally {
      gunzip.destroy();
    }
  } finally {
    if (raw !== process.stdin) raw.destroy();
  }
}

function sniffFormat(text: string): Format {
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

export class FileSource implements Source {
  readonly name: string;
  readonly totalBytes?: number;
  private readonly counter = { bytes: 0 };
  private stopped = false;

  constructor(
    private readonly spec: FileSpec,
    private readonly opts: FileSourceOptions = {},
  ) {
    this.name = spec.name;
    this.totalBytes = spec.size;
  }

  stop(): void {
    this.stopped = true;
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    const { spec } = this;
    const kindHint = this.opts.kindHint;
    let records: Rec[] = [];
    let rejected: Rejected[] = [];
    const bad = (line: number, raw: string, reason: string): void => {
      rejected.push({
        source: spec.name,
        line,
        kind: kindHint ?? null,
        errors: [{ field: null, code: 'parse_error', message: `${spec.name}:${line}: ${reason}` }],
        record: raw,
      });
    };
    const add = (value: Fields, line: number): void => {
      records.push({ value, raw: value, source: spec.name, line, origin: spec.origin, pos: line, kindHint });
    };
    let format = spec.format;
    let tokenizer: CsvTokenizer | NdjsonTokenizer | undefined;
    const makeTokenizer = (f: Format): CsvTokenizer | NdjsonTokenizer => {
      if (f === 'ndjson') return new NdjsonTokenizer({ row: add, bad });
      let header: string[] | null = null;
      const csv: CsvTokenizer = new CsvTokenizer({
        row(cells, line) {
          if (header === null) {
            header = headerNames(cells, spec.name);
            csv.maxCells = header.length;
            return;
          }
          const h = header;
          const o: Fields = {};
          for (let k = 0; k < cells.length; k++) o[h[k]!] = cells[k];
          add(o, line);
        },
        bad,
      });
      return csv;
    };
    const decoder = new StringDecoder('utf8'); // invalid UTF-8 becomes U+FFFD
    for await (const chunk of inputBytes(spec, this.opts.chunkBytes ?? 512 * 1024, this.counter)) {
      const text = decoder.write(chunk);
      if (tokenizer === undefined) {
        format ??= sniffFormat(text);
        tokenizer = makeTokenizer(format);
      }
      tokenizer.push(text);
      if (records.length > 0 || rejected.length > 0) {
        yield { records, rejected, bytesRead: this.counter.bytes };
        records = [];
        rejected = [];
      }
      if (this.stopped) return;
    }
    const rest = decoder.end();
    if (tokenizer === undefined) {
      if (rest.length === 0) return; // empty input: no records
      tokenizer = makeTokenizer(format ?? sniffFormat(rest));
    }
    tokenizer.push(rest, true);
    if (records.length > 0 || rejected.length > 0) yield { records, rejected, bytesRead: this.counter.bytes };
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
