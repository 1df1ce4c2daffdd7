// Idempotency keys mean "same data, same pipeline": through the built CLI against
// `recflow serve --keys-file`, a rerun is dropped as duplicates (also after `touch`),
// a changed stage or appended line gets new keys only where the data changed, and
// both runners (any thread count) send the same keys for the same input.
import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchKey } from '../../../src/sinks/http/idempotency.js';
import { tempDir } from '../../support/cli.js';
import { customers, httpSink, runRecflow, scriptedServer, startServe, type ServeHandle } from '../../support/serve.js';
import { write } from './write.js';

let tmp: ReturnType<typeof tempDir>;
const serves: ServeHandle[] = [];
const file = (name: string): string => join(tmp.dir, name);
const lines = (name: string): string[] => (existsSync(file(name)) ? readFileSync(file(name), 'utf8').split('\n').filter(Boolean) : []);
const sorted = (xs: string[]): string[] => [...xs].sort();

interface Summary {
  exitCode: number;
  records: { in: number; out: number; rejected: number };
  sink: { batches: number; delivered: number };
}

/** A receiver that remembers its keys in `<name>.keys` and appends records to `<name>.out.ndjson`. */
async function receiver(name: string): Promise<ServeHandle> {
  const s = await startServe(['--keys-file', file(`${name}.keys`), '--out', file(`${name}.out.ndjson`), '--quiet']);
  serves.push(s);
  return s;
}

let runs = 0;
/** `recflow run` to the receiver, batches of 100; returns the summary. */
async function send(s: ServeHandle, source: string, extra: string[] = [], env: Record<string, string> = {}, input?: Buffer): Promise<Summary> {
  const summary = file(`summary-${++runs}.json`);
  const r = await runRecflow(['run', source, '--to', `${s.url}/ingest`, '--batch-records', '100', '--summary-json', summary, '-q', ...extra], {
    env: { RECFLOW_EXPLAIN: '1', ...env },
    input,
    timeoutMs: 30_000,
  });
  expect(r.stderr).not.toContain('could not deliver');
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(summary, 'utf8')) as Summary;
}

const VALID = 5880; // records of customers.csv that pass the contract (6000, 2% invalid)

beforeAll(async () => {
  tmp = tempDir('recflow-keys-');
  const gen = async (args: string[]): Promise<void> => {
    const r = await runRecflow(['generate', 'customers', '--format', 'csv', '-q', ...args]);
    if (r.code !== 0) throw new Error(`generate failed: ${r.stderr}`);
  };
  // ~750 KB: several of the sequential reader's 128 KiB reads, so its writes end
  // mid-batch; the parallel runner is forced onto it with small pieces.
  await gen(['--count', '6000', '--seed', '1', '--invalid-share', '0.02', '--out', file('customers.csv')]);
  await gen(['--count', '1', '--seed', 'extra', '--out', file('one.csv')]);
}, 60_000);

afterAll(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  tmp.cleanup();
});

describe('idempotency keys through recflow serve --keys-file', () => {
  it('a second run of the same file is all duplicates, also after touch: the receiver holds each record once', async () => {
    const s = await receiver('rerun');
    const first = await send(s, file('customers.csv'));
    expect(first.records.out).toBe(VALID);
    const keys = sorted(lines('rerun.keys'));
    expect(keys).toHaveLength(first.sink.batches);
    expect(new Set(keys).size).toBe(keys.length);

    const second = await send(s, file('customers.csv'));
    expect((await s.stats()).duplicates).toEqual({ batches: second.sink.batches, records: VALID });

    // a later mtime is no new data
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(file('customers.csv'), later, later);
    await send(s, file('customers.csv'));
    expect((await s.stats()).duplicates).toEqual({ batches: 2 * first.sink.batches, records: 2 * VALID });
    expect(sorted(lines('rerun.keys'))).toEqual(keys);
    const out = lines('rerun.out.ndjson');
    expect(out).toHaveLength(VALID);
    expect(new Set(out.map((l) => (JSON.parse(l) as { customer_id: string }).customer_id)).size).toBe(VALID);
  });

  it('a changed stage sends new keys: the receiver gets the changed records', async () => {
    const s = await receiver('stage');
    await send(s, file('customers.csv'), ['--stage', 'set:field=tag,value=v1']);
    const second = await send(s, file('customers.csv'), ['--stage', 'set:field=tag,value=v2']);
    expect(second.sink.delivered).toBe(VALID);
    expect((await s.stats()).duplicates).toEqual({ batches: 0, records: 0 });
    const tags = lines('stage.out.ndjson').map((l) => (JSON.parse(l) as { tag: string }).tag);
    expect(tags.filter((t) => t === 'v1')).toHaveLength(VALID);
    expect(tags.filter((t) => t === 'v2')).toHaveLength(VALID);
    // and the same stage again is all duplicates
    await send(s, file('customers.csv'), ['--stage', 'set:field=tag,value=v2']);
    expect((await s.stats()).duplicates.records).toBe(VALID);
  });

  it('the sequential and the parallel runner, on any thread count, send the same keys (file and stdin)', async () => {
    const variants: Array<[string, Record<string, string>]> = [
      ['seq', { RECFLOW_WORKERS: '0' }],
      ['par1', { RECFLOW_WORKERS: '1', RECFLOW_CHUNK_BYTES: '8192' }],
      ['par2', { RECFLOW_WORKERS: '2', RECFLOW_CHUNK_BYTES: '20000' }],
    ];
    const input = readFileSync(file('customers.csv'));
    const fileKeys: string[][] = [];
    const stdinKeys: string[][] = [];
    for (const [name, env] of variants) {
      const s = await receiver(`runner-${name}`);
      await send(s, file('customers.csv'), [], env);
      fileKeys.push(sorted(lines(`runner-${name}.keys`)));
      if (name === 'par2') continue; // stdin: once per runner is enough
      const t = await receiver(`runner-stdin-${name}`);
      await send(t, '-', ['--format', 'csv'], env, input);
      stdinKeys.push(sorted(lines(`runner-stdin-${name}.keys`)));
    }
    expect(fileKeys[0]!.length).toBe(Math.ceil(VALID / 100));
    for (const keys of fileKeys.slice(1)) expect(keys).toEqual(fileKeys[0]);
    for (const keys of stdinKeys.slice(1)) expect(keys).toEqual(stdinKeys[0]);
    // stdin is one constant source, not the file: other keys, the same on every run
    expect(stdinKeys[0]).toHaveLength(fileKeys[0]!.length);
    expect(stdinKeys[0]!.filter((k) => fileKeys[0]!.includes(k))).toEqual([]);
  }, 60_000);

  it('appending a line keeps the earlier batches\' keys: only the last batch is new', async () => {
    copyFileSync(file('customers.csv'), file('growing.csv'));
    const s = await receiver('append');
    const first = await send(s, file('growing.csv'));
    const before = new Set(lines('append.keys'));
    const row = readFileSync(file('one.csv'), 'utf8').split('\n')[1]!;
    appendFileSync(file('growing.csv'), `${row}\n`);
    const second = await send(s, file('growing.csv'));
    expect(second.records.out).toBe(VALID + 1);
    const added = lines('append.keys').filter((k) => !before.has(k));
    expect(added).toHaveLength(1); // 5881 records: the last batch had 80, now 81
    expect((await s.stats()).duplicates.batches).toBe(first.sink.batches - 1);
    expect(second.sink.batches).toBe(first.sink.batches);
  });

  it('a gzip file (its print read from the first 64 KiB, a truncated stream): a rerun after touch is all duplicates', async () => {
    writeFileSync(file('customers.csv.gz'), gzipSync(readFileSync(file('customers.csv')), { level: 1 }));
    expect(statSync(file('customers.csv.gz')).size).toBeGreaterThan(64 * 1024);
    const s = await receiver('gz');
    const first = await send(s, file('customers.csv.gz'));
    expect(first.records.out).toBe(VALID);
    const later = new Date(Date.now() + 7_200_000);
    utimesSync(file('customers.csv.gz'), later, later);
    await send(s, file('customers.csv.gz'));
    expect((await s.stats()).duplicates).toEqual({ batches: first.sink.batches, records: VALID });
  });

  it('other content at the same path, size and mtime gets new keys', async () => {
    const s = await receiver('replaced');
    writeFileSync(file('replaced.csv'), readFileSync(file('customers.csv')));
    const { atime, mtime } = statSync(file('replaced.csv'));
    await send(s, file('replaced.csv'));
    // one cent more on every lifetime_value: same size, every batch changed
    const text = readFileSync(file('customers.csv'), 'utf8').replace(/,(\d+)\.(\d)(\d),/g, (_m, a: string, b: string, c: string) => `,${a}.${b}${(Number(c) + 1) % 10},`);
    expect(text).not.toBe(readFileSync(file('customers.csv'), 'utf8'));
    writeFileSync(file('replaced.csv'), text);
    utimesSync(file('replaced.csv'), atime, mtime);
    await send(s, file('replaced.csv'));
    expect((await s.stats()).duplicates.batches).toBe(0);
  });
});

describe('the sequential runner with batches held across writes', () => {
  it('ends every held batch: at the end of each file, after stages that flush (dedupe keep_last) and after head', async () => {
    const s = await receiver('drain');
    const two = [file('customers.csv'), file('one.csv')];
    type Row = { country: string };
    const cases: Array<[string[], string[], (rows: Row[]) => void]> = [
      [two, ['--stage', 'filter:expr=country == "DE"'], (rows) => expect(rows.every((r) => r.country === 'DE')).toBe(true)],
      [two, ['--stage', 'dedupe:key=country,on_duplicate=keep_last'], (rows) => expect(rows.length).toBeLessThan(VALID)], // sent at the end, as the stage flushes
      [[file('customers.csv')], ['--stage', 'head:n=150'], (rows) => expect(rows).toHaveLength(150)],
    ];
    let total = 0;
    for (const [sources, stages, check] of cases) {
      // a held batch nobody released would hang the run (exit 3, or killed by the timeout)
      const sum = await send(s, sources[0]!, [...sources.slice(1), ...stages], { RECFLOW_WORKERS: '0' });
      expect(sum.records.out).toBeGreaterThan(0);
      const got = lines('drain.out.ndjson').slice(total).map((l) => JSON.parse(l) as Row);
      expect(got).toHaveLength(sum.records.out);
      check(got);
      total += got.length;
    }
  });

  it('asks for more writes, not waits, while the oldest write waits for a held batch; release() sends it', async () => {
    const server = await scriptedServer(() => ({ status: 200 }));
    try {
      const { sink } = await httpSink(`${server.url}/x`, { batchRecords: '100' });
      sink.holdAcrossWrites!();
      const recs = customers(130);
      const first = recs.slice(0, 60);
      const w1 = write(sink, first);
      await new Promise((r) => setTimeout(r, 50));
      expect(server.requests).toHaveLength(0); // held for the next records
      expect(sink.maxInFlight).toBe(Number.MAX_SAFE_INTEGER);
      const second = recs.slice(60);
      const w2 = write(sink, second); // fills the batch at 100: it leaves, w1 resolves
      expect(await w1).toEqual({});
      expect(server.requests).toHaveLength(1);
      expect(sink.maxInFlight).toBe(Number.MAX_SAFE_INTEGER); // w2's last 30 are held
      sink.release!(second);
      expect(await w2).toEqual({});
      expect(server.requests.map((r) => r.body.toString('utf8').split('\n').filter(Boolean).length)).toEqual([100, 30]);
      expect(sink.maxInFlight).toBeLessThan(100);
      await sink.close();
    } finally {
      await server.close();
    }
  });
});

describe('batchKey', () => {
  const base = { origin: 'file:/data/a.csv:ab12', firstPos: 2, lastPos: 101, count: 100 };
  const parts = { url: 'http://h/ingest', pipeline: 'p1', body: 'ndjson' as const, content: () => 'c1' };
  const key = (over: Partial<typeof base> = {}, more: Partial<typeof parts> = {}): string => {
    const p = { ...parts, ...more };
    return batchKey('source', { ...base, ...over }, p);
  };

  it('is rf1- and 40 hex digits, the same for the same inputs', () => {
    expect(key()).toMatch(/^rf1-[0-9a-f]{40}$/);
    expect(key()).toBe(key());
  });

  it.each([
    ['origin', { origin: 'file:/data/b.csv:ab12' }, {}],
    ['first position', { firstPos: 3 }, {}],
    ['last position', { lastPos: 102 }, {}],
    ['count', { count: 99 }, {}],
    ['sink URL', {}, { url: 'http://h/other' }],
    ['pipeline', {}, { pipeline: 'p2' }],
    ['body format', {}, { body: 'json' as const }],
    ['batch content', {}, { content: () => 'c2' }],
  ])('changes with the %s', (_what, over, more) => {
    expect(key(over, more)).not.toBe(key());
  });

  it('random mode: a fresh UUID, content never hashed', () => {
    const content = (): string => {
      throw new Error('not needed');
    };
    const a = batchKey('random', base, { ...parts, content });
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(batchKey('random', base, { ...parts, content })).not.toBe(a);
  });
});
