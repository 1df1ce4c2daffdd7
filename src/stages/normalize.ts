// `normalize`: the contract's rewriting, lenient: never rejects.
import { normalizeRecord } from '../contract/index.js';
import type { Rec, StageResult } from '../pipeline/types.js';
import { defineStage, options } from './define.js';

export const normalizeStage = defineStage({
  name: 'normalize',
  summary:
    'Rewrite records into the contract form (kind first, trimmed names, lowercased email, ISO dates, numbers as numbers) ' +
    'without rejecting any: a value that does not pass its rule is kept as read, and a record of unknown kind goes on unchanged.',
  options: options({}),
  examples: ['normalize'],
  create: () => ({
    name: 'normalize',
    parallel: true, // stateless: runs in the worker threads
    process(records: Rec[]): StageResult {
      for (const r of records) {
        const res = normalizeRecord(r.value, r.kindHint);
        r.kind = res.kind;
        if (res.value !== null) r.value = res.value;
      }
      return { kept: records, rejected: [] };
    },
  }),
});
