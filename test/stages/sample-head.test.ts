// `sample` and `head` through the CLI, on a generated file big enough to see the sampling.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
let file: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  file = join(dir, 'c.csv');
  const rows = ['customer_id,email'];
  for (let i = 0; i < 2000; i++) rows.push(`C${i},u${i}@example.com`);
  writeFileSync(file, rows.join('\n') + '\n');
});
afterEach(() => cleanup());

const ids = (rows: Record<string, unknown>[]): number[] => rows.map((r) => Number(String(r.customer_id).slice(1)));

describe('head and sample stages', () => {
  it('head keeps the first n and counts the rest as dropped', async () => {
    const res = await runStages(dir, [file, '--stage', 'head:n=3']);
    expect(ids(res.out)).toEqual([0, 1, 2]);
    expect(res.summary!.records).toMatchObject({ in: 2000, out: 3, dropped: 1997 });
  });

  it('head after filter shows the first matches', async () => {
    const res = await runStages(dir, [file, '--stage', 'filter:expr=customer_id =~ /7$/', '--stage', 'head:n=2']);
    expect(ids(res.out)).toEqual([7, 17]);
  });

  it('sample rate keeps about that share, the same sample for the same seed', async () => {
    const a = await runStages(dir, [file, '--stage', 'sample:rate=0.1']);
    const b = await runStages(dir, [file, '--stage', 'sample:rate=0.1,seed=1']);
    const c = await runStages(dir, [file, '--stage', 'sample:rate=0.1,seed=2']);
    expect(a.out.length).toBeGreaterThan(140);
    expect(a.out.length).toBeLessThan(260);
    expect(ids(b.out)).toEqual(ids(a.out));
    expect(ids(c.out)).not.toEqual(ids(a.out));
    expect(a.summary!.records.dropped).toBe(2000 - a.out.length);
  });

  it('sample n keeps exactly n records, in input order, spread over the whole input', async () => {
    const res = await runStages(dir, [file, '--stage', 'sample:n=50,seed=7']);
    const got = ids(res.out);
    expect(got).toHaveLength(50);
    expect([...got].sort((x, y) => x - y)).toEqual(got);
    expect(Math.max(...got)).toBeGreaterThan(1500);
    expect(res.summary!.records).toMatchObject({ out: 50, dropped: 1950 });
  });

  it('sample needs exactly one of rate and n', async () => {
    const res = await runStages(dir, [file, '--stage', 'sample:rate=0.5,n=3']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('give exactly one of the options rate, n');
    const bad = await runStages(dir, [file, '--stage', 'sample:rate=1.5']);
    expect(bad.stderr).toContain(`option 'rate': expected a number from 0 to 1, got "1.5"`);
  });
});

describe('head on a big input', () => {
  it('stops reading once it has its records: not every record is read, each one read is accounted for', async () => {
    const big = join(dir, 'big.csv');
    const rows = ['customer_id,email'];
    for (let i = 0; i < 200_000; i++) rows.push(`C${i},u${i}@example.com`);
    writeFileSync(big, rows.join('\n') + '\n');
    const res = await runStages(dir, [big, '--stage', 'head:n=3']);
    expect(res.code).toBe(0);
    expect(ids(res.out)).toEqual([0, 1, 2]);
    const r = res.summary!.records;
    expect(r.in).toBeGreaterThanOrEqual(3);
    expect(r.in).toBeLessThan(200_000);
    expect(r.in).toBe(r.out + r.dropped + r.rejected);
  });
});
