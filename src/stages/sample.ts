// `sample`: a random share of the records, or a fixed-size random sample; repeatable with `seed`.
import { RecflowError } from '../errors.js';
import type { Rec, StageResult } from '../pipeline/types.js';
import { defineStage, opt, options } from './define.js';

/** mulberry32: small, fast, good enough for sampling; same seed, same sample. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sampleStage = defineStage({
  name: 'sample',
  summary:
    'Keep a random share of the records (`rate`), or exactly `n` of them chosen at random (reservoir sampling). ' +
    'The same seed and input give the same sample. Records left out count as dropped.',
  notes: ['With `n`, the sample is held in memory and written at the end of the input, in input order.'],
  options: options({
    rate: opt.number(0, 1).optional().describe('the share of records to keep, 0 to 1'),
    n: opt.int(1).optional().describe('the number of records to keep'),
    seed: opt.int(0, 2 ** 32 - 1).default(1).describe('random seed'),
  }),
  examples: ['sample:rate=0.01', 'sample:n=1000,seed=7'],
  create(o, ctx) {
    if ((o.rate === undefined) === (o.n === undefined)) {
      throw new RecflowError('config', `${ctx.where}: give exactly one of the options rate, n`);
    }
    const random = prng(o.seed);
    if (o.rate !== undefined) {
      const rate = o.rate;
      return {
        name: 'sample',
        process: (records: Rec[]): StageResult => ({ kept: records.filter(() => random() < rate), rejected: [] }),
      };
    }
    const n = o.n!;
    const reservoir: { r: Rec; i: number }[] = [];
    let seen = 0;
    return {
      name: 'sample',
      process(records: Rec[]): StageResult {
        for (const r of records) {
          if (reservoir.length < n) reservoir.push({ r, i: seen });
          else {
            const j = Math.floor(random() * (seen + 1));
            if (j < n) reservoir[j] = { r, i: seen };
          }
          seen++;
        }
        return { kept: [], rejected: [] };
      },
      flush(): StageResult {
        const kept = reservoir.sort((a, b) => a.i - b.i).map((x) => x.r);
        reservoir.length = 0;
        return { kept, rejected: [] };
      },
    };
  },
});
