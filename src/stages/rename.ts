// `rename`: give fields new names, in place.
import { z } from 'zod';
import type { Fields, Rec, StageResult } from '../pipeline/types.js';
import { defineStage, options, setField } from './define.js';
import { find, movesStep, put } from './shape.js';

const PAIRS_HINT = 'expected old:new pairs, like email:contact_email,phone:tel';

/** `a:b,c:d` as text (from --stage), or a map in a config file. */
const renames = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const map: Record<string, string> = {};
    for (const pair of v.split(',')) {
      const m = /^\s*([^:]+?)\s*:\s*([^:]+?)\s*$/.exec(pair);
      if (!m) return v; // the record type below then reports PAIRS_HINT
      map[m[1]!] = m[2]!;
    }
    return map;
  },
  z.record(z.string().min(1), { invalid_type_error: PAIRS_HINT }).refine((m) => Object.keys(m).length > 0, PAIRS_HINT),
);

export const renameStage = defineStage({
  name: 'rename',
  summary: 'Rename fields; a renamed field keeps its place. A field already named like the new name is replaced.',
  options: options({
    fields: renames.describe('old:new pairs, comma separated (a map old: new in a config file)'),
  }),
  examples: ['rename:fields=email:contact_email,phone:tel'],
  create(o) {
    const map = new Map(Object.entries(o.fields as Record<string, string>));
    const targets = new Set(map.values());
    return {
      name: 'rename',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        for (const r of records) {
          const v = r.value;
          const out: Fields = {};
          for (const k in v) {
            const to = map.get(k);
            if (to !== undefined) setField(out, to, v[k]);
            else if (!(targets.has(k) && [...map].some(([from, t]) => t === k && Object.hasOwn(v, from)))) setField(out, k, v[k]);
          }
          r.value = out;
        }
        return { kept: records, rejected: [] };
      },
      shape: movesStep([...targets], (from, to) => {
        for (let i = 0; i < from.n; i++) {
          const k = from.names[i]!;
          const t = map.get(k);
          if (t !== undefined) put(to, t, from.vals[i]);
          else if (!(targets.has(k) && [...map].some(([f, x]) => x === k && find(from, f) >= 0))) put(to, k, from.vals[i]);
        }
      }),
    };
  },
});
