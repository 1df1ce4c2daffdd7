// A stop signal drains what stages hold: "what was read is written" holds for
// dedupe keep_last and sample n too, not only for records already passed on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, spawnCli, tempDir } from '../support/cli.js';

describe('SIGINT with stages that hold records', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-sigflush-')));
  afterEach(() => cleanup());

  it.each([['dedupe:key=customer_id,on_duplicate=keep_last'], ['sample:n=100000,seed=1']])('%s: held records are written, the sum holds', async (stage) => {
    const out = join(dir, 'o.ndjson');
    const summary = join(dir, 's.json');
    const child = spawnCli(['run', '-', '--format', 'ndjson', '--stage', stage, '--to', out, '--summary-json', summary, '--progress-interval', '1'], { keepStdinOpen: true });
    const done = collect(child, { keepStdinOpen: true, timeoutMs: 60_000 });
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ customer_id: `C${i}`, email: `u${i}@example.com` })).join('\n') + '\n';
    child.stdin!.write(lines);
    // wait until the run has read them (a status line says so), then stop it
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const until = Date.now() + 30_000;
    while (!/2,000 in/.test(err) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const res = await done;
    expect(res.code).toBe(130);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: { in: number; out: number; rejected: number; dropped: number; failed: number } };
    expect(s.records.in).toBe(2000);
    expect(s.records.out).toBe(2000);
    expect(s.records.in).toBe(s.records.out + s.records.rejected + s.records.dropped + s.records.failed);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2000);
  });
});
