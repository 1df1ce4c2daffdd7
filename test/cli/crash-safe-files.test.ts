// The dead-letter file, --summary-json and the report files are replaced crash-safely,
// like the sink's: a temp file `.NAME.recflow-PID.tmp` beside them, renamed into place at
// the end. A killed run leaves the previous files whole; the next run removes its temp
// files. With a source that acknowledges (--checkpoint, Kafka) the dead-letter file is
// written in place instead, durable before each ack.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPid } from '../../src/sinks/util/atomic-file.js';
import { collect, FIXTURES, ndjsonLines, runCli, spawnCli, tempDir, type CliResult } from '../support/cli.js';
const SLOW = fileURLToPath(new URL('../fixtures/stages/slow.mjs', import.meta.url));

interface DlqRow {
  line: number;
}
interface Summary {
  records: { in: number; rejected: number; failed: number };
}

let dir: string;
let cleanup: () => void;
let big: string;
const small = join(FIXTURES, 'customers.csv');
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('recflow-crash-files-'));
  big = join(dir, 'big.csv');
  writeFileSync(big, (await runCli(['generate', 'customers', '--count', '300000', '--seed', '11', '--invalid-share', '0.05'])).stdout);
}, 60_000);
afterAll(() => cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const temps = (d: string): string[] => readdirSync(d).filter((f) => /^\..+\.(recflow-\d+\.tmp|tmp-\d+)$/.test(f));
const read = (path: string): string => (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8');
/** Every line of a dead-letter file, which must end with a whole line. */
function dlqRows(path: string): DlqRow[] {
  const text = read(path);
  expect(text === '' || text.endsWith('\n'), `${path} ends with a whole line`).toBe(true);
  return ndjsonLines(text) as DlqRow[];
}
const summary = (path: string): Summary => JSON.parse(read(path)) as Summary;

/** The outputs of one run in `d`, besides the sink. */
function outputs(d: string, dlq: string, sum: string): { args: string[]; files: string[] } {
  const files = [dlq, sum, 'junit.xml', 'report.json', 'results.sarif'].map((f) => join(d, f));
  return { args: ['--dlq', files[0]!, '--summary-json', files[1]!, '--report', `junit:${files[2]}`, '--report', `json:${files[3]}`, '--report', `sarif:${files[4]}`], files };
}

/** Polls until `ready()`; the run must still be going (else its stderr says why). */
async function until(child: ChildProcess, done: Promise<CliResult>, ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) {
    if (child.exitCode !== null) throw new Error(`the run ended (${child.exitCode}) before ${what}:\n${(await done).stderr}`);
    await sleep(5);
  }
  expect(ready(), what).toBe(true);
}
const hasData = (path: string): boolean => existsSync(path) && statSync(path).size > 0;

/** A pid no process has now (a child that has exited). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('SIGKILL mid-run: the previous dead-letter, summary and report files stay whole', () => {
  it.each([['rejects.ndjson', 'summary.json'], ['rejects.ndjson.gz', 'summary.json.gz']])('%s, %s', async (dlqName, sumName) => {
    const d = join(dir, `kill-${dlqName}`);
    const { args, files } = outputs(mkdir(d), dlqName, sumName);
    const previous = await runCli(['run', small, '--to', join(d, 'out.ndjson'), ...args, '-q']);
    expect(previous.code).toBe(0);
    const before = files.map((f) => readFileSync(f));

    const child = spawnCli(['run', big, '--to', join(d, 'out.ndjson'), ...args, '-q']);
    const done = collect(child);
    const temp = join(d, `.${dlqName}.recflow-${child.pid}.tmp`);
    // this run's rejects are being written: in its temp file (or, were it written in place, under the final name)
    const writing = (): boolean => hasData(temp) || !readFileSync(files[0]!).equals(before[0]!);
    await until(child, done, writing, 'rejects were written');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    files.forEach((f, i) => expect(readFileSync(f).equals(before[i]!), `${f} is as before`).toBe(true));
    expect(temps(d)).toContain(`.${dlqName}.recflow-${child.pid}.tmp`);

    const next = await runCli(['run', small, '--to', join(d, 'out.ndjson'), ...args]);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(`removed ${temp}, a temp file left by an earlier run that did not finish`);
    expect(temps(d)).toEqual([]);
    expect(dlqRows(files[0]!).length).toBe(summary(files[1]!).records.rejected);
    expect(dlqRows(files[0]!).length).toBeGreaterThan(0);
  });
});

describe('replaced, not rewritten in place', () => {
  it('a reader holding the old files keeps them whole (each final name is a new file)', async () => {
    const d = mkdir(join(dir, 'inode'));
    const { args, files } = outputs(d, 'rejects.ndjson', 'summary.json');
    expect((await runCli(['run', small, '--to', join(d, 'out.ndjson'), ...args, '-q'])).code).toBe(0);
    const before = files.map((f) => readFileSync(f));
    files.forEach((f) => linkSync(f, `${f}.old`)); // the old file, as an open reader sees it
    const part = join(d, 'part.csv');
    writeFileSync(part, readFileSync(small, 'utf8').split('\n').slice(0, 8).join('\n') + '\n');
    const res = await runCli(['run', part, '--to', join(d, 'out.ndjson'), ...args, '-q']);
    expect(res.code, res.stderr).toBe(0);
    files.forEach((f, i) => {
      expect(readFileSync(`${f}.old`).equals(before[i]!), `${f}: the old file is untouched`).toBe(true);
      expect(readFileSync(f).equals(before[i]!), `${f} holds the new run's content`).toBe(false);
    });
    expect(temps(d)).toEqual([]);
  });

  it("temp files of runs that are gone are removed, this version's names and the older .NAME.tmp-PID", async () => {
    const d = mkdir(join(dir, 'leftovers'));
    const { args, files } = outputs(d, 'rejects.ndjson', 'summary.json');
    const pid = await deadPid();
    const planted = files.flatMap((f) => [f.replace(/([^/]+)$/, `.$1.recflow-${pid}.tmp`), f.replace(/([^/]+)$/, `.$1.tmp-${pid}`)]);
    for (const p of planted) writeFileSync(p, 'half a file');
    const live = join(d, `.summary.json.recflow-${process.pid}.tmp`); // a run still going: not touched
    writeFileSync(live, 'still writing');
    const res = await runCli(['run', small, '--to', join(d, 'out.ndjson'), ...args]);
    expect(res.code).toBe(0);
    for (const p of planted) expect(res.stderr).toContain(`removed ${p}, a temp file left`);
    expect(temps(d)).toEqual([`.summary.json.recflow-${process.pid}.tmp`]);
  });
});

describe('the dead-letter file is in place on every exit path recflow controls, no temp file left', () => {
  /** Run `args` (with --dlq and --summary-json in a fresh folder), acting on the child with `act`. */
  async function exitPath(name: string, args: string[], act?: (c: ChildProcess, done: Promise<CliResult>) => Promise<void>): Promise<{ res: CliResult; dlq: string; sum: string; d: string }> {
    const d = mkdir(join(dir, `exit-${name}`));
    const dlq = join(d, 'rejects.ndjson');
    const sum = join(d, 'summary.json');
    writeFileSync(dlq, 'previous\n');
    const child = spawnCli([...args, '--dlq', dlq, '--summary-json', sum, '--progress-interval', '1']);
    const done = collect(child);
    await act?.(child, done);
    return { res: await done, dlq, sum, d };
  }
  /** Once the run is under way: rejects are being written (to the temp file; in place, the previous content is gone). */
  const started = (d: string) => (c: ChildProcess, done: Promise<CliResult>) =>
    until(c, done, () => hasData(join(d, `.rejects.ndjson.recflow-${c.pid}.tmp`)) || readFileSync(join(d, 'rejects.ndjson'), 'utf8') !== 'previous\n', 'rejects were written');

  it.each([
    ['0 (done)', ['run', small, '--to', '/dev/null', '--max-rejects', '100'], 0],
    ['1 (too many rejects)', ['validate', small], 1],
    ['3 (the sink gave up)', ['run', small, '--to', 'http://127.0.0.1:9/ingest', '--retries', '0'], 3],
  ])('%s', async (name, args, code) => {
    const { res, dlq, sum, d } = await exitPath(name.split(' ')[0]!, args as string[]);
    expect(res.code, res.stderr).toBe(code);
    const s = summary(sum).records;
    expect(dlqRows(dlq).length).toBe(s.rejected + s.failed);
    expect(s.rejected).toBeGreaterThan(0);
    expect(temps(d)).toEqual([]);
  });

  it('143 (SIGTERM: drained first), and 0 when the stdout reader leaves (| head)', async () => {
    const term = await exitPath('143', ['run', big, '--to', '/dev/null'], async (c, done) => {
      await started(join(dir, 'exit-143'))(c, done);
      c.kill('SIGTERM');
    });
    const pipe = await exitPath('epipe', ['run', big, '--to', '-'], async (c, done) => {
      await started(join(dir, 'exit-epipe'))(c, done);
      c.stdout!.destroy();
    });
    for (const { res, dlq, sum, d } of [term, pipe]) {
      const s = summary(sum).records;
      expect(dlqRows(dlq).length, res.stderr).toBe(s.rejected + s.failed); // | head: records read, not written
      expect(s.in).toBeLessThan(300_000); // stopped early
      expect(temps(d)).toEqual([]);
    }
    expect(term.res.code).toBe(143);
    expect(pipe.res.code).toBe(0);
  });

  it('130 (a second SIGINT quits at once): the previous files stay, their temp files are removed', async () => {
    const out = join(mkdir(join(dir, 'exit-130')), 'out.ndjson');
    writeFileSync(out, '{"previous":true}\n');
    // a stage that takes 2 s to flush: the second signal comes while the first one's drain waits on it
    const { res, dlq, d } = await exitPath('130', ['run', big, '--to', out, '--stage', SLOW], async (c, done) => {
      await started(join(dir, 'exit-130'))(c, done);
      c.kill('SIGINT');
      await sleep(20);
      c.kill('SIGINT');
    });
    expect(res.code).toBe(130);
    expect(readFileSync(dlq, 'utf8')).toBe('previous\n');
    expect(readFileSync(out, 'utf8')).toBe('{"previous":true}\n');
    expect(temps(d)).toEqual([]);
  });
});

describe('a source that acknowledges (--checkpoint): the dead-letter file is written in place', () => {
  it('same content as written aside; killed, it holds every reject of the lines the checkpoint says are done', async () => {
    const d = mkdir(join(dir, 'acked'));
    const aside = join(d, 'aside.ndjson.gz');
    const inPlace = join(d, 'in-place.ndjson.gz');
    expect((await runCli(['run', small, '--to', '/dev/null', '--dlq', aside, '-q', '--max-rejects', '100'])).code).toBe(0);
    expect((await runCli(['run', small, '--to', '/dev/null', '--dlq', inPlace, '--checkpoint', join(d, 'cp0.json'), '-q', '--max-rejects', '100'])).code).toBe(0);
    expect(read(inPlace)).toBe(read(aside));

    const ref = join(d, 'ref.ndjson');
    expect((await runCli(['run', big, '--to', '/dev/null', '--dlq', ref, '-q', '--max-rejects', '100000'])).code).toBe(0);
    const dlq = join(d, 'rejects.ndjson');
    const cp = join(d, 'cp.json');
    const child = spawnCli(['run', big, '--to', '/dev/null', '--dlq', dlq, '--checkpoint', cp, '-q', '--max-rejects', '100000']);
    const done = collect(child);
    await until(child, done, () => hasData(cp) && hasData(dlq), 'a checkpoint was written');
    await sleep(100);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const doneLine = (Object.values(JSON.parse(readFileSync(cp, 'utf8')).files as Record<string, { line: number }>)[0]!).line;
    const want = dlqRows(ref).filter((r) => r.line < doneLine).map((r) => r.line);
    const have = new Set((ndjsonLines(readFileSync(dlq, 'utf8').replace(/[^\n]*$/, '')) as DlqRow[]).map((r) => r.line));
    expect(want.length).toBeGreaterThan(0);
    expect(want.filter((l) => !have.has(l))).toEqual([]);
    expect(temps(d).filter((f) => f.startsWith('.rejects'))).toEqual([]);
  });
});

function mkdir(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}

describe('temp file names', () => {
  const base = fc.stringMatching(/^[^/\0]{1,40}$/).filter((b) => b !== '.' && b !== '..');
  it('the pid is read back from a temp name of the same file (both spellings), never from another file', () => {
    fc.assert(
      fc.property(base, base, fc.integer({ min: 1, max: 2 ** 31 }), (a, b, pid) => {
        for (const name of [`.${a}.recflow-${pid}.tmp`, `.${a}.tmp-${pid}`]) {
          expect(tempPid(name, a)).toBe(pid);
          if (b !== a) expect(tempPid(name, b)).toBeNull();
        }
        expect(tempPid(a, a)).toBeNull(); // the file itself
      }),
    );
  });
  it.each([['.a.recflow-12.tmp', 'a', 12], ['.a.b.recflow-12.tmp', 'a', null], ['.a.recflow-.tmp', 'a', null], ['a.recflow-12.tmp', 'a', null], ['.a.recflow-12.tmp.x', 'a', null], ['.a.tmp-7', 'a', 7], ['.a.tmp-7x', 'a', null]])('%s of %s: %s', (name, of, pid) => {
    expect(tempPid(name, of)).toBe(pid);
  });
});
