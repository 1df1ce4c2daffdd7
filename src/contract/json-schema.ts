// `recflow contract from-json-schema`: the common subset of a JSON Schema of one record
// (an object with `properties`) as a contract kind. Every keyword that is not converted
// is named in a warning with its path, so nothing is dropped silently.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { RecflowError, usageError } from '../errors.js';
import { contractYaml, kindNameFor } from './infer.js';

type Schema = Record<string, unknown>;
type Decl = Record<string, unknown>;

/** Keywords that only annotate (they never make a record invalid): taken or skipped silently. */
const ANNOTATIONS = new Set(['title', 'description', '$comment', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$id', '$schema', '$anchor']);
const TOP_HANDLED = new Set(['type', 'properties', 'required', 'additionalProperties']);
const FORMATS: Readonly<Record<string, string>> = { email: 'email', date: 'date', 'date-time': 'timestamp' };
const KIND_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;
const RESERVED = new Set(['customer', 'inventory', 'unknown']);

export interface Converted {
  text: string;
  warnings: string[];
}

function notSchema(file: string, why: string): never {
  throw new RecflowError('config', `${file}: not a JSON Schema of records: ${why}; expected an object schema with "properties" (see docs/contracts.md)`);
}

function read(file: string): Schema {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RecflowError('config', `cannot read ${file}: ${code === 'ENOENT' ? 'file not found' : code}; check the path`, { cause: err });
  }
  const doc = YAML.parseDocument(text); // JSON is YAML: one parser for .json and .yaml schemas
  const e = doc.errors[0];
  if (e) notSchema(file, `not valid JSON or YAML (${e.message.split('\n')[0]})`);
  const s: unknown = doc.toJS();
  if (s === null || typeof s !== 'object' || Array.isArray(s)) notSchema(file, 'the top level is not an object');
  const schema = s as Schema;
  if (schema.type !== undefined && schema.type !== 'object') notSchema(file, `"type" is ${JSON.stringify(schema.type)}`);
  const props = schema.properties;
  if (props === null || typeof props !== 'object' || Array.isArray(props) || Object.keys(props).length === 0) notSchema(file, 'no "properties"');
  return schema;
}

/** The one non-null type of a property, and whether null was allowed. */
function typeOf(s: Schema, warn: (k: string, m: string) => void): { type?: string; nullable: boolean } {
  const t = s.type;
  const list = Array.isArray(t) ? t.map(String) : t === undefined ? [] : [String(t)];
  const nullable = list.includes('null');
  const rest = list.filter((x) => x !== 'null');
  if (rest.length <= 1) return { type: rest[0], nullable };
  if (rest.every((x) => ['string', 'number', 'integer'].includes(x))) {
    warn('type', `${JSON.stringify(t)} is converted as string (a string type takes numbers as written)`);
    return { type: 'string', nullable };
  }
  warn('type', `${JSON.stringify(t)}: several types cannot be converted`);
  return { type: undefined, nullable };
}

function enumValues(values: unknown[], warn: (k: string, m: string) => void, key: string): (string | number)[] | null {
  const kept = values.filter((v): v is string | number => (typeof v === 'string' && v.trim() !== '') || typeof v === 'number');
  const seen = new Set<string>();
  const unique = kept.filter((v) => {
    const f = String(v).toLowerCase();
    if (seen.has(f)) return false;
    seen.add(f);
    return true;
  });
  if (unique.length < values.filter((v) => v !== null).length) warn(key, 'values other than text and numbers, blank ones, and ones equal in another case are left out (enum values are compared in any case)');
  return unique.length > 0 ? unique : null;
}

const decimalScale = (m: unknown): number | null => {
  if (typeof m !== 'number' || !(m > 0) || m > 1) return null;
  for (let k = 0; k <= 15; k++) if (Math.abs(m - 10 ** -k) < 10 ** -(k + 6)) return k;
  return null;
};

/** One property as a field declaration, or null when it cannot be one. */
function convertField(s: unknown, warn: (k: string, m: string) => void): { decl: Decl; nullable: boolean } | null {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) {
    warn('', 'not a schema object: not converted');
    return null;
  }
  const p = s as Schema;
  const used = new Set<string>(['type']);
  const take = (k: string): unknown => {
    used.add(k);
    return p[k];
  };
  const { type: t, nullable } = typeOf(p, warn);
  let decl: Decl | null = null;
  const values = p.enum ?? (p.const !== undefined ? [p.const] : undefined);
  if (Array.isArray(values) && t !== 'boolean') {
    used.add('enum').add('const');
    const v = enumValues(values, warn, p.enum !== undefined ? 'enum' : 'const');
    if (v === null) {
      warn(p.enum !== undefined ? 'enum' : 'const', 'no value could be converted: the property is not converted');
      return null;
    }
    decl = { type: 'enum', values: v };
  } else if (t === 'string' || (t === undefined && p.format !== undefined)) {
    const format = take('format');
    const mapped = typeof format === 'string' ? FORMATS[format] : undefined;
    if (format !== undefined && mapped === undefined) warn('format', `${JSON.stringify(format)} is not converted (the field is a plain string)`);
    if (mapped !== undefined) {
      decl = { type: mapped };
      for (const k of ['pattern', 'minLength', 'maxLength']) if (p[k] !== undefined) (used.add(k), warn(k, `not converted: a ${mapped} field has its own rule`));
    } else {
      decl = { type: 'string' };
      const pattern = take('pattern');
      if (typeof pattern === 'string') {
        try {
          new RegExp(pattern, 'u');
          decl.pattern = pattern;
        } catch {
          warn('pattern', 'not a regular expression JavaScript takes in Unicode mode: not converted');
        }
      }
      const min = take('minLength');
      const max = take('maxLength');
      if (Number.isInteger(min) && (min as number) > 0) decl.min_length = min;
      if (Number.isInteger(max) && (max as number) >= 1) decl.max_length = max;
    }
  } else if (t === 'integer' || t === 'number') {
    const scale = t === 'number' ? decimalScale(p.multipleOf) : null;
    if (scale !== null) used.add('multipleOf');
    decl = scale !== null ? { type: 'decimal', scale } : { type: t };
    const min = take('minimum');
    const max = take('maximum');
    if (typeof min === 'number') decl.min = t === 'integer' ? Math.ceil(min) : min;
    if (typeof max === 'number') decl.max = t === 'integer' ? Math.floor(max) : max;
    if (t === 'integer') {
      // an exclusive bound on integers is the next integer in
      const exMin = take('exclusiveMinimum');
      const exMax = take('exclusiveMaximum');
      if (typeof exMin === 'number') decl.min = Math.max(Math.floor(exMin) + 1, (decl.min as number | undefined) ?? -Infinity);
      if (exMin === true && typeof decl.min === 'number') decl.min += 1;
      if (typeof exMax === 'number') decl.max = Math.min(Math.ceil(exMax) - 1, (decl.max as number | undefined) ?? Infinity);
      if (exMax === true && typeof decl.max === 'number') decl.max -= 1;
    }
  } else if (t === 'boolean') {
    decl = { type: 'boolean' };
  } else {
    // name what the property holds instead, so the user knows what to write by hand
    const keywords = Object.keys(p).filter((k) => k !== 'type' && !ANNOTATIONS.has(k));
    const holds = keywords.length > 0 ? `; it has ${keywords.join(', ')}` : '';
    if (t === undefined) warn('', `not converted: no type${holds}`);
    else warn('type', `${t} is not converted (a contract field holds one value, not an object or array)${holds}`);
    return null;
  }
  if (decl === null) return null;
  if (typeof p.description === 'string') decl.description = p.description;
  for (const k of Object.keys(p)) {
    if (used.has(k) || ANNOTATIONS.has(k)) continue;
    warn(k, k === 'default' ? 'not converted (recflow does not fill in defaults)' : 'not converted');
  }
  return { decl, nullable };
}

/** Convert the schema in `file` into a contract with one kind. */
export function fromJsonSchema(file: string, kindOption?: string): Converted {
  const schema = read(file);
  const warnings: string[] = [];
  const warnAt = (path: string) => (k: string, m: string) => warnings.push(`${file}: ${path}${k ? `.${k}` : ''}: ${m}`);
  const name = kindOption ?? kindNameFor(typeof schema.title === 'string' ? `${schema.title}.json` : file);
  if (!KIND_NAME_RE.test(name) || RESERVED.has(name)) {
    throw usageError(`--kind '${name}': expected a new kind name (a lowercase letter, then up to 63 of a-z 0-9 _ -; not customer, inventory or unknown)`);
  }
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const props = schema.properties as Record<string, unknown>;
  for (const r of required) if (!(r in props)) warnAt('required')('', `${r} is not one of the properties: left out`);
  const fields = new Map<string, Decl>();
  let skipped = 0;
  for (const [prop, s] of Object.entries(props)) {
    const warn = warnAt(`properties.${prop}`);
    if (prop === 'kind' || prop === '__proto__') {
      warn('', `a field cannot be named ${prop}: not converted`);
      skipped++;
      continue;
    }
    const f = convertField(s, warn);
    if (f === null) {
      skipped++;
      continue;
    }
    if (required.includes(prop)) {
      if (f.nullable) warn('type', 'null is allowed, but recflow counts null as missing: required is kept');
      f.decl = { type: f.decl.type, required: true, ...Object.fromEntries(Object.entries(f.decl).filter(([k]) => k !== 'type')) };
    }
    fields.set(prop, f.decl);
  }
  if (fields.size === 0) notSchema(file, 'no property could be converted');
  let extra: string | undefined;
  const ap = schema.additionalProperties;
  if (ap === false) {
    extra = skipped > 0 ? undefined : 'reject';
    if (skipped > 0) warnAt('additionalProperties')('', 'false is converted as extra: pass, since some properties were not converted (they would be refused as unknown fields)');
  } else if (ap !== undefined && ap !== true) warnAt('additionalProperties')('', 'a schema here is not converted (extra fields pass as read)');
  for (const k of Object.keys(schema)) {
    if (!TOP_HANDLED.has(k) && !ANNOTATIONS.has(k)) warnAt(k)('', k === '$defs' || k === 'definitions' ? 'not converted ($ref is not followed)' : 'not converted');
  }
  const detect = required.find((r) => fields.has(r) && /(^|[_-])id$/i.test(r)) ?? required.find((r) => fields.has(r));
  if (detect === undefined) warnings.push(`${file}: no required property: no detect rule; give --kind ${name} when reading such records`);
  const header = ` Converted by recflow contract from-json-schema from ${file}.\n Check it, then use it: recflow validate DATA --contract THIS_FILE (docs/contracts.md)`;
  const description = typeof schema.description === 'string' ? schema.description : typeof schema.title === 'string' ? schema.title : undefined;
  return { text: contractYaml(header, [{ name, description, detect, extra, fields }]), warnings };
}
