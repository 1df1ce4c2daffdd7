// `set`: add or replace one field with a constant, a template or an expression.
import { z } from 'zod';
import { isMissing } from '../contract/fields.js';
import { RecflowError } from '../errors.js';
import type { Fields, Rec, StageResult } from '../pipeline/types.js';
import { defineStage, fieldOf, opt, options, setField } from './define.js';
import { compileOption } from './filter.js';

/** `{first_name} {last_name}` → a function of the record; a missing field gives ''. */
function compileTemplate(t: string): (r: Rec) => string {
  const parts = t.split(/\{([^{}]+)\}/); // odd indexes are field names
  return (r) => {
    let s = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const v = fieldOf(r, parts[i]!.trim());
      s += (isMissing(v) ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)) + parts[i + 1]!;
    }
    return s;
  };
}

export const setStage = defineStage({
  name: 'set',
  summary:
    'Set one field on every record: a constant (`value`), a text built from other fields (`template`), or the result ' +
    'of an expression (`expr`, same language as filter). Give exactly one of the three. A new field goes last; an existing one keeps its place.',
  notes: [
    'An `expr` whose result is null (a missing or non-numeric operand in arithmetic, a function given a missing ' +
      'value) leaves the field out; `round(quantity * unit_price, 2)` gives 3588, not 3588.0000000000005. ' +
      'From `--stage`, `value` is always text; use a config file or `expr=5` / `expr=true` for typed constants.',
  ],
  options: options({
    field: opt.text('a field name').describe('the field to set'),
    value: z.unknown().optional().describe('a constant'),
    template: z.string().optional().describe('text with {field} placeholders, e.g. "{first_name} {last_name}"; a missing field gives ""'),
    expr: z.string().optional().describe('an expression, e.g. quantity * unit_price or country in ("DE","AT","CH")'),
    overwrite: opt.bool().default(true).describe('false: records that already have a (non-missing) value keep it'),
  }),
  examples: [
    'set:field=region,value=EMEA',
    'set:field=full_name,template={first_name} {last_name}',
    'set:field=stock_value,expr=round(quantity * unit_price, 2)',
  ],
  create(o, ctx) {
    const given = (['value', 'template', 'expr'] as const).filter((k) => o[k] !== undefined);
    if (given.length !== 1) {
      throw new RecflowError(
        'config',
        `${ctx.where}: give exactly one of the options value, template, expr` + (given.length ? ` (got ${given.join(', ')})` : ''),
      );
    }
    const field = o.field;
    const constant = o.value;
    const compute: (r: Rec) => unknown =
      o.template !== undefined
        ? compileTemplate(o.template)
        : o.expr !== undefined
          ? compileOption(o.expr, 'value', ctx.option('expr'))
          : () => constant;
    const overwrite = o.overwrite;
    return {
      name: 'set',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        for (const r of records) {
          const v = r.value;
          if (!overwrite && Object.hasOwn(v, field) && !isMissing(v[field])) continue;
          const x = compute(r);
          const out: Fields = {};
          for (const k in v) if (k !== field || x !== null) setField(out, k, k === field ? x : v[k]);
          if (x !== null && !Object.hasOwn(v, field)) setField(out, field, x);
          r.value = out; // a copy: r.raw may be the same object
        }
        return { kept: records, rejected: [] };
      },
    };
  },
});
