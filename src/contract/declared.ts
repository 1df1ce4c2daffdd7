// Kinds declared in contract files (--contract, docs/contracts.md): compiled once at
// start into the same KindSpec the built-in kinds use, so record.ts runs them through
// its one engine. Nothing here is touched on the built-in path unless a contract
// was loaded (`declaredOn` stays false).
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
/** True once any kind is declared: the one test the built-in path pays. */
export let declaredOn = false;

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
}

/** Forget every declared kind (tests). */
export function clearDeclaredKinds(): void {
  declared.clear();
  owned.clear();
  declaredOn = false;
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

/** Every kind a record may get: the built-in ones, then the declared ones. */
export function knownKinds(): Kind[] {
  return ['customer', 'inventory', ...declared.keys()];
}

const NO_KEY: readonly string[] = Object.freeze([]);

/** The key fields of a kind (built-in or declared); empty when it has none or is unknown. */
export function keyFieldsOf(kind: Kind | null | undefined): readonly string[] {
  if (kind === null || kind === undefined) return NO_KEY;
  return BUILTIN_KEYS[kind] ?? declared.get(kind)?.decl.key ?? NO_KEY;
}

/** A declared kind name from a `kind` field value (trimmed, any case), else null. */
export function parseDeclaredKind(v: unknown): Kind | null {
  if (typeof v !== 'string') return null;
  if (declared.has(v)) return v;
  const s = v.trim().toLowerCase();
  return declared.has(s) ? s : null;
}

/** `order_id (order), customer_id (customer), sku (inventory)`: the detection fields, in detection order. */
export function kindMarkers(): string {
  const marks = declaredKinds()
    .filter((k) => k.decl.detect !== null)
    .map((k) => `${k.decl.detect!.join(' + ')} (${k.decl.name})`);
  return [...marks, 'customer_id (customer)', 'sku (inventory)'].join(', ');
}

/** The first declared kind whose `detect.has` fields are all keys of the record. */
export function detectDeclared(raw: Fields): Kind | null {
  for (const k of declared.values()) {
    const has = k.decl.detect;
    if (has === null) continue;
    let all = true;
    for (const f of has) {
      if (!Object.prototype.hasOwnProperty.call(raw, f)) {
        all = false;
        break;
      }
    }
    if (all) return k.decl.name;
  }
  return null;
}
