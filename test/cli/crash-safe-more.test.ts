// The last writers made crash-safe like the other outputs (README "Files are crash-safe"):
// `recflow test --report junit:FILE`, `recflow generate --out FILE` (.gz too) and the
// `--checkpoint` file. Each is written to `.NAME.recflow-PID.tmp` beside it and renamed
// into place; a killed or failed write leaves the previous file whole, and the next run
// removes temp files whose process is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collect, runCli, spawnCli, tempDir, type CliResult } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-crash-more-')));
afterAll(() => cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Temp files of any recflow version: `.NAME.recflow-PID.tmp`, `.NAME.tmp-PID`, the checkpoint's old `NAME.tmp-PID`. */
const temps = (d: string): string[] => readdirSync(d).filter((f) => /\.recflow-\d+\.tmp$|\.tmp-\d+$/.test(f));
const hasData = (path: string): boolean => existsSync(path) && statSync(path).size > 0;
const read = (path: string): string => (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8');
function mkdir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}
const hidden = (d: string, name: string, pid: number): string => join(d, `.${name}.recflow-${pid}.tmp`);

/** A pid no process has now (a child that has exited). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

/** Polls until `ready()`; the run must still be going (else its stderr says why). */
async function until(child: ChildProcess, done: Promise<CliResult>, ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !ready(); i++) {
    if (child.exitCode !== null) throw new Error(`the run ended (${child.exitCode}) before ${what}:\n${(await done).stderr}`);
    await sleep(5);
  }
  expect(ready(), what).toBe(true);
}

/** The CLI with files limited to `blocks` × 512 bytes (ulimit -f): a write past it fails (EFBIG), as on a full disk. */
function runLimited(blocks: number, args: string[]): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', 'ulimit -f "$1"; shift; exec "$@"', 'sh', String(blocks), process.execPath, BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return collect(child);
}

describe('recflow test --report junit:FILE', () => {
  const cases = (n: number, failing: boolean): string =>
    'cases:\n' +
    Array.from({ length: n }, (_, i) => `  - name: case ${i}\n    input: [ { customer_id: A${i}, email: a${i}@example.com } ]\n    expect: { output: [ { customer_id: ${failing ? 'B' : 'A'}${i} } ] }\n`).join('');
  const testFile = (d: string, name: string, n: number, failing = false): string => {
    writeFileSync(join(d, name), cases(n, failing));
    return join(d, name);
  };

  it('is replaced, not rewritten in place: a reader holding the old report keeps it whole', async () => {
    const d = mkdir('junit-inode');
    const report = join(d, 'r.xml');
    expect((await runCli(['test', testFile(d, 'pass.yaml', 2), '--report', `junit:${report}`])).code).toBe(0);
    const before = readFileSync(report, 'utf8');
    linkSync(report, `${report}.old`); // the old file, as an open reader sees it
    const res = await runCli(['test', testFile(d, 'fail.yaml', 3, true), '--report', `junit:${report}`]);
    expect(res.code, res.stderr).toBe(1);
    expect(readFileSync(`${report}.old`, 'utf8')).toBe(before);
    expect(readFileSync(report, 'utf8')).toMatch(/<testsuites[^]*failures="3"[^]*<\/testsuites>\s*$/);
    expect(temps(d)).toEqual([]);
  });

  it('a write cut short (file size limit, like a full disk) leaves the previous report whole: exit 3 naming it', async () => {
    const d = mkdir('junit-efbig');
    const report = join(d, 'r.xml');
    expect((await runCli(['test', testFile(d, 'one.yaml', 1), '--report', `junit:${report}`])).code).toBe(0);
    const before = readFileSync(report, 'utf8');
    const res = await runLimited(2, ['test', testFile(d, 'many.yaml', 40), '--report', `junit:${report}`]);
    expect(res.stdout).toMatch(/^40 passed, 0 failed$/m);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain(`cannot write the JUnit report ${report}`);
    expect(readFileSync(report, 'utf8')).toBe(before);
    expect(temps(d)).toEqual([]);
  });

  it('temp files of runs that are gone are removed, and said on stderr', async () => {
    const d = mkdir('junit-leftovers');
    const pid = await deadPid();
    const planted = [hidden(d, 'r.xml', pid), join(d, `.r.xml.tmp-${pid}`)];
    for (const p of planted) writeFileSync(p, '<testsuites');
    const res = await runCli(['test', testFile(d, 'pass.yaml', 1), '--report', `junit:${join(d, 'r.xml')}`]);
    expect(res.code, res.stderr).toBe(0);
    for (const p of planted) expect(res.stderr).toContain(`removed ${p}, a temp file left by an earlier run that did not finish`);
    expect(temps(d)).toEqual([]);
  });
});

describe('recflow generate --out FILE', () => {
  const gen = (out: string, count: number, extra: string[] = []): string[] => ['generate', 'customers', '--count', String(count), '--seed', '5', '--out', out, '-q', ...extra];
  const stdoutOf = async (count: number, format: string): Promise<string> => (await runCli(['generate', 'customers', '--count', String(count), '--seed', '5', '--format', format, '-q'])).stdout;

  it.each(['data.csv', 'data.ndjson.gz'])('SIGKILL mid-write leaves the previous %s whole; the next run removes the temp file', async (name) => {
    const d = mkdir(`gen-kill-${name}`);
    const out = join(d, name);
    writeFileSync(out, 'previous\n');
    const child = spawnCli(gen(out, 3_000_000));
    const done = collect(child);
    const temp = hidden(d, name, child.pid!);
    await until(child, done, () => hasData(temp) || readFileSync(out, 'utf8') !== 'previous\n', 'records were written');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(temps(d)).toEqual([`.${name}.recflow-${child.pid}.tmp`]);

    const next = await runCli(gen(out, 500));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`removed ${temp}, a temp file left by an earlier run that did not finish`);
    expect(read(out)).toBe(await stdoutOf(500, name.includes('ndjson') ? 'ndjson' : 'csv'));
    expect(temps(d)).toEqual([]);
  });

  it.each([
    ['SIGINT', 130, 'data.csv', true],
    ['SIGTERM', 143, 'data.ndjson.gz', true],
    ['SIGTERM', 143, 'new.csv', false],
  ] as const)('%s: exit %i, no partial %s put in place (previous file: %s), no temp file', async (signal, code, name, previous) => {
    const d = mkdir(`gen-${signal}-${name}`);
    const out = join(d, name);
    if (previous) writeFileSync(out, 'previous\n');
    const child = spawnCli(gen(out, 1_000_000, ['--rate', '2000']));
    const done = collect(child);
    await until(child, done, () => hasData(hidden(d, name, child.pid!)) || (existsSync(out) && readFileSync(out, 'utf8') !== 'previous\n'), 'records were written');
    child.kill(signal);
    const res = await done;
    expect(res.code, res.stderr).toBe(code);
    expect(res.stderr).toMatch(new RegExp(`interrupted by ${signal} after \\d+ records; ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is left as it was`));
    if (previous) expect(readFileSync(out, 'utf8')).toBe('previous\n');
    else expect(existsSync(out)).toBe(false);
    expect(temps(d)).toEqual([]);
  });

  it('a second signal (quit at once, exit 143): the previous file stays, the temp file is removed', async () => {
    const d = mkdir('gen-twice');
    const out = join(d, 'data.csv');
    writeFileSync(out, 'previous\n');
    const child = spawnCli(gen(out, 1_000_000, ['--rate', '2000']));
    const done = collect(child);
    await until(child, done, () => hasData(hidden(d, 'data.csv', child.pid!)), 'records were written');
    child.kill('SIGINT');
    child.kill('SIGTERM'); // usually handled before the first one's clean stop is over
    const res = await done;
    expect([130, 143], res.stderr).toContain(res.code);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(temps(d)).toEqual([]);
  });

  it('a write that fails part-way (file size limit) is exit 3; the previous file stays whole, no temp file', async () => {
    const d = mkdir('gen-efbig');
    const out = join(d, 'data.csv');
    writeFileSync(out, 'previous\n');
    const res = await runLimited(100, gen(out, 20_000));
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain(`cannot write '${out}'`);
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(temps(d)).toEqual([]);
  });

  it('done: a new file under the final name (a reader of the old one keeps it), the same bytes as on stdout', async () => {
    const d = mkdir('gen-done');
    const out = join(d, 'data.csv');
    writeFileSync(out, 'previous\n');
    linkSync(out, `${out}.old`);
    const res = await runCli(gen(out, 2000));
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(`${out}.old`, 'utf8')).toBe('previous\n');
    expect(readFileSync(out, 'utf8')).toBe(await stdoutOf(2000, 'csv'));
    expect(temps(d)).toEqual([]);
    // a device is written in place, as before
    expect((await runCli(gen('/dev/null', 100))).code).toBe(0);
  });

  it('a folder as --out is exit 2 before anything is generated', async () => {
    const d = mkdir('gen-dir');
    const res = await runCli(gen(d, 100));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`--out: cannot write '${d}': it is a directory`);
    expect(temps(d)).toEqual([]);
    expect(temps(dir)).toEqual([]);
  });
});

describe('run --checkpoint FILE', () => {
  let big: string;
  beforeAll(async () => {
    big = join(mkdir('ckpt-input'), 'big.csv');
    writeFileSync(big, (await runCli(['generate', 'customers', '--count', '120000', '--seed', '8'])).stdout);
  }, 60_000);
  const run = (ck: string): string[] => ['run', big, '--checkpoint', ck, '--to', '/dev/null', '-q'];

  it('is written through a hidden temp file of this version (every name the folder saw)', async () => {
    const d = mkdir('ckpt-names');
    const ck = join(d, 'ck.json');
    const seen = new Set<string>();
    const watcher = watch(d, (_event, name) => name && seen.add(name.toString()));
    try {
      const child = spawnCli(run(ck));
      const res = await collect(child);
      expect(res.code, res.stderr).toBe(0);
      await sleep(50); // the last events
      expect([...seen].sort()).toEqual([`.ck.json.recflow-${child.pid}.tmp`, 'ck.json']);
    } finally {
      watcher.close();
    }
    expect(temps(d)).toEqual([]);
    expect(JSON.parse(readFileSync(ck, 'utf8')).files[big]).toMatchObject({ offset: statSync(big).size, line: 120_002 });
  });

  it('temp files of runs that are gone are removed, the older ck.json.tmp-PID too; a live run\'s is left', async () => {
    const d = mkdir('ckpt-leftovers');
    const ck = join(d, 'ck.json');
    const pid = await deadPid();
    const planted = [hidden(d, 'ck.json', pid), join(d, `ck.json.tmp-${pid}`)];
    for (const p of planted) writeFileSync(p, '{"version":');
    const live = join(d, `ck.json.tmp-${process.pid}`);
    writeFileSync(live, '{"version":');
    const res = await runCli(run(ck).filter((a) => a !== '-q'));
    expect(res.code, res.stderr).toBe(0);
    for (const p of planted) expect(res.stderr).toContain(`removed ${p}, a temp file left by an earlier run that did not finish`);
    expect(temps(d)).toEqual([`ck.json.tmp-${process.pid}`]);
  });

  it('SIGKILL mid-run: the checkpoint is whole, the next run removes any temp file and goes on from it', async () => {
    const d = mkdir('ckpt-kill');
    const ck = join(d, 'ck.json');
    const child = spawnCli(run(ck));
    const done = collect(child);
    await until(child, done, () => hasData(ck), 'a checkpoint was written');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(temps(d).every((t) => t === `.ck.json.recflow-${child.pid}.tmp`)).toBe(true);
    const at = JSON.parse(readFileSync(ck, 'utf8')).files[big] as { offset: number };
    const next = await runCli(run(ck));
    expect(next.code, next.stderr).toBe(0);
    expect(temps(d)).toEqual([]);
    expect(JSON.parse(readFileSync(ck, 'utf8')).files[big].offset).toBe(statSync(big).size);
    expect(at.offset).toBeGreaterThan(0);
  });
});
