// SIGKILL at random moments never leaves a torn file under the final name: it holds the
// previous complete output (or nothing), and the next run removes the leftover temp files.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli, tempDir } from '../support/cli.js';

const ROWS = 300_000;
let dir: string;
let cleanup: () => void;
let input: string;
let valid: number;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('recflow-kill-'));
  input = join(dir, 'c.csv');
  writeFileSync(input, (await runCli(['generate', 'customers', '--count', String(ROWS), '--seed', '9', '--invalid-share', '0.01'])).stdout);
  const ref = await runCli(['run', input, '--to', join(dir, 'ref.ndjson'), '-q']);
  expect(ref.code).toBe(0);
  valid = readFileSync(join(dir, 'ref.ndjson'), 'utf8').split('\n').filter(Boolean).length;
}, 120_000);
afterAll(() => cleanup());

/** Whole NDJSON output: every line parses and the count is the full run's. */
function complete(path: string, gz: boolean): boolean {
  const text = gz ? gunzipSync(readFileSync(path)).toString() : readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.pop() !== '') return false;
  return lines.length === valid && lines.every((l) => l.startsWith('{') && l.endsWith('}'));
}

describe('SIGKILL during a 300k-record run, 11 times per output kind', () => {
  it.each([['out.ndjson'], ['out.ndjson.gz']])('%s: the final name is never torn; the next run leaves no temp file', async (name) => {
    const out = join(dir, name);
    const gz = name.endsWith('.gz');
    // no earlier output: a kill leaves nothing under the final name
    const first = spawnCli(['run', input, '--to', out, '-q']);
    const firstDone = collect(first);
    await new Promise((r) => setTimeout(r, 200));
    first.kill('SIGKILL');
    await firstDone;
    if (existsSync(out)) expect(complete(out, gz)).toBe(true);
    // an earlier complete output: every kill leaves it (or the new complete one), never a torn file
    expect((await runCli(['run', input, '--to', out, '-q'])).code).toBe(0);
    let seenComplete = 0;
    for (let round = 0; round < 10; round++) {
      const child = spawnCli(['run', input, '--to', out, '-q'], { env: { RECFLOW_WORKERS: round % 2 === 0 ? '0' : '1' } });
      const done = collect(child);
      await new Promise((r) => setTimeout(r, 150 + ((round * 373) % 1800)));
      child.kill('SIGKILL');
      await done;
      expect(existsSync(out), `round ${round}: the earlier output is gone`).toBe(true);
      expect(complete(out, gz), `round ${round}: ${name} is torn`).toBe(true);
      seenComplete++;
    }
    const last = await runCli(['run', input, '--to', out]);
    expect(last.code).toBe(0);
    expect(complete(out, gz)).toBe(true);
    expect(readdirSync(dir).filter((f) => /\.recflow-\d+\.tmp$/.test(f))).toEqual([]);
    expect(seenComplete).toBe(10);
  }, 180_000); // 12 runs of 300k records: ~17 s alone, more on a loaded machine
});
