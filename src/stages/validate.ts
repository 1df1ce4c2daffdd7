// `validate`: the record contract's checks without rewriting values.
import { validateRecord } from '../contract/index.js';
import type { Rec, Rejected, StageResult } from '../pipeline/types.js';
import { rejectOf } from './contract.js';
import { defineStage, options } from './define.js';

export const validateStage = defineStage({
  name: 'validate',
  summary:
    'Check records against the record contract. Failing records go to the dead-letter output with the contract codes ' +
    '(invalid_email, missing_required, ...); passing records go on exactly as they are, not rewritten.',
  notes: [
    '`validate` directly followed by `normalize` runs as one fused pass, as fast as the default pipeline. ' +
      'Placing either one explicitly turns off the implicit contract pass of `run`.',
  ],
  options: options({}),
  examples: ['validate'],
  create: () => ({
    name: 'validate',
    parallel: true, // stateless: runs in the worker threads
    process(records: Rec[]): StageResult {
      const kept: Rec[] = [];
      const rejected: Rejected[] = [];
      for (const r of records) {
        const res = validateRecord(r.value, r.kindHint);
        r.kind = res.kind;
        if (res.errors.length === 0) kept.push(r);
        else rejected.push(rejectOf(r, res.errors, res.kind));
      }
      return { kept, rejected };
    },
  }),
});
