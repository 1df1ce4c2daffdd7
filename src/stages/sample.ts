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

/** A 32-bit mix (murmur3's finalizer). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a of a text. */
function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A number in [0, 1) from the seed and where the record comes from (origin and
 * position): the same record gets the same draw on any thread and in any batch.
 */
export function drawFor(seed: number, originHash: number, pos: number): number {
  const lo = pos >>> 0;
  const hi = Math.floor(pos / 4294967296) >>> 0;
  return mix(mix(mix(seed ^ originHash) ^ lo) ^ hi) / 4294967296;
}

export const sampleStage = defineStage({
  name: 'sample',
  summary:
    'Keep a random share of the records (`rate`), or exactly `n` of them chosen at random (reservoir sampling). ' +
    'The same seed and input give the same sample. Records left out count as dropped.',
  notes: [
    'With `rate`, whether a record is kept depends only on the seed and where the record is (its file and line, or its ' +
      'topic, partition and offset): the same records are kept whatever the number of threads, and a rerun keeps the same ones.',
    'With `n`, the sample is held in memory and written at the end of the input, in input order.',
  ],
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
    if (o.rate !== undefined) {
      const rate = o.rate;
      const seed = o.seed;
      const origins = new Map<string, number>();
      const originHash = (origin: string): number => {
        let h = origins.get(origin);
        if (h === undefined) origins.set(origin, (h = textHash(origin)));
        return h;
      };
      return {
        name: 'sample',
        parallel: true, // a draw per record position: runs in the worker threads
        process: (records: Rec[]): StageResult => ({ kept: records.filter((r) => drawFor(seed, originHash(r.origin), r.pos) < rate), rejected: [] }),
      };
    }
    const random = prng(o.seed);
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
