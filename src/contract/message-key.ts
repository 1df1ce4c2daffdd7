// A Kafka message's key and `kind` header, from a record's value and kind: one rule for the
// Kafka sink's records path and for the workers that encode lines for it (no kafkajs here,
// so worker threads can import it cheaply).
import { declaredKind, isBuiltinKind } from './declared.js';

/** The kind a record goes out as: its contract kind, else a string `kind` field; undefined: none. */
export function messageKind(value: Record<string, unknown>, kind: string | null | undefined): string | undefined {
  return kind ?? (typeof value.kind === 'string' ? value.kind : undefined);
}

/**
 * The message key: a kind added by a contract file keys by its `key` fields (values joined
 * by ','; none when one is missing); the built-in kinds by customer_id / sku, as before.
 * null: no key.
 */
export function messageKey(v: Record<string, unknown>, kind: string | undefined): string | null {
  const key = keyField(v, kind);
  return key === undefined || key === null ? null : String(key);
}

function keyField(v: Record<string, unknown>, kind: string | undefined): unknown {
  // (a built-in kind keeps its key even when a file replaces it: the partitioning of its topic stays)
  const declared = kind !== undefined && !isBuiltinKind(kind) ? declaredKind(kind) : undefined;
  if (declared && declared.decl.key.length > 0) {
    const parts = declared.decl.key.map((f) => v[f]);
    if (parts.some((p) => p === undefined || p === null || p === '')) return null;
    return parts.map((p) => (typeof p === 'object' ? JSON.stringify(p) : String(p))).join(',');
  }
  return kind === 'inventory' ? v.sku : kind === 'customer' ? v.customer_id : (v.customer_id ?? v.sku);
}
