// Every file-like source's close(): it may be called more than once (the pipeline closes what
// it opened, the runners close in their protocol), a second call gets the first's promise,
// and closing in the middle of reading lets go of the file at once.
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Source } from '../../src/pipeline/types.js';
import { Checkpoint } from '../../src/sources/checkpoint.js';
import { DlqReplaySource } from '../../src/sources/dlq-replay.js';
import { FileSource } from '../../src/sources/file.js';
import type { FileSpec } from '../../src/sources/file-input.js';
import { tempDir } from '../support/cli.js';

const tmp = tempDir('recflow-close-');
afterAll(() => tmp.cleanup());

/** NDJSON lines; with random notes, so that gzip does not make them fit in one read. */
function ndjson(n: number): string {
  const note = (): string => Math.random().toString(36).slice(2);
  return Array.from({ length: n }, (_, i) => JSON.stringify({ customer_id: `C${i}`, email: `c${i}@example.com`, note: note() + note() })).join('\n') + '\n';
}

function write(name: string, body: string | Buffer): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, body);
  return path;
}

/** Descriptors of this process open on `path` (Linux: /proc/self/fd). */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

function spec(path: string, more: Partial<FileSpec> = {}): FileSpec {
  return { name: path, path, format: 'ndjson', origin: `file:${path}`, ...more };
}

/** Reads one batch, closes twice, and says what the closes and the rest of the reading gave. */
async function closeMidway(source: Source, path: string): Promise<{ same: boolean; openBefore: number; openAfter: number; after: boolean }> {
  const it = source.batches()[Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.done).toBe(false);
  const openBefore = openOn(path);
  const a = source.close!();
  const b = source.close!();
  await a;
  const openAfter = openOn(path);
  const rest = await it.next();
  return { same: a === b, openBefore, openAfter, after: rest.done === true };
}

describe('close() of a source', () => {
  it('a file: the second call gets the first promise; closed mid-read, the file is let go and reading ends', async () => {
    const path = write('a.ndjson', ndjson(2000));
    const got = await closeMidway(new FileSource(spec(path), { chunkBytes: 4096 }), path);
    expect(got).toEqual({ same: true, openBefore: 1, openAfter: 0, after: true });
  });

  it('a gzip file too', async () => {
    const path = write('a.ndjson.gz', gzipSync(ndjson(20000)));
    const got = await closeMidway(new FileSource(spec(path, { gzip: true }), { chunkBytes: 4096 }), path);
    expect(got).toEqual({ same: true, openBefore: 1, openAfter: 0, after: true });
  });

  it('stdin, never read: closing twice resolves and leaves stdin alone', async () => {
    const stdin = new FileSource({ name: '-', path: null, origin: 'stdin' });
    const a = stdin.close();
    expect(stdin.close()).toBe(a);
    await expect(a).resolves.toBeUndefined();
    expect(process.stdin.destroyed).toBe(false);
  });

  it('a checkpointed file (read from an offset) and a checkpointed .gz (read whole)', async () => {
    const cp = await Checkpoint.load(join(tmp.dir, 'cp.json'), () => {});
    const opts = { maxRecordBytes: 1 << 20 };
    const path = write('cp.ndjson', ndjson(20000));
    const resumed = await cp.source(spec(path, { size: 1 }), opts);
    expect(await closeMidway(resumed!, path)).toMatchObject({ same: true, openBefore: 1, openAfter: 0, after: true });
    const gz = write('cp.ndjson.gz', gzipSync(ndjson(20000)));
    const whole = await cp.source(spec(gz, { gzip: true }), opts);
    expect(await closeMidway(whole!, gz)).toMatchObject({ same: true, openBefore: 1, openAfter: 0, after: true });
  });

  it('a dead-letter file being replayed', async () => {
    const row = (i: number): string => JSON.stringify({ source: 'in.ndjson', line: i, kind: null, errors: [{ field: 'email', code: 'invalid_email', message: 'x' }], record: { customer_id: `C${i}` } });
    const path = write('dlq.ndjson', Array.from({ length: 30000 }, (_, i) => row(i + 1)).join('\n') + '\n');
    const got = await closeMidway(new DlqReplaySource(path, { log: () => {} }), path);
    expect(got).toEqual({ same: true, openBefore: 1, openAfter: 0, after: true });
  });

  it('a source never read: close() resolves, twice the same promise', async () => {
    const path = write('b.ndjson', ndjson(3));
    for (const s of [new FileSource(spec(path)), new DlqReplaySource(path, { log: () => {} })]) {
      const a = s.close();
      expect(s.close()).toBe(a);
      await expect(a).resolves.toBeUndefined();
    }
  });
});
