// SIGINT/SIGTERM stop a run within a second and a half whatever the stages are doing,
// with the summary on stderr; and a regex that backtracks for ever in JavaScript
// (`(a+)+$`, now on RE2) does not hold a run up.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { BIN, collect, ndjsonLines, runCli, spawnCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
let customers: string;
let notes: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('recflow-sigstage-'));
  customers = join(dir, 'c.csv');
  const fd = openSync(customers, 'w');
  const gen = spawnSync(process.execPath, [BIN, 'generate', 'customers', '--count', '200000', '--seed', '1'], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  expect(gen.status).toBe(0);
  // 28 a then ! takes RegExp 20 s or more on (a+)+$, each time
  notes = join(dir, 'notes.csv');
  const rows = Array.from({ length: 100_000 }, (_, i) => `${i},${'a'.repeat(28)}${i % 2 ? '!' : ''}`);
  writeFileSync(notes, `id,note\n${rows.join('\n')}\n`);
});
afterAll(() => cleanup());

const FILTER = 'filter:expr=email =~ /@(gmail|gmx)\\.(com|de)$/i or last_name =~ /^(Mc|Mac)[A-Z]/';
const READS = 5; // the file five times: a million records, so the run is still going when the signal comes

/** 0.5 s after the start, and records are coming out: the run is going and its signal handlers are in place. */
async function running(child: ChildProcess): Promise<void> {
  let out = false;
  child.stdout!.once('data', () => (out = true));
  const t0 = performance.now();
  const late = (): boolean => performance.now() - t0 > 10_000; // no output at all: send it anyway, the test fails below
  while ((performance.now() - t0 < 500 || !out) && child.exitCode === null && !late()) await new Promise((r) => setTimeout(r, 20));
}

describe('a signal stops a run promptly', () => {
  const EVIL = ['--no-validate', '--stage', 'filter:expr=note =~ /(a+)+$/'];
  it.each([
    ['sequential runner, a regex filter', 'SIGINT', 130, ['--stage', FILTER], { RECFLOW_WORKERS: '0' }],
    ['sequential runner, a regex filter', 'SIGTERM', 143, ['--stage', FILTER], { RECFLOW_WORKERS: '0' }],
    ['sequential runner, (a+)+$ on 28 a and a !', 'SIGINT', 130, EVIL, { RECFLOW_WORKERS: '0' }],
    // RECFLOW_WORKERS unset (whatever the suite runs with): the engine's own choice
    ['parallel runner, a regex filter in the worker threads', 'SIGTERM', 143, ['--stage', FILTER], { RECFLOW_WORKERS: undefined }],
    ['parallel runner, (a+)+$ on 28 a and a ! in the worker threads', 'SIGINT', 130, EVIL, { RECFLOW_WORKERS: undefined }],
    ['parallel runner, the contract alone', 'SIGINT', 130, [], { RECFLOW_WORKERS: '1' }],
    ['parallel runner without worker threads', 'SIGTERM', 143, [], { RECFLOW_WORKERS: 'inline' }],
  ] as const)('%s: %s after 0.5 s exits %i within 1.5 s with a summary', async (what, signal, code, stages, env) => {
    const summary = join(dir, `summary-${signal}-${stages.length}.json`);
    const input = stages === EVIL ? notes : customers;
    const args = ['run', ...Array<string>(READS).fill(input), ...stages, '--summary-json', summary];
    const child = spawnCli(args, { env: { RECFLOW_EXPLAIN: '1', ...env } });
    const done = collect(child, { timeoutMs: 30_000 });
    await running(child);
    expect(child.exitCode, 'still running when the signal is sent').toBeNull();
    const sentAt = performance.now();
    child.kill(signal);
    const res = await done;
    const took = performance.now() - sentAt;
    console.log(`${what}: ${signal} handled, exit ${res.code} ${took.toFixed(0)} ms after the signal`);
    expect(res.code, `signal ${res.signal}: ${res.stderr}`).toBe(code);
    expect(took).toBeLessThan(1500);
    expect(res.stderr).toContain(env.RECFLOW_WORKERS === '0' ? 'sequential runner' : 'parallel runner');
    if (stages.length > 0 && env.RECFLOW_WORKERS === undefined) expect(res.stderr).toMatch(/stages in the workers: (contract|kind), filter/);
    expect(res.stderr).toContain(`${signal}: stopping`);
    expect(res.stderr).toContain(`interrupted by ${signal}; what was read is written`);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: { in: number; out: number; rejected: number; dropped?: number } };
    expect(s.records.in).toBeGreaterThan(0);
    expect(s.records.in).toBeLessThan(READS * (input === notes ? 100_000 : 200_000));
    expect(s.records.in).toBe(s.records.out + s.records.rejected + (s.records.dropped ?? 0));
    expect(res.stdout.endsWith('\n')).toBe(true);
    expect(ndjsonLines(res.stdout)).toHaveLength(s.records.out);
  });
});

describe('(a+)+$ on a field of 100,000 a and a !', () => {
  const note = 'a'.repeat(100_000) + '!';
  it.each([
    ['csv', `id,note\n1,${note}\n2,aaaa\n3,${note.slice(0, -1)}\n`],
    ['ndjson', [1, 2, 3].map((id) => JSON.stringify({ id: String(id), note: id === 2 ? 'aaaa' : (id === 3 ? note.slice(0, -1) : note) })).join('\n') + '\n'],
  ])('%s: the run finishes at once, the match is right', async (format, text) => {
    const f = join(dir, `evil.${format}`);
    writeFileSync(f, text);
    const t0 = performance.now();
    const res = await runCli(['run', f, '--no-validate', '--stage', 'filter:expr=note =~ /(a+)+$/', '-q'], { timeoutMs: 30_000 });
    const took = performance.now() - t0;
    console.log(`${format}: (a+)+$ over 3 records of up to 100,001 characters: ${took.toFixed(0)} ms (process start included)`);
    expect(res.code).toBe(0);
    expect((ndjsonLines(res.stdout) as { id: string }[]).map((r) => r.id)).toEqual(['2', '3']);
    expect(took).toBeLessThan(5000);
  });
});
