// `recflow contract show|check|infer|from-json-schema` through the built CLI, and
// --dry-run loading the contract files (a bad one is exit 2 there too).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
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

  it('a config file naming a bad contract (relative to the config file) is exit 2 too', async () => {
    writeFileSync(join(dir, 'cfg-bad.contract.yaml'), 'kinds:\n  order:\n    fields: {}\n');
    const cfg = join(dir, 'job.yaml');
    writeFileSync(cfg, `sources: [${JSON.stringify(ORDERS)}]\ncontracts: [cfg-bad.contract.yaml]\n`);
    const res = await runCli(['run', '--config', cfg, '--dry-run']);
    expect(res.stderr).toContain('cfg-bad.contract.yaml:3: kinds.order.fields: expected at least one field');
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
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

/** The field declarations of a kind in a drafted contract. */
async function draftOf(text: string): Promise<Record<string, { detect?: { has: string }; key?: string; extra?: string; fields: Record<string, Record<string, unknown>> }>> {
  const YAML = await import('yaml');
  return (YAML.parse(text) as { kinds: Record<string, never> }).kinds;
}

describe('recflow contract infer', () => {
  it('the shipped fixtures: one kind per file, detected by a column only it has; the draft accepts the data it came from', async () => {
    const files = [join(FIXTURES, 'customers.csv'), join(FIXTURES, 'inventory.ndjson')];
    const res = await run(['contract', 'infer', ...files]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('the kind name inventory is built in: named it inventory_2');
    const kinds = await draftOf(res.stdout);
    expect(Object.keys(kinds)).toEqual(['customers', 'inventory_2']);
    expect(kinds.customers!.detect).toEqual({ has: 'customer_id' });
    expect(kinds.inventory_2!.detect).toEqual({ has: 'sku' });
    expect(Object.keys(kinds.customers!.fields)).toEqual(['customer_id', 'first_name', 'last_name', 'email', 'phone', 'country', 'city', 'signup_date', 'lifetime_value', 'loyalty_tier']);
    const contract = saved('fixtures.contract.yaml', res.stdout);
    const check = await run(['validate', ...files, '--contract', contract]);
    expect(check.stderr).toContain('all records pass');
    expect(check.code).toBe(0);
  });

  it('clean data: the types of the contract, required, enum, key; --kind one name for several files', async () => {
    const a = saved('orders-a.csv', 'order_id;email;status;placed;total;qty;country\n' + Array.from({ length: 12 }, (_, i) => `O${100 + i};u${i}@shop.example;${['open', 'shipped', 'open'][i % 3]};2026-01-${String(i + 1).padStart(2, '0')};${i}.50;${i};${i % 2 ? 'DE' : 'FR'}`).join('\n') + '\n');
    const b = saved('orders-b.ndjson', JSON.stringify({ order_id: 'O900', email: 'b@shop.example', status: 'Open', placed: '2026-02-01', total: 3, qty: 1, country: 'GB', note: 'by phone' }) + '\n');
    const res = await run(['contract', 'infer', a, b, '--kind', 'order']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('reading as semicolon-separated');
    const { order } = await draftOf(res.stdout);
    expect(order!.key).toBe('order_id');
    expect(order!.detect).toEqual({ has: 'order_id' });
    expect(order!.fields).toEqual({
      order_id: { type: 'id', required: true },
      email: { type: 'email', required: true },
      status: { type: 'enum', required: true, values: ['open', 'shipped'] },
      placed: { type: 'date', required: true },
      total: { type: 'number', required: true },
      qty: { type: 'integer', required: true },
      country: { type: 'country', required: true },
      note: { type: 'string', max_length: 10 },
    });
  });

  it('--sample bounds the records read from each file, and says so', async () => {
    const big = saved('big.csv', 'id,n\n' + Array.from({ length: 50 }, (_, i) => `r${i},${i < 20 ? i : 'x'}`).join('\n') + '\n');
    const res = await run(['contract', 'infer', big, '--sample', '20']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('big.csv (20 records, the first ones)');
    expect((await draftOf(res.stdout)).big!.fields.n).toEqual({ type: 'integer', required: true });
  });

  it('bad use: no such file, stdin, a built-in --kind name: exit 2', async () => {
    expect((await run(['contract', 'infer', join(dir, 'missing.csv')])).code).toBe(2);
    expect((await run(['contract', 'infer', '-'])).stderr).toContain('not stdin or Kafka');
    const builtIn = await run(['contract', 'infer', join(FIXTURES, 'customers.csv'), '--kind', 'customer']);
    expect(builtIn.stderr).toContain("--kind 'customer': expected a new kind name");
    expect(builtIn.code).toBe(2);
  });
});

describe('recflow contract from-json-schema', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Invoice',
    type: 'object',
    required: ['invoice_id', 'email', 'total'],
    additionalProperties: false,
    properties: {
      invoice_id: { type: 'string', pattern: '^INV-[0-9]{4}$' },
      email: { type: 'string', format: 'email' },
      issued: { type: 'string', format: 'date' },
      sent_at: { type: ['string', 'null'], format: 'date-time' },
      total: { type: 'number', minimum: 0, multipleOf: 0.01 },
      lines: { type: 'integer', minimum: 1, exclusiveMaximum: 100 },
      status: { enum: ['draft', 'sent', 'paid'] },
      paid: { type: 'boolean' },
      memo: { type: 'string', maxLength: 500, default: '' },
      address: { type: 'object', properties: { city: { type: 'string' } } },
      ref: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    },
  };

  it('converts the common subset, names every keyword it cannot, exit 0; the result checks and validates', async () => {
    const file = saved('invoice.schema.json', JSON.stringify(schema, null, 2));
    const res = await run(['contract', 'from-json-schema', file]);
    expect(res.code, res.stderr).toBe(0);
    const { invoice } = await draftOf(res.stdout);
    expect(invoice!.detect).toEqual({ has: 'invoice_id' });
    expect(invoice!.fields).toEqual({
      invoice_id: { type: 'string', required: true, pattern: '^INV-[0-9]{4}$' },
      email: { type: 'email', required: true },
      issued: { type: 'date' },
      sent_at: { type: 'timestamp' },
      total: { type: 'decimal', required: true, scale: 2, min: 0 },
      lines: { type: 'integer', min: 1, max: 99 },
      status: { type: 'enum', values: ['draft', 'sent', 'paid'] },
      paid: { type: 'boolean' },
      memo: { type: 'string', max_length: 500 },
    });
    const warned = res.stderr.trim().split('\n');
    expect(warned).toEqual([
      expect.stringContaining(`${file}: properties.memo.default: not converted`),
      expect.stringContaining(`${file}: properties.address.type: object is not converted (a contract field holds one value, not an object or array); it has properties`),
      expect.stringContaining(`${file}: properties.ref: not converted: no type; it has anyOf`),
      expect.stringContaining(`${file}: additionalProperties: false is converted as extra: pass`),
    ]);
    const contract = saved('invoice.contract.yaml', res.stdout);
    expect((await run(['contract', 'check', contract])).code).toBe(0);
    const data = saved('invoices.ndjson', [
      { invoice_id: 'INV-0001', email: 'A@B.EXAMPLE', total: '12.50', lines: 3, status: 'PAID', paid: true, address: { city: 'x' } },
      { invoice_id: 'INV-2', email: 'a@b.example', total: 1.234, lines: 100 },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const v = await run(['validate', data, '--contract', contract, '--dlq', join(dir, 'inv-dlq.ndjson')]);
    expect(v.stderr).toContain('2 read, 1 valid, 1 rejected');
    const dlq = JSON.parse(readFileSync(join(dir, 'inv-dlq.ndjson'), 'utf8')) as { errors: { code: string }[] };
    expect(dlq.errors.map((e) => e.code)).toEqual(['pattern_mismatch', 'invalid_number', 'out_of_range']);
  });

  it('input that is not a schema of records is exit 2', async () => {
    for (const [name, text] of [['list.json', '[1, 2]'], ['broken.json', '{"type": "object",'], ['string.json', '{"type": "string"}'], ['empty.json', '{"properties": {}}']] as const) {
      const res = await run(['contract', 'from-json-schema', saved(name, text)]);
      expect(res.code, `${name}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toContain(`${name}: not a JSON Schema of records`);
      expect(res.stdout).toBe('');
    }
  });
});

describe('contract infer: column types (fast-check)', () => {
  // each generator makes values of one type only; a blank now and then makes the column optional
  const ROWS = 30;
  const letters = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 8 });
  const columnOf: Record<string, (i: number) => fc.Arbitrary<string>> = {
    integer: () => fc.integer({ min: -99_999, max: 99_999 }).map(String),
    number: () => fc.integer({ min: -999_999, max: 999_999 }).map((n) => (n / 100).toFixed(2)),
    email: (i) => fc.tuple(letters, letters).map(([a, b]) => `${a}${i}@${b}.example`),
    date: () => fc.date({ min: new Date('1990-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    timestamp: () => fc.date({ min: new Date('1990-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
    boolean: () => fc.constantFrom('true', 'false', 'TRUE', 'False', 'yes', 'No'),
    country: () => fc.constantFrom('DE', 'FR', 'US', 'GB', 'JP', 'BR'),
    enum: () => fc.constantFrom('red', 'green', 'blue'),
    id: (i) => letters.map((s) => `${s}_${i}`),
    string: (i) => fc.tuple(letters, letters).map(([a, b]) => `${a}, ${b} ${i}`),
    phone: () => fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1_000_000, max: 99_999_999 })).map(([c, n]) => `+${c} ${n}`),
  };
  const types = Object.keys(columnOf);
  const column = fc.record({ type: fc.constantFrom(...types), blanks: fc.boolean() });
  const table = fc.array(column, { minLength: 1, maxLength: 8 }).chain((cols) =>
    fc.tuple(
      fc.constant(cols),
      fc.tuple(...Array.from({ length: ROWS }, (_, i) => fc.tuple(...cols.map((c) => fc.tuple(columnOf[c.type]!(i), fc.integer({ min: 0, max: 9 })).map(([v, r]) => (c.blanks && r === 0 && i > 0 ? '' : v)))))),
    ),
  );

  it('each column gets the type of its values, required when never blank, and the draft accepts the table', async () => {
    await fc.assert(
      fc.asyncProperty(table, async ([cols, rows]) => {
        const names = cols.map((c, i) => `${c.type}_${i}`);
        const file = saved('typed.csv', [['row_id', ...names].join(','), ...rows.map((r, i) => [`r${i}`, ...r.map((v) => (v.includes(',') ? `"${v}"` : v))].join(','))].join('\n') + '\n');
        const res = await run(['contract', 'infer', file]);
        expect(res.code, res.stderr).toBe(0);
        const { typed } = await draftOf(res.stdout);
        cols.forEach((c, i) => {
          const f = typed!.fields[names[i]!]!;
          expect(f.type, names[i]).toBe(c.type);
          const blank = rows.some((r) => r[i] === '');
          expect(f.required === true, `${names[i]} required`).toBe(!blank);
          if (c.type === 'string') expect(f.max_length).toBeGreaterThanOrEqual(Math.max(...rows.map((r) => r[i]!.length)));
        });
        const contract = saved('typed.contract.yaml', res.stdout);
        const v = await run(['validate', file, '--contract', contract]);
        expect(v.code, v.stderr).toBe(0);
      }),
      { numRuns: 6 },
    );
  }, 60_000);
});

describe('recflow contract: usage', () => {
  it('no subcommand: the help on stderr, exit 2; an unknown one and a missing argument: one line, exit 2', async () => {
    const none = await run(['contract']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: recflow contract <command> [options]');
    const unknown = await run(['contract', 'bogus']);
    expect(unknown.stderr).toContain("contract: unknown command 'bogus'; expected show, check, infer or from-json-schema");
    expect(unknown.code).toBe(2);
    const missing = await run(['contract', 'infer']);
    expect(missing.stderr).toBe("recflow: missing required argument 'source' (see 'recflow contract infer --help')\n");
    expect(missing.code).toBe(2);
  });
});
