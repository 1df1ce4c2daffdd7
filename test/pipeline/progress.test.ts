// fmtInt groups digits itself (toLocaleString's first call costs a short run tens of ms):
// the text must be toLocaleString('en-US')'s for every number the counters can hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmtInt } from '../../src/pipeline/progress.js';

describe('fmtInt', () => {
  it('gives what toLocaleString gives, for integers and fractions of any size and sign', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: false }), fc.constantFrom(0, -0, 999, 1000, -1000, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, Infinity)), (n) => {
        expect(fmtInt(n)).toBe(Math.round(n).toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1234567.5, '1,234,568'],
    [-1234567, '-1,234,567'],
  ])('%d → %s', (n, text) => expect(fmtInt(n)).toBe(text));
});
