// `recflow generate --contract FILE --kind K` through the built CLI: records of a declared
// kind pass `recflow validate` with the same contract; --invalid-share makes records that
// fail with one known code each; the same seed gives the same bytes; keys are unique.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternSampler } from '../../src/generate/pattern.js';
import { Rng } from '../../src/generate/prng.js';
import { ROOT, runCli, tempDir } from '../support/cli.js';

const CONTRACT = join(ROOT, 'examples', 'orders.contract.yaml');
const ORDER_CODES = ['missing_required', 'invalid_id', 'invalid_timestamp', 'invalid_integer', 'invalid_number', 'out_of_range', 'invalid_enum', 'invalid_boolean', 'too_long'];

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-gen-declared-')));
afterAll(() => cleanup());

const saved = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('generate --contract', () => {
  it('valid records of a declared kind: recflow validate with the same contract passes them all (NDJSON and CSV)', async () => {
    for (const ext of ['ndjson', 'csv']) {
      const out = join(dir, `orders.${ext}`);
      const gen = await runCli(['generate', '--contract', CONTRACT, '--kind', 'order', '--count', '300', '--out', out]);
      expect(gen.code, gen.stderr).toBe(0);
      expect(gen.stderr).toContain('300 order records (0 invalid)');
      const v = await runCli(['validate', out, '--contract', CONTRACT]);
      expect(v.stderr).toContain('300 read, 300 valid, 0 rejected');
      expect(v.code).toBe(0);
    }
    const first = lines(join(dir, 'orders.ndjson'))[0]!;
    expect(Object.keys(first).slice(0, 6)).toEqual(['order_id', 'customer_id', 'sku', 'quantity', 'amount', 'currency']);
    expect(first.order_id).toBe('O000001');
  });

  it('--invalid-share: exactly that share fails, each record with one of the codes the kind can give', async () => {
    const out = join(dir, 'bad-orders.ndjson');
    const gen = await runCli(['generate', 'order', '--contract', CONTRACT, '-n', '900', '--invalid-share', '0.1', '--seed', '5', '--out', out]);
    expect(gen.code, gen.stderr).toBe(0);
    const dlqFile = join(dir, 'bad-orders.dlq.ndjson');
    const v = await runCli(['validate', out, '--contract', CONTRACT, '--dlq', dlqFile]);
    expect(v.code).toBe(1);
    const dlq = lines(dlqFile);
    expect(dlq).toHaveLength(90);
    const codes = dlq.map((d) => (d.errors as { code: string }[]).map((e) => e.code));
    expect(codes.every((c) => c.length === 1)).toBe(true);
    // the codes cycle: 90 invalid records over the 9 codes, 10 each
    const byCode = new Map<string, number>();
    for (const [c] of codes) byCode.set(c!, (byCode.get(c!) ?? 0) + 1);
    expect(Object.fromEntries(byCode)).toEqual(Object.fromEntries(ORDER_CODES.map((c) => [c, 10])));
    expect(dlq.every((d) => d.kind === 'order')).toBe(true);
  });

  it('the same seed gives the same bytes; another seed other records; keys never repeat', async () => {
    const args = (seed: string, out: string): string[] => ['generate', '--contract', CONTRACT, '--kind', 'order', '-n', '500', '--invalid-share', '5%', '--seed', seed, '--out', out];
    await runCli(args('7', join(dir, 'a.csv')));
    await runCli(args('7', join(dir, 'b.csv')));
    await runCli(args('8', join(dir, 'c.csv')));
    const a = readFileSync(join(dir, 'a.csv'), 'utf8');
    expect(readFileSync(join(dir, 'b.csv'), 'utf8')).toBe(a);
    expect(readFileSync(join(dir, 'c.csv'), 'utf8')).not.toBe(a);
    const dedupe = await runCli(['run', join(dir, 'a.csv'), '--contract', CONTRACT, '--stage', 'dedupe', '--to', join(dir, 'dd.ndjson'), '--max-rejects', '100']);
    expect(dedupe.code, dedupe.stderr).toBe(0);
    expect(dedupe.stderr).not.toContain('duplicate_key');
  });

  it('a kind without a detect rule: records carry a kind field, so validate finds them', async () => {
    const file = saved('plain.contract.yaml', 'kinds:\n  reading:\n    fields:\n      sensor: { type: id, required: true }\n      value: { type: number, min: -40, max: 85, required: true }\n      at: { type: timestamp }\n');
    const out = join(dir, 'readings.ndjson');
    const gen = await runCli(['generate', '--contract', file, '--kind', 'reading', '-n', '50', '--invalid-share', '0.2', '--out', out]);
    expect(gen.code, gen.stderr).toBe(0);
    expect(lines(out).every((r) => r.kind === 'reading')).toBe(true);
    const dlqFile = join(dir, 'readings.dlq.ndjson');
    const v = await runCli(['validate', out, '--contract', file, '--dlq', dlqFile]);
    expect(v.stderr).toContain('50 read, 40 valid, 10 rejected');
    expect(new Set(lines(dlqFile).map((d) => (d.errors as { code: string }[])[0]!.code))).toEqual(new Set(['missing_required', 'invalid_id', 'invalid_timestamp', 'invalid_number', 'out_of_range']));
  });

  it('bad use is exit 2 before anything is written', async () => {
    const tiny = saved('tiny.contract.yaml', 'kinds:\n  tag:\n    detect: { has: tag }\n    key: tag\n    fields:\n      tag: { type: id, pattern: "^T[0-9]$" }\n      note: { type: string }\n');
    const cases: [string[], string][] = [
      [['generate', '--kind', 'order', '-n', '5'], "unknown kind 'order': use customers or inventory, or a kind declared in --contract FILE"],
      [['generate', '--contract', CONTRACT, '--kind', 'invoice', '-n', '5'], "unknown kind 'invoice': expected one of customer, inventory, order"],
      [['generate', 'order', '--kind', 'customer', '--contract', CONTRACT, '-n', '5'], 'the kind is given twice'],
      [['generate', '--contract', tiny, '--kind', 'tag', '-n', '20'], 'key field tag of kind tag: its rules allow fewer than 20 distinct values'],
      [['generate', '--contract', join(dir, 'none.yaml'), '--kind', 'tag', '-n', '1'], 'none.yaml: file not found'],
    ];
    for (const [args, message] of cases) {
      const res = await runCli([...args, '--out', join(dir, 'never.csv')]);
      expect(res.stderr, args.join(' ')).toContain(message);
      expect(res.code).toBe(2);
    }
    const unbreakable = saved('free.contract.yaml', 'kinds:\n  memo:\n    detect: { has: text }\n    fields:\n      text: { type: string }\n');
    const res = await runCli(['generate', '--contract', unbreakable, '--kind', 'memo', '-n', '5', '--invalid-share', '0.5']);
    expect(res.stderr).toContain('has no rule a generated value can break');
    expect(res.code).toBe(2);
    expect(() => readFileSync(join(dir, 'never.csv'))).toThrow();
  });
});

describe('generate --contract: values for random patterns (fast-check)', () => {
  // patterns from the usual subset: literals, classes, escapes, groups, alternation, quantifiers
  const atom = fc.oneof(
    fc.constantFrom('[A-Z]', '[a-z0-9]', '\\d', '\\w', '[^,"]', 'x', '-', '\\.', '[A-Fa-f0-9_]'),
    fc.constantFrom('(ab|cd)', '(?:[0-9]{2}|Z)', '(Q|R|S)'),
  );
  const quant = fc.constantFrom('', '', '?', '+', '*', '{3}', '{1,4}', '{2,}');
  const pattern = fc.array(fc.tuple(atom, quant).map(([a, q]) => a + q), { minLength: 1, maxLength: 5 }).map((parts) => `^${parts.join('')}$`);

  it('every generated value matches its pattern (recflow validate passes them) and keys stay unique', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pattern, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 1000 }), async (patterns, seed) => {
        const fields = patterns.map((p, i) => `      f${i}: { type: string, required: true, pattern: ${JSON.stringify(p)} }`).join('\n');
        const contract = saved('patterns.contract.yaml', `kinds:\n  pat:\n    detect: { has: code }\n    key: code\n    fields:\n      code: { type: id, required: true, pattern: "^[A-Z]{2}[0-9]{3}$" }\n${fields}\n`);
        const out = join(dir, 'patterns.ndjson');
        const gen = await runCli(['generate', '--contract', contract, '--kind', 'pat', '-n', '60', '--seed', String(seed), '--out', out]);
        expect(gen.code, gen.stderr).toBe(0);
        const v = await runCli(['validate', out, '--contract', contract]);
        expect(v.code, `${patterns.join(' ')}\n${v.stderr}`).toBe(0);
        const codes = lines(out).map((r) => r.code);
        expect(new Set(codes).size).toBe(codes.length);
      }),
      { numRuns: 5 },
    );
  });
});

describe('the pattern sampler in-process (fast-check)', () => {
  const cls = fc.constantFrom('[A-Z]', '[a-c]', '\\d', '\\w', '[^a-z,]', '[._-]', '[\\dA-F]', '.', 'k', '\\.', '\\p{L}');
  const any = fc.oneof(cls, fc.constantFrom('(ab|c)', '(?:x|yz|)', '(q[0-9])'));
  const quant = fc.constantFrom('', '?', '+', '*', '{2}', '{0,3}', '{1,}', '+?');
  const pattern = (atom: fc.Arbitrary<string>, q: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.tuple(fc.boolean(), fc.array(fc.tuple(atom, q).map(([a, x]) => a + x), { minLength: 1, maxLength: 6 })).map(([anchored, parts]) => (anchored ? `^${parts.join('')}$` : parts.join('')));

  it('random and counted strings match the pattern', () => {
    fc.assert(
      fc.property(pattern(any, quant), fc.integer(), (p, seed) => {
        const re = new RegExp(`^(?:${p.replace(/^\^|\$$/g, '')})$`, 'u');
        const s = patternSampler(p);
        const rng = new Rng(String(seed));
        for (let i = 0; i < 50; i++) expect(s.random(rng)).toMatch(re);
        for (let v = 0; v < 30; v++) {
          const x = s.nth(v);
          if (x !== null) expect(x).toMatch(re);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fixed-length patterns: the counted strings are all different, and there are exactly as many as the pattern has', () => {
    const fixed = pattern(fc.constantFrom('[A-C]', '\\d', 'k', '[xy]'), fc.constantFrom('', '{2}', '{3}'));
    fc.assert(
      fc.property(fixed, (p) => {
        const s = patternSampler(p);
        const seen = new Set<string>();
        let v = 0;
        for (let x = s.nth(v); x !== null && v < 2000; x = s.nth(++v)) seen.add(x);
        expect(seen.size).toBe(v);
        if (v < 2000) expect(s.nth(v)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('named groups, \\u escapes and ranges in classes are read', () => {
    const s = patternSampler('^(?<year>20[0-9]{2})-\\u0041[a-f\\d]{3}$');
    const rng = new Rng('x');
    for (let i = 0; i < 20; i++) expect(s.random(rng)).toMatch(/^20\d{2}-A[a-f\d]{3}$/);
    expect(s.nth(1)).toBe('2000-Aaab'); // counting: the last place first, in the order the class is written
  });

  it('lookarounds and back references are refused with the reason', () => {
    expect(() => patternSampler('^(?=a)b$')).toThrow(/a lookaround at position \d+ of \/\^\(\?=a\)b\$\/ cannot be generated/);
    expect(() => patternSampler('(a)\\1')).toThrow(/a back reference/);
  });
});
