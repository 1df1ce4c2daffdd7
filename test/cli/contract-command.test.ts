// `recflow contract show|check|infer|from-json-schema` through the built CLI, and
// --dry-run loading the contract files (a bad one is exit 2 there too).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir } from '../support/cli.js';

const CONTRACT = join(ROOT, 'examples', 'orders.contract.yaml');
const ORDERS = join(ROOT, 'examples', 'orders.ndjson');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-contract-cmd-')));
afterAll(() => cleanup());

describe('--dry-run with --contract', () => {
  it('a contract file that does not exist is exit 2', async () => {
    const res = await runCli(['run', ORDERS, '--contract', join(dir, 'nope.yaml'), '--dry-run']);
    expect(res.stderr).toContain('nope.yaml: file not found');
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
  });

  it('a bad contract file is exit 2 with the path in the file', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kinds:\n  order:\n    fields:\n      qty: { type: integer, min: 5, max: 1 }\n');
    const res = await runCli(['validate', ORDERS, '--contract', bad, '--dry-run']);
    expect(res.stderr).toContain('bad.yaml:4: kinds.order.fields.qty.min: min 5 is above max 1');
    expect(res.code).toBe(2);
  });

  it('--kind of a declared kind is accepted; an unknown one is exit 2', async () => {
    const ok = await runCli(['run', ORDERS, '--contract', CONTRACT, '--kind', 'order', '--dry-run']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('kind: order');
    const bad = await runCli(['run', ORDERS, '--contract', CONTRACT, '--kind', 'bogus', '--dry-run']);
    expect(bad.stderr).toContain("--kind 'bogus': not a known kind");
    expect(bad.code).toBe(2);
  });
});

const run = runCli;
const saved = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('recflow contract show', () => {
  it('without a kind: lists the built-in kinds and those of --contract', async () => {
    const res = await run(['contract', 'show', '--contract', CONTRACT]);
    expect(res.code, res.stderr).toBe(0);
    const rows = res.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[0])).toEqual(['kind', 'customer', 'inventory', 'order']);
    expect(rows[3]).toEqual(['order', '10', 'order_id', 'has order_id', CONTRACT]);
  });

  it('a built-in kind: fields in output order, types, rules and codes', async () => {
    const res = await run(['contract', 'show', 'inventory']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('key: sku, warehouse_id');
    expect(res.stdout).toMatch(/^quantity\s+integer\s+yes\s+min 0\s+missing_required, invalid_integer, out_of_range$/m);
    expect(res.stdout).toMatch(/^product_name\s+string\s+yes\s+max_length 200; collapse\s+missing_required, too_long$/m);
  });

  it('--json gives the declared kind as data; --markdown a table', async () => {
    const res = await run(['contract', 'show', 'order', '--contract', CONTRACT, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const k = JSON.parse(res.stdout) as { name: string; detect: string[]; key: string[]; extra: string; fields: { name: string; type: string; required: boolean; rules: Record<string, unknown>; codes: string[] }[] };
    expect([k.name, k.detect, k.key, k.extra]).toEqual(['order', ['order_id'], ['order_id'], 'drop']);
    expect(k.fields.map((f) => f.name)).toEqual(['order_id', 'customer_id', 'sku', 'quantity', 'amount', 'currency', 'status', 'gift', 'ordered_at', 'note']);
    expect(k.fields[4]).toEqual({ name: 'amount', type: 'decimal', required: true, rules: { scale: 2, min: 0 }, codes: ['missing_required', 'invalid_number', 'out_of_range'] });
    expect(k.fields[7]!.codes).toEqual(['invalid_boolean']);
    const md = await run(['contract', 'show', 'customer', '--markdown']);
    expect(md.stdout).toContain('| `loyalty_tier` | enum | no | `values bronze, silver, gold, platinum` | `invalid_enum` |');
  });

  it('an unknown kind is exit 2 naming the known ones', async () => {
    const res = await run(['contract', 'show', 'order']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("no kind 'order'; known kinds: customer, inventory (other kinds need --contract FILE)");
  });
});

describe('recflow contract check', () => {
  it('a good file: exit 0 and one OK line', async () => {
    const res = await run(['contract', 'check', CONTRACT]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`${CONTRACT}: OK, 1 kind: order (10 fields)\n`);
  });

  it('a bad file: exit 2 with the file, the line, the path and what was expected', async () => {
    const bad = saved('check-bad.yaml', 'kinds:\n  order:\n    fields:\n      amount: { type: money }\n      qty: { type: integer, requird: true }\n');
    const res = await run(['contract', 'check', bad]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${bad}:4: kinds.order.fields.amount.type: Invalid discriminator value`);
    expect(res.stderr).toContain(`${bad}:5: kinds.order.fields.qty: Unrecognized key(s) in object: 'requird'`);
  });
});
