// `recflow contract infer`: a draft contract from data. Each column gets the narrowest
// type that the contract's own checkers accept for every value seen (so the draft
// accepts the data it was drafted from), `required` when it is never blank, a rounded
// `max_length` for text, an enum for a few repeated values, and a detection rule on a
// column only this file has. Only the first `sample` records of each file are read.
import YAML from 'yaml';
import { RecflowError, usageError } from '../errors.js';
import type { Fields, Source } from '../pipeline/types.js';
import { log } from '../log.js';
import { openSources, type SourceOptions } from '../sources/index.js';
import { checkBoolean } from './declared-checks.js';
import {
  asText,
  BAD,
  beginRecord,
  checkCountry,
  checkDate,
  checkEmail,
  checkId,
  checkPhone,
  checkTimestamp,
  codePoints,
  isMissing,
  parseInteger,
  parseNumber,
  type Checker,
} from './fields.js';

/** Records read from each file unless --sample says otherwise. */
export const DEFAULT_SAMPLE = 10_000;
/** An enum has at most ENUM_MAX values, each seen ENUM_REPEAT times on average: fewer could be chance. */
const ENUM_MAX = 10;
const ENUM_REPEAT = 3;
const MAX_FIELDS = 64;
const KIND_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;
const RESERVED = new Set(['customer', 'inventory', 'unknown']);
/** `max_length` is rounded up to the first of these that holds the longest value. */
const ROUNDED = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

type Test = 'boolean' | 'email' | 'country' | 'date' | 'timestamp' | 'integer' | 'number' | 'phone' | 'id' | 'text';
const TESTS: readonly Test[] = ['boolean', 'email', 'country', 'date', 'timestamp', 'integer', 'number', 'phone', 'id', 'text'];

const passes = (check: Checker, v: unknown): boolean => {
  beginRecord(true); // quiet: the checker reports nothing
  return check('x', v, 0) !== BAD;
};
/** A column named like an identifier: `id`, `order_id`, `sku-id`. */
const ID_NAME_RE = /(^|[_-])id$/i;
const LEADING_ZERO_RE = /^[+-]?0\d/;

/** Does value v (not missing) fit this type as the contract checks it? */
function fits(t: Test, v: unknown): boolean {
  const s = typeof v === 'string' ? v.trim() : null;
  switch (t) {
    case 'boolean':
      // not 1/0: those are as often counts; yes/no and true/false (JSON or text) are booleans
      return typeof v === 'boolean' || (s !== null && /^(true|false|yes|no)$/i.test(s) && passes(checkBoolean, v));
    case 'email':
      return passes(checkEmail, v);
    case 'country':
      return s !== null && /^[A-Za-z]{2}$/.test(s) && passes(checkCountry, v);
    case 'date': // any form the date type takes (a timestamp keeps its date)
      return passes(checkDate, v);
    case 'timestamp':
      return passes(checkTimestamp, v);
    case 'integer': // 007 is an id or a code, not the number 7
      return (s === null || !LEADING_ZERO_RE.test(s)) && passes(parseInteger, v);
    case 'number':
      return (s === null || !LEADING_ZERO_RE.test(s)) && passes(parseNumber, v);
    case 'phone': // a phone number is written with a + or separators; bare digits are integers or ids
      return s !== null && /[+ ().-]/.test(s) && passes(checkPhone, v);
    case 'id':
      return passes(checkId, v);
    case 'text':
      return asText(v) !== null;
  }
}

/** What one file's records showed of one column. */
class Column {
  present = 0;
  set = 0;
  maxLength = 0;
  /** Values written as a plain YYYY-MM-DD, and as two capital letters. */
  plainDates = 0;
  upperPairs = 0;
  readonly possible = new Set<Test>(TESTS);
  /** Distinct values (trimmed text), up to the sample size: for enums and keys. */
  readonly distinct = new Set<string>();
  /** Each value folded to lower case, in order seen, with how often each spelling was seen (for enum values). */
  readonly folded = new Map<string, Map<string, number>>();

  constructor(readonly name: string) {}

  add(v: unknown): void {
    this.present++;
    if (isMissing(v)) return;
    this.set++;
    for (const t of this.possible) if (!fits(t, v)) this.possible.delete(t);
    const text = typeof v === 'boolean' ? String(v) : asText(v);
    if (text === null) return;
    const s = text.trim();
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) this.plainDates++;
    if (/^[A-Z]{2}$/.test(s)) this.upperPairs++;
    this.maxLength = Math.max(this.maxLength, codePoints(s));
    this.distinct.add(s);
    const f = s.toLowerCase();
    const spellings = this.folded.get(f);
    if (spellings !== undefined) spellings.set(s, (spellings.get(s) ?? 0) + 1);
    else if (this.folded.size <= ENUM_MAX) this.folded.set(f, new Map([[s, 1]]));
  }

  /** The enum values: each value in its most frequent spelling. */
  enumValues(): string[] {
    return [...this.folded.values()].map((sp) => [...sp].reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
  }
}

interface FileColumns {
  name: string;
  records: number;
  columns: Map<string, Column>;
}

export interface InferOptions extends Pick<SourceOptions, 'format' | 'delimiter' | 'encoding'> {
  /** One kind for every file; without it, one kind per file named after it. */
  kind?: string;
  /** Records read from each file. */
  sample: number;
}

export interface Inferred {
  /** The draft contract as YAML. */
  text: string;
  warnings: string[];
}

/** A kind name from a file name: `exports/Orders 2026.csv.gz` gives `orders_2026`. */
export function kindNameFor(file: string): string {
  const base = file.split(/[\\/]/).pop()!.replace(/(\.gz)$/i, '').replace(/\.[^.]*$/, '');
  const name = base.toLowerCase().replace(/[^a-z0-9_-]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 64).replace(/[_-]+$/, '');
  return name === '' ? 'records' : name;
}

async function readColumns(source: Source, sample: number, warnings: string[]): Promise<FileColumns> {
  const columns = new Map<string, Column>();
  let records = 0;
  let unparsed = 0;
  const take = (r: Fields): void => {
    for (const [k, v] of Object.entries(r)) {
      let col = columns.get(k);
      if (col === undefined) columns.set(k, (col = new Column(k)));
      col.add(v);
    }
  };
  for await (const batch of source.batches()) {
    unparsed += batch.rejected.length;
    for (const rec of batch.records) {
      if (records >= sample) break;
      take(rec.value);
      records++;
    }
    if (records >= sample) {
      source.stop?.();
      break;
    }
  }
  await source.close?.();
  if (unparsed > 0) warnings.push(`${source.name}: ${unparsed} lines could not be read as records and were left out of the draft`);
  return { name: source.name, records, columns };
}

function roundUp(n: number): number {
  return ROUNDED.find((r) => r >= n) ?? Math.ceil(n / 100_000) * 100_000;
}

/** The declaration of one column, or null when no type accepts all its values. */
function declare(col: Column, records: number, warnings: string[], where: string): Record<string, unknown> | null {
  const required = col.present === records && col.set === records;
  const decl = (type: string, rules: Record<string, unknown> = {}): Record<string, unknown> => ({ type, ...(required ? { required: true } : {}), ...rules });
  if (col.set === 0) {
    warnings.push(`${where}: ${col.name} was always blank: declared as an optional string`);
    return { type: 'string' };
  }
  const can = (t: Test): boolean => col.possible.has(t);
  if (can('boolean')) return decl('boolean');
  if (can('email')) return decl('email');
  // lowercase pairs are as often language codes: any case only in a column named country
  if (can('country') && (col.upperPairs === col.set || /country/i.test(col.name))) return decl('country');
  // a date column may hold a few timestamps (their date is kept); mostly timestamps: a timestamp
  if (can('date') && col.plainDates * 2 > col.set) return decl('date');
  for (const t of ['timestamp', 'integer', 'number', 'phone'] as const) if (can(t)) return decl(t);
  const fewValues = col.folded.size <= ENUM_MAX && col.set >= ENUM_REPEAT * col.folded.size && col.maxLength <= 64;
  if (can('text') && fewValues) return decl('enum', { values: col.enumValues() });
  if (can('id')) return decl('id');
  if (can('text')) return decl('string', { max_length: roundUp(col.maxLength) });
  warnings.push(`${where}: ${col.name} holds values no type takes (objects, arrays, or true/false mixed with text): not declared; it passes as read`);
  return null;
}

/** The key: a required column whose values never repeat, named like an id (else the first `id` column). */
function keyOf(file: FileColumns, fields: Map<string, Record<string, unknown>>): string | undefined {
  const unique = [...fields].filter(([name, d]) => {
    const col = file.columns.get(name)!;
    return d.required === true && ['id', 'integer', 'string', 'email'].includes(d.type as string) && col.distinct.size === file.records;
  });
  return (unique.find(([n]) => ID_NAME_RE.test(n)) ?? unique.find(([, d]) => d.type === 'id'))?.[0];
}

interface KindDraft {
  name: string;
  from: string[];
  records: number;
  columns: Map<string, Column>;
  fields: Map<string, Record<string, unknown>>;
  key?: string;
  detect?: string;
}

/** Merge files read as one kind (--kind): a column's counts add up. */
function merge(files: FileColumns[]): FileColumns {
  if (files.length === 1) return files[0]!;
  const columns = new Map<string, Column>();
  const records = files.reduce((n, f) => n + f.records, 0);
  for (const f of files) {
    for (const [name, c] of f.columns) {
      let m = columns.get(name);
      if (m === undefined) columns.set(name, (m = new Column(name)));
      m.present += c.present;
      m.set += c.set;
      m.maxLength = Math.max(m.maxLength, c.maxLength);
      m.plainDates += c.plainDates;
      m.upperPairs += c.upperPairs;
      for (const t of [...m.possible]) if (!c.possible.has(t) && c.set > 0) m.possible.delete(t);
      for (const d of c.distinct) m.distinct.add(d);
      for (const [k, sp] of c.folded) {
        const into = m.folded.get(k);
        if (into !== undefined) for (const [spelling, n] of sp) into.set(spelling, (into.get(spelling) ?? 0) + n);
        else if (m.folded.size <= ENUM_MAX) m.folded.set(k, new Map(sp));
      }
    }
  }
  // a column absent from some file is present in fewer records than were read: not required
  return { name: files.map((f) => f.name).join(', '), records, columns };
}

function draftKind(name: string, file: FileColumns, warnings: string[]): KindDraft {
  const fields = new Map<string, Record<string, unknown>>();
  for (const col of file.columns.values()) {
    if (col.name === 'kind' || col.name === '__proto__') {
      if (col.name === '__proto__') warnings.push(`${name}: a column named __proto__ cannot be declared; left out`);
      continue; // a `kind` column names the kind itself
    }
    if (fields.size === MAX_FIELDS) {
      warnings.push(`${name}: more than ${MAX_FIELDS} columns: ${col.name} and the ones after it are not declared (they pass as read)`);
      break;
    }
    const d = declare(col, file.records, warnings, name);
    if (d !== null) fields.set(col.name, d);
  }
  return { name, from: file.name.split(', '), records: file.records, columns: file.columns, fields, key: keyOf(file, fields) };
}

/** detect: a column every record of this kind has and no other kind has; the key, a required one, then any. */
function chooseDetect(kinds: KindDraft[], warnings: string[]): void {
  for (const k of kinds) {
    const elsewhere = (c: string): boolean => kinds.some((o) => o !== k && o.columns.has(c));
    const always = [...k.fields.keys()].filter((c) => k.columns.get(c)!.present === k.records && !elsewhere(c));
    const idLike = always.filter((c) => ID_NAME_RE.test(c));
    const required = always.filter((c) => k.fields.get(c)!.required);
    k.detect = [k.key, ...required.filter((c) => idLike.includes(c)), ...idLike, ...required, ...always].find((c) => c !== undefined && always.includes(c));
    if (k.detect === undefined) {
      warnings.push(`${k.name}: no column only its records have: no detect rule; give --kind ${k.name} when reading them`);
    }
  }
}

function kindNames(files: FileColumns[], kind: string | undefined, warnings: string[]): string[] {
  if (kind !== undefined) return [kind];
  const taken = new Set<string>();
  return files.map((f) => {
    const base = kindNameFor(f.name);
    let name = base;
    for (let i = 2; RESERVED.has(name) || taken.has(name); i++) name = `${base}_${i}`;
    if (name !== base) warnings.push(`${f.name}: the kind name ${base} is ${RESERVED.has(base) ? 'built in' : 'taken'}: named it ${name} (rename it, or give --kind NAME)`);
    taken.add(name);
    return name;
  });
}

/** The contract as YAML: one flow mapping per field, a comment saying what was seen. */
export function contractYaml(header: string, kinds: { name: string; description?: string; detect?: string; key?: string; extra?: string; fields: Map<string, Record<string, unknown>>; notes?: Map<string, string> }[]): string {
  const obj = {
    kinds: Object.fromEntries(
      kinds.map((k) => [
        k.name,
        {
          ...(k.description ? { description: k.description } : {}),
          ...(k.detect ? { detect: { has: k.detect } } : {}),
          ...(k.key ? { key: k.key } : {}),
          ...(k.extra ? { extra: k.extra } : {}),
          fields: Object.fromEntries(k.fields),
        },
      ]),
    ),
  };
  const doc = new YAML.Document(obj);
  doc.commentBefore = header;
  for (const k of kinds) {
    const detect = doc.getIn(['kinds', k.name, 'detect'], true);
    if (YAML.isMap(detect)) detect.flow = true;
    for (const name of k.fields.keys()) {
      const node = doc.getIn(['kinds', k.name, 'fields', name], true);
      if (!YAML.isMap(node)) continue;
      node.flow = true;
      const note = k.notes?.get(name);
      if (note) node.comment = ` ${note}`;
    }
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** Read the sources and draft a contract from them. */
export async function inferContract(args: readonly string[], opts: InferOptions): Promise<Inferred> {
  if (opts.kind !== undefined && (!KIND_NAME_RE.test(opts.kind) || RESERVED.has(opts.kind))) {
    throw usageError(`--kind '${opts.kind}': expected a new kind name (a lowercase letter, then up to 63 of a-z 0-9 _ -; not customer, inventory or unknown)`);
  }
  const ctx = { opts: {}, env: process.env, log: (m: string) => log('info', m), debug: false };
  const sources = await openSources([...args], { format: opts.format, delimiter: opts.delimiter, encoding: opts.encoding }, ctx);
  const warnings: string[] = [];
  const files: FileColumns[] = [];
  for (const s of sources) files.push(await readColumns(s, opts.sample, warnings));
  if (files.every((f) => f.records === 0)) throw new RecflowError('input', `contract infer: no records in ${args.join(', ')}: nothing to draft a contract from`);
  const used = files.filter((f) => f.records > 0);
  const groups = opts.kind === undefined ? used : [merge(used)];
  const names = kindNames(groups, opts.kind, warnings);
  const kinds = groups.map((f, i) => draftKind(names[i]!, f, warnings));
  for (const k of kinds) if (k.fields.size === 0) throw new RecflowError('input', `contract infer: ${k.from.join(', ')}: no column could be declared`);
  chooseDetect(kinds, warnings);
  const read = used.map((f) => `${f.name} (${f.records} records${f.records >= opts.sample ? ', the first ones' : ''})`).join(', ');
  const header = ` Drafted by recflow contract infer from ${read}.\n Check each type and rule, then use it: recflow validate DATA --contract THIS_FILE (docs/contracts.md)`;
  const notes = (k: KindDraft): Map<string, string> =>
    new Map([...k.fields.keys()].map((n) => {
      const c = k.columns.get(n)!;
      return [n, `set in ${c.set} of ${k.records}, ${c.distinct.size} distinct`];
    }));
  return { text: contractYaml(header, kinds.map((k) => ({ ...k, notes: notes(k) }))), warnings };
}
