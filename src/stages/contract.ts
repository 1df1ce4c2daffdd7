// The record contract as a stage: validate and normalize in one pass (the default of `run`).
import { checkRecord } from '../contract/index.js';
import type { Rec, Rejected, Stage, StageResult } from '../pipeline/types.js';

export function rejectOf(r: Rec, errors: Rejected['errors'], kind = r.kind ?? null): Rejected {
  return { source: r.source, line: r.line, kind, errors, record: r.raw };
}

export const contractStage: Stage = {
  name: 'contract',
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
