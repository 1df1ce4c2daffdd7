// `head`: the first n records, for a quick look.
import type { Rec, StageResult } from '../pipeline/types.js';
import { defineStage, opt, options } from './define.js';

export const headStage = defineStage({
  name: 'head',
  summary: 'Keep the first n records that reach this stage and drop the rest (counted as dropped).',
  notes: [
    'The input is still read to its end (the pipeline has no way yet for a stage to stop the sources), so on a ' +
      'large file `head` saves writing, not reading. Place it after `filter` to see the first matches.',
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
    };
  },
});
