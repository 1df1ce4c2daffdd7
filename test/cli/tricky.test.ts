// A CSV with everything at once (BOM, CRLF, quoted newlines, bad UTF-8, normalized
// headers, an empty line, too many cells, every customer error code) made here byte by byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ndjsonLines, runCli, tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

const rows: (string | Buffer)[] = [
  '\uFEFFCustomer ID, First Name ,Last-Name,EMAIL,Phone,Country,City,Signup Date,Lifetime Value,Loyalty Tier', // 1
  'C1,"Ann, Jr.","Smith",ann@example.com,(415) 555-0100,us,"New\r\nYork",2023-02-28,10,Gold', // 2-3
  '', // 4
  'C2,Bo,Li,bo@example.com,,de,Berlin,2023-02-29,5,silver', // 5 invalid_date
  Buffer.concat([Buffer.from('C3,J'), Buffer.from([0xff, 0xfe]), Buffer.from('rg,Ek,jorg@example.com,,se,,,,')]), // 6 valid, U+FFFD
  ',NoId,X,noid@example.com,,,,,,', // 7 missing_required
  'bad id!,A,B,a@example.com,,,,,,', // 8 invalid_id
  'C4,A,B,a@@example.com,,,,,,', // 9 invalid_email
  'C5,A,B,a@example.com,12,,,,,', // 10 invalid_phone
  'C6,A,B,a@example.com,,ZZ,,,,', // 11 invalid_country
  'C7,A,B,a@example.com,,,,,-1,', // 12 out_of_range
  'C8,A,B,a@example.com,,,,,"1,000",', // 13 invalid_number
  'C9,A,B,a@example.com,,,,,,diamond', // 14 invalid_enum
  `C10,${'x'.repeat(101)},B,a@example.com,,,,,,`, // 15 too_long
  'C11,A,B,a@example.com,,,,,,,extra', // 16 parse_error (too many cells)
  '"C12,A,B', // 17 parse_error (unclosed quote)
  'C13,"multi\r\nline\r\nname",B,c13@example.com,,,,,,', // 18-20 valid
  'C14,A,B,c14@example.com,,,,2023-03-15T23:30:00-05:00,,', // 21 valid, date as written
];

const expected: [number, string[]][] = [
  [5, ['invalid_date']],
  [7, ['missing_required']],
  [8, ['invalid_id']],
  [9, ['invalid_email']],
  [10, ['invalid_phone']],
  [11, ['invalid_country']],
  [12, ['out_of_range']],
  [13, ['invalid_number']],
  [14, ['invalid_enum']],
  [15, ['too_long']],
  [16, ['parse_error']],
  [17, ['parse_error']],
];

describe('a tricky CSV', () => {
  it('holds the contract: line numbers, codes, normalized output', async () => {
    const f = join(dir, 'tricky.csv');
    writeFileSync(f, Buffer.concat(rows.map((r) => Buffer.concat([Buffer.isBuffer(r) ? r : Buffer.from(r), Buffer.from('\r\n')]))));
    const dlq = join(dir, 'dlq.ndjson');
    const res = await runCli(['run', f, '--dlq', dlq, '-q']);
    expect(res.code).toBe(0);
    const dead = ndjsonLines(readFileSync(dlq, 'utf8')) as { line: number; errors: { code: string }[]; record: unknown }[];
    expect(dead.map((d) => [d.line, d.errors.map((e) => e.code)])).toEqual(expected);
    expect(dead.find((d) => d.line === 17)!.record).toBe('"C12,A,B');
    const out = ndjsonLines(res.stdout) as Record<string, unknown>[];
    expect(out.map((r) => r.customer_id)).toEqual(['C1', 'C3', 'C13', 'C14']);
    expect(out[0]).toEqual({
      kind: 'customer', customer_id: 'C1', first_name: 'Ann, Jr.', last_name: 'Smith', email: 'ann@example.com',
      phone: '4155550100', country: 'US', city: 'New\r\nYork', signup_date: '2023-02-28', lifetime_value: 10, loyalty_tier: 'gold',
    });
    expect(out[1]!.first_name).toBe('J\uFFFD\uFFFDrg');
    expect(out[2]!.first_name).toBe('multi line name');
    expect(out[3]!.signup_date).toBe('2023-03-15');
  });
});
