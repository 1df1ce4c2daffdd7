// Kind detection (records.md "Kinds"): --kind hint > `kind` field > sniffing > unknown.
import type { Fields, Kind } from '../pipeline/types.js';
import { declaredMarks, declaredOn, detectDeclared, kindMarkers, knownKinds, parseDeclaredKind } from './declared.js';
import { describe, isMissing, report } from './fields.js';

/** `customer` / `inventory` from a kind field value (trimmed, any case), else null. */
export function parseKind(v: unknown): Kind | null {
  if (v === 'customer' || v === 'inventory') return v;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  return s === 'customer' || s === 'inventory' ? s : null;
}

/**
 * The record's kind, or null when it cannot be decided:
 * 1. a valid hint (the --kind option) wins, whatever the record says;
 * 2. a non-missing `kind` field decides alone: an invalid value ("order") is
 *    unknown, we do not sniff past an explicit wrong kind;
 * 3. a `customer_id` key (even with a missing value) makes a customer, else a
 *    `sku` key an inventory record;
 * 4. otherwise null.
 */
export function detectKind(raw: Fields, kindHint?: Kind): Kind | null {
  if (kindHint === 'customer' || kindHint === 'inventory') return kindHint;
  if (declaredOn) return detectWithDeclared(raw, kindHint);
  const k = raw.kind;
  if (!isMissing(k)) return parseKind(k);
  if ('customer_id' in raw) return 'customer';
  if ('sku' in raw) return 'inventory';
  return null;
}

/**
 * With kinds declared in contract files (docs/contracts.md "Detection"): the hint
 * (checked against the known kinds at start), then the `kind` field (a built-in or
 * declared name), then the declared `detect` rules in declaration order, then the
 * built-in sniffing. Declared rules come first: an order that carries a customer_id
 * is still an order.
 */
function detectWithDeclared(raw: Fields, kindHint: Kind | undefined): Kind | null {
  if (kindHint !== undefined) return kindHint;
  const k = raw.kind;
  if (!isMissing(k)) return parseKind(k) ?? parseDeclaredKind(k);
  const d = detectDeclared(raw);
  if (d !== null) return d;
  if ('customer_id' in raw) return 'customer';
  if ('sku' in raw) return 'inventory';
  return null;
}

/** Report the unknown_kind error of a record whose kind could not be decided. */
export function reportUnknownKind(raw: Fields): void {
  const k = raw.kind;
  if (declaredMarks) {
    const names = knownKinds().map((n) => `"${n}"`);
    const expected = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
    if (!isMissing(k)) report('kind', 'unknown_kind', `kind ${describe(k)} is not a known record kind: expected ${expected}`);
    else report(null, 'unknown_kind', `record kind cannot be decided: no --kind option, no "kind" field, and none of the fields that mark a kind: ${kindMarkers()}`);
  } else if (!isMissing(k)) {
    report('kind', 'unknown_kind', `kind ${describe(k)} is not a known record kind: expected "customer" or "inventory"`);
  } else {
    report(
      null,
      'unknown_kind',
      'record kind cannot be decided: no --kind option, no "kind" field, and neither a customer_id nor a sku field',
    );
  }
}
