// run --checkpoint: cron runs over growing files, through the built CLI and `recflow serve`.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, ndjsonLines, runCli, spawnCli, tempDir } from '../support/cli.js';
import { startServe, type ServeHandle } from '../support/serve.js';

const customer = (i: number): string =>
  JSON.stringify({ kind: 'customer', customer_id: `C${String(i).padStart(7, '0')}`, email: `user${i}@example.com`, country: 'DE', lifetime_value: i }) + '\n';
const customers = (from: number, to: number): string => {
  let s = '';
  for (let i = from; i <= to; i++) s += customer(i);
  return s;
};
const idsOf = (text: string): string[] => ndjsonLines(text).map((r) => (r as { customer_id: string }).customer_id);

interface Entry {
  offset: number;
  line: number;
}
const entryOf = (ckpt: string, file: string): Entry => (JSON.parse(readFileSync(ckpt, 'utf8')) as { files: Record<string, Entry> }).files[file]!;

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

describe('three cron runs over a growing file', () => {
  let serve: ServeHandle;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    dir = tempDir('recflow-ckpt-serve-');
    serve = await startServe(['--out', join(dir.dir, 'received.ndjson'), '--keys-file', join(dir.dir, 'keys.txt'), '--quiet']);
  });
  afterAll(async () => {
    await serve.stop();
    dir.cleanup();
  });

  it('delivers every record exactly once, a line being written waits for the next run', async () => {
    const file = join(dir.dir, 'feed.ndjson');
    const ckpt = join(dir.dir, 'feed.ckpt.json');
    const run = () => runCli(['run', file, '--checkpoint', ckpt, '--to', `${serve.url}/ingest`, '--batch-records', '7'], { cwd: dir.dir });
    writeFileSync(file, customers(1, 30));
    const r1 = await run();
    expect(r1.code, r1.stderr).toBe(0);
    expect(entryOf(ckpt, file)).toMatchObject({ offset: Buffer.byteLength(customers(1, 30)), line: 31 });
    // grows, with the last line still being written
    const partial = customer(56);
    appendFileSync(file, customers(31, 55) + partial.slice(0, 20));
    const r2 = await run();
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/20 bytes after the last line end are left for the next run/);
    expect(r2.stderr).toMatch(/25 read, 25 written/);
    appendFileSync(file, partial.slice(20) + customers(57, 60));
    const r3 = await run();
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(/5 read, 5 written/);
    const r4 = await run(); // nothing new
    expect(r4.code, r4.stderr).toBe(0);
    expect(r4.stderr).toMatch(/did not grow since the last checkpoint; skipped/);
    const ids = idsOf(readFileSync(join(dir.dir, 'received.ndjson'), 'utf8'));
    expect(ids.slice().sort()).toEqual(idsOf(customers(1, 60)).sort()); // each once
    expect((await serve.stats()).duplicates.records).toBe(0);
  });
});

describe('resuming', () => {
  it('CSV: the header is re-read from the top, line numbers continue', async () => {
    tmp = tempDir('recflow-ckpt-');
    const file = join(tmp.dir, 'c.csv');
    const ckpt = join(tmp.dir, 'ck.json');
    writeFileSync(file, 'kind,customer_id,email\ncustomer,C1,a@example.com\n');
    const r1 = await runCli(['run', file, '--checkpoint', ckpt, '--to', join(tmp.dir, 'o1.ndjson')]);
    expect(r1.code, r1.stderr).toBe(0);
    appendFileSync(file, 'customer,C2,"b@example.com"\ncustomer,C3,not-an-email\ncustomer,C4,"d@\nexample.com"\n');
    const dlq = join(tmp.dir, 'dlq.ndjson');
    const r2 = await runCli(['run', file, '--checkpoint', ckpt, '--to', join(tmp.dir, 'o2.ndjson'), '--dlq', dlq]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(idsOf(readFileSync(join(tmp.dir, 'o2.ndjson'), 'utf8'))).toEqual(['C2']);
    const rejected = ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; record: { customer_id: string } }[];
    expect(rejected.map((r) => [r.line, r.record.customer_id])).toEqual([
      [4, 'C3'],
      [5, 'C4'], // a quoted field over two lines, at its first line
    ]);
    expect(entryOf(ckpt, file)).toMatchObject({ line: 7, offset: readFileSync(file).length });
  });

  it('a rotated (replaced) file and a shrunk one are read from the start, with a warning', async () => {
    tmp = tempDir('recflow-ckpt-');
    const file = join(tmp.dir, 'app.ndjson');
    const ckpt = join(tmp.dir, 'ck.json');
    const out = join(tmp.dir, 'out.ndjson');
    writeFileSync(file, customers(1, 5));
    expect((await runCli(['run', file, '--checkpoint', ckpt, '--to', out])).code).toBe(0);
    // logrotate: a new file takes the name, even a longer one than the old
    writeFileSync(join(tmp.dir, 'new.ndjson'), customers(101, 108));
    renameSync(join(tmp.dir, 'new.ndjson'), file);
    const r2 = await runCli(['run', file, '--checkpoint', ckpt, '--to', out]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/warning: .*app\.ndjson: replaced .*reading it from the start/);
    expect(idsOf(readFileSync(out, 'utf8'))).toEqual(idsOf(customers(101, 108)));
    // truncated in place and rewritten shorter: same inode, fewer bytes
    writeFileSync(file, customers(201, 202));
    const r3 = await runCli(['run', file, '--checkpoint', ckpt, '--to', out]);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(/warning: .*app\.ndjson: shrunk .*reading it from the start/);
    expect(idsOf(readFileSync(out, 'utf8'))).toEqual(idsOf(customers(201, 202)));
  });

  it('.gz inputs are taken whole or not at all; a glob picks up new files', async () => {
    tmp = tempDir('recflow-ckpt-');
    const ckpt = join(tmp.dir, 'ck.json');
    const out = join(tmp.dir, 'out.jsonl');
    writeFileSync(join(tmp.dir, 'a.ndjson.gz'), gzipSync(customers(1, 3)));
    const glob = join(tmp.dir, '*.ndjson*');
    const r1 = await runCli(['run', glob, '--checkpoint', ckpt, '--to', out]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(idsOf(readFileSync(out, 'utf8'))).toHaveLength(3);
    writeFileSync(join(tmp.dir, 'b.ndjson'), customers(4, 5));
    const r2 = await runCli(['run', glob, '--checkpoint', ckpt, '--to', out]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/a\.ndjson\.gz: did not grow/);
    expect(idsOf(readFileSync(out, 'utf8'))).toEqual(idsOf(customers(4, 5)));
    // a grown .gz (another member appended) is read whole again
    appendFileSync(join(tmp.dir, 'a.ndjson.gz'), gzipSync(customers(6, 6)));
    const r3 = await runCli(['run', glob, '--checkpoint', ckpt, '--to', out]);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(/\.gz file changed since the last checkpoint; reading it whole again/);
    expect(idsOf(readFileSync(out, 'utf8'))).toEqual(idsOf(customers(1, 3) + customer(6)));
  });

  it('refuses stdin, Kafka and a broken checkpoint file (exit 2, nothing written)', async () => {
    tmp = tempDir('recflow-ckpt-');
    const ckpt = join(tmp.dir, 'ck.json');
    const r1 = await runCli(['run', '-', '--checkpoint', ckpt], { input: customer(1) });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--checkpoint applies to files only, not to stdin/);
    const file = join(tmp.dir, 'a.ndjson');
    writeFileSync(file, customer(1));
    writeFileSync(ckpt, '{"version": 1, "files": ');
    const out = join(tmp.dir, 'out.ndjson');
    const r2 = await runCli(['run', file, '--checkpoint', ckpt, '--to', out]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/checkpoint .* is not valid JSON.*delete it/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('SIGKILL during a run', () => {
  it('with a stage that holds records to the end (dedupe keep_last): the checkpoint waits for them', async () => {
    tmp = tempDir('recflow-ckpt-held-');
    const file = join(tmp.dir, 'big.ndjson');
    const ckpt = join(tmp.dir, 'ck.json');
    const out = join(tmp.dir, 'out.ndjson');
    const n = 30000; // many reads: a checkpoint after one of them would be seen mid-run
    writeFileSync(file, customers(1, n));
    const child = spawnCli(['run', file, '--checkpoint', ckpt, '--stage', 'dedupe:key=customer_id,on_duplicate=keep_last', '--to', '-'], { cwd: tmp.dir });
    const done = collect(child);
    for (let i = 0; i < 3000 && !existsSync(ckpt) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGKILL');
    const killed = await done;
    writeFileSync(out, killed.stdout);
    if (existsSync(ckpt)) {
      // whatever the checkpoint covers was written: the held records came out first
      expect(idsOf(killed.stdout).length).toBeGreaterThanOrEqual(entryOf(ckpt, file).line - 1);
    }
  }, 60_000);

  it('then a rerun: nothing lost, re-sent records keep their keys (the receiver takes each once)', async () => {
    tmp = tempDir('recflow-ckpt-kill-');
    const serve = await startServe(['--out', join(tmp.dir, 'received.ndjson'), '--keys-file', join(tmp.dir, 'keys.txt'), '--latency-ms', '3', '--quiet']);
    try {
      const file = join(tmp.dir, 'big.ndjson');
      const ckpt = join(tmp.dir, 'ck.json');
      const n = 4000; // several 128 KiB reads, so a checkpoint is written before the end
      writeFileSync(file, customers(1, n));
      // one record per request: a re-sent record's key is its origin, line and content, as before
      const args = ['run', file, '--checkpoint', ckpt, '--to', `${serve.url}/ingest`, '--batch-records', '1', '--concurrency', '2'];
      const child = spawnCli(args, { cwd: tmp.dir });
      const done = collect(child);
      for (let i = 0; i < 1000 && !existsSync(ckpt); i++) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(ckpt)).toBe(true);
      child.kill('SIGKILL');
      const killed = await done;
      expect(killed.signal).toBe('SIGKILL');
      const at = entryOf(ckpt, file);
      expect(at.line).toBeGreaterThan(1);
      expect(at.line).toBeLessThan(n + 1); // killed before the end
      const before = idsOf(readFileSync(join(tmp.dir, 'received.ndjson'), 'utf8'));
      // everything before the checkpoint was delivered
      expect(new Set(before).size).toBeGreaterThanOrEqual(at.line - 1);
      const rerun = await runCli(args, { cwd: tmp.dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      const ids = idsOf(readFileSync(join(tmp.dir, 'received.ndjson'), 'utf8'));
      expect(ids.slice().sort()).toEqual(idsOf(customers(1, n)).sort()); // every record once
      expect(entryOf(ckpt, file)).toMatchObject({ line: n + 1, offset: Buffer.byteLength(customers(1, n)) });
      // records sent after the last checkpoint were sent again, under the same keys
      expect((await serve.stats()).duplicates.records).toBeGreaterThan(0);
    } finally {
      await serve.stop();
    }
  }, 60_000);
});
