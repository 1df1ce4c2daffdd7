// One engine, one semantics: random plans of built-in stages over random inputs
// give the same output bytes, dead-letter lines (in the same order), counts and
// HTTP requests (bodies and idempotency keys) on 0 worker threads (the sequential
// Runner), on the main thread alone (inline) and on 1 and 3 worker threads with
// tiny pieces, so that every input crosses many piece boundaries.
import fc from 'fast-check';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../support/cli.js';
import { scriptedServer, type ScriptedServer } from '../../support/serve.js';

let dir: string;
let cleanup: () => void;
let http: ScriptedServer;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('recflow-engine-'));
  const regions = ['country,region,zone', 'GB,north,1', 'DE,central,2', 'FR,west,3', 'US,america,4', 'ES,south,5', 'IT,south,6'];
  writeFileSync(join(dir, 'regions.csv'), regions.join('\n') + '\n');
  http = await scriptedServer(() => ({ status: 200 }));
});
afterAll(async () => {
  await http.close();
  cleanup();
});

/** Stage specs that work on both kinds (fields a kind lacks are simply absent). */
const STAGES: fc.Arbitrary<string>[] = [
  fc.constantFrom('filter:expr=lifetime_value > 100', 'filter:expr=quantity > 500 or exists(email)', "filter:expr=country in (\"DE\",\"FR\"),on_drop=reject", 'filter:expr=len(coalesce(email, sku, "")) > 18'),
  fc.constantFrom('select:fields=kind,customer_id,sku,email,country,quantity,lifetime_value', 'drop:fields=phone,city,supplier'),
  fc.constantFrom('rename:fields=email:contact,sku:item', 'rename:fields=country:cc'),
  fc.constantFrom('set:field=total,expr=round(coalesce(quantity, 1) * coalesce(unit_price, lifetime_value, 0), 2)', 'set:field=label,template={kind}-{country}'),
  fc.constantFrom('enrich:file=regions.csv,key=country', 'enrich:file=regions.csv,key=country,on_missing=reject', 'enrich:file=regions.csv,key=country,on_missing=tag'),
  fc.integer({ min: 1, max: 9 }).map((seed) => `sample:rate=0.${seed},seed=${seed * 7}`),
  fc.constantFrom('validate', 'normalize'),
  // stages that keep state: they run on the main thread, after the workers' part
  fc.constantFrom('dedupe:key=country', 'dedupe:key=email,on_duplicate=keep_last', 'sample:n=40,seed=3'),
];

const Plan = fc.record({
  kind: fc.constantFrom('customers', 'inventory'),
  format: fc.constantFrom('csv', 'ndjson'),
  count: fc.integer({ min: 50, max: 1500 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  invalid: fc.constantFrom('0', '0.05', '0.3'),
  stages: fc.array(fc.oneof(...STAGES), { minLength: 0, maxLength: 5 }),
  noValidate: fc.boolean(),
  sink: fc.constantFrom('file', 'kind', 'stdout', 'http', 'csv'),
  chunk: fc.constantFrom('300', '1000', '4096'),
});
type Plan = typeof Plan extends fc.Arbitrary<infer T> ? T : never;

interface Seen {
  code: number | null;
  stderr?: string;
  runner: string | undefined;
  stdout: string;
  files: Record<string, string>;
  records: unknown;
  requests: string[];
}

async function runPlan(p: Plan, input: string, workers: string): Promise<Seen> {
  const out = join(dir, `out-${workers}`);
  rmSync(out, { recursive: true, force: true });
  const to = { file: join(out, 'all.ndjson'), kind: join(out, '{kind}.ndjson'), stdout: '-', http: `${http.url}/ingest`, csv: join(out, '{kind}.csv') }[p.sink];
  const args = ['run', input, '--to', to, '--dlq', join(out, 'dlq.ndjson'), '--summary-json', join(out, 'summary.json'), '--quiet'];
  for (const s of p.stages) args.push('--stage', s);
  if (p.noValidate) args.push('--no-validate');
  if (p.sink === 'http') args.push('--batch-records', '37', '--retries', '0');
  const before = http.requests.length;
  const res = await runCli(args, { cwd: dir, env: { RECFLOW_WORKERS: workers, RECFLOW_CHUNK_BYTES: p.chunk, RECFLOW_EXPLAIN: '1' } });
  const files: Record<string, string> = {};
  for (const name of ['all.ndjson', 'customer.ndjson', 'inventory.ndjson', 'unknown.ndjson', 'customer.csv', 'inventory.csv', 'unknown.csv', 'dlq.ndjson']) {
    const f = join(out, name);
    if (existsSync(f)) files[name] = readFileSync(f, 'utf8');
  }
  const summary = existsSync(join(out, 'summary.json')) ? (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>) : {};
  const requests = http.requests.slice(before).map((r) => `${String(r.headers['idempotency-key'])} ${r.body.toString('utf8')}`);
  return {
    code: res.code,
    stderr: res.code === 0 || res.code === 1 ? undefined : res.stderr,
    runner: /^recflow: (parallel|sequential) runner/m.exec(res.stderr)?.[1],
    stdout: res.stdout,
    files,
    records: { records: summary.records, byKind: summary.byKind, rejectedByCode: summary.rejectedByCode },
    // requests may be in flight together: compare them as a set
    requests: requests.sort(),
  };
}

describe('one engine: the same results on any number of threads', () => {
  it('random plans of built-in stages over random inputs: 0, inline, 1 and 3 workers agree on everything', async () => {
    let parallelRuns = 0;
    await fc.assert(
      fc.asyncProperty(Plan, async (p) => {
        const input = join(dir, `in.${p.format}`);
        const gen = await runCli(['generate', p.kind, '--count', String(p.count), '--seed', String(p.seed), '--invalid-share', p.invalid, '--format', p.format, '--out', input, '--quiet']);
        expect(gen.code).toBe(0);
        const base = await runPlan(p, input, '0');
        expect(base.runner, base.stderr).toBe('sequential');
        for (const workers of ['inline', '1', '3']) {
          const other = await runPlan(p, input, workers);
          if (other.runner === 'parallel') parallelRuns++;
          expect({ ...other, runner: base.runner }, `${workers} workers, plan ${JSON.stringify(p)}`).toEqual(base);
        }
      }),
      { numRuns: 16, seed: Number(process.env.FC_SEED ?? 20261201), endOnFailure: true },
    );
    expect(parallelRuns).toBeGreaterThan(0); // the plans did take the parallel engine
  }, 400_000);
});
