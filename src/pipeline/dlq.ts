// The dead-letter output: one NDJSON line per rejected record (records.md). A file is
// written aside and renamed into place at the end, or in place when sources ack (below).
import { createWriteStream, fsync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { AsideFile, clearLeftovers, isSpecialFile, syncDir } from '../sinks/util/atomic-file.js';
import type { Kind, Refusal, Rejected } from './types.js';
import { deadLetterText, recordRow } from './dead-row.js';

/** What a dead-letter row needs of a record a sink refused. */
export interface Refused {
  source: string;
  line: number | null;
  kind?: Kind | null;
  raw: unknown;
}

/**
 * Dead-letter rows of what a sink refused (SinkWriteResult.refused), by index in its write,
 * in the order given. A {kind} name that cannot name a file is the record's fault, not a kind.
 */
export function refusedRows(records: ArrayLike<Refused>, refused: readonly Refusal[]): Rejected[] {
  const rows: Rejected[] = [];
  for (const r of refused) {
    const invalidKind = r.code === 'invalid_kind';
    for (let i = r.from; i < r.to; i++) {
      const rec = records[i]!;
      rows.push(recordRow(rec, r.code, invalidKind ? 'kind' : null, r.message, invalidKind ? null : rec.kind));
    }
  }
  return rows;
}

export interface DeadLetter {
  write(rows: Rejected[]): void;
  /** Lines encoded already (deadLetterText, each ending in a newline); absent: give rows. */
  writeText?(text: string): void;
  /** Resolves when everything written so far reached the OS. */
  flush(): Promise<void>;
  /**
   * Resolves when everything written so far is on disk (fsync, only when something was
   * written since the last sync): before a source batch is acknowledged (Kafka commit).
   */
  sync(): Promise<void>;
  /** True when the writer holds more than its buffer: the runner should await flush(). */
  needsDrain(): boolean;
  close(): Promise<void>;
}

/** Where a replayed record sat in the dead-letter file it was replayed from (`run --from-dlq`). */
export interface ReplayPosition {
  file: string;
  line: number;
  /** Set when the line could not be replayed and is kept as it was. */
  not_replayable?: string;
}

/**
 * Set by the --from-dlq source (sources/dlq-replay.ts): the replay position of a row by
 * its source and line, so the stages need not carry it on every record they reject.
 */
let replayOf: ((r: Rejected) => ReplayPosition | undefined) | undefined;

export function setReplayLookup(lookup: (r: Rejected) => ReplayPosition | undefined): void {
  replayOf = lookup;
}

/** Rows may be encoded where they are made (a worker thread): no replay position to add. */
export function linesNeedNoLookup(): boolean {
  return replayOf === undefined;
}

export function deadLetterLine(r: Rejected): string {
  return deadLetterText(r, replayOf?.(r));
}

/** Counts only: without --dlq, rejected records are summarized but not written. */
export const noDeadLetter: DeadLetter = {
  write() {},
  flush: async () => {},
  sync: async () => {},
  needsDrain: () => false,
  close: async () => {},
};

export interface DeadLetterOptions {
  /**
   * A source of the run acknowledges what it read (Kafka commits, --checkpoint): the
   * rejects of a batch must be durable under the final name before its ack, so the file
   * is written in place and fsynced at sync(). Otherwise it is written aside (a temp file
   * beside it) and renamed into place at close(): a killed run leaves the previous file.
   */
  acked: boolean;
}

/** `-`: stdout (refused up front when stdout is the sink); `.gz`: gzip, flushed at each sync. */
export function fileDeadLetter(path: string, opts: DeadLetterOptions): DeadLetter {
  const regular = path !== '-' && !isSpecialFile(path);
  if (regular) clearLeftovers(path); // temp files of killed runs, whichever way this one writes
  const aside = regular && !opts.acked ? new AsideFile(path) : null;
  const file: WriteStream | NodeJS.WriteStream = path === '-' ? process.stdout : (aside?.stream ?? createWriteStream(path, { flags: 'w' }));
  const gzip = path !== '-' && path.toLowerCase().endsWith('.gz') ? createGzip({ level: 6 }) : undefined;
  if (gzip) gzip.pipe(file);
  const out: Writable = gzip ?? file;
  let failure: Error | null = null;
  /** Written since the last sync. */
  let dirty = false;
  out.on('error', (err) => (failure = err));
  file.on('error', (err) => (failure = err));
  const settle = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      // gzip: a sync flush, so that what was written is in the file, not in zlib's buffer
      if (gzip) gzip.flush(constants.Z_SYNC_FLUSH, () => file.write('', (err) => (err || failure ? reject(err ?? failure) : resolve())));
      else out.write('', (err) => (err ? reject(err) : resolve()));
    });
  return {
    write(rows) {
      if (rows.length === 0) return;
      let text = '';
      for (const r of rows) text += deadLetterLine(r) + '\n';
      out.write(text);
      dirty = true;
    },
    writeText(text) {
      if (text === '') return;
      out.write(text);
      dirty = true;
    },
    flush: settle,
    async sync() {
      if (!dirty) return;
      await settle();
      dirty = false;
      if (file === process.stdout) return;
      const fd = (file as unknown as { fd: number | null }).fd; // set once open
      if (typeof fd !== 'number') return;
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    },
    needsDrain: () => out.writableNeedDrain,
    async close() {
      if (!aside) return end();
      try {
        await end();
        await aside.commit();
      } catch (err) {
        await aside.discard(); // the final name keeps what it held
        throw err;
      }
      syncDir(dirname(path));
    },
  };

  async function end(): Promise<void> {
    await settle();
    if (file === process.stdout && !gzip) return; // stdout stays open for the summary
    const ended = new Promise<void>((resolve, reject) => {
      file.once('finish', () => resolve());
      file.once('error', reject);
    });
    out.end();
    if (file !== process.stdout) await ended;
  }
}
