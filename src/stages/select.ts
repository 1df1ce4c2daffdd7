// `select`: keep only the named fields (and kind).
import type { Fields, Rec, StageResult } from '../pipeline/types.js';
import { defineStage, opt, options, setField } from './define.js';
import { find, movesStep, push, put } from './shape.js';

export const selectStage = defineStage({
  name: 'select',
  summary: 'Keep only the named fields, in the order given; `kind` is always kept, first. Absent fields stay absent.',
  options: options({
    fields: opt.fields().describe('the fields to keep, in output order'),
  }),
  examples: ['select:fields=customer_id,email,country'],
  create(o) {
    const fields = o.fields.filter((f) => f !== 'kind');
    return {
      name: 'select',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        for (const r of records) {
          const v = r.value;
          const out: Fields = {};
          if (Object.hasOwn(v, 'kind')) out.kind = v.kind;
          for (const f of fields) if (Object.hasOwn(v, f)) setField(out, f, v[f]);
          r.value = out; // a new object: r.raw may be the same object as r.value and must stay as read
        }
        return { kept: records, rejected: [] };
      },
      shape: movesStep([], (from, to) => {
        const k = find(from, 'kind');
        if (k >= 0) push(to, 'kind', from.vals[k]);
        for (const f of fields) {
          const i = find(from, f);
          if (i >= 0) put(to, f, from.vals[i]);
        }
      }),
    };
  },
});
