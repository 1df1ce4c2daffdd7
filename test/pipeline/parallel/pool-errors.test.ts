// What the pool rejects a piece with when a worker thread failed on it: a RecflowError
// of code 'internal' (exit 3) whose message says which piece and what to do, in one line,
// with the worker's stack kept for --debug.
import { describe, expect, it } from 'vitest';
import { exitCodeFor, RecflowError } from '../../../src/errors.js';
import type { PieceTask } from '../../../src/pipeline/parallel/piece-types.js';
import { workerFailed } from '../../../src/pipeline/parallel/pool.js';

const task = (over: Partial<PieceTask>): PieceTask => ({ id: 1, source: 'in.csv', origin: 'in.csv', format: 'csv', bytes: new Uint8Array(0), chunkEnds: [], line: 4097, first: false, final: false, header: null, write: true, split: false, lines: false, ...over });
const crash = { message: 'x is not a function\nmore text', stack: 'TypeError: x is not a function\n    at work (file:///stage.mjs:3:7)' };

describe('workerFailed', () => {
  it('a file piece: its name and first line, the first line of the error, what to do; exit 3', () => {
    const err = workerFailed(task({}), crash);
    expect(err).toBeInstanceOf(RecflowError);
    expect(err.code).toBe('internal');
    expect(exitCodeFor(err)).toBe(3);
    expect(err.message).toBe(
      'a worker thread failed on a piece of in.csv at line 4097: x is not a function; run again with --threads 1 to do without worker threads, and please report this with the output of --debug',
    );
  });

  it('keeps the worker stack for --debug, after the message', () => {
    const err = workerFailed(task({}), crash);
    expect(err.stack).toBe(`RecflowError: ${err.message}\nin the worker thread: ${crash.stack}`);
    expect(workerFailed(task({}), { message: 'no stack' }).stack).toMatch(/\nin the worker thread: no stack$/);
  });

  it('names stdin as stdin, and a Kafka piece by its first offset', () => {
    expect(workerFailed(task({ source: '-' }), crash).message).toMatch(/^a worker thread failed on a piece of stdin at line 4097: /);
    const kafka = task({ source: 'kafka:orders/2', format: 'messages', line: 1, kafka: { topic: 'orders', partition: 2, valueEnds: [3], offsets: [812, 813], kinds: [null] } });
    expect(workerFailed(kafka, crash).message).toMatch(/^a worker thread failed on a piece of kafka:orders\/2 from offset 812: x is not a function; /);
  });
});
