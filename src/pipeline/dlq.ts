// The dead-letter output: one NDJSON line per rejected record (records.md).
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Rejected } from './types.js';

export interface DeadLetter {
  write(rows: Rejected[]): void;
  /** Resolves when everything written so far reached the OS. */
  flush(): Promise<void>;
  /** True when the writer holds more than its buffer: the runner should await flush(). */
  needsDrain(): boolean;
  close(): Promise<void>;
}

export function deadLetterLine(r: Rejected): string {
  return JSON.stringify({ source: r.source, line: r.line, kind: r.kind, errors: r.errors, record: r.record });
}

/** Counts only: without --dlq, rejected records are summarized but not written. */
export const noDeadLetter: DeadLetter = {
  write() {},
  flush: async () => {},
  needsDrain: () => false,
  close: async () => {},
};

export function fileDeadLetter(path: string): DeadLetter {
  const out: WriteStream = createWriteStream(path, { flags: 'w' });
  let failure: Error | null = null;
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
    },
    flush: settle,
    needsDrain: () => out.writableNeedDrain,
    async close() {
      await settle();
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}
