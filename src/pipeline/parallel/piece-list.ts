// A plan the workers run on field lists, with no record object: the contract, then
// only stages that test (filter) or reshape (select, rename, drop, set, enrich) each
// record on a FieldList (Stage.test, Stage.shape). A CSV row goes from its cells to the
// checked fields (checkRecordList), through the steps, to one object for its JSON line:
// the same lines, dead-letter rows and counts as the stages on Rec objects (the
// one-engine property test holds them equal); a record a list cannot stand for
// (an integer-like field name) goes that way instead ('slow').
import { checkRecordList } from '../../contract/record.js';
import { contractStage } from '../../stages/contract.js';
import { leadsWithDigit, newList } from '../../stages/shape.js';
import type { FieldList, Fields, Kind, ListTest, RecordError, ShapeStep, Stage } from '../types.js';

/** What became of one record (ListPlan.run); slow: take the stages on a Rec object for it. */
export type Listed = 'kept' | 'dropped' | 'rejected' | 'slow';

type Step = { readonly test: ListTest } | { readonly shape: ShapeStep };

export class ListPlan {
  /** The decided kind of the record just run. */
  kind: Kind | null = null;
  /** Its dead-letter errors, with 'rejected'. */
  errors: RecordError[] | null = null;
  /** Its fields after the steps, when kept (valid until the next run). */
  fields: FieldList | null = null;
  private a = newList();
  private b = newList();

  private constructor(private readonly steps: readonly Step[]) {}

  /** The plan on lists, or null when one of its stages needs the record object. */
  static of(stages: readonly Stage[]): ListPlan | null {
    if (stages[0] !== contractStage) return null;
    const steps: Step[] = [];
    for (const s of stages.slice(1)) {
      if (s.test !== undefined) steps.push({ test: s.test });
      else if (s.shape !== undefined && !s.shape.adds.some(leadsWithDigit)) steps.push({ shape: s.shape });
      else return null;
    }
    return new ListPlan(steps);
  }

  /** Check one record as read and run the steps. */
  run(raw: Fields, kindHint: Kind | undefined): Listed {
    let cur = this.a;
    let next = this.b;
    const res = checkRecordList(raw, kindHint, cur);
    this.kind = res.kind;
    this.errors = null;
    if (res.errors.length > 0 || res.kind === null) {
      this.errors = res.errors;
      return 'rejected';
    }
    if (!res.listed) return 'slow';
    next.kind = res.kind;
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      if ('test' in step) {
        if (step.test.keep(cur)) continue;
        const refusal = step.test.refusal;
        if (refusal === null) return 'dropped';
        this.errors = [{ ...refusal }];
        return 'rejected';
      }
      next.n = 0;
      if (step.shape.apply(cur, next)) {
        const t = cur;
        cur = next;
        next = t;
      }
    }
    this.fields = cur;
    return 'kept';
  }
}
