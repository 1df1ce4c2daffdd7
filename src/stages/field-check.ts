// Typos do not drop data silently: the fields that select, drop, rename, filter, set,
// enrich and dedupe name are checked against the contracts of the kinds in play before
// the run. `select:fields=emial` would otherwise write records without their email, and
// `filter:expr=quantiy > 0` would drop every record, both without a word.
//
// A name no kind declares is one warning line (per field) with a did-you-mean; under
// --strict the run stops with exit 2 before anything is written. Fields a stage creates
// (set's field, rename's new names, enrich's added columns) are known to the stages after
// it. After a module stage (./my-stage.mjs) nothing is checked: it may add any field.
import { CUSTOMER_FIELDS } from '../contract/customer.js';
import { declaredKind, knownKinds } from '../contract/declared.js';
import { INVENTORY_FIELDS } from '../contract/inventory.js';
import { useContracts } from '../contract/contracts.js';
import { RecflowError } from '../errors.js';
import type { StageRef } from '../pipeline/types.js';
import type { StageContext } from './define.js';
import { loadReference } from './enrich.js';
import { childrenOf, parseExpr, type Node } from './filter-expr.js';
import { findStage } from './index.js';
import { isModulePath } from './parse-spec.js';
import { didYouMean } from './suggest.js';

/** The fields one stage reads (names the user wrote) and creates (known to the stages after it). */
export interface FieldUse {
  reads: string[];
  creates: string[];
}

export interface FieldCheckOptions {
  /** --kind: only this kind is in play. */
  kind?: string;
  /** --contract files, loaded here (idempotent: the run loads them again) so their kinds count. */
  contract?: string[];
  /** --strict: a warning becomes exit 2. */
  strict?: boolean;
  warn: (message: string) => void;
}

/** Every field name of the given kinds, plus `kind` (always there). */
export function contractFields(kinds: readonly string[]): Set<string> {
  const out = new Set<string>(['kind']);
  for (const k of kinds) {
    // a kind from a contract file first: it may replace a built-in one
    const names =
      declaredKind(k)?.spec.names ?? (k === 'customer' ? CUSTOMER_FIELDS.map((f) => f.name) : k === 'inventory' ? INVENTORY_FIELDS.map((f) => f.name) : []);
    for (const n of names) out.add(n);
  }
  return out;
}

/** The field names an expression refers to (`exists(f)` and backquoted names too), in order. */
export function exprFields(n: Node, out: string[] = []): string[] {
  if (n.t === 'field' && !out.includes(n.name)) out.push(n.name);
  for (const c of childrenOf(n)) exprFields(c, out); // depth is bounded by the parser (MAX_NESTING)
  return out;
}

/** `{first_name} {last_name}` → first_name, last_name (as set's template reads them). */
function templateFields(t: string): string[] {
  return t
    .split(/\{([^{}]+)\}/)
    .filter((_, i) => i % 2 === 1)
    .map((s) => s.trim());
}

const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** enrich's added fields: prefix + the chosen columns, or every reference column but the key. */
async function enrichCreates(o: Record<string, unknown>, ref: StageRef): Promise<string[]> {
  const prefix = textOf(o.prefix) ?? '';
  const refKey = textOf(o.ref_key) ?? textOf(o.key) ?? '';
  let columns = listOf(o.fields);
  if (o.fields === undefined) {
    // the stage has loaded this file already (a bad one stopped the run there): read again for its columns
    const ctx: StageContext = { baseDir: ref.baseDir, where: ref.where, option: (k) => `${ref.where}: option '${k}'`, warn: () => {} };
    const loaded = await loadReference(String(o.file), o.format as 'csv' | 'ndjson' | undefined, ctx);
    columns = [...loaded.columns].filter((c) => c !== refKey);
  }
  const created = columns.map((c) => prefix + c);
  if (o.on_missing === 'tag') created.push(textOf(o.tag_field) ?? 'enrich_missing');
  return created;
}

/** What a built-in stage reads and creates, from its checked options; null for a module stage. */
export async function fieldUse(ref: StageRef): Promise<FieldUse | null> {
  if (isModulePath(ref.name)) return null;
  const def = findStage(ref.name);
  const parsed = def?.options.safeParse(ref.options);
  if (!parsed?.success) return { reads: [], creates: [] }; // planStages reported it already
  const o = parsed.data as Record<string, unknown>;
  switch (ref.name) {
    case 'select':
    case 'drop':
      return { reads: listOf(o.fields), creates: [] };
    case 'rename': {
      const map = (o.fields ?? {}) as Record<string, string>;
      return { reads: Object.keys(map), creates: Object.values(map) };
    }
    case 'filter':
      return { reads: exprFields(parseExpr(String(o.expr))), creates: [] };
    case 'set': {
      const reads = o.expr !== undefined ? exprFields(parseExpr(String(o.expr))) : o.template !== undefined ? templateFields(String(o.template)) : [];
      return { reads, creates: [String(o.field)] };
    }
    case 'dedupe':
      return { reads: listOf(o.key), creates: [] };
    case 'enrich':
      return { reads: [String(o.key)], creates: await enrichCreates(o, ref) };
    default:
      return { reads: [], creates: [] };
  }
}

/** `emial` → `email`: one swap of neighbours (a plain edit distance counts it twice). */
function swapped(name: string, known: Iterable<string>): string | undefined {
  for (const k of known) {
    if (k.length !== name.length) continue;
    const diff: number[] = [];
    for (let i = 0; i < k.length && diff.length <= 2; i++) if (k[i] !== name[i]) diff.push(i);
    if (diff.length === 2 && diff[1] === diff[0]! + 1 && k[diff[0]!] === name[diff[1]!] && k[diff[1]!] === name[diff[0]!]) return k;
  }
  return undefined;
}

function hintFor(name: string, known: ReadonlySet<string>): string {
  const near = swapped(name, known) ?? /'(.*)'/.exec(didYouMean(name, known))?.[1];
  return near === undefined ? '' : `; did you mean '${near}'?`;
}

/** One warning per unknown field (the first stage that names it), in pipeline order. */
export async function fieldWarnings(refs: readonly StageRef[], kinds: readonly string[]): Promise<string[]> {
  const known = contractFields(kinds);
  const lines: string[] = [];
  const warned = new Set<string>();
  for (const ref of refs) {
    const use = await fieldUse(ref);
    if (use === null) break; // a module stage may create any field: the names after it cannot be checked
    for (const f of use.reads) {
      if (known.has(f) || warned.has(f)) continue;
      warned.add(f);
      lines.push(`${ref.where}: field '${f}' is in no contract of the kinds in play (${kinds.join(', ')})${hintFor(f, known)}`);
    }
    for (const f of use.creates) known.add(f);
  }
  return lines;
}

/** Warn about (or, with --strict, refuse) stage fields that no kind in play declares. */
export async function checkStageFields(refs: readonly StageRef[], o: FieldCheckOptions): Promise<void> {
  if (refs.length === 0) return;
  await useContracts(o.contract, o.kind); // declared kinds count; an unknown --kind is exit 2 here
  const kinds = o.kind !== undefined ? [o.kind] : knownKinds();
  const lines = await fieldWarnings(refs, kinds);
  for (const l of lines) o.warn(l);
  if (o.strict && lines.length > 0) {
    const n = lines.length === 1 ? 'a field' : `${lines.length} fields`;
    throw new RecflowError('config', `--strict: the stages name ${n} in no contract of the kinds in play (see the warning${lines.length === 1 ? '' : 's'} above); fix the name, declare it with --contract FILE, or run without --strict`);
  }
}
