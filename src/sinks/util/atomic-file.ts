// Writing a whole file crash-safely: into a temp file beside the target (same file
// system, so the rename is atomic), fsynced, renamed over the final name, folder fsynced.
// The final name holds the file from before or the complete new one, never a torn one.
// Used by the file sink, the dead-letter file, --summary-json and the report files.
import { closeSync, createWriteStream, fsync, fsyncSync, openSync, readdirSync, rename, statSync, unlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { log } from '../../log.js';

/** `out/data.ndjson` → `out/.data.ndjson.recflow-4242.tmp`: hidden, beside it, says whose it is. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.recflow-${process.pid}.tmp`);
}

/** The pid in a temp file name of `base`, or null; `.NAME.tmp-PID` is the name earlier versions used. */
export function tempPid(name: string, base: string): number | null {
  const m = /^\.(.+)(?:\.recflow-(\d+)\.tmp|\.tmp-(\d+))$/.exec(name);
  if (!m || m[1] !== base) return null;
  const pid = Number(m[2] ?? m[3]);
  return Number.isSafeInteger(pid) ? pid : null;
}

/**
 * Removes temp files of `target` left by runs that are gone (SIGKILL, a crash, or a failed
 * run that kept its temp file for inspection): their process no longer exists. Returns
 * their names, for a message. A live process's temp file (a parallel run) is left alone.
 * `otherName` reads the pid from a name an older version of one writer used.
 */
export function removeLeftovers(target: string, otherName: (name: string, base: string) => number | null = () => null): string[] {
  const dir = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempPid(name, base) ?? otherName(name, base);
    if (pid === null || pid === process.pid || alive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/** removeLeftovers, each removal said on stderr. */
export function clearLeftovers(target: string, otherName?: (name: string, base: string) => number | null): void {
  for (const t of removeLeftovers(target, otherName)) log('info', `removed ${t}, a temp file left by an earlier run that did not finish`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** A path that exists and is not a regular file (a device, a FIFO): written in place. */
export function isSpecialFile(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Makes renames in `dir` durable. Not every platform can fsync a directory: best effort there. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on Windows, EINVAL on some network file systems: nothing more to do
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Temp files of this process still being written. Any exit recflow controls that did not
 * rename them (a second SIGINT/SIGTERM, the internal-error guard, an uncaught error)
 * removes them; only SIGKILL or a crash leaves one, for the next run to remove.
 */
const live = new Set<string>();
let hooked = false;

function track(temp: string): void {
  live.add(temp);
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const t of live) {
      try {
        unlinkSync(t);
      } catch {
        // already gone
      }
    }
  });
}

/** A file written aside: `stream` writes the temp file; commit() puts it under the final name. */
export class AsideFile {
  readonly temp: string;
  /** autoClose off: the descriptor stays open after the last write, for fsync. */
  readonly stream: WriteStream;

  constructor(readonly target: string) {
    this.temp = tempPathFor(target);
    track(this.temp);
    this.stream = createWriteStream(this.temp, { flags: 'w', autoClose: false });
  }

  /**
   * Once the stream finished (ended, all written): fsync, close, rename into place. The
   * caller fsyncs the folder (once for several files: syncDir). Throws the fs error as is.
   */
  async commit(): Promise<void> {
    const fd = (this.stream as unknown as { fd: number | null }).fd;
    try {
      if (typeof fd === 'number') await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await this.close();
    }
    await new Promise<void>((resolve, reject) => rename(this.temp, this.target, (err) => (err ? reject(err) : resolve())));
    live.delete(this.temp);
  }

  /** Let go of it and keep the temp file (a failed sink: kept for inspection). Returns its path. */
  abandon(): string {
    live.delete(this.temp);
    this.stream.destroy(); // closes the descriptor
    return this.temp;
  }

  /** Let go of it and remove the temp file. */
  async discard(): Promise<void> {
    await this.close();
    try {
      unlinkSync(this.temp);
    } catch {
      // not created, or gone
    }
    live.delete(this.temp);
  }

  /** With autoClose off, destroy() is what closes the descriptor. */
  private close(): Promise<void> {
    if (this.stream.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
  }
}

/**
 * Writes the whole of `data` to `target` crash-safely (a device or pipe: in place). Temp
 * files earlier runs left for `target` are removed first, unless `leftovers: 'keep'` (a
 * file rewritten many times in one run, whose leftovers were removed once). Throws the fs
 * error as is.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: { leftovers?: 'clear' | 'keep' } = {}): Promise<void> {
  if (isSpecialFile(target)) {
    writeFileSync(target, data);
    return;
  }
  if (opts.leftovers !== 'keep') clearLeftovers(target);
  const f = new AsideFile(target);
  try {
    await new Promise<void>((resolve, reject) => {
      f.stream.once('error', reject);
      f.stream.end(data, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
    await f.commit();
  } catch (err) {
    await f.discard();
    throw err;
  }
  syncDir(dirname(target));
}
