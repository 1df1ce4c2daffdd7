import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyPacker, KeySet } from '../../src/stages/key-set.js';

describe('KeySet (dedupe keys off the heap)', () => {
  it('answers add/has exactly as a Set on random keys, growth and collisions included', () => {
    // few distinct characters: many equal keys, keys that differ only late, and keys of equal hash buckets
    const key = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', 'é', '😀'), maxLength: 6 }), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: fc.constantFrom('\ud800', '\udc00', '\ufffd', 'a'), maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 3000 }), (ops) => {
        const want = new Set<string>();
        const got = new KeySet();
        for (const [isAdd, k] of ops) {
          if (isAdd) {
            expect(got.add(k)).toBe(!want.has(k));
            want.add(k);
          } else expect(got.has(k)).toBe(want.has(k));
          expect(got.size).toBe(want.size);
        }
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['empty key', ['', ''], [true, false]],
    ['prefix is not equal', ['customer\u0000C1', 'customer\u0000C12', 'customer\u0000C1'], [true, true, false]],
    ['case differs', ['SKU-a', 'SKU-A'], [true, true]],
    // UTF-8 would make each of them U+FFFD, so equal to each other and to U+FFFD itself
    ['lone surrogates are keys of their own', ['\ud800', '\udc00', '\ufffd', '\ud800'], [true, true, true, false]],
  ])('%s', (_name, keys, added) => {
    const s = new KeySet();
    expect(keys.map((k) => s.add(k))).toEqual(added);
  });

  it('keeps more prefixes than it can number (255) apart, stored whole past that', () => {
    const s = new KeySet();
    const want = new Set<string>();
    // 600 kinds sharing each rest: the same rest under another prefix is another key
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 600; k++) {
        for (const rest of ['C1', 'C2', '', '\u0000x']) {
          const key = `kind${k}\u0000${rest}`;
          expect(s.add(key), key).toBe(!want.has(key));
          want.add(key);
        }
      }
    }
    expect(s.size).toBe(want.size);
    expect([s.has('kind599\u0000C1'), s.has('kind599\u0000C3'), s.has('kind600\u0000C1'), s.has('kind1\u0000\u0000x')]).toEqual([true, false, false, true]);
    // a key whose first NUL lies past the prefix limit is stored whole
    const far = `${'p'.repeat(80)}\u0000tail`;
    expect([s.add(far), s.has(far), s.add(far), s.has(far.slice(1))]).toEqual([true, true, false, false]);
  });

  it('holds 300,000 keys across many table and arena growths', () => {
    const s = new KeySet();
    for (let i = 0; i < 300_000; i++) expect(s.add(`customer\u0000C${i}`)).toBe(true);
    for (let i = 0; i < 300_000; i += 7) expect(s.has(`customer\u0000C${i}`)).toBe(true);
    expect(s.has('customer\u0000C300000')).toBe(false);
    expect(s.size).toBe(300_000);
    const long = 'k'.repeat(1_500_000); // longer than an arena chunk: a chunk of its own
    expect([s.add(long), s.add('after'), s.has(long), s.has(long.slice(1)), s.add(long)]).toEqual([true, true, true, false, false]);
  });

  it('admits keys packed by a worker (KeyPacker) exactly as it adds them as strings', () => {
    const key = fc.option(fc.oneof(fc.string({ unit: fc.constantFrom('a', '\u0000', 'é', '😀', '\ud800'), maxLength: 5 }), fc.string({ unit: 'binary', maxLength: 3000 })), { nil: null });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 2500 }), (keys) => {
        const want = new KeySet();
        const got = new KeySet();
        const packer = new KeyPacker();
        for (const k of keys) packer.push(k);
        const { bytes, lengths, hashes } = packer.finish();
        expect(lengths.length).toBe(keys.length);
        let at = 0;
        keys.forEach((k, i) => {
          const n = lengths[i]!;
          expect(n < 0).toBe(k === null);
          if (k === null) return;
          expect(got.addAt(bytes, at, n, hashes[i]!)).toBe(want.add(k));
          at += n;
        });
        expect(at).toBe(bytes.length);
        expect(got.size).toBe(want.size);
      }),
      { numRuns: 40 },
    );
  });
});
