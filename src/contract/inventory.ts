// Inventory fields, in the order of the records.md table (= output order).
import type { Fields } from '../pipeline/types.js';
import type { FieldSpec } from './spec.js';
import {
  checkName,
  checkNonNegInteger,
  checkNonNegNumber,
  checkSku,
  checkText,
  checkTimestamp,
  checkUpperId,
} from './fields.js';

export const INVENTORY_FIELDS: readonly FieldSpec[] = [
  { name: 'sku', required: true, check: checkSku, arg: 0 },
  { name: 'product_name', required: true, check: checkName, arg: 200 },
  { name: 'category', required: false, check: checkText, arg: 100 },
  { name: 'warehouse_id', required: true, check: checkUpperId, arg: 0 },
  { name: 'quantity', required: true, check: checkNonNegInteger, arg: 0 },
  { name: 'unit_price', required: true, check: checkNonNegNumber, arg: 0 },
  { name: 'updated_at', required: false, check: checkTimestamp, arg: 0 },
  { name: 'supplier', required: false, check: checkText, arg: 200 },
];

/**
 * The output object from normalized values in table order (undefined = left out).
 * Spelled out with static names (and one literal when all are present): much
 * faster than keyed stores on the hot path.
 */
export function buildInventory(vals: readonly unknown[]): Fields {
  if (
    vals[0] !== undefined &&
    vals[1] !== undefined &&
    vals[2] !== undefined &&
    vals[3] !== undefined &&
    vals[4] !== undefined &&
    vals[5] !== undefined &&
    vals[6] !== undefined &&
    vals[7] !== undefined
  ) {
    // every field present (the common case): one literal, all properties in-object
    return {
      kind: 'inventory',
      sku: vals[0],
      product_name: vals[1],
      category: vals[2],
      warehouse_id: vals[3],
      quantity: vals[4],
      unit_price: vals[5],
      updated_at: vals[6],
      supplier: vals[7],
    };
  }
  const out: Fields = { kind: 'inventory' };
  let v: unknown;
  if ((v = vals[0]) !== undefined) out.sku = v;
  if ((v = vals[1]) !== undefined) out.product_name = v;
  if ((v = vals[2]) !== undefined) out.category = v;
  if ((v = vals[3]) !== undefined) out.warehouse_id = v;
  if ((v = vals[4]) !== undefined) out.quantity = v;
  if ((v = vals[5]) !== undefined) out.unit_price = v;
  if ((v = vals[6]) !== undefined) out.updated_at = v;
  if ((v = vals[7]) !== undefined) out.supplier = v;
  return out;
}
