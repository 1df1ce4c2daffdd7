// `recflow contract show`: a kind's fields, types, rules and error codes, for the
// built-in kinds and the kinds of --contract files alike, as text, JSON or Markdown.
// The built-in kinds are code (customer.ts, inventory.ts); their names, order and
// `required` come from those tables, only the type and rules are spelt out here.
import type { ErrorCode } from '../pipeline/types.js';
import type { FieldDecl, FieldType, KindDecl } from './contract-file.js';
import { CUSTOMER_FIELDS } from './customer.js';
import { addedKinds, keyFieldsOf, replacedKind } from './declared.js';
import { INVENTORY_FIELDS } from './inventory.js';
import type { FieldSpec } from './spec.js';

export interface FieldView {
  name: string;
  type: FieldType;
  required: boolean;
  /** The rules besides type and required, as a contract file writes them. */
  rules: Record<string, unknown>;
  /** The codes a value of this field can be refused with. */
  codes: ErrorCode[];
  description?: string;
}

export interface KindView {
  name: string;
  /** `built in`, or the contract file that declares it. */
  source: string;
  description?: string;
  /** Fields whose presence detects the kind; null: only --kind or a kind field. */
  detect: string[] | null;
  key: string[];
  extra: 'pass' | 'drop' | 'reject';
  fields: FieldView[];
  /** Codes of the record as a whole (unknown_field with extra: reject). */
  codes: ErrorCode[];
}

/** A field declaration without name and required (distributed over the union of types). */
type Rules = FieldDecl extends infer F ? (F extends unknown ? Omit<F, 'name' | 'required'> : never) : never;

/** The built-in fields as declarations (what fields.ts checks), by field name. */
const BUILTIN_RULES: Readonly<Record<string, Rules>> = {
  customer_id: { type: 'id' },
  first_name: { type: 'string', max_length: 100, collapse: true },
  last_name: { type: 'string', max_length: 100, collapse: true },
  email: { type: 'email' },
  phone: { type: 'phone' },
  country: { type: 'country' },
  city: { type: 'string', max_length: 100 },
  signup_date: { type: 'date' },
  lifetime_value: { type: 'number', min: 0 },
  loyalty_tier: { type: 'enum', values: ['bronze', 'silver', 'gold', 'platinum'] },
  sku: { type: 'id', pattern: '^[A-Za-z0-9_.-]{1,64}$', upper: true },
  product_name: { type: 'string', max_length: 200, collapse: true },
  category: { type: 'string', max_length: 100 },
  warehouse_id: { type: 'id', upper: true },
  quantity: { type: 'integer', min: 0 },
  unit_price: { type: 'number', min: 0 },
  updated_at: { type: 'timestamp' },
  supplier: { type: 'string', max_length: 200 },
};

function builtinKind(name: 'customer' | 'inventory', table: readonly FieldSpec[], detect: string[]): KindView {
  const fields = table.map((f) => {
    const rules = BUILTIN_RULES[f.name];
    if (rules === undefined) throw new Error(`contract show: no rules written for built-in field ${f.name}`);
    return fieldView({ ...rules, name: f.name, required: f.required } as FieldDecl);
  });
  return { name, source: 'built in', detect, key: [...keyFieldsOf(name)], extra: 'pass', fields, codes: [] };
}

/** The codes one declared field can give, in the order the checks run. */
export function fieldCodes(f: FieldDecl): ErrorCode[] {
  const codes: ErrorCode[] = f.required ? ['missing_required'] : [];
  const has = (k: string): boolean => (f as Record<string, unknown>)[k] !== undefined;
  switch (f.type) {
    case 'string':
      codes.push('too_long');
      if (has('min_length')) codes.push('out_of_range');
      if (has('pattern')) codes.push('pattern_mismatch');
      break;
    case 'id':
      codes.push('invalid_id');
      if (has('max_length')) codes.push('too_long');
      if (has('min_length')) codes.push('out_of_range');
      break;
    case 'integer':
      codes.push('invalid_integer');
      break;
    case 'number':
    case 'decimal':
      codes.push('invalid_number');
      break;
    case 'email':
    case 'phone':
    case 'country':
    case 'date':
    case 'timestamp':
    case 'boolean':
    case 'enum':
      codes.push(`invalid_${f.type}` as ErrorCode);
      break;
  }
  if ((f.type === 'integer' || f.type === 'number' || f.type === 'decimal') && (has('min') || has('max'))) codes.push('out_of_range');
  return codes;
}

function fieldView(f: FieldDecl): FieldView {
  const { name, type, required, description, ...rules } = f;
  const view: FieldView = { name, type, required: required === true, rules, codes: fieldCodes(f) };
  if (description !== undefined) view.description = description;
  return view;
}

/** The view of a kind declared in a contract file. */
export function declaredView(k: KindDecl, description?: string): KindView {
  const view: KindView = {
    name: k.name,
    source: k.file,
    detect: k.detect === null ? null : [...k.detect],
    key: [...k.key],
    extra: k.extra,
    fields: k.fields.map(fieldView),
    codes: k.extra === 'reject' ? ['unknown_field'] : [],
  };
  if (description !== undefined) view.description = description;
  return view;
}

/** Every known kind: the built-in ones, then those of the loaded contract files. */
export function allKinds(): KindView[] {
  // a built-in kind replaced by a contract file is shown as that file declares it, in its place
  const builtin = (name: 'customer' | 'inventory', fields: readonly FieldSpec[], detect: string[]): KindView => {
    const replaced = replacedKind(name);
    return replaced ? declaredView(replaced.decl) : builtinKind(name, fields, detect);
  };
  return [builtin('customer', CUSTOMER_FIELDS, ['customer_id']), builtin('inventory', INVENTORY_FIELDS, ['sku']), ...addedKinds().map((k) => declaredView(k.decl))];
}

/** `max_length 100, collapse` / `values bronze, silver` */
export function rulesText(rules: Record<string, unknown>): string {
  const parts = Object.entries(rules).map(([k, v]) => {
    if (v === true) return k;
    if (Array.isArray(v)) return `${k} ${v.join(', ')}`;
    return `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`;
  });
  return parts.length === 0 ? '-' : parts.join('; ');
}

function detectText(k: KindView): string {
  if (k.detect === null) return 'only with --kind or a kind field';
  const has = `has ${k.detect.join(' + ')}`;
  return k.name === 'inventory' ? `${has} (and no customer_id)` : has;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** The list of kinds (no KIND given). */
export function listText(kinds: readonly KindView[]): string {
  const rows = [['kind', 'fields', 'key', 'detected by', 'from']];
  for (const k of kinds) rows.push([k.name, String(k.fields.length), k.key.join(', ') || '-', detectText(k), k.source]);
  return table(rows);
}

export function kindText(k: KindView): string {
  const head =
    `kind ${k.name} (${k.source === 'built in' ? 'built in' : `from ${k.source}`})${k.description ? `: ${k.description}` : ''}\n` +
    `  detected by: ${detectText(k)}\n  key: ${k.key.join(', ') || '-'}\n` +
    `  fields it does not declare: ${k.extra}${k.extra === 'reject' ? ' (unknown_field)' : ''}\n\n`;
  const rows = [['field', 'type', 'required', 'rules', 'codes']];
  for (const f of k.fields) rows.push([f.name, f.type, f.required ? 'yes' : 'no', rulesText(f.rules), f.codes.join(', ')]);
  return head + table(rows);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');
/** Each rule as code (patterns hold `_` and `*`), pipes escaped for the table. */
const mdRules = (rules: Record<string, unknown>): string =>
  Object.keys(rules).length === 0 ? '-' : Object.entries(rules).map(([k, v]) => `\`${cell(rulesText({ [k]: v }))}\``).join(', ');

export function kindMarkdown(k: KindView): string {
  const lines = [
    `## ${k.name}`,
    '',
    ...(k.description ? [k.description, ''] : []),
    `- from: ${k.source === 'built in' ? 'built in' : `\`${k.source}\``}`,
    `- detected by: ${k.detect === null ? 'only `--kind` or a `kind` field' : detectText(k).replace(/^has (.*?)( \(|$)/, (_, f: string, rest: string) => `has \`${f}\`${rest}`)}`,
    `- key: ${k.key.length ? k.key.map((x) => `\`${x}\``).join(', ') : '-'}`,
    `- fields it does not declare: \`${k.extra}\``,
    '',
    '| field | type | required | rules | codes |',
    '|---|---|---|---|---|',
    ...k.fields.map((f) => `| \`${f.name}\` | ${f.type} | ${f.required ? 'yes' : 'no'} | ${mdRules(f.rules)} | ${f.codes.map((c) => `\`${c}\``).join(', ')} |`),
    '',
  ];
  return lines.join('\n');
}
