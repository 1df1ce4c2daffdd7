// `set`: add or replace one field with a constant, a template or an expression.
import { z } from 'zod';
import { isMissing } from '../contract/fields.js';
import { RecflowError } from '../errors.js';
import type { FieldList, Fields, Rec, ShapeStep, Stage, StageResult } from '../pipeline/types.js';
import { defineStage, fieldOf, opt, options, setField } from './define.js';
import { compileOption } from './filter.js';
import { fieldIn, find, push } from './shape.js';

/** `{first_name} {last_name}`: odd indexes are field names (trimmed). */
function templateParts(t: string): string[] {
  return t.split(/\{([^{}]+)\}/).map((p, i) => (i % 2 === 1 ? p.trim() : p));
}

/** The template filled from a record or a field list; a missing field gives ''. */
function render<T>(parts: readonly string[], src: T, get: (src: T, name: string) => unknown): string {
  let s = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const v = get(src, parts[i]!);
    s += (isMissing(v) ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)) + parts[i + 1]!;
  }
  return s;
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
    const parts = o.template !== undefined ? templateParts(o.template) : null;
    const compute: (r: Rec) => unknown =
      parts !== null
        ? (r) => render(parts, r, fieldOf)
        : o.expr !== undefined
          ? compileOption(o.expr, 'value', ctx.option('expr'))
          : () => constant;
    const overwrite = o.overwrite;
    const stage: Stage = {
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
    // an expression reads the record object: it stays off the field list
    if (o.expr !== undefined) return stage;
    const ofList: (l: FieldList) => unknown = parts !== null ? (l) => render(parts, l, fieldIn) : () => constant;
    const shape: ShapeStep = {
      adds: [field],
      apply(from, to) {
        if (!overwrite) {
          const i = find(from, field);
          if (i >= 0 && !isMissing(from.vals[i])) return false;
        }
        const x = ofList(from);
        let had = false;
        for (let i = 0; i < from.n; i++) {
          const k = from.names[i]!;
          if (k !== field) push(to, k, from.vals[i]);
          else {
            had = true;
            if (x !== null) push(to, k, x);
          }
        }
        if (x !== null && !had) push(to, field, x);
        return true;
      },
    };
    return { ...stage, shape };
  },
});
