// CSV plans the workers run on field lists (src/pipeline/parallel/piece-list.ts) give what
// the stages on record objects give, on the records a list cannot stand for as well:
// extra columns with integer-like names (an object orders them first) and `__proto__`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('recflow-list-'));
  const rows = ['customer_id,first_name,last_name,email,country,lifetime_value,2024,__proto__,note'];
  for (let i = 1; i <= 400; i++) {
    const id = `C${String(i).padStart(7, '0')}`;
    const email = i % 37 === 0 ? 'not-an-email' : `p${i}@example.com`;
    const extra = i % 3 === 0 ? '' : `y${i}`; // a blank 2024 keeps the row on the list
    rows.push(`${id},Ann ${i},"Lee, ""Jr""",${email},${['DE', 'FR', 'US', 'ZZ'][i % 4]},${(i * 1.25).toFixed(2)},${extra},p${i % 5},"é ${i}\\"`);
  }
  writeFileSync(join(dir, 'in.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'regions.csv'), 'country,region\nDE,EMEA\nFR,EMEA\nUS,AMER\n');
});
afterAll(() => cleanup());

const PLAN = [
  '--stage', 'filter:expr=lifetime_value > 20,on_drop=reject',
  '--stage', 'select:fields=customer_id,last_name,email,country,2024,__proto__,note',
  '--stage', 'rename:fields=last_name:surname,note:memo',
  '--stage', 'set:field=label,template={surname}/{country}',
  '--stage', 'enrich:file=regions.csv,key=country,on_missing=tag',
];

async function run(workers: string): Promise<{ out: string; dlq: string; code: number | null; runner: string | undefined }> {
  const dlq = join(dir, `dlq-${workers}.ndjson`);
  const res = await runCli(['run', 'in.csv', '--dlq', dlq, ...PLAN], {
    cwd: dir,
    env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: '2000', RECFLOW_EXPLAIN: '1' },
  });
  return { out: res.stdout, dlq: readFileSync(dlq, 'utf8'), code: res.code, runner: /^recflow: (parallel|sequential) runner/m.exec(res.stderr)?.[1] };
}

describe('CSV plans on field lists', () => {
  it('give the same lines, dead-letter rows and exit status as the stages on objects, odd column names included', async () => {
    const one = await run('0');
    const engine = await run('2');
    expect(one.runner).toBe('sequential');
    expect(engine.runner).toBe('parallel');
    expect(one.code).toBe(0); // rejects go to the dead-letter file: the run itself succeeds
    expect(engine).toEqual({ ...one, runner: 'parallel' });
    const lines = one.out.trim().split('\n');
    // an integer-like name comes first in the object, as JSON.stringify writes it
    expect(lines.find((l) => l.includes('"2024"'))).toMatch(/^\{"2024":"y\d+","kind":"customer"/);
    expect(lines.find((l) => !l.includes('"2024"'))).toMatch(/^\{"kind":"customer","customer_id":/);
    expect(lines[0]).toContain('"__proto__":"p');
    expect(one.dlq).toContain('"code":"filtered"');
    expect(one.dlq).toContain('"code":"invalid_email"');
  });
});
