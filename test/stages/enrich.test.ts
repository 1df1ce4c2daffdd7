// `enrich` through the CLI, with CSV and NDJSON reference files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { codes, fx, runStages } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('enrich stage', () => {
  it('inventory supplier → supplier details from a CSV (headers normalized, prefix, missing match passes)', async () => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--stage', `enrich:file=${fx('suppliers.csv')},key=supplier,ref_key=name,prefix=supplier_`]);
    expect(res.code).toBe(0);
    expect(res.out[0]).toMatchObject({ sku: 'AB-1', supplier: 'ACME', supplier_supplier_country: 'US', supplier_contact_email: 'orders@acme.example' });
    expect(Object.keys(res.out[0]!).slice(-2)).toEqual(['supplier_supplier_country', 'supplier_contact_email']);
    expect(res.out[2]).toEqual(expect.not.objectContaining({ supplier_contact_email: expect.anything() })); // Unknown Co: passes as is
    expect(res.out).toHaveLength(4);
  });

  it('customer country → region from NDJSON; on_missing=reject gives enrich_missing naming the stage', async () => {
    const res = await runStages(dir, [fx('customers.csv'), '--stage', `enrich:file=${fx('regions.ndjson')},key=country,fields=region,on_missing=reject`]);
    expect(res.out.map((r) => `${r.country}:${r.region}`)).toEqual(['GB:EMEA', 'DE:EMEA', 'FR:EMEA', 'DE:EMEA', 'US:AMER']);
    expect(res.out[0]).not.toHaveProperty('currency');
    expect(codes(res.dlq)).toEqual(['invalid_email', 'enrich_missing']);
    expect(res.dlq[1]).toMatchObject({ line: 8, errors: [{ field: 'country', code: 'enrich_missing' }] });
    expect(res.dlq[1]!.errors[0]!.message).toMatch(/^enrich: no row in .*regions\.ndjson with country "MA"$/);
  });

  it('on_missing=tag marks the record; ignore_case matches keys in any case; a gzipped reference works', async () => {
    writeFileSync(join(dir, 'ref.csv.gz'), gzipSync('code,label\nacme,first\nGLOBEX,second\n'));
    const res = await runStages(dir, [
      fx('inventory.ndjson'),
      '--stage', `enrich:file=${join(dir, 'ref.csv.gz')},key=supplier,ref_key=code,on_missing=tag,tag_field=no_label,ignore_case=true`,
    ]);
    expect(res.out.map((r) => r.label ?? (r.no_label === true ? 'TAGGED' : '?'))).toEqual(['first', 'second', 'TAGGED', 'TAGGED']);
  });

  it('the record\'s own value wins unless overwrite=true', async () => {
    writeFileSync(join(dir, 'ref.ndjson'), '{"sku":"AB-1","product_name":"Better anvil"}\n');
    const keep = await runStages(dir, [fx('inventory.ndjson'), '--stage', `enrich:file=${join(dir, 'ref.ndjson')},key=sku`]);
    expect(keep.out[0]!.product_name).toBe('Anvil');
    const over = await runStages(dir, [fx('inventory.ndjson'), '--stage', `enrich:file=${join(dir, 'ref.ndjson')},key=sku,overwrite=true`]);
    expect(over.out[0]!.product_name).toBe('Better anvil');
  });

  it.each([
    ['a missing reference file', () => 'enrich:file=nope.csv,key=supplier', /option 'file': cannot read nope\.csv \(file not found: .*nope\.csv\); check the path/],
    ['an unknown key column', () => `enrich:file=${fx('suppliers.csv')},key=supplier`, /option 'key': .*suppliers\.csv has no column 'supplier' \(columns: name, supplier_country, contact_email\)/],
    ['an unknown field', () => `enrich:file=${fx('suppliers.csv')},key=supplier,ref_key=name,fields=phone`, /option 'fields': .*has no column 'phone'/],
    ['a key twice in the reference', () => { writeFileSync(join(dir, 'dup.csv'), 'name,x\nACME,1\nB,2\n acme ,3\nACME,4\n'); return `enrich:file=${join(dir, 'dup.csv')},key=supplier,ref_key=name`; }, /dup\.csv has the key "ACME" twice \(lines 2 and 5\)/],
    ['an unknown format', () => { writeFileSync(join(dir, 'ref.txt'), 'x'); return `enrich:file=${join(dir, 'ref.txt')},key=supplier`; }, /cannot tell the format of .*ref\.txt.*format=csv or format=ndjson/],
  ])('%s is a config error before any output (exit 2)', async (_what, spec, message) => {
    const res = await runStages(dir, [fx('inventory.ndjson'), '--stage', spec()]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
    expect(res.summary).toBeNull();
    expect(() => readFileSync(join(dir, 'dlq.ndjson'))).toThrow();
  });
});
