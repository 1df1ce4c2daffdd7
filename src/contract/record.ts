// The record engine: one pass over the raw fields, a table-driven check of the
// kind's known fields, then (only when asked and valid) the output object.
// Scratch state is module level: the functions are synchronous and not re-entrant,
// so no per-record arrays or closures are allocated on the happy path.
import type { FieldList, Fields, Kind, RecordError } from '../pipeline/types.js';
import { buildCustomer, CUSTOMER_FIELDS } from './customer.js';
import { BAD, beginRecord, isMissing, report, reportMissing, takeErrors } from './fields.js';
import { buildInventory, INVENTORY_FIELDS } from './inventory.js';
import { encodeKnown, makeJsonPlan, type JsonPlan } from './json.js';
import { copyTexts, hasTexts, stringifyLossless, textsOf, textsSeen } from './lossless.js';
import { declaredKind, declaredOn, declaredOwns } from './declared.js';
import { detectKind, reportUnknownKind } from './kind.js';
import { makeKindSpec, type KindSpec } from './spec.js';

const CUSTOMER = makeKindSpec('customer', CUSTOMER_FIELDS, buildCustomer);
const INVENTORY = makeKindSpec('inventory', INVENTORY_FIELDS, buildInventory);
const CUSTOMER_JSON = makeJsonPlan(CUSTOMER);
const INVENTORY_JSON = makeJsonPlan(INVENTORY);

export const KNOWN_FIELDS: Readonly<Record<Kind, readonly string[]>> = Object.freeze({
  customer: CUSTOMER.names,
  inventory: INVENTORY.names,
});

/** Shared result for "no errors": frozen, never mutate it. */
export const NO_ERRORS: RecordError[] = Object.freeze([]) as unknown as RecordError[];

const MAX_FIELDS = 64; // a declared kind has at most 64 fields (contract-file.ts)
const rawVals: unknown[] = new Array<unknown>(MAX_FIELDS).fill(undefined);
const outVals: unknown[] = new Array<unknown>(MAX_FIELDS).fill(undefined);
/** Number of non-missing fields of the current record that the kind does not name. */
let extraCount = 0;

/** Copy the known fields' raw values into rawVals and count the extras, in one pass. */
function gather(spec: KindSpec, raw: Fields): void {
  const n = spec.fields.length;
  for (let i = 0; i < n; i++) rawVals[i] = undefined;
  extraCount = 0;
  const index = spec.index;
  for (const k in raw) {
    const i = index[k];
    if (i === undefined) {
      if (!isMissing(raw[k])) extraCount++;
    } else if (i >= 0) {
      rawVals[i] = raw[k];
    }
  }
}

/**
 * Check every known field into outVals (undefined = leave out). Lenient: a bad
 * value is kept as read (and the collector is quiet, so nothing is reported).
 */
function evaluate(spec: KindSpec, lenient: boolean): void {
  const fields = spec.fields;
  const n = fields.length;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const v = rawVals[i];
    if (isMissing(v)) {
      if (f.required) reportMissing(f.name);
      outVals[i] = undefined;
      continue;
    }
    const r = f.check(f.name, v, f.arg);
    outVals[i] = r === BAD ? (lenient ? v : undefined) : r;
  }
}

/** The output object: kind, known fields in table order, then non-missing extras in raw order. */
function build(spec: KindSpec, raw: Fields): Fields {
  const out = spec.build(outVals);
  clearOut(spec);
  if (extraCount > 0 && spec.extra !== 'drop') {
    const index = spec.index;
    let numbers = false;
    for (const k in raw) {
      if (index[k] !== undefined) continue;
      const v = raw[k];
      if (isMissing(v)) continue;
      if (typeof v === 'number' || typeof v === 'object') numbers = true;
      if (k === '__proto__') {
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      } else {
        out[k] = v;
      }
    }
    // the extras' numbers as read (contract/lossless.ts)
    if (numbers && textsSeen()) copyTexts(raw, out, (k) => index[k] === undefined);
  }
  return out;
}

function specOf(kind: Kind): KindSpec {
  const replaced = declaredOn ? declaredKind(kind) : undefined; // a contract file may replace a built-in kind
  if (replaced !== undefined) return replaced.spec;
  return kind === 'customer' ? CUSTOMER : kind === 'inventory' ? INVENTORY : declaredKind(kind)!.spec;
}

function jsonPlanOf(kind: Kind): JsonPlan {
  const replaced = declaredOn ? declaredKind(kind) : undefined;
  if (replaced !== undefined) return replaced.json;
  return kind === 'customer' ? CUSTOMER_JSON : kind === 'inventory' ? INVENTORY_JSON : declaredKind(kind)!.json;
}

/** extra: reject (declared kinds): one unknown_field error per undeclared, non-missing field. */
function reportExtras(spec: KindSpec, raw: Fields): void {
  for (const k in raw) {
    if (spec.index[k] === undefined && !isMissing(raw[k])) {
      report(k, 'unknown_field', `${k} is not a field of kind "${spec.kind}": expected only ${spec.names.join(', ')}`);
    }
  }
}

export interface CheckResult {
  /** The decided kind, or null when unknown_kind. */
  kind: Kind | null;
  /** The normalized record with `kind` first; null when there are errors. */
  value: Fields | null;
  /** Every error found in the record (a shared frozen empty array when valid). */
  errors: RecordError[];
}

/** The errors of the last strictCheck: null when the record is valid. */
let strictErrors: RecordError[] | null = null;

/**
 * The strict check shared by checkRecord, checkRecordJson and validateRecord: the
 * kind (null: unknown), every field checked into outVals, the errors in strictErrors.
 * outVals are left holding the values only when the record is valid (and a kind known).
 */
function strictCheck(raw: Fields, kindHint: Kind | undefined): Kind | null {
  const kind = detectKind(raw, kindHint);
  beginRecord(false);
  if (kind === null) {
    reportUnknownKind(raw);
    strictErrors = takeErrors() ?? NO_ERRORS;
    return null;
  }
  const spec = specOf(kind);
  gather(spec, raw);
  evaluate(spec, false);
  if (extraCount > 0 && spec.extra === 'reject') reportExtras(spec, raw);
  strictErrors = takeErrors();
  if (strictErrors !== null) clearOut(spec);
  return kind;
}

function clearOut(spec: KindSpec): void {
  for (let i = 0; i < spec.fields.length; i++) outVals[i] = undefined;
}

/** Validate and normalize one record as read (CSV row object or parsed JSON object). */
export function checkRecord(raw: Fields, kindHint?: Kind): CheckResult {
  const kind = strictCheck(raw, kindHint);
  const errors = strictErrors;
  if (kind === null || errors !== null) return { kind, value: null, errors: errors ?? NO_ERRORS };
  return { kind, value: build(specOf(kind), raw), errors: NO_ERRORS };
}

/**
 * As checkRecord, but the kept record comes back as its JSON text:
 * json === JSON.stringify(checkRecord(raw, kindHint).value) always (null when rejected).
 * Encoded from the scratch values without building the object, unless the record
 * has extras (their order in the object follows V8's own rules).
 */
export function checkRecordJson(
  raw: Fields,
  kindHint?: Kind,
): { kind: Kind | null; json: string | null; errors: RecordError[] } {
  const kind = strictCheck(raw, kindHint);
  const errors = strictErrors;
  if (kind === null || errors !== null) return { kind, json: null, errors: errors ?? NO_ERRORS };
  return { kind, json: jsonOf(kind, raw), errors: NO_ERRORS };
}

/**
 * As checkRecordJson, and the kept record's values of the fields `fieldsOf` names for its
 * kind, as the built record holds them (a dedupe key without parsing the text back).
 */
export function checkRecordJsonPicking(
  raw: Fields,
  kindHint: Kind | undefined,
  fieldsOf: (kind: Kind) => readonly string[],
): { kind: Kind | null; json: string | null; errors: RecordError[]; picked: Fields | null } {
  const kind = strictCheck(raw, kindHint);
  const errors = strictErrors;
  if (kind === null || errors !== null) return { kind, json: null, errors: errors ?? NO_ERRORS, picked: null };
  const spec = specOf(kind);
  const picked: Fields = {};
  for (const f of fieldsOf(kind)) {
    const i = spec.index[f];
    const v = f === 'kind' ? kind : i !== undefined ? outVals[i] : spec.extra === 'drop' ? undefined : raw[f];
    if (v !== undefined) picked[f] = v;
  }
  return { kind, json: jsonOf(kind, raw), errors: NO_ERRORS, picked };
}

/**
 * As checkRecord, but a kept record's fields go into `list` in the order of the object
 * checkRecord builds (kind, the known fields in table order, the extras as read), with
 * no object made. listed is false for a kept record the list cannot stand for: an
 * extra whose name leads with a digit (an object orders integer-like keys first), or
 * one holding number texts (contract/lossless.ts). Then use checkRecord.
 */
export function checkRecordList(raw: Fields, kindHint: Kind | undefined, list: FieldList): { kind: Kind | null; errors: RecordError[]; listed: boolean } {
  const kind = strictCheck(raw, kindHint);
  const errors = strictErrors;
  if (kind === null || errors !== null) return { kind, errors: errors ?? NO_ERRORS, listed: false };
  const spec = specOf(kind);
  const { names, vals } = list;
  const known = spec.names;
  names[0] = 'kind';
  vals[0] = spec.kind;
  let n = 1;
  for (let i = 0; i < known.length; i++) {
    const v = outVals[i];
    if (v === undefined) continue;
    names[n] = known[i]!;
    vals[n++] = v;
  }
  clearOut(spec);
  list.n = 0;
  list.kind = kind;
  if (extraCount > 0 && spec.extra !== 'drop') {
    const index = spec.index;
    for (const k in raw) {
      if (index[k] !== undefined) continue;
      const v = raw[k];
      if (isMissing(v)) continue;
      const c = k.charCodeAt(0);
      if ((c >= 48 && c <= 57) || ((typeof v === 'number' || typeof v === 'object') && textsSeen())) return { kind, errors: NO_ERRORS, listed: false };
      names[n] = k;
      vals[n++] = v;
    }
  }
  list.n = n;
  return { kind, errors: NO_ERRORS, listed: true };
}

/** The JSON text of the record strictCheck just found valid. */
function jsonOf(kind: Kind, raw: Fields): string {
  const spec = specOf(kind);
  const json = extraCount === 0 || spec.extra === 'drop' ? encodeKnown(jsonPlanOf(kind), outVals, rawVals) : null;
  if (json === null) return stringifyLossless(build(spec, raw));
  clearOut(spec);
  return json;
}

/** Validate only: the kind and every error; no output object is built. */
export function validateRecord(raw: Fields, kindHint?: Kind): { kind: Kind | null; errors: RecordError[] } {
  const kind = strictCheck(raw, kindHint);
  const errors = strictErrors;
  if (kind !== null && errors === null) clearOut(specOf(kind));
  return { kind, errors: errors ?? NO_ERRORS };
}

/**
 * Lenient normalize: every known field is normalized when valid, kept as read
 * otherwise; missing values are left out; never errors. value is null only when
 * the kind is unknown.
 */
export function normalizeRecord(raw: Fields, kindHint?: Kind): { kind: Kind | null; value: Fields | null } {
  const kind = detectKind(raw, kindHint);
  if (kind === null) return { kind: null, value: null };
  const spec = specOf(kind);
  beginRecord(true);
  gather(spec, raw);
  evaluate(spec, true);
  beginRecord(false);
  return { kind, value: build(spec, raw) };
}

/** Field names the contract owns (of either kind), whose numbers it normalizes. */
const OWNED: ReadonlySet<string> = new Set(['kind', ...CUSTOMER.names, ...INVENTORY.names]);
const owns = (k: string): boolean => OWNED.has(k) || (declaredOn && declaredOwns(k));

/**
 * The JSON text of a record in flight: JSON.stringify(value), but with the numbers of
 * fields passed through as read (see lossless.ts). `raw` is the record as read: when a
 * stage replaced the value by a copy, its top-level texts come from there (not for the
 * fields the contract owns, which it normalized).
 */
export function recordJson(value: Fields, raw?: Fields): string {
  if (!textsSeen()) return JSON.stringify(value);
  if (hasTexts(value)) return stringifyLossless(value, textsOf(value), value);
  if (raw === undefined || raw === value || !passesNumbers(value) || !hasTexts(raw)) return JSON.stringify(value);
  const from = textsOf(raw);
  const top = from === undefined ? undefined : new Map([...from].filter(([k]) => !owns(k)));
  return stringifyLossless(value, top, raw);
}

/** A field the contract does not own holds a number, or an object or array (that may hold one). */
function passesNumbers(value: Fields): boolean {
  for (const k in value) {
    const v = value[k];
    if ((typeof v === 'number' || (typeof v === 'object' && v !== null)) && !owns(k)) return true;
  }
  return false;
}
