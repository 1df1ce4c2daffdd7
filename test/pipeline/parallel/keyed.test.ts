// dedupe after the pieces without records mode: the workers key the lines, the main
// thread admits the keys and reads a duplicate's lines again for its dead-letter row.
// Whatever the thread count, the output, the dead-letter lines (in order) and the
// counts are those of one thread, on inputs with duplicates across piece boundaries and
// quoted cells that hold newlines.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../support/cli.js';

let dir: string;
let cleanup: () => void;

/** Customers whose ids repeat (every 7th row takes an earlier id) and whose cities sometimes span two lines. */
function customers(n: number): string {
  const rows = ['customer_id,first_name,last_name,email,phone,country,city,signup_date,lifetime_value,loyalty_tier'];
  const countries = ['DE', 'FR', 'GB', 'US', 'ES'];
  for (let i = 1; i <= n; i++) {
    const id = i % 7 === 0 ? `C${String(1 + ((i * 13) % i)).padStart(7, '0')}` : `C${String(i).padStart(7, '0')}`;
    const city = i % 11 === 0 ? `"Town ${i % 40}\nnorth, ""old"" part"` : `Town ${i % 40}`;
    const email = i % 53 === 0 ? 'not-an-email' : `user${i % 900}@example.com`;
    rows.push(`${id},Ann,Lee,${email},+1 555 010 ${String(i % 10000).padStart(4, '0')},${countries[i % 5]},${city},2024-01-0${1 + (i % 9)},${(i % 500) + 0.5},gold`);
  }
  return rows.join('\n') + '\n';
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('recflow-keyed-'));
  writeFileSync(join(dir, 'in.csv'), customers(3000));
  const nd = customers(2000)
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l, i) => JSON.stringify({ kind: 'customer', customer_id: `C${String(1 + (i % 1500)).padStart(7, '0')}`, email: i % 97 === 0 ? 'nope' : `u${i % 700}@example.com`, country: ['DE', 'FR'][i % 2], line: l.length }));
  writeFileSync(join(dir, 'in.ndjson'), nd.join('\n') + '\n');
});
afterAll(() => cleanup());

async function runPlan(input: string, stages: string[], to: string, workers: string) {
  const out = join(dir, `out-${workers}`);
  rmSync(out, { recursive: true, force: true });
  const target = to === '-' ? '-' : join(out, to);
  const args = ['run', join(dir, input), '--to', target, '--dlq', join(out, 'dlq.ndjson'), '--summary-json', join(out, 'summary.json'), '--quiet'];
  for (const s of stages) args.push('--stage', s);
  const res = await runCli(args, { cwd: dir, env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '2000', RECFLOW_EXPLAIN: '1' } });
  const read = (f: string): string | null => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : null);
  const summary = JSON.parse(read('summary.json') ?? '{}') as Record<string, unknown>;
  return {
    seen: { code: res.code, stdout: res.stdout, out: to === '-' ? null : read(to), dlq: read('dlq.ndjson'), records: summary.records, byKind: summary.byKind, rejectedByCode: summary.rejectedByCode, examples: summary.examples },
    stderr: res.stderr,
  };
}

const plans: [string, string[], string][] = [
  ['in.csv', ['dedupe'], 'all.ndjson'],
  ['in.csv', ['dedupe:key=country'], 'all.ndjson'],
  ['in.csv', ['dedupe:key=email,on_duplicate=drop'], '-'],
  ['in.csv', ['filter:expr=lifetime_value > 100', 'dedupe:key=city'], 'all.ndjson'],
  ['in.ndjson', ['dedupe'], 'all.ndjson'],
  ['in.ndjson', ['dedupe:key=email,on_duplicate=drop'], 'all.ndjson'],
];

describe('dedupe keyed by the workers', () => {
  it.each(plans)('%s %j to %s: 1 and 3 workers and the main thread alone give what one thread gives', async (input, stages, to) => {
    const one = await runPlan(input, stages, to, '0');
    expect(one.seen.code, one.stderr).toBe(0);
    expect(one.seen.dlq ?? '').not.toBe(''); // the inputs do hold rejects
    for (const workers of ['1', '3', 'inline']) {
      const other = await runPlan(input, stages, to, workers);
      expect(other.stderr).toMatch(/the workers key the lines for dedupe/);
      expect(other.seen, `${workers} workers`).toEqual(one.seen);
    }
  });

  it('keep_last holds records: it takes records mode, not the keys', async () => {
    const res = await runPlan('in.csv', ['dedupe:on_duplicate=keep_last'], 'all.ndjson', '1');
    expect(res.seen.code).toBe(0);
    expect(res.stderr).not.toMatch(/key the lines/);
    expect(res.stderr).toMatch(/then on the main thread, in input order: dedupe/);
  });
});
