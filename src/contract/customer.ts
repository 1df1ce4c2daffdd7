// Customer fields, in the order of the records.md table (= output order).
import type { Fields } from '../pipeline/types.js';
import type { FieldSpec } from './spec.js';
import {
  checkCountry,
  checkDate,
  checkEmail,
  checkId,
  checkName,
  checkNonNegNumber,
  checkPhone,
  checkText,
  checkTier,
} from './fields.js';

export const CUSTOMER_FIELDS: readonly FieldSpec[] = [
  { name: 'customer_id', required: true, check: checkId, arg: 0 },
  { name: 'first_name', required: false, check: checkName, arg: 100 },
  { name: 'last_name', required: false, check: checkName, arg: 100 },
  { name: 'email', required: true, check: checkEmail, arg: 0 },
  { name: 'phone', required: false, check: checkPhone, arg: 0 },
  { name: 'country', required: false, check: checkCountry, arg: 0 },
  { name: 'city', required: false, check: checkText, arg: 100 },
  { name: 'signup_date', required: false, check: checkDate, arg: 0 },
  { name: 'lifetime_value', required: false, check: checkNonNegNumber, arg: 0 },
  { name: 'loyalty_tier', required: false, check: checkTier, arg: 0 },
];

/**
 * The output object from normalized values in table order (undefined = left out).
 * Spelled out with static names (and one literal when all are present): much
 * faster than keyed stores on the hot path.
 */
export function buildCustomer(vals: readonly unknown[]): Fields {
  if (
    vals[0] !== undefined &&
    vals[1] !== undefined &&
    vals[2] !== undefined &&
    vals[3] !== undefined &&
    vals[4] !== undefined &&
    vals[5] !== undefined &&
    vals[6] !== undefined &&
    vals[7] !== undefined &&
    vals[8] !== undefined &&
    vals[9] !== undefined
  ) {
    // every field present (the common case): one literal, all properties in-object
    return {
      kind: 'customer',
      customer_id: vals[0],
      first_name: vals[1],
      last_name: vals[2],
      email: vals[3],
      phone: vals[4],
      country: vals[5],
      city: vals[6],
      signup_date: vals[7],
      lifetime_value: vals[8],
      loyalty_tier: vals[9],
    };
  }
  const out: Fields = { kind: 'customer' };
  let v: unknown;
  if ((v = vals[0]) !== undefined) out.customer_id = v;
  if ((v = vals[1]) !== undefined) out.first_name = v;
  if ((v = vals[2]) !== undefined) out.last_name = v;
  if ((v = vals[3]) !== undefined) out.email = v;
  if ((v = vals[4]) !== undefined) out.phone = v;
  if ((v = vals[5]) !== undefined) out.country = v;
  if ((v = vals[6]) !== undefined) out.city = v;
  if ((v = vals[7]) !== undefined) out.signup_date = v;
  if ((v = vals[8]) !== undefined) out.lifetime_value = v;
  if ((v = vals[9]) !== undefined) out.loyalty_tier = v;
  return out;
}
