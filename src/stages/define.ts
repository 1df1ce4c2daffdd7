// One definition per stage: the zod options schema validates the user's options,
// gives create() its type, and is read back by docs.ts for `recflow stages`.
import { z } from 'zod';
import type { ErrorCode, Fields, Rec, Rejected, Stage } from '../pipeline/types.js';
import { recordRow } from '../pipeline/dead-row.js';
import { boolFromText } from '../bool.js';

export interface StageContext {
  /** Folder that relative paths in options are resolved against (cwd for flags, the config file's folder). */
  baseDir: string;
  /** Where the stage was given, for messages: `--stage enrich:...` or `pipeline.yaml: stages[1]`. */
  where: string;
  /** Where one option was given, for messages: `--stage "...": option 'key'` or `pipeline.yaml: stages[1].options.key`. */
  option: (key: string) => string;
  /** A warning line to stderr (shown even with --quiet). */
  warn: (message: string) => void;
}

/** Stage options are always a strict object (see options()): unknown keys are errors naming the key. */
export type OptionsSchema = z.AnyZodObject;

/** The options schema of a stage: a strict object, so a misspelt key is an error. */
export function options<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape).strict();
}

export interface StageDefinition<S extends OptionsSchema = OptionsSchema> {
  name: string;
  summary: string;
  /** Extra paragraphs for the docs (memory bounds, ordering). */
  notes?: string[];
  options: S;
  /** `--stage` specs that work as written (tests check every one). */
  examples: string[];
  // Method syntax on purpose: keeps definitions with narrower options assignable to the registry type.
  create(options: z.output<S>, ctx: StageContext): Stage | Promise<Stage>;
}

export function defineStage<S extends OptionsSchema>(def: StageDefinition<S>): StageDefinition<S> {
  return def;
}

// Option helpers. Values from `--stage k=v` are always text; from a config file they
// may be typed, so each helper accepts both and the docs show one type.

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const fromText = (re: RegExp) => (v: unknown) => (typeof v === 'string' && re.test(v.trim()) ? Number(v) : v);

export const opt = {
  text: (what = 'a non-empty text') =>
    z.string({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` }).min(1, `expected ${what}`),
  int: (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z.preprocess(
      fromText(INT_RE),
      z
        .number({ invalid_type_error: `expected an integer >= ${min}`, required_error: `required: an integer >= ${min}` })
        .int(`expected an integer >= ${min}`)
        .min(min, `expected an integer >= ${min}`)
        .max(max, `expected an integer <= ${max}`),
    ),
  number: (min: number, max: number) =>
    z.preprocess(
      fromText(NUM_RE),
      z
        .number({ invalid_type_error: `expected a number from ${min} to ${max}` })
        .min(min, `expected a number from ${min} to ${max}`)
        .max(max, `expected a number from ${min} to ${max}`),
    ),
  bool: () =>
    z.preprocess(
      (v) => (typeof v === 'string' ? (boolFromText(v) ?? v) : v),
      z.boolean({ invalid_type_error: 'expected true or false' }),
    ),
  /** A list of field names: `a,b,c` as text, or a list in a config file. */
  fields: () =>
    z.preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
      z
        .array(z.string().min(1), { invalid_type_error: 'expected field names: a,b,c', required_error: 'required: field names a,b,c' })
        .min(1, 'expected at least one field name'),
    ),
  choice: <const T extends [string, ...string[]]>(values: T) =>
    z.enum(values, { errorMap: () => ({ message: `expected one of: ${values.join(', ')}` }) }),
};

/** A dead-letter line for a record a stage rejects; the message names the stage. */
export function rejectOf(r: Rec, stage: string, code: ErrorCode, field: string | null, message: string): Rejected {
  return recordRow(r, code, field, `${stage}: ${message}`);
}

/** The current value of a field; `kind` falls back to the decided kind when the record does not carry it. */
export function fieldOf(r: Pick<Rec, 'value' | 'kind'>, name: string): unknown {
  const v = r.value;
  if (Object.hasOwn(v, name)) return v[name];
  return name === 'kind' ? (r.kind ?? undefined) : undefined;
}

/** Short quoted form of a value for messages. */
export function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** out[k] = v, also for a field named `__proto__` (kept as a plain own field, as the contract does). */
export function setField(out: Fields, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
