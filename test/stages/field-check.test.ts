// Typos do not drop data silently: a field a stage names that no kind in play declares
// warns before the run (with a did-you-mean); --strict makes it exit 2 with nothing written.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('recflow: warning:'));
const IN_PLAY = 'is in no contract of the kinds in play (customer, inventory)';

describe('stage fields against the contract', () => {
  it('a misspelt select field warns once, with the suggestion; the run still writes', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'select:fields=emial,country', '--stage', 'drop:fields=emial']);
    expect(res.code).toBe(0);
    expect(warnings(res.stderr)).toEqual([
      `recflow: warning: --stage "select:fields=emial,country": field 'emial' ${IN_PLAY}; did you mean 'email'?`,
    ]);
    expect(res.out[0]).toEqual({ kind: 'customer', country: 'GB' }); // what the typo costs: no email
  });

  // each stage's field-naming option, with the name the suggestion should give
  it.each([
    ['drop:fields=phnoe', 'phnoe', 'phone'],
    ['rename:fields=fist_name:given', 'fist_name', 'first_name'],
    ['filter:expr=lifetime_vaule > 100 or exists(cuntry)', 'lifetime_vaule', 'lifetime_value'],
    ['set:field=full,template={first_name} {lastname}', 'lastname', 'last_name'],
    ['set:field=cc,expr=lower(contry)', 'contry', 'country'],
    ['dedupe:key=custmer_id', 'custmer_id', 'customer_id'],
    [`enrich:file=${fx('regions.ndjson')},key=countyr,ref_key=country`, 'countyr', 'country'],
  ])('%s warns about %s (did you mean %s)', async (stage, field, near) => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', stage]);
    const lines = warnings(res.stderr);
    expect(lines[0]).toContain(`field '${field}' ${IN_PLAY}; did you mean '${near}'?`);
    expect(lines[0]).toContain(`--stage ${JSON.stringify(stage)}: `);
  });

  it('every field a filter names is checked; a far-off name gets no suggestion', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=cuntry == "DE" and `zzz top` > 1']);
    expect(warnings(res.stderr)).toEqual([
      `recflow: warning: --stage "filter:expr=cuntry == \\"DE\\" and \`zzz top\` > 1": field 'cuntry' ${IN_PLAY}; did you mean 'country'?`,
      `recflow: warning: --stage "filter:expr=cuntry == \\"DE\\" and \`zzz top\` > 1": field 'zzz top' ${IN_PLAY}`,
    ]);
  });

  it('fields a stage creates are known to the stages after it, not before', async () => {
    const res = await runStages(dir, [
      fx('customers.csv'),
      '--stage', 'select:fields=customer_id,country,tier2',
      '--stage', 'set:field=tier2,value=x',
      '--stage', 'rename:fields=country:land',
      '--stage', `enrich:file=${fx('regions.ndjson')},key=land,ref_key=country,prefix=r_`,
      '--stage', `enrich:file=${fx('suppliers.csv')},key=land,ref_key=supplier_country,fields=name,on_missing=tag,tag_field=no_supplier`,
      '--stage', 'select:fields=customer_id,land,tier2,r_region,r_currency,name,no_supplier',
    ]);
    expect(res.code).toBe(0);
    expect(warnings(res.stderr)).toEqual([expect.stringContaining(`field 'tier2' ${IN_PLAY}`)]); // the first select only
  });

  it('a correct pipeline says nothing', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', 'filter:expr=exists(email) and kind == "customer"', '--stage', 'select:fields=customer_id,email']);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toMatch(/warning/);
  });

  it('--kind puts only that kind in play', async () => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--kind', 'inventory', '--stage', 'select:fields=sku,email,quantiy']);
    expect(warnings(res.stderr)).toEqual([
      `recflow: warning: --stage "select:fields=sku,email,quantiy": field 'email' is in no contract of the kinds in play (inventory)`,
      `recflow: warning: --stage "select:fields=sku,email,quantiy": field 'quantiy' is in no contract of the kinds in play (inventory); did you mean 'quantity'?`,
    ]);
  });

  it('kinds of --contract files count; --no-validate still checks', async () => {
    const contract = join(dir, 'orders.yaml');
    writeFileSync(contract, 'kinds:\n  order:\n    detect: { has: order_id }\n    fields:\n      order_id: { type: id, required: true }\n      amount: { type: number }\n');
    const data = join(dir, 'orders.ndjson');
    writeFileSync(data, '{"order_id":"O1","amount":"5"}\n');
    const ok = await runStages(dir, [data, '--contract', contract, '--stage', 'select:fields=order_id,amount']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toMatch(/warning/);
    expect(ok.out).toEqual([{ kind: 'order', order_id: 'O1', amount: 5 }]);
    const without = await runStages(dir, [data, '--no-validate', '--stage', 'select:fields=order_id,amount']);
    expect(warnings(without.stderr)).toHaveLength(2);
    expect(without.out).toEqual([{ order_id: 'O1', amount: '5' }]);
    const typo = await runStages(dir, [data, '--contract', contract, '--stage', 'select:fields=amuont']);
    expect(warnings(typo.stderr)).toEqual([
      `recflow: warning: --stage "select:fields=amuont": field 'amuont' is in no contract of the kinds in play (customer, inventory, order); did you mean 'amount'?`,
    ]);
  });

  it('after a module stage the fields are not checked (it may add any)', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', fx('upper-city.mjs'), '--stage', 'select:fields=made_up']);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toMatch(/warning/);
  });
});

describe('--strict', () => {
  const stage = 'select:fields=customer_id,emial';

  it('exits 2 before anything is written: no output, no dead-letter file, no summary', async () => {
    const out = join(dir, 'out.ndjson');
    const res = await runCli(['run', fx('customers.csv'), '--stage', stage, '--strict', '--to', out, '--dlq', join(dir, 'dlq.ndjson'), '--summary-json', join(dir, 's.json')]);
    expect(res.code).toBe(2);
    expect(warnings(res.stderr)).toEqual([expect.stringContaining("field 'emial' is in no contract")]);
    expect(res.stderr).toMatch(/^recflow: error: --strict: the stages name a field in no contract of the kinds in play \(see the warning above\)/m);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['RECFLOW_STRICT=1', [], { RECFLOW_STRICT: '1' }, null],
    ['config strict: true', ['--config', 'CFG'], {}, 'strict: true\n'],
  ])('%s works like the flag', async (_what, extra, env, config) => {
    const cfg = join(dir, 'job.yaml');
    if (config) writeFileSync(cfg, config);
    const args = ['run', fx('customers.csv'), '--stage', stage, ...extra.map((a) => (a === 'CFG' ? cfg : a))];
    const res = await runCli(args, { env });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
  });

  it('a clean pipeline runs as usual under --strict', async () => {
    const res = await runCli(['run', fx('customers.csv'), '--stage', 'select:fields=customer_id,email', '--strict', '-q']);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toMatch(/warning/);
    expect(res.stdout).toMatch(/^\{"kind":"customer","customer_id":"C001","email":"ada@example\.com"\}$/m);
  });

  it('--dry-run shows the warnings (exit 0) and under --strict prints no pipeline (exit 2)', async () => {
    const dry = await runCli(['run', fx('customers.csv'), '--stage', stage, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(warnings(dry.stderr)).toHaveLength(1);
    expect(dry.stdout).toMatch(/fields:\n\s+- customer_id\n\s+- emial/);
    const strict = await runCli(['run', fx('customers.csv'), '--stage', stage, '--dry-run', '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
  });

  it('validate --stage warns too, and --strict refuses before the report', async () => {
    const res = await runCli(['validate', fx('customers.csv'), '--stage', stage]);
    expect(warnings(res.stderr)).toEqual([expect.stringContaining("field 'emial' is in no contract")]);
    const report = join(dir, 'r.json');
    const strict = await runCli(['validate', fx('customers.csv'), '--stage', stage, '--strict', '--report-json', report]);
    expect(strict.code).toBe(2);
    expect(existsSync(report)).toBe(false);
  });
});
