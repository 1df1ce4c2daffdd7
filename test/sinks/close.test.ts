// Every sink's close() is idempotent: a second call returns the first call's promise
// (whoever owns the sink may close it, and a runner may too), and writes nothing twice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rec, Sink } from '../../src/pipeline/types.js';
import { createFileSink, createStdoutSink } from '../../src/sinks/file.js';
import { createHttpSink } from '../../src/sinks/http/index.js';
import { tempDir } from '../support/cli.js';

const ctx = { env: {}, log: () => {}, debug: false };
const rec = (id: string, kind = 'customer'): Rec => ({ value: { kind, customer_id: id }, raw: { customer_id: id }, source: 'in', line: 1, origin: 'in', pos: 1, kind });

let cleanup = (): void => {};
afterEach(() => cleanup());

describe('close() twice', () => {
  it.each([
    ['a file', (dir: string) => createFileSink(join(dir, 'out.ndjson'), { ...ctx, opts: {} })],
    ['{kind} files', (dir: string) => createFileSink(join(dir, '{kind}.ndjson'), { ...ctx, opts: {} })],
    ['stdout', () => createStdoutSink({ ...ctx, opts: {} })],
    ['HTTP', () => createHttpSink('http://127.0.0.1:9/in', { ...ctx, opts: {} })],
  ])('%s: the same promise, resolved once', async (_, make) => {
    const t = tempDir();
    cleanup = t.cleanup;
    const sink: Sink = await make(t.dir);
    const first = sink.close();
    expect(sink.close()).toBe(first);
    await first;
    expect(sink.close()).toBe(first);
  });

  it('a file sink renames its file into place once: the records are there after both calls', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const sink = createFileSink(join(t.dir, 'out.ndjson'), { ...ctx, opts: {} });
    await sink.write({ records: [rec('C1'), rec('C2')], streaming: false });
    await Promise.all([sink.close(), sink.close()]);
    expect(readFileSync(join(t.dir, 'out.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
