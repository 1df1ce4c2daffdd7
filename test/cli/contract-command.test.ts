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
