// Where generated text goes: stdout, a file, or a gzip-compressed file. Text is
// encoded straight into ~1 MB buffers, and each full buffer is one write() that
// waits for 'drain' when the stream's buffer is full (back pressure: memory stays
// flat however many records are generated).
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { RecflowError } from '../errors.js';

export interface ChunkWriter {
  /** Add text; resolves when the stream can take more. Never call again before it resolves. */
  write(text: string): Promise<void>;
  /** Hand what is buffered to the stream now (for --rate, so a reader sees records as they come). */
  flush(): Promise<void>;
  /** Flush and close (stdout is flushed, not closed). */
  end(): Promise<void>;
  /** True once the reader went away (EPIPE on stdout, e.g. `| head`): stop generating. */
  readonly closed: boolean;
  /** Bytes handed to the output (before compression). */
  readonly bytes: number;
}

/** Size of one write(). */
const BATCH_BYTES = 1 << 20;

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

function outputFailure(target: string, err: unknown): RecflowError {
  const reason = err instanceof Error ? err.message : String(err);
  return new RecflowError('sink', `cannot write ${target === '-' ? 'to stdout' : `'${target}'`}: ${reason}`, { cause: err });
}

/**
 * Wraps a writable stream. `stream` is what chunks are written to; `done` is the
 * stream whose 'finish'/'close' means everything is on disk (the file under a gzip stream).
 */
function chunkWriter(target: string, stream: Writable, done: Writable | null): ChunkWriter {
  let failure: unknown = null;
  let closed = false;
  let bytes = 0;
  let wake: (() => void) | null = null;
  let batch = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;

  const onError = (err: unknown): void => {
    if (target === '-' && errnoCode(err) === 'EPIPE') closed = true; // the reader is gone: not a failure
    else failure ??= err;
    wake?.();
  };
  stream.on('error', onError);
  if (done && done !== stream) done.on('error', onError);

  const check = (): void => {
    if (failure) throw outputFailure(target, failure);
  };

  const send = async (buf: Buffer): Promise<void> => {
    bytes += buf.length;
    if (stream.write(buf)) return;
    await new Promise<void>((resolve) => {
      const resume = (): void => {
        stream.off('drain', resume);
        wake = null;
        resolve();
      };
      wake = resume; // an error wakes the writer too
      stream.on('drain', resume);
    });
  };

  const flush = async (): Promise<void> => {
    check();
    if (used === 0 || closed) return;
    const full = batch.subarray(0, used);
    // The stream keeps the buffer until it is written: start a new one.
    batch = Buffer.allocUnsafe(BATCH_BYTES);
    used = 0;
    await send(full);
    check();
  };

  return {
    get closed() {
      return closed;
    },
    get bytes() {
      return bytes;
    },
    async write(text) {
      // A UTF-16 code unit takes at most 3 bytes in UTF-8.
      if (used + text.length * 3 > BATCH_BYTES) await flush();
      if (closed) return;
      if (text.length * 3 > BATCH_BYTES) await send(Buffer.from(text, 'utf8'));
      else used += batch.write(text, used, 'utf8');
    },
    flush,
    async end() {
      await flush();
      if (done === null) {
        // stdout: wait until what was written is flushed, but do not close it.
        if (!closed) await new Promise<void>((resolve) => stream.write('', () => resolve()));
      } else {
        await new Promise<void>((resolve) => {
          done.once('close', resolve);
          wake = resolve;
          stream.end();
        });
      }
      check();
    },
  };
}

/**
 * Opens the output: `-` is `stdout`; a path ending in `.gz` is gzip-compressed.
 * Resolves once a file is open, so a bad path fails before anything is generated.
 */
export async function openOutput(target: string, stdout: Writable = process.stdout): Promise<ChunkWriter> {
  if (target === '-') return chunkWriter('-', stdout, null);
  const file = createWriteStream(target);
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err) => {
      const why =
        errnoCode(err) === 'ENOENT'
          ? 'the directory does not exist'
          : errnoCode(err) === 'EACCES'
            ? 'permission denied'
            : errnoCode(err) === 'EISDIR'
              ? 'it is a directory'
              : err.message;
      reject(new RecflowError('usage', `--out: cannot write '${target}': ${why}`, { cause: err }));
    });
  });
  if (!/\.gz$/i.test(target)) return chunkWriter(target, file, file);
  const gzip = createGzip();
  gzip.pipe(file);
  return chunkWriter(target, gzip, file);
}
