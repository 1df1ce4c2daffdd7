// Where generated text goes: stdout, a file, or a gzip-compressed file. Text is
// encoded straight into ~1 MB buffers, and each full buffer is one write() that
// waits for 'drain' when the stream's buffer is full (back pressure: memory stays
// flat however many records are generated).
//
// A file is written crash-safely, as every recflow output (sinks/util/atomic-file): into
// `.NAME.recflow-PID.tmp` beside it, renamed into place only once every record is in it.
// A killed, failed or interrupted generate leaves the previous file (or none) under the name.
import { createWriteStream, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { RecflowError } from '../errors.js';
import { AsideFile, clearLeftovers, isSpecialFile, syncDir } from '../sinks/util/atomic-file.js';

export interface ChunkWriter {
  /** Add text; resolves when the stream can take more. Never call again before it resolves. */
  write(text: string): Promise<void>;
  /** Hand what is buffered to the stream now (for --rate, so a reader sees records as they come). */
  flush(): Promise<void>;
  /**
   * Flush and close (stdout is flushed, not closed). A file is put in place only when
   * `complete` (every record generated); else its temp file is removed.
   */
  end(complete?: boolean): Promise<void>;
  /** After a failure: let go of the output; a file's temp file is removed (stdout: flushed as far as it goes). */
  discard(): Promise<void>;
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
 * stream whose 'close' (an aside file's 'finish') means everything is written (the file
 * under a gzip stream); `aside` is the temp file `done` writes, to put in place at the end.
 */
function chunkWriter(target: string, stream: Writable, done: Writable | null, aside: AsideFile | null = null): ChunkWriter {
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
    async end(complete = true) {
      try {
        await flush();
        if (done === null) {
          // stdout: wait until what was written is flushed, but do not close it.
          if (!closed) await new Promise<void>((resolve) => stream.write('', () => resolve()));
        } else {
          await new Promise<void>((resolve) => {
            done.once(aside ? 'finish' : 'close', resolve); // an aside file stays open for fsync
            wake = resolve;
            stream.end();
          });
        }
        check();
        if (aside && complete) await place(target, aside);
        else await aside?.discard();
      } catch (err) {
        await aside?.discard();
        throw err;
      }
    },
    async discard() {
      if (aside) {
        stream.destroy();
        await aside.discard();
      } else if (done === null) {
        await flush().catch(() => {}); // what was generated still reaches the reader
      } else {
        stream.destroy();
      }
    },
  };
}

/** fsync, rename over the final name, fsync the folder; a failure is the output's, the temp file removed. */
async function place(target: string, aside: AsideFile): Promise<void> {
  try {
    await aside.commit();
  } catch (err) {
    throw outputFailure(target, err);
  }
  syncDir(dirname(target));
}

function openFailure(target: string, err: unknown): RecflowError {
  const code = errnoCode(err);
  const why =
    code === 'ENOENT'
      ? 'the directory does not exist'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : (err as Error).message;
  return new RecflowError('usage', `--out: cannot write '${target}': ${why}`, { cause: err });
}

/** Resolves once `file` is open; an open failure is a usage error (exit 2, before anything is generated). */
function opened(target: string, file: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err) => reject(openFailure(target, err)));
  });
}

/** A folder as --out: said now, not when the rename fails at the end. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens the output: `-` is `stdout`; a path ending in `.gz` is gzip-compressed. A regular
 * file is written aside (a device or FIFO in place). Resolves once a file is open, so a
 * bad path fails before anything is generated; temp files of killed runs are removed.
 */
export async function openOutput(target: string, stdout: Writable = process.stdout): Promise<ChunkWriter> {
  if (target === '-') return chunkWriter('-', stdout, null);
  if (isDirectory(target)) throw openFailure(target, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  const special = isSpecialFile(target);
  if (!special) clearLeftovers(target);
  const aside = special ? null : new AsideFile(target);
  const file = aside ? aside.stream : createWriteStream(target);
  try {
    await opened(target, file);
  } catch (err) {
    await aside?.discard();
    throw err;
  }
  if (!/\.gz$/i.test(target)) return chunkWriter(target, file, file, aside);
  const gzip = createGzip();
  gzip.pipe(file);
  return chunkWriter(target, gzip, file, aside);
}
