// `dedupe`: one record per key within a run. Memory is bounded by max_keys:
// only the keys' bytes are kept, off the JS heap (plus the held records for keep_last).
import { keyFieldsOf } from '../contract/declared.js';
import { isMissing } from '../contract/fields.js';
import { RecflowError } from '../errors.js';
import type { Rec, Rejected, StageResult } from '../pipeline/types.js';
import { defineStage, fieldOf, opt, options, rejectOf, show } from './define.js';
import { KeySet } from './key-set.js';

export const dedupeStage = defineStage({
  name: 'dedupe',
  summary:
    'Let one record per key through within a run. Later duplicates go to the dead-letter output as duplicate_key ' +
    '(default), are dropped, or replace the earlier one (keep_last).',
  notes: [
    'The key is the kind plus the key fields, so a customer and an inventory record are never duplicates. ' +
      'A record with a missing key field passes unchecked. Keys are compared as text, after the contract pass ' +
      '(so ids are already trimmed and SKUs uppercased). Without `key`, each record is keyed by its kind\'s key: ' +
      '`customer_id` for customers, `sku,warehouse_id` for inventory, and the `key` of a kind declared in a contract ' +
      'file (docs/contracts.md); a kind without a key passes unchecked.',
    'Memory: the stage keeps each distinct key\'s bytes outside the JS heap, about 30 bytes per key for ids of ~10 ' +
      'characters (5,000,000 keys ≈ 150 MB). Past `max_keys`, with `on_full=warn` (default) new keys are no longer ' +
      'remembered: their records pass, and their later duplicates are not caught; a warning says so once. ' +
      'With `on_full=fail` the run stops with exit status 3 instead.',
    '`on_duplicate=keep_last` holds every distinct record in memory until the end of the input and writes them then, ' +
      'in the order of their last occurrence: use it on files, not on an endless Kafka stream.',
  ],
  options: options({
    key: opt
      .fields()
      .optional()
      .describe("the field or fields (a,b) that identify a record; default: each record's kind's key (customer_id; sku,warehouse_id; a contract file's `key`)"),
    on_duplicate: opt
      .choice(['reject', 'drop', 'keep_last'])
      .default('reject')
      .describe("'reject': later duplicates go to the dead-letter output (duplicate_key); 'drop': they are left out (counted as dropped); 'keep_last': the last one wins"),
    max_keys: opt.int(1).default(5_000_000).describe('most keys remembered (bounds memory)'),
    on_full: opt.choice(['warn', 'fail']).default('warn').describe('what happens past max_keys'),
  }),
  examples: ['dedupe:key=customer_id', 'dedupe:key=sku,warehouse_id,on_duplicate=keep_last'],
  create(o, ctx) {
    const given = o.key;
    // without key=, each kind's own key (read per record: contract files load after the stages are built)
    const fieldsOf = (r: Rec): readonly string[] => dedupeFields(given ?? null, r);
    const mode = o.on_duplicate;
    const seen = new KeySet(); // off the JS heap: see key-set.ts
    const held = new Map<string, Rec>(); // keep_last only
    let full = false;
    /** No room for another key: warn once, or fail the run with on_full=fail. */
    const onFull = (): void => {
      if (o.on_full === 'fail') {
        throw new RecflowError('stage', `${ctx.where}: more than max_keys=${o.max_keys} distinct keys; raise max_keys or use on_full=warn`);
      }
      if (!full) ctx.warn(`dedupe: max_keys=${o.max_keys} reached; records with new keys now pass without a duplicate check`);
      full = true;
    };
    /** True for a key not seen before (its bytes and hash, as KeySet makes them); remembered while there is room. */
    const isNewAt = (bytes: Uint8Array, off: number, n: number, h: number): boolean => {
      if (seen.size < o.max_keys) return seen.addAt(bytes, off, n, h);
      if (seen.hasAt(bytes, off, n, h)) return false;
      onFull();
      return true;
    };
    const isNew = (k: string): boolean => {
      const n = seen.load(k); // (first: it may give scratch a bigger buffer)
      return isNewAt(seen.scratch, 0, n, seen.loadedHash);
    };
    return {
      name: 'dedupe',
      process(records: Rec[]): StageResult {
        const kept: Rec[] = [];
        const rejected: Rejected[] = [];
        for (const r of records) {
          const fields = fieldsOf(r);
          const k = dedupeKey(r, fields);
          if (k === null) kept.push(r);
          else if (mode === 'keep_last') {
            if (held.has(k)) held.delete(k); // re-insert: output follows the last occurrence
            else if (held.size >= o.max_keys) {
              onFull(); // keep_last counts its held records
              kept.push(r);
              continue;
            }
            held.set(k, r);
          } else if (isNew(k)) {
            kept.push(r);
          } else if (mode === 'reject') {
            rejected.push(duplicate(r, fields));
          }
        }
        return { kept, rejected };
      },
      // the engine's workers compute the keys, this thread only admits them (pipeline/parallel/keyed.ts)
      ...(mode === 'keep_last' ? {} : { keyed: { fields: given ?? null, onDuplicate: mode, admit: isNewAt, duplicate: (r: Rec) => duplicate(r, fieldsOf(r)) } }),
      flush(): StageResult {
        const kept = [...held.values()];
        held.clear();
        return { kept, rejected: [] };
      },
    };
  },
});

/** The key of a record: its kind and the key fields' values; null: a field is missing, or no key fields (passes unchecked). */
export function dedupeKey(r: Pick<Rec, 'value' | 'kind'>, fields: readonly string[]): string | null {
  if (fields.length === 0) return null;
  let k = String(r.kind ?? fieldOf(r, 'kind') ?? '');
  for (const f of fields) {
    const v = fieldOf(r, f);
    if (isMissing(v)) return null;
    k += '\u0000' + (typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return k;
}

/** The key fields of a record: given, or its kind's. */
export function dedupeFields(given: readonly string[] | null, r: Pick<Rec, 'value' | 'kind'>): readonly string[] {
  return given ?? keyFieldsOf(r.kind ?? (fieldOf(r, 'kind') as string | undefined));
}

function duplicate(r: Rec, fields: readonly string[]): Rejected {
  const shown = fields.map((f) => show(fieldOf(r, f))).join(', ');
  return rejectOf(r, 'dedupe', 'duplicate_key', fields.length === 1 ? fields[0]! : null, `${fields.join(',')} ${shown} was already seen in this run`);
}
