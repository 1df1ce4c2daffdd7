// Reading a file or stdin as bytes: gzip (sniffed or by name), stdin's bytes read
// already (the header check) given again first, a stop that ends a waiting read, and
// the text decoded to UTF-8 from its encoding.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { RecflowError } from '../errors.js';
import { encodingFromBom, Transcoder, type Delimiter, type Encoding, type EncodingOption } from './dialect.js';

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
    if (raw !== process.stdin) await destroyed(raw);
  }
}

/** Destroys a file stream and waits until its descriptor is closed (close() promises the file let go). */
export async function destroyed(stream: Readable): Promise<void> {
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
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
