// `head`: the first n records, for a quick look.
import type { Rec, StageResult } from '../pipeline/types.js';
import { defineStage, opt, options } from './define.js';

export const headStage = defineStage({
  name: 'head',
  summary: 'Keep the first n records that reach this stage and drop the rest (counted as dropped).',
  notes: [
    'Once it has its n records the run stops reading: the rest of the input is not read, checked or counted ' +
      '(records already read are counted as dropped). Place it after `filter` to see the first matches.',
  ],
  options: options({
    n: opt.int(0).default(10).describe('how many records to keep'),
  }),
  examples: ['head:n=5'],
  create(o) {
    let left = o.n;
    return {
      name: 'head',
      process(records: Rec[]): StageResult {
        if (left >= records.length) {
          left -= records.length;
          return { kept: records, rejected: [] };
        }
        const kept = records.slice(0, left);
        left = 0;
        return { kept, rejected: [] };
      },
      done: () => left === 0,
    };
  },
});
