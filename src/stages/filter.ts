// `filter`: keep the records for which an expression is true.
import { RecflowError } from '../errors.js';
import type { FieldList, Rec, Rejected, StageResult } from '../pipeline/types.js';
import { fieldIn } from './shape.js';
import { defineStage, opt, options, rejectOf } from './define.js';
import { compileExpr, compileExprOn, ExprError, explainExprError } from './filter-expr.js';

/** Compile an expression option, turning a syntax error into a config error that points at the column. */
export function compileOption(src: string, want: 'condition' | 'value', where: string): (r: Rec) => unknown {
  return configErrors(where, src, () => compileExpr(src, want));
}

function configErrors<T>(where: string, src: string, compile: () => T): T {
  try {
    return compile();
  } catch (err) {
    if (!(err instanceof ExprError)) throw err;
    throw new RecflowError('config', `${where}: ${explainExprError(src, err)}`);
  }
}

export const filterStage = defineStage({
  name: 'filter',
  summary: 'Keep the records for which an expression is true; the others are dropped (counted as dropped) or rejected.',
  notes: [
    'Expressions: comparisons `== != < <= > >=`, `and`/`or`/`not` (or `&& || !`), `field in ("a","b")`, ' +
      '`field not in (...)`, regex `field =~ /re/i` and `!~` (RE2 syntax, linear time: no backreferences or lookaround), ' +
      'functions like `round(x, 2)`, `lower(s)`, `starts_with(s, "a")`, `coalesce(a, b)`, `exists(field)` (listed below), ' +
      'arithmetic `+ - * / %`, strings in ' +
      'single or double quotes, numbers, `true`, `false`, `null`, parentheses. A field name with odd characters goes ' +
      'in backquotes: `` `unit price` > 3``. How values compare: see "Expressions" in docs/stages.md.',
  ],
  options: options({
    expr: opt.text('an expression').describe('the condition a record must meet to be kept, e.g. quantity > 10 and country in ("DE","FR")'),
    on_drop: opt
      .choice(['drop', 'reject'])
      .default('drop')
      .describe("'drop': records that do not match are left out and counted as dropped; 'reject': they go to the dead-letter output with code filtered"),
  }),
  examples: ['filter:expr=quantity > 10 and country in ("DE","FR")', 'filter:expr=email !~ /@example\\.com$/i,on_drop=reject'],
  create(o, ctx) {
    const test = compileOption(o.expr, 'condition', ctx.option('expr'));
    const reject = o.on_drop === 'reject';
    const message = `record does not match ${o.expr}`;
    // the same expression on a field list (piece-list.ts)
    const onList = configErrors(ctx.option('expr'), o.expr, () => compileExprOn<FieldList>(o.expr, 'condition', fieldIn));
    return {
      name: 'filter',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        const kept: Rec[] = [];
        const rejected: Rejected[] = [];
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          if (test(r) === true) kept.push(r);
          else if (reject) rejected.push(rejectOf(r, 'filter', 'filtered', null, message));
        }
        return { kept, rejected };
      },
      test: {
        keep: (l) => onList(l) === true,
        refusal: reject ? { field: null, code: 'filtered', message: `filter: ${message}` } : null,
      },
    };
  },
});
