// The dead-letter output: one NDJSON line per rejected record (records.md).
import { createWriteStream, fsync, type WriteStream } from 'node:fs';
import { stringifyLossless } from '../contract/lossless.js';
import type { Rejected } from './types.js';

export interface DeadLetter {
  write(rows: Rejected[]): void;
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

export function deadLetterLine(r: Rejected): string {
  // the record's numbers as read (a parsed record may carry their texts: contract/lossless.ts)
  return stringifyLossless({ source: r.source, line: r.line, kind: r.kind, errors: r.errors, record: r.record }, undefined, r.record);
}

/** Counts only: without --dlq, rejected records are summarized but not written. */
export const noDeadLetter: DeadLetter = {
  write() {},
  flush: async () => {},
  sync: async () => {},
  needsDrain: () => false,
  close: async () => {},
};

export function fileDeadLetter(path: string): DeadLetter {
  const out: WriteStream = createWriteStream(path, { flags: 'w' });
  let failure: Error | null = null;
  /** Written since the last sync. */
  let dirty = false;
  out.on('error', (err) => (failure = err));
  const settle = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      out.write('', (err) => (err ? reject(err) : resolve()));
    });
  return {
    write(rows) {
      if (rows.length === 0) return;
      let text = '';
      for (const r of rows) text += deadLetterLine(r) + '\n';
      out.write(text);
      dirty = true;
    },
    flush: settle,
    async sync() {
      if (!dirty) return;
      await settle();
      dirty = false;
      const fd = (out as unknown as { fd: number | null }).fd; // set once open
      if (typeof fd !== 'number') return;
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    },
    needsDrain: () => out.writableNeedDrain,
    async close() {
      await settle();
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}
