// Kinds declared in contract files (--contract, docs/contracts.md): compiled once at
// start into the same KindSpec the built-in kinds use, so record.ts runs them through
// its one engine. Nothing here is touched on the built-in path unless a contract
// was loaded (`declaredOn` stays false).
//
// A file may declare `customer` or `inventory` (contracts/customer.yaml and
// contracts/inventory.yaml are their definition): that kind is then REPLACED, its records
// checked by the compiled declaration instead of the hand-tuned code, and it keeps
// its place in detection (after the added kinds, customer before inventory).
import type { Fields, Kind } from '../pipeline/types.js';
import type { KindDecl } from './contract-file.js';
import { compileField } from './declared-checks.js';
import { makeJsonPlan, type JsonPlan } from './json.js';
import { makeKindSpec, type FieldSpec, type KindSpec } from './spec.js';

export interface DeclaredKind {
  readonly decl: KindDecl;
  readonly spec: KindSpec;
  readonly json: JsonPlan;
}

/** The declared kinds by name, in declaration order (files in the order given). */
const declared = new Map<string, DeclaredKind>();
/** Every field name of a declared kind (the contract normalizes their numbers). */
const owned = new Set<string>();
/** True once any kind is declared (a replaced built-in one too): the one test the built-in path pays. */
export let declaredOn = false;
/**
 * True when the fields that mark a kind differ from the built-in ones (an added kind,
 * or a replacement detected by other fields): only then does an unknown_kind message
 * list them (kind.ts), so a copy of the built-in files changes nothing at all.
 */
export let declaredMarks = false;

const BUILTIN_KINDS: ReadonlySet<string> = new Set(['customer', 'inventory']);
/** The field that marks each built-in kind, kept when the kind is replaced (kind.ts sniffs it). */
const BUILTIN_MARK: Readonly<Record<string, string>> = Object.freeze({ customer: 'customer_id', inventory: 'sku' });

export function isBuiltinKind(name: string): boolean {
  return BUILTIN_KINDS.has(name);
}

/** A replacement's detect rule adds nothing when it is the built-in marker alone (or absent). */
function sameMarks(k: DeclaredKind): boolean {
  const has = k.decl.detect;
  return has === null || (has.length === 1 && has[0] === BUILTIN_MARK[k.decl.name]);
}

/** The key fields of each built-in kind (dedupe's default key): a SKU is stocked in several warehouses. */
const BUILTIN_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  customer: Object.freeze(['customer_id']),
  inventory: Object.freeze(['sku', 'warehouse_id']),
});

export function compileKind(decl: KindDecl): DeclaredKind {
  const fields: FieldSpec[] = decl.fields.map((f) => ({
    name: f.name,
    required: f.required === true,
    check: compileField(f),
    arg: 0,
  }));
  const names = fields.map((f) => f.name);
  const name = decl.name;
  const build = (vals: readonly unknown[]): Fields => {
    const out: Fields = { kind: name };
    for (let i = 0; i < names.length; i++) if (vals[i] !== undefined) out[names[i]!] = vals[i];
    return out;
  };
  const base = makeKindSpec(name, fields, build);
  const spec: KindSpec = Object.freeze({ ...base, extra: decl.extra === 'pass' ? undefined : decl.extra });
  return { decl, spec, json: makeJsonPlan(spec) };
}

/** Add kinds (compiled here); a name declared twice is refused by the caller (contracts.ts). */
export function registerKinds(kinds: readonly DeclaredKind[]): void {
  for (const k of kinds) {
    declared.set(k.decl.name, k);
    for (const n of k.spec.names) owned.add(n);
  }
  declaredOn = declared.size > 0;
  declaredMarks = [...declared.values()].some((k) => !isBuiltinKind(k.decl.name) || !sameMarks(k));
}

/** Forget every declared kind (tests). */
export function clearDeclaredKinds(): void {
  declared.clear();
  owned.clear();
  declaredOn = false;
  declaredMarks = false;
}

export function declaredOwns(field: string): boolean {
  return owned.has(field);
}

export function declaredKind(name: string): DeclaredKind | undefined {
  return declared.get(name);
}

export function declaredKinds(): DeclaredKind[] {
  return [...declared.values()];
}

/** The kinds a file declares that are not built in, in declaration order. */
export function addedKinds(): DeclaredKind[] {
  return declaredKinds().filter((k) => !isBuiltinKind(k.decl.name));
}

/** The replacement of a built-in kind, if a contract file declares it. */
export function replacedKind(name: string): DeclaredKind | undefined {
  return isBuiltinKind(name) ? declared.get(name) : undefined;
}

/** Every kind a record may get: the built-in ones (replaced or not), then the added ones. */
export function knownKinds(): Kind[] {
  return ['customer', 'inventory', ...addedKinds().map((k) => k.decl.name)];
}

const NO_KEY: readonly string[] = Object.freeze([]);

/** The key fields of a kind (built-in or declared); empty when it has none or is unknown. */
export function keyFieldsOf(kind: Kind | null | undefined): readonly string[] {
  if (kind === null || kind === undefined) return NO_KEY;
  // a replaced built-in kind has the key its file declares
  return (declaredOn ? declared.get(kind)?.decl.key : undefined) ?? BUILTIN_KEYS[kind] ?? NO_KEY;
}

/** A declared kind name from a `kind` field value (trimmed, any case), else null. */
export function parseDeclaredKind(v: unknown): Kind | null {
  if (typeof v !== 'string') return null;
  if (declared.has(v)) return v;
  const s = v.trim().toLowerCase();
  return declared.has(s) ? s : null;
}

const markOf = (k: DeclaredKind): string => `${k.decl.detect!.join(' + ')} (${k.decl.name})`;

/** `order_id (order), customer_id (customer), sku (inventory)`: the detection fields, in detection order. */
export function kindMarkers(): string {
  const marks = addedKinds()
    .filter((k) => k.decl.detect !== null)
    .map(markOf);
  for (const name of BUILTIN_KINDS) {
    marks.push(`${BUILTIN_MARK[name]} (${name})`);
    const r = declared.get(name);
    if (r !== undefined && !sameMarks(r)) marks.push(markOf(r));
  }
  return marks.join(', ');
}

function hasAll(raw: Fields, has: readonly string[]): boolean {
  for (const f of has) if (!Object.prototype.hasOwnProperty.call(raw, f)) return false;
  return true;
}

/**
 * The first added kind whose `detect.has` fields are all keys of the record; then,
 * when a built-in kind is replaced, the built-in order: customer (customer_id, or its
 * replacement's rule), then inventory (sku, or its rule). Null: none (kind.ts sniffs next).
 */
export function detectDeclared(raw: Fields): Kind | null {
  for (const k of declared.values()) {
    const has = k.decl.detect;
    if (has === null || isBuiltinKind(k.decl.name)) continue;
    if (hasAll(raw, has)) return k.decl.name;
  }
  for (const name of BUILTIN_KINDS) {
    const has = declared.get(name)?.decl.detect;
    if (BUILTIN_MARK[name]! in raw || (has != null && hasAll(raw, has))) return name;
  }
  return null;
}
