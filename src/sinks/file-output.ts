// One NDJSON output stream of the file/stdout sink, and the crash-safe file around it
// (util/atomic-file.ts): a temp file beside the target, fsynced and renamed into place
// only when finished, so the final name holds what was there before or a complete new file.
import { createWriteStream, fstatSync, ftruncateSync, openSync, readSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { constants, createGzip, type Gzip } from 'node:zlib';
import { RecflowError } from '../errors.js';
import { AsideFile, closeQuietly, isSpecialFile, removeLeftovers } from './util/atomic-file.js';

export { isSpecialFile, syncDir } from './util/atomic-file.js';

/** One output stream; write() resolves when the data was handed to the OS. */
export class NdjsonOut {
  private failure: Error | null = null;
  private readonly head: Writable;

  /**
   * `syncFlush`: gzip data is flushed (Z_SYNC_FLUSH) at every write, so that a reader of
   * a device or pipe gets whole records as write() resolves; files are finished at close.
   */
  constructor(
    private readonly file: Writable,
    gzip: boolean,
    readonly label: string,
    private readonly syncFlush = false,
  ) {
    this.head = gzip ? createGzip({ level: 6 }) : file;
    if (gzip) this.head.pipe(file);
    const onError = (err: Error): void => {
      this.failure ??= err;
    };
    this.file.on('error', onError);
    this.head.on('error', onError);
  }

  get failed(): Error | null {
    return this.failure;
  }

  write(text: string | Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.wrap(this.failure));
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null): void => (err || this.failure ? reject(this.wrap(err ?? this.failure!)) : resolve());
      if (this.head === this.file || !this.syncFlush) {
        this.head.write(text, done);
        return;
      }
      this.head.write(text);
      (this.head as Gzip).flush(constants.Z_SYNC_FLUSH, () => this.file.write('', done));
    });
  }

  /** Ends the stream (gzip trailer included); resolves once everything reached the OS. */
  async end(): Promise<void> {
    if (this.failure) throw this.wrap(this.failure);
    if (this.file === process.stdout) {
      await new Promise<void>((resolve) => this.head.write('', () => resolve()));
      return;
    }
    const done = new Promise<void>((resolve, reject) => {
      this.file.on('finish', resolve);
      this.file.on('close', resolve);
      this.file.on('error', reject);
    });
    this.head.end();
    await done;
    if (this.failure) throw this.wrap(this.failure);
  }

  wrap(err: Error): Error {
    if (err instanceof RecflowError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return new RecflowError('sink', `${this.label}: the reader closed the pipe`, { cause: err });
    return new RecflowError('sink', `cannot write ${this.label}: ${err.message}; check the path and free space`, { cause: err });
  }
}

/** A file written aside and renamed into place by commit(); or, for a device or pipe, in place. */
export class FileOut {
  readonly out: NdjsonOut;
  /** null: written in place (a device or pipe, or --append). */
  private readonly aside: AsideFile | null;
  private readonly stream: WriteStream;
  /** Records written to it (for rotation). */
  records = 0;

  /** With `append`, a torn last line of the existing file that was cut off first (its byte count). */
  readonly cutBytes: number = 0;
  /** Temp files of earlier runs that are gone, removed before this one was made. */
  readonly leftovers: string[] = [];

  /**
   * `append` (--append): written in place at the end of the existing file, not aside; a
   * torn last line (a kill mid-write) is cut off first, so the file holds whole lines.
   * A `.gz` file gets a new gzip member (gzip readers read all members).
   */
  constructor(
    readonly target: string,
    gzip: boolean,
    append = false,
  ) {
    const special = isSpecialFile(target);
    if (!special && !append) this.leftovers = removeLeftovers(target);
    if (append && !special && !gzip) this.cutBytes = cutTornLine(target);
    this.aside = special || append ? null : new AsideFile(target);
    this.stream = this.aside?.stream ?? createWriteStream(target, { flags: append ? 'a' : 'w' });
    this.out = new NdjsonOut(this.stream, gzip, target, special);
  }

  /** The temp file it is written to (null in place). */
  get temp(): string | null {
    return this.aside?.temp ?? null;
  }

  /** Finish the file: end it, fsync, close, rename into place. The caller fsyncs the directory. */
  async commit(): Promise<void> {
    await this.out.end();
    if (this.aside === null) return; // written in place
    try {
      await this.aside.commit();
    } catch (err) {
      throw this.out.wrap(err as Error);
    }
  }

  /** A failed run: let go of the file, leave the temp file as it is. Returns its path if there is one. */
  abandon(): string | null {
    if (this.aside) return this.aside.abandon();
    this.stream.destroy(); // closes the descriptor
    return null;
  }
}

/** Truncates `path` after its last '\n' when it does not end with one; returns the bytes cut (0 if none, or no file). */
function cutTornLine(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return 0; // not there yet: nothing to repair
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const tail = Buffer.alloc(Math.min(size, 64 * 1024));
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - tail.length);
      const n = readSync(fd, tail, 0, end - start, start);
      if (end === size && tail[n - 1] === 10) return 0;
      const nl = tail.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) {
        ftruncateSync(fd, start + nl + 1);
        return size - (start + nl + 1);
      }
      end = start;
    }
    ftruncateSync(fd, 0); // one torn line and nothing else
    return size;
  } finally {
    closeQuietly(fd);
  }
}

/** `out/data.ndjson.gz` + `-20260101T120000Z-000001` → `out/data-20260101T120000Z-000001.ndjson.gz`. */
export function withSuffix(path: string, suffix: string): string {
  const base = basename(path);
  const m = /^(.+?)((?:\.[^./]+)?(?:\.gz)?)$/i.exec(base);
  const stem = m ? m[1]! : base;
  const ext = m ? m[2]! : '';
  return join(dirname(path), `${stem}${suffix}${ext}`);
}

/** UTC time as `20260101T120000Z`, for rotated file names (sorts as it happened). */
export function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}
