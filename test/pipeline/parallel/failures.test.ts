// A sink that fails for good on the parallel path: the same story as the
// sequential runner (exit 3, one clear message, undelivered records dead-lettered
// as delivery_failed, every record read accounted for). Which records were in
// flight when the sink failed depends on timing, so counts are checked, not bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-fail-')));
afterAll(() => cleanup());

function csv(rows: number): string {
  const lines = ['customer_id,first_name,email,country'];
  for (let i = 0; i < rows; i++) lines.push(i % 40 === 3 ? `C${i},X,bad,de` : `C${i},Ann,ann${i}@example.com,de`);
  return lines.join('\n') + '\n';
}

describe.skipIf(!existsSync('/dev/full'))('parallel runner: the sink fails for good', () => {
  for (const workers of ['0', '2']) {
    it(`writing to /dev/full (RECFLOW_WORKERS=${workers}): exit 3, undelivered records dead-lettered`, async () => {
      const f = join(dir, 'in.csv');
      writeFileSync(f, csv(50_000));
      const dlq = join(dir, `dlq-${workers}.ndjson`);
      const summary = join(dir, `summary-${workers}.json`);
      const res = await runCli(['run', f, '--to', '/dev/full', '--dlq', dlq, '--summary-json', summary, '-q'], {
        env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '20000' },
      });
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/cannot write \/dev\/full: ENOSPC/);
      const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: { in: number; out: number; rejected: number; failed: number } };
      expect(s.records.failed).toBeGreaterThan(0);
      expect(s.records.in).toBe(s.records.out + s.records.rejected + s.records.failed);
      const rows = readFileSync(dlq, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { errors: { code: string }[]; record: Record<string, string> });
      const failed = rows.filter((r) => r.errors[0]!.code === 'delivery_failed');
      expect(failed).toHaveLength(s.records.failed);
      expect(rows).toHaveLength(s.records.failed + s.records.rejected);
      expect(failed[0]!.record).toHaveProperty('customer_id');
    });
  }
});

describe('parallel runner: a worker thread dies', () => {
  it('its pieces are done again on the main thread: the same output, dead-letter file and exit status as one thread', async () => {
    const f = join(dir, 'dies.csv');
    writeFileSync(f, csv(60_000));
    // a stateless user stage that ends its worker thread on its 5th piece (as if killed or out of memory)
    writeFileSync(
      join(dir, 'dies.mjs'),
      [
        "import { isMainThread } from 'node:worker_threads';",
        'let n = 0;',
        'export default { name: "dies", parallel: true, process(records) {',
        '  if (!isMainThread && ++n === 5) process.exit(70);',
        '  return { kept: records, rejected: [] };',
        '} };',
      ].join('\n'),
    );
    const run = (name: string, env: Record<string, string>) =>
      runCli(['run', f, '--stage', './dies.mjs', '--to', join(dir, `${name}.ndjson`), '--dlq', join(dir, `${name}.dlq.ndjson`), '-q'], {
        cwd: dir,
        env: { RECFLOW_CHUNK_BYTES: '16384', RECFLOW_EXPLAIN: '1', ...env },
      });
    const want = await run('one-thread', { RECFLOW_WORKERS: '0' });
    const got = await run('worker-dies', { RECFLOW_WORKERS: '1' });
    expect(got.stderr).toContain('parallel runner: 1 worker thread');
    expect(got.stderr).toContain('stages in the workers: contract, dies');
    expect(got.stderr).toContain('recflow: warning: a worker thread stopped (exit code 70); its pieces are done again on the main thread');
    expect(got.code).toBe(want.code);
    // a worker that stops is not a failure of the run: nothing is lost
    expect(got.stderr).not.toMatch(/recflow: (internal )?error:|worker thread failed/);
    const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
    expect(read('worker-dies.ndjson')).toBe(read('one-thread.ndjson'));
    expect(read('worker-dies.dlq.ndjson')).toBe(read('one-thread.dlq.ndjson'));
    expect(read('one-thread.ndjson').split('\n').length).toBeGreaterThan(50_000);
  });
});

describe('parallel runner: a worker thread fails on a piece', () => {
  // (a getter that throws stands for a bug: the encoder meets it in the worker only)
  const stage = (when: string): string =>
    [
      "import { isMainThread } from 'node:worker_threads';",
      'let n = 0;',
      'export default { name: "fails", parallel: true, process(records) {',
      `  if (!isMainThread && ${when}) Object.defineProperty(records[0].value, 'x', { enumerable: true, get() { throw new Error('boom in the encoder'); } });`,
      '  return { kept: records, rejected: [] };',
      '} };',
    ].join('\n');
  const run = (name: string, extra: string[] = []) =>
    runCli(['run', join(dir, 'fails.csv'), '--stage', `./${name}.mjs`, '--to', join(dir, `${name}.ndjson`), '--summary-json', join(dir, `${name}.json`), ...extra], {
      cwd: dir,
      env: { RECFLOW_CHUNK_BYTES: '16384', RECFLOW_WORKERS: '1' },
    });
  beforeAll(() => writeFileSync(join(dir, 'fails.csv'), csv(60_000)));

  it('exit 3 and one line: which piece (the file and its first line), the error, what to do; no stack', async () => {
    writeFileSync(join(dir, 'fifth.mjs'), stage('++n === 2')); // a worker that starts late under load may get only the two pieces queued for it
    const res = await run('fifth');
    expect(res.code).toBe(3);
    const m = /recflow: error: a worker thread failed on a piece of (\S+) at line (\d+): boom in the encoder; run again with --threads 1 to do without worker threads, and please report this with the output of --debug\n/.exec(res.stderr);
    expect(m, res.stderr).not.toBeNull();
    expect(m![1]).toBe(join(dir, 'fails.csv'));
    // the pieces before it were applied in order: its first line follows the header and their records
    const s = JSON.parse(readFileSync(join(dir, 'fifth.json'), 'utf8')) as { exitCode: number; records: { in: number } };
    expect(Number(m![2])).toBe(s.records.in + 2);
    expect(Number(m![2])).toBeGreaterThan(2);
    expect(s.exitCode).toBe(3);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(res.stderr).not.toContain('internal error');
  });

  it('--debug: the worker stack follows the one line; the JSON log line carries the code', async () => {
    // (its second piece: a worker that starts late under load may get no more than the two queued for it)
    writeFileSync(join(dir, 'fifth-debug.mjs'), stage('++n === 2'));
    const res = await run('fifth-debug', ['--debug']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/a worker thread failed on a piece of .*\n(RecflowError: .*\n)?[^]*in the worker thread: Error: boom in the encoder\n\s+at /);
    writeFileSync(join(dir, 'fifth-json.mjs'), stage('++n === 2'));
    const json = await run('fifth-json', ['--log-format', 'json']);
    const line = json.stderr.split('\n').find((l) => l.includes('a worker thread failed'));
    expect(line, json.stderr).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 'error', fields: { code: 'internal' } });
    expect(line).not.toContain('in the worker thread'); // no stack without --debug
  });

  it('stages a worker cannot build: every piece fails, the first one is reported', async () => {
    writeFileSync(
      join(dir, 'unbuilt.mjs'),
      ["import { isMainThread } from 'node:worker_threads';", "if (!isMainThread) throw new Error('no such thing in a worker');", 'export default { name: "unbuilt", parallel: true, process: (records) => ({ kept: records, rejected: [] }) };'].join('\n'),
    );
    const res = await run('unbuilt');
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/recflow: error: a worker thread failed on a piece of \S+fails\.csv at line 1: .*cannot load stage \.\/unbuilt\.mjs: no such thing in a worker; .*; run again with --threads 1/);
    expect(res.stderr).not.toMatch(/^\s+at /m);
  });
});
