// User stages loaded from modules under test/fixtures/stages.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { codes, fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const SHAPE = 'it must export (as default or as `stage`) an object { name, process(records) } or a definition { name, create(options) }';

describe('user stages', () => {
  it('a module exporting a stage object is loaded and applied, relative to the current folder', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', './test/fixtures/stages/upper-city.mjs', '--stage', 'select:fields=city']);
    expect(res.code).toBe(0);
    expect(res.out.map((r) => r.city)).toEqual(['LONDON', 'BERLIN', 'PARIS', 'HAMBURG', 'AUSTIN', 'RABAT']);
    expect(res.dlq[0]!.record.city).toBe('Moscow'); // raw stays as read
  });

  it('a definition with options: its schema validates them, its rejects reach the dead-letter output', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', `${fx('min-value.mjs')}:min=100`]);
    expect(res.out.map((r) => r.customer_id)).toEqual(['C001', 'C003', 'C005']);
    // the dead-letter output is in input order, whichever stage (the contract pass or this one) rejected a record
    expect(codes(res.dlq)).toEqual(['out_of_range', 'invalid_email', 'out_of_range', 'out_of_range']);
    expect(res.dlq.map((d) => d.line)).toEqual([3, 5, 6, 8]);
    expect(res.dlq.filter((d) => d.errors[0]!.code === 'out_of_range').map((d) => d.record.customer_id)).toEqual(['C002', 'C002', 'C006']);
    expect(res.dlq[0]!.errors[0]!.message).toBe('min-value: below 100');
  });

  it('bad options for a user stage are a config error', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', `${fx('min-value.mjs')}:mni=100`]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`option 'mni': unknown option 'mni'`);
    const objectWithOptions = await runStages(dir, [fx('customers.csv'), '--stage', `${fx('upper-city.mjs')}:x=1`]);
    expect(objectWithOptions.code).toBe(2);
    expect(objectWithOptions.stderr).toContain('takes no options');
  });

  it.each([
    ['broken.mjs', /cannot load stage .*broken\.mjs: Unexpected identifier 'rejected' at .*broken\.mjs:4; /],
    ['no-export.mjs', /cannot load stage .*no-export\.mjs: it has no default export and no `stage` export; /],
    ['not-there.mjs', /cannot load stage .*not-there\.mjs: file not found \(.*not-there\.mjs\); /],
  ])('%s: a clear error and exit 2 before any output', async (file, message) => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', fx(file)]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).toContain(SHAPE);
    expect(res.stdout).toBe('');
    expect(res.summary).toBeNull();
  });

  it('a stage that throws sends its batch to the dead-letter output as stage_error and the run goes on', async () => {
    const res = await runStages(dir, [fx('customers.csv'), fx('inventory.ndjson'), '--stage', fx('throws.mjs')]);
    expect(res.code).toBe(0);
    expect(res.out).toEqual([]);
    expect(res.summary!.rejectedByCode).toEqual({ invalid_email: 1, out_of_range: 1, stage_error: 10 });
    const err = res.dlq.find((d) => d.errors[0]!.code === 'stage_error')!;
    expect(err.errors[0]).toEqual({ field: null, code: 'stage_error', message: 'throws: failed: boom' });
  });

  it('a flush() that throws fails the run (exit 3) instead of losing held records silently', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', fx('flush-throws.mjs')]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('stage flush-throws failed at the end of the input: cannot flush');
  });

  it('--max-rejects still applies to stage rejects (exit 1)', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', fx('throws.mjs'), '--max-rejects', '3']);
    expect(res.code).toBe(1);
  });
});
