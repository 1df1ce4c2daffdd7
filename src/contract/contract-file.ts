// Contract files (docs/contracts.md): kinds declared in YAML or JSON, checked by one
// zod schema. Errors name the file, the line, the path inside it and what was expected.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML, { LineCounter, type Node } from 'yaml';
import { z } from 'zod';
import { RecflowError } from '../errors.js';

export const FIELD_TYPES = [
  'string', 'id', 'email', 'phone', 'country', 'date', 'timestamp', 'integer', 'number', 'decimal', 'boolean', 'enum',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Kind names become `{kind}` file names and dead-letter values: a plain lowercase name. */
const KIND_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;
/** `unknown` is what a record of no kind is counted as; customer and inventory may be replaced (declared.ts). */
const RESERVED_KINDS = new Set(['unknown']);
const MAX_FIELDS = 64;

const common = { required: z.boolean().optional(), description: z.string().optional() };
const text = { trim: z.boolean().optional(), lower: z.boolean().optional(), upper: z.boolean().optional() };
const lengths = {
  min_length: z.number().int().min(0).optional(),
  max_length: z.number().int().min(1).optional(),
  pattern: z.string().optional(),
  /** What a value must be, in words, for the message of a pattern mismatch (the built-in sku's wording). */
  expected: z.string().min(1).optional(),
};
const range = { min: z.number().finite().optional(), max: z.number().finite().optional() };
const intRange = { min: z.number().int().optional(), max: z.number().int().optional() };
const plain = <T extends FieldType>(t: T) => z.object({ type: z.literal(t), ...common }).strict();

const fieldSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('string'), ...common, ...text, collapse: z.boolean().optional(), ...lengths }).strict(),
    z.object({ type: z.literal('id'), ...common, ...text, ...lengths }).strict(),
    plain('email'),
    plain('phone'),
    plain('country'),
    plain('date'),
    plain('timestamp'),
    z.object({ type: z.literal('integer'), ...common, ...intRange }).strict(),
    z.object({ type: z.literal('number'), ...common, ...range }).strict(),
    z.object({ type: z.literal('decimal'), ...common, scale: z.number().int().min(0).max(15), ...range }).strict(),
    plain('boolean'),
    z
      .object({ type: z.literal('enum'), ...common, values: z.array(z.union([z.string().min(1), z.number()])).min(1) })
      .strict(),
  ])
  .superRefine((f, ctx) => {
    const bad = (path: string, message: string): void => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    };
    if ('min' in f && f.min !== undefined && f.max !== undefined && f.min > f.max) bad('min', `min ${f.min} is above max ${f.max}`);
    if ('min_length' in f && f.min_length !== undefined && f.max_length !== undefined && f.min_length > f.max_length) {
      bad('min_length', `min_length ${f.min_length} is above max_length ${f.max_length}`);
    }
    if ('lower' in f && f.lower && f.upper) bad('upper', 'lower and upper cannot both be true');
    if (f.type === 'string' && f.expected !== undefined && f.pattern === undefined) bad('expected', 'expected words a pattern mismatch: give a pattern too');
    if ('pattern' in f && f.pattern !== undefined) {
      try {
        new RegExp(f.pattern, 'u');
      } catch (err) {
        bad('pattern', `not a valid regular expression: ${(err as Error).message}`);
      }
    }
    if (f.type === 'enum') {
      const seen = new Set(f.values.map((v) => String(v).toLowerCase()));
      if (seen.size !== f.values.length) bad('values', 'values must differ (compared in any case)');
    }
  });

const fieldName = z
  .string()
  .min(1)
  .refine((n) => n !== 'kind' && n !== '__proto__', { message: 'a field cannot be named "kind" or "__proto__"' });

const kindSchema = z
  .object({
    description: z.string().optional(),
    detect: z.object({ has: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict().optional(),
    key: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    extra: z.enum(['pass', 'drop', 'reject']).optional(),
    fields: z.record(fieldName, fieldSchema),
  })
  .strict()
  .superRefine((k, ctx) => {
    const names = Object.keys(k.fields);
    if (names.length === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['fields'], message: 'expected at least one field' });
    if (names.length > MAX_FIELDS) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['fields'], message: `at most ${MAX_FIELDS} fields` });
    for (const key of typeof k.key === 'string' ? [k.key] : (k.key ?? [])) {
      if (!names.includes(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['key'], message: `"${key}" is not one of the kind's fields (${names.join(', ')})` });
    }
  });

const kindName = z.string().superRefine((n, ctx) => {
  if (RESERVED_KINDS.has(n)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${n}" is reserved for records of no known kind: choose another name` });
  } else if (!KIND_NAME_RE.test(n)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `kind name "${n}": expected a lowercase letter, then up to 63 of a-z 0-9 _ -` });
  }
});

export const contractSchema = z.object({ description: z.string().optional(), kinds: z.record(kindName, kindSchema) }).strict();

export type FieldDecl = z.infer<typeof fieldSchema> & { name: string };

export interface KindDecl {
  name: string;
  /** Fields whose presence marks a record as this kind (all of them), or null: only --kind or a kind field. */
  detect: readonly string[] | null;
  /** The field(s) identifying a record (dedupe's default key); empty: none. */
  key: readonly string[];
  extra: 'pass' | 'drop' | 'reject';
  fields: readonly FieldDecl[];
  /** The contract file it came from. */
  file: string;
}

function fail(message: string, cause?: unknown): never {
  throw new RecflowError('config', message, { cause });
}

/** `kinds.order.fields.amount` from a zod path (map keys that are not names are quoted). */
function showPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? (i ? '.' : '') + p : `[${JSON.stringify(p)}]`)).join('');
}

/** `:LINE` of the node at path, or of its nearest parent that exists (a missing key: the mapping that lacks it). */
function lineOf(doc: YAML.Document, lines: LineCounter, path: readonly (string | number)[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node?.range) return `:${lines.linePos(node.range[0]).line}`;
  }
  return '';
}

/** Read, parse and check one contract file; its kinds in declaration order. */
export function loadContractFile(file: string): KindDecl[] {
  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) fail(`contract ${file}: expected a .yaml, .yml or .json file`);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(`cannot read contract ${file}: ${code === 'ENOENT' ? 'file not found' : code}; check the --contract path`, err);
  }
  // JSON is YAML: one parser, and line numbers for both
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const e = doc.errors[0];
  if (e) {
    const at = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    fail(`${file}${at}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, e);
  }
  const parsed = contractSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((issue) => {
      const at = lineOf(doc, lines, issue.path);
      return `${file}${at}: ${showPath(issue.path)}: ${issue.message}`;
    });
    fail(`contract file ${file} is not valid (see docs/contracts.md):\n  ${problems.join('\n  ')}`);
  }
  return Object.entries(parsed.data.kinds).map(([name, k]) => ({
    name,
    detect: k.detect === undefined ? null : typeof k.detect.has === 'string' ? [k.detect.has] : k.detect.has,
    key: k.key === undefined ? [] : typeof k.key === 'string' ? [k.key] : k.key,
    extra: k.extra ?? 'pass',
    fields: Object.entries(k.fields).map(([fname, f]) => ({ ...f, name: fname })),
    file,
  }));
}
