// Replacing a built-in kind with a contract file (docs/contracts.md "The built-in kinds"),
// through the built CLI: an unchanged copy of contracts/*.yaml changes nothing (byte for
// byte, on the sequential engine and in worker threads); a loosened copy changes the
// result; the replacement's key and detect rule are used.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir, type CliResult } from '../support/cli.js';

const SHIPPED = (name: string): string => readFileSync(join(ROOT, 'contracts', `${name}.yaml`), 'utf8');
const SEQUENTIAL = { RECFLOW_WORKERS: '0' };
const WORKERS = { RECFLOW_WORKERS: '1', RECFLOW_CHUNK_BYTES: '2000' };

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-replace-')));
afterAll(() => cleanup());

let n = 0;
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A copy of a shipped contract file with some of its text replaced (each replacement must apply). */
function copyOf(name: string, edits: [string, string][] = []): string {
  let text = SHIPPED(name);
  for (const [from, to] of edits) {
    expect(text, `contracts/${name}.yaml holds ${from}`).toContain(from);
    text = text.replace(from, to);
  }
  return write(`${name}-${n++}.yaml`, text);
}

interface Outcome {
  res: CliResult;
  out: string;
  dlq: string;
  /** stderr without the timing figures. */
  summary: string;
}

async function run(input: string, extra: string[], env: Record<string, string>): Promise<Outcome> {
  const out = join(dir, `out-${n}.ndjson`);
  const dlq = join(dir, `dlq-${n++}.ndjson`);
  const res = await runCli(['run', input, '--to', out, '--dlq', dlq, ...extra], { env, cwd: ROOT });
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '(none)';
    }
  };
  const summary = res.stderr.replace(/ in [\d.]+s \([^)]*\)/g, '').replaceAll(dlq, 'DLQ');
  return { res, out: read(out), dlq: read(dlq), summary };
}

const CUSTOMERS = join(FIXTURES, 'customers.csv');
const MIXED = join(FIXTURES, 'mixed.ndjson');

/** The customers fixture's rows 30 times (~70 kB): many 2000-byte pieces, for the worker threads and the main thread alike. */
function manyCustomers(): string {
  const [header, ...rows] = readFileSync(CUSTOMERS, 'utf8').split(/(?<=\n)(?=C|,)/);
  return write('many.csv', header + rows.join('').repeat(30));
}

describe('replacing a built-in kind with --contract', () => {
  it('an unchanged copy of contracts/customer.yaml gives byte-identical output and dead-letter, in worker threads too', async () => {
    const copy = copyOf('customer');
    for (const input of [CUSTOMERS, manyCustomers()]) {
      const plain = await run(input, [], SEQUENTIAL);
      expect(plain.dlq).toContain('"code":"out_of_range"');
      for (const env of [SEQUENTIAL, WORKERS]) {
        const replaced = await run(input, ['--contract', copy], env);
        expect(replaced.res.code).toBe(plain.res.code);
        expect(replaced.out).toBe(plain.out);
        expect(replaced.dlq).toBe(plain.dlq);
        expect(replaced.summary).toBe(plain.summary);
      }
    }
  });

  it('unchanged copies of both files on the mixed fixture: the same bytes', async () => {
    const files = ['--contract', copyOf('customer'), '--contract', copyOf('inventory')];
    const plain = await run(MIXED, [], SEQUENTIAL);
    expect(plain.out).toContain('"kind":"inventory"');
    for (const env of [SEQUENTIAL, WORKERS]) {
      const replaced = await run(MIXED, files, env);
      expect([replaced.res.code, replaced.out, replaced.dlq, replaced.summary]).toEqual([plain.res.code, plain.out, plain.dlq, plain.summary]);
    }
  });

  it('contract show prints a replaced kind as its file declares it, once, in the built-in place', async () => {
    const loose = copyOf('customer', [['email:          { type: email, required: true }', 'email:          { type: email }']]);
    const shown = await runCli(['contract', 'show', 'customer', '--contract', loose, '--json'], { cwd: ROOT });
    expect(shown.code, shown.stderr).toBe(0);
    const view = JSON.parse(shown.stdout) as { source: string; fields: { name: string; required: boolean }[] };
    expect(view.source).not.toBe('built in');
    expect(view.fields.find((f) => f.name === 'email')!.required).toBe(false);
    const list = await runCli(['contract', 'show', '--contract', loose], { cwd: ROOT });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter((l) => /^\s*customer\b/.test(l))).toHaveLength(1);
  });

  it('a loosened copy changes the result: no lower bound on lifetime_value, email not required', async () => {
    const loose = copyOf('customer', [
      ['lifetime_value: { type: number, min: 0 }', 'lifetime_value: { type: number }'],
      ['email:          { type: email, required: true }', 'email:          { type: email }'],
    ]);
    const plain = await run(CUSTOMERS, [], SEQUENTIAL);
    expect(plain.out).not.toContain('C0000020');
    for (const env of [SEQUENTIAL, WORKERS]) {
      const r = await run(CUSTOMERS, ['--contract', loose], env);
      // C0000020 (lifetime_value -15.00) is kept now
      expect(r.out).toContain('"customer_id":"C0000020"');
      expect(r.out).toContain('"lifetime_value":-15,');
      expect(r.dlq).not.toContain('out_of_range');
      // C0000016 (blank email, country ZZ): still refused, for its country only
      const line = r.dlq.split('\n').find((l) => l.includes('C0000016'))!;
      expect((JSON.parse(line) as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual(['invalid_country']);
      expect(r.summary).toContain('written: customer 19');
    }
    // in every piece, whichever thread checks it: 30 copies of C0000020 kept, none refused for its range
    const many = await run(manyCustomers(), ['--contract', loose], WORKERS);
    expect(many.out.split('\n').filter((l) => l.includes('"customer_id":"C0000020"'))).toHaveLength(30);
    expect(many.dlq).not.toContain('out_of_range');
    expect(many.summary).toContain('written: customer 570');
  });

  it("a replacement's key is dedupe's default key; its detect rule marks the kind too", async () => {
    const input = write(
      'dupes.ndjson',
      [
        { customer_id: 'C1', email: 'a@x.de' },
        { customer_id: 'C2', email: 'A@X.DE' },
        { cust_no: 'K7', email: 'k@x.de' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const plain = await run(input, ['--stage', 'dedupe'], SEQUENTIAL);
    expect(plain.out.trim().split('\n')).toHaveLength(2);
    expect(plain.dlq).toContain('"code":"unknown_kind"');
    const byEmail = copyOf('customer', [
      ['key: customer_id ', 'key: email '],
      ['detect: { has: customer_id }', 'detect: { has: cust_no }'],
      ['customer_id:    { type: id, required: true }', 'customer_id:    { type: id }\n      cust_no:        { type: id }'],
    ]);
    const r = await run(input, ['--stage', 'dedupe', '--contract', byEmail], SEQUENTIAL);
    expect(r.res.stderr).not.toContain('unknown_kind');
    expect(r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { kind: 'customer', customer_id: 'C1', email: 'a@x.de' },
      { kind: 'customer', cust_no: 'K7', email: 'k@x.de' },
    ]);
  });

  it('--kind takes a replaced kind; a kind replaced in two files is exit 2 before anything is written', async () => {
    const a = copyOf('inventory');
    const b = copyOf('inventory');
    const ok = await run(join(FIXTURES, 'inventory.csv'), ['--kind', 'inventory', '--contract', a], SEQUENTIAL);
    const plain = await run(join(FIXTURES, 'inventory.csv'), ['--kind', 'inventory'], SEQUENTIAL);
    expect([ok.res.code, ok.out, ok.dlq]).toEqual([plain.res.code, plain.out, plain.dlq]);
    const twice = await run(join(FIXTURES, 'inventory.csv'), ['--contract', a, '--contract', b], SEQUENTIAL);
    expect(twice.res.code).toBe(2);
    expect(twice.res.stderr).toMatch(/kinds\.inventory: kind "inventory" is already declared in .*inventory-\d+\.yaml; declare each kind once/);
    expect([twice.out, twice.dlq]).toEqual(['(none)', '(none)']);
  });

  it('"unknown" cannot be declared: exit 2 naming the file, the line and the path', async () => {
    const bad = write('unknown.yaml', 'kinds:\n  unknown:\n    fields:\n      a: { type: string }\n');
    const res = await runCli(['validate', CUSTOMERS, '--contract', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown.yaml:3: kinds.unknown: "unknown" is reserved for records of no known kind: choose another name');
  });
});
