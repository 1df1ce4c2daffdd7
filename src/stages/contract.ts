// The record contract as one fused pass: validate and normalize at once. This is
// the default of `run` (its hot path) and what `--stage validate --stage normalize` becomes.
import { checkRecord, detectKind } from '../contract/index.js';
import type { Rec, Rejected, Stage, StageResult } from '../pipeline/types.js';
import { deadRow } from '../pipeline/dead-row.js';

export function rejectOf(r: Rec, errors: Rejected['errors'], kind = r.kind ?? null): Rejected {
  return deadRow(r, kind, errors, r.raw);
}

export const contractStage: Stage = {
  name: 'contract',
  parallel: true, // stateless: runs in the worker threads
  process(records: Rec[]): StageResult {
    const kept: Rec[] = [];
    const rejected: Rejected[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const res = checkRecord(r.value, r.kindHint);
      r.kind = res.kind;
      if (res.value !== null) {
        r.value = res.value;
        kept.push(r);
      } else {
        rejected.push(rejectOf(r, res.errors));
      }
    }
    return { kept, rejected };
  },
};

/**
 * With --no-validate: records pass as read, but their kind is still decided
 * (for the summary and `{kind}` sink paths); an undecidable kind stays null.
 */
export const kindOnlyStage: Stage = {
  name: 'kind',
  parallel: true, // stateless: runs in the worker threads
  process(records: Rec[]): StageResult {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      r.kind = detectKind(r.value, r.kindHint);
    }
    return { kept: records, rejected: [] };
  },
};
