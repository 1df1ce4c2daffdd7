// File sinks are crash-safe: records go to a temp file beside the target, which is
// renamed into place only at a clean close, so the final name holds either the
// previous file or a complete new one, whatever kills the run. Rotation finishes a
// file every N records / S seconds under its own name. Through the built CLI.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collect, ndjsonLines, runCli, spawnCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-durable-')));
afterAll(() => cleanup());

function csv(rows: number, from = 0): string {
  const lines = ['customer_id,first_name,email,country,lifetime_value'];
  for (let i = from; i < from + rows; i++) lines.push(`C${i},Ann,ann${i}@example.com,de,${i % 1000}.5`);
  return lines.join('\n') + '\n';
}

const read = (path: string): string => {
  const raw = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
};
const ids = (text: string): string[] => (ndjsonLines(text) as { customer_id: string }[]).map((r) => r.customer_id);
const temps = (d: string): string[] => readdirSync(d).filter((f) => /^\..*\.recflow-\d+\.tmp$/.test(f));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start a run on `input`, SIGKILL it `ms` after it started writing; returns once it is dead. */
async function killedRun(input: string, to: string, ms: number, env: Record<string, string> = {}): Promise<void> {
  const child = spawnCli(['run', input, '--to', to, '-q'], { env });
  const done = collect(child);
  const d = join(to, '..');
  for (let i = 0; i < 500 && child.exitCode === null; i++) {
    if (temps(d).some((f) => f.startsWith(`.${basename(to)}.recflow-`) && statSync(join(d, f)).size > 0)) break;
    await sleep(10);
  }
  await sleep(ms);
  expect(child.exitCode, 'the run ended before it could be killed: make the input bigger').toBeNull();
  child.kill('SIGKILL');
  expect((await done).signal).toBe('SIGKILL');
}

describe('file sink: temp file, then rename', () => {
  let big: string;
  beforeAll(() => {
    big = join(dir, 'big.csv');
    writeFileSync(big, csv(700_000));
  });

  it('a .gz output is a complete, valid gzip holding every record, and no temp file is left', async () => {
    writeFileSync(join(dir, 'small.csv'), csv(3000));
    for (const workers of ['0', '2']) {
      const out = join(dir, `small-${workers}.ndjson.gz`);
      const res = await runCli(['run', join(dir, 'small.csv'), '--to', out, '-q'], { env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '4096' } });
      expect(res.code, res.stderr).toBe(0);
      expect(ids(read(out))).toEqual(Array.from({ length: 3000 }, (_, i) => `C${i}`));
    }
    expect(temps(dir)).toEqual([]);
  });

  it('SIGKILL mid-run (.gz, parallel runner): the previous file stays as it was, partial data is only in the temp file', async () => {
    const out = join(dir, 'kill.ndjson.gz');
    const res = await runCli(['run', join(dir, 'small.csv'), '--to', out, '-q']);
    expect(res.code).toBe(0);
    const before = readFileSync(out);
    await killedRun(big, out, 300);
    expect(readFileSync(out).equals(before)).toBe(true);
    const left = temps(dir).filter((f) => f.startsWith('.kill.ndjson.gz.recflow-'));
    expect(left).toHaveLength(1);
    expect(statSync(join(dir, left[0]!)).size).toBeGreaterThan(0);
  });

  it('SIGKILL mid-run (.ndjson, sequential runner, no previous file): the final name does not exist', async () => {
    const out = join(dir, 'fresh.ndjson');
    await killedRun(big, out, 300, { RECFLOW_WORKERS: '0' });
    expect(existsSync(out)).toBe(false);
    const left = temps(dir).filter((f) => f.startsWith('.fresh.ndjson.recflow-'));
    expect(left).toHaveLength(1);
    expect(ids(readFileSync(join(dir, left[0]!), 'utf8').replace(/[^\n]*$/, '')).length).toBeGreaterThan(0);
  });

  it('a file sink that fails (file size limit: EFBIG) leaves the final name untouched and says where the records are', async () => {
    const out = join(dir, 'limited.ndjson');
    writeFileSync(out, 'previous\n');
    const child = spawn('sh', ['-c', `ulimit -f 200; exec "${process.execPath}" "${BIN}" run "${join(dir, 'small.csv')}" "${join(dir, 'small.csv')}" "${join(dir, 'small.csv')}" --to "${out}" -q`], {
      env: { ...process.env, NO_COLOR: '1', RECFLOW_WORKERS: '0' },
    });
    const res = await collect(child);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/cannot write .*limited\.ndjson.*EFBIG/);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    const left = temps(dir).filter((f) => f.startsWith('.limited.ndjson.recflow-'));
    expect(left).toHaveLength(1);
    expect(res.stderr).toContain(left[0]!);
  });

  it('a device or pipe is written in place (no temp file beside it)', async () => {
    const res = await runCli(['run', join(dir, 'small.csv'), '--to', '/dev/null', '-q']);
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync('/dev').filter((f) => f.startsWith('.null.recflow-'))).toEqual([]);
  });
});

describe('{kind} outputs', () => {
  it('every kind file is replaced: a kind absent this run gets an empty file if one was there, none otherwise', async () => {
    const inv = join(dir, 'inv.ndjson');
    writeFileSync(inv, '{"sku":"ab-1","product_name":"Lamp","warehouse_id":"wh1","quantity":4,"unit_price":9.5}\n');
    writeFileSync(join(dir, 'cust.csv'), csv(5));
    const both = await runCli(['run', join(dir, 'cust.csv'), inv, '--to', join(dir, 'k-{kind}.ndjson'), '-q']);
    expect(both.code, both.stderr).toBe(0);
    expect(ids(read(join(dir, 'k-customer.ndjson')))).toHaveLength(5);
    expect(ndjsonLines(read(join(dir, 'k-inventory.ndjson')))).toHaveLength(1);
    const only = await runCli(['run', join(dir, 'cust.csv'), '--to', join(dir, 'k-{kind}.ndjson'), '-q']);
    expect(only.code, only.stderr).toBe(0);
    expect(ids(read(join(dir, 'k-customer.ndjson')))).toHaveLength(5);
    expect(read(join(dir, 'k-inventory.ndjson'))).toBe(''); // no stale inventory from the run before
    const fresh = await runCli(['run', join(dir, 'cust.csv'), '--to', join(dir, 'f-{kind}.ndjson.gz'), '-q']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(existsSync(join(dir, 'f-customer.ndjson.gz'))).toBe(true);
    expect(existsSync(join(dir, 'f-inventory.ndjson.gz'))).toBe(false);
    expect(temps(dir).filter((f) => /^\.[kf]-/.test(f))).toEqual([]);
  });
});

describe('rotation', () => {
  const rotated = (prefix: string, ext: string): string[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(ext) && /-\d{8}T\d{6}Z-\d{6}\./.test(f))
      .sort();

  for (const workers of ['0', '2']) {
    it(`--rotate-records N: files of N records, named <name>-<start time>-<seq><ext>, in order (RECFLOW_WORKERS=${workers})`, async () => {
      writeFileSync(join(dir, 'r.csv'), csv(2500));
      const prefix = `rot${workers}`;
      const res = await runCli(['run', join(dir, 'r.csv'), '--to', join(dir, `${prefix}.ndjson.gz`), '--rotate-records', '1000', '-q'], {
        env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '5000' },
      });
      expect(res.code, res.stderr).toBe(0);
      const files = rotated(prefix, '.ndjson.gz');
      expect(files).toHaveLength(3);
      expect(files.map((f) => f.slice(-16))).toEqual(['000001.ndjson.gz', '000002.ndjson.gz', '000003.ndjson.gz']);
      const parts = files.map((f) => ids(read(join(dir, f))));
      expect(parts.map((p) => p.length)).toEqual([1000, 1000, 500]);
      expect(parts.flat()).toEqual(Array.from({ length: 2500 }, (_, i) => `C${i}`));
      expect(existsSync(join(dir, `${prefix}.ndjson.gz`))).toBe(false);
    });
  }

  it('--rotate-seconds S: a file is finished while the run goes on; the rest at the end', async () => {
    const child = spawnCli(['run', '-', '--format', 'csv', '--to', join(dir, 'secs.ndjson'), '--rotate-seconds', '1', '-q'], {
      env: { RECFLOW_WORKERS: '0' }, // the sequential runner writes each batch as it comes
      keepStdinOpen: true,
    });
    const done = collect(child, { keepStdinOpen: true });
    child.stdin!.write(csv(10));
    let first: string[] = [];
    for (let i = 0; i < 60 && first.length === 0; i++) {
      await sleep(100);
      first = rotated('secs', '.ndjson');
    }
    expect(first).toHaveLength(1);
    expect(ids(read(join(dir, first[0]!)))).toHaveLength(10);
    child.stdin!.end(csv(5, 10).split('\n').slice(1).join('\n'));
    const res = await done;
    expect(res.code, res.stderr).toBe(0);
    const all = rotated('secs', '.ndjson');
    expect(all).toHaveLength(2);
    expect(all.flatMap((f) => ids(read(join(dir, f))))).toEqual(Array.from({ length: 15 }, (_, i) => `C${i}`));
  });

  it('rotation on a sink that is not a file is a usage error (exit 2)', async () => {
    writeFileSync(join(dir, 'u.csv'), csv(3));
    const res = await runCli(['run', join(dir, 'u.csv'), '--rotate-records', '10']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--rotate-records applies to a file sink/);
    expect(res.stdout).toBe('');
  });
});
