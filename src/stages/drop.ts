// `drop`: remove the named fields.
import type { Fields, Rec, StageResult } from '../pipeline/types.js';
import { defineStage, opt, options, setField } from './define.js';
import { movesStep, push } from './shape.js';

export const dropStage = defineStage({
  name: 'drop',
  summary: 'Remove the named fields from every record (fields a record does not have are ignored).',
  options: options({
    fields: opt.fields().describe('the fields to remove'),
  }),
  examples: ['drop:fields=phone,signup_date'],
  create(o) {
    const gone = new Set(o.fields);
    return {
      name: 'drop',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        for (const r of records) {
          const out: Fields = {};
          for (const k in r.value) if (!gone.has(k)) setField(out, k, r.value[k]);
          r.value = out; // never delete in place: r.raw may be the same object
        }
        return { kept: records, rejected: [] };
      },
      shape: movesStep([], (from, to) => {
        for (let i = 0; i < from.n; i++) if (!gone.has(from.names[i]!)) push(to, from.names[i]!, from.vals[i]);
      }),
    };
  },
});
