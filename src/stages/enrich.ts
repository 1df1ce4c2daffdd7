// `enrich`: join records against a reference file (CSV or NDJSON), loaded once
// at start-up, so a bad reference stops the run before any output.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { normalizeHeader } from '../contract/index.js';
import { isMissing } from '../contract/fields.js';
import { RecflowError } from '../errors.js';
import type { Fields, Rec, Rejected, ShapeStep, Stage, StageResult } from '../pipeline/types.js';
import { defineStage, fieldOf, opt, options, rejectOf, setField, show, type StageContext } from './define.js';
import { copyList, fieldIn, find, put } from './shape.js';

interface Reference {
  rows: { fields: Fields; line: number }[];
  columns: Set<string>;
}

function parseCsv(text: string, file: string): Reference {
  const columns = new Set<string>();
  const rows = parse(text, {
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    columns: (header: string[]) =>
      header.map((h) => {
        const name = normalizeHeader(h);
        if (columns.has(name)) throw new Error(`${file}: the header has the column '${name}' twice`);
        columns.add(name);
        return name;
      }),
  }) as { record: Fields; info: { lines: number } }[];
  return { rows: rows.map((r) => ({ fields: r.record, line: r.info.lines })), columns };
}

function parseNdjson(text: string, file: string): Reference {
  const columns = new Set<string>();
  const rows: Reference['rows'] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}:${i + 1}: expected a JSON object`);
    for (const k of Object.keys(v)) columns.add(k);
    rows.push({ fields: v as Fields, line: i + 1 });
  });
  return { rows, columns };
}

export async function loadReference(file: string, format: 'csv' | 'ndjson' | undefined, ctx: StageContext): Promise<Reference> {
  const path = isAbsolute(file) ? file : resolve(ctx.baseDir, file);
  const fail = (why: string, cause?: unknown): never => {
    throw new RecflowError('config', `${ctx.option('file')}: ${why}`, { cause });
  };
  let buf: Buffer = Buffer.alloc(0);
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(`cannot read ${file} (${code === 'ENOENT' ? `file not found: ${path}` : code}); check the path`, err);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const base = file.toLowerCase().replace(/\.gz$/, '');
  const fmt = format ?? (base.endsWith('.csv') ? 'csv' : /\.(ndjson|jsonl|json)$/.test(base) ? 'ndjson' : undefined);
  if (!fmt) fail(`cannot tell the format of ${file} from its name; add format=csv or format=ndjson`);
  try {
    const text = buf.toString('utf8');
    return fmt === 'csv' ? parseCsv(text, file) : parseNdjson(text, file);
  } catch (err) {
    return fail((err as Error).message, err);
  }
}

export const enrichStage = defineStage({
  name: 'enrich',
  summary:
    'Join each record against a reference file (CSV or NDJSON, optionally .gz) on a key and add the matching row\'s ' +
    'fields, e.g. inventory supplier → supplier details, customer country → region.',
  notes: [
    'The reference is read once, before any record, and held in memory (meant for lookup tables, not for a second data set). ' +
      'CSV headers are normalized like input headers (`Supplier Name` → `supplier_name`). Keys compare as trimmed text. ' +
      'A key that appears twice in the reference is an error. Added fields go after the record\'s own fields; blank reference values are left out.',
  ],
  options: options({
    file: opt.text('a file path').describe('the reference file; relative to the current folder (or to the config file)'),
    key: opt.text('a field name').describe('the record field to look up'),
    ref_key: z.string().min(1).optional().describe('the reference column to match (default: same as key)'),
    fields: opt.fields().optional().describe('reference columns to add (default: all but the key)'),
    prefix: z.string().default('').describe('put before the names of added fields, e.g. supplier_'),
    on_missing: opt
      .choice(['pass', 'tag', 'reject'])
      .default('pass')
      .describe("no matching row: 'pass' unchanged, 'tag' (set tag_field to true), or 'reject' (code enrich_missing)"),
    tag_field: opt.text('a field name').default('enrich_missing').describe('the field on_missing=tag sets'),
    overwrite: opt.bool().default(false).describe('replace fields the record already has (default: the record\'s own value wins)'),
    ignore_case: opt.bool().default(false).describe('match keys ignoring case'),
    format: opt.choice(['csv', 'ndjson']).optional().describe('the reference format (default: from the file name)'),
  }),
  examples: [
    'enrich:file=suppliers.csv,key=supplier,ref_key=name,prefix=supplier_',
    'enrich:file=regions.ndjson,key=country,fields=region,on_missing=reject',
  ],
  async create(o, ctx) {
    const refKey = o.ref_key ?? o.key;
    const ref = await loadReference(o.file, o.format, ctx);
    const bad = (why: string): never => {
      throw new RecflowError('config', `${why} (columns: ${[...ref.columns].join(', ') || 'none'})`);
    };
    if (!ref.columns.has(refKey)) bad(`${ctx.option(o.ref_key ? 'ref_key' : 'key')}: ${o.file} has no column '${refKey}'`);
    for (const f of o.fields ?? []) if (!ref.columns.has(f)) bad(`${ctx.option('fields')}: ${o.file} has no column '${f}'`);
    const wanted = o.fields ?? [...ref.columns].filter((c) => c !== refKey);
    const norm = (v: unknown): string | null => {
      if (isMissing(v) || typeof v === 'object') return null;
      const s = String(v).trim();
      return o.ignore_case ? s.toLowerCase() : s;
    };
    const table = new Map<string, { pairs: [string, unknown][]; line: number }>();
    for (const row of ref.rows) {
      const k = norm(row.fields[refKey]);
      if (k === null) continue;
      const first = table.get(k);
      if (first) throw new RecflowError('config', `${ctx.where}: ${o.file} has the key ${show(k)} twice (lines ${first.line} and ${row.line})`);
      const pairs: [string, unknown][] = [];
      for (const f of wanted) if (!isMissing(row.fields[f])) pairs.push([o.prefix + f, row.fields[f]]);
      table.set(k, { pairs, line: row.line });
    }
    const { key, on_missing, tag_field, overwrite } = o;
    const added = wanted.map((f) => o.prefix + f);
    const stage: Stage = {
      name: 'enrich',
      parallel: true, // stateless: runs in the worker threads
      process(records: Rec[]): StageResult {
        const kept: Rec[] = [];
        const rejected: Rejected[] = [];
        for (const r of records) {
          const v = r.value;
          const k = norm(fieldOf(r, key));
          const hit = k === null ? undefined : table.get(k);
          if (hit === undefined && on_missing === 'reject') {
            rejected.push(rejectOf(r, 'enrich', 'enrich_missing', key, `no row in ${o.file} with ${refKey} ${show(fieldOf(r, key) ?? null)}`));
            continue;
          }
          if (hit !== undefined || on_missing === 'tag') {
            const out: Fields = {};
            for (const f in v) setField(out, f, v[f]);
            if (hit === undefined) setField(out, tag_field, true);
            else for (const [f, x] of hit.pairs) if (overwrite || !Object.hasOwn(out, f) || isMissing(out[f])) setField(out, f, x);
            r.value = out; // a copy: r.raw may be the same object
          }
          kept.push(r);
        }
        return { kept, rejected };
      },
    };
    // a reject needs the record: only pass and tag go on the field list
    if (on_missing === 'reject') return stage;
    const shape: ShapeStep = {
      adds: on_missing === 'tag' ? [tag_field, ...added] : added,
      apply(from, to) {
        const k = norm(fieldIn(from, key));
        const hit = k === null ? undefined : table.get(k);
        if (hit === undefined && on_missing === 'pass') return false;
        copyList(from, to);
        if (hit === undefined) put(to, tag_field, true);
        else {
          for (const [f, x] of hit.pairs) {
            const i = find(to, f);
            if (overwrite || i < 0 || isMissing(to.vals[i])) put(to, f, x);
          }
        }
        return true;
      },
    };
    return { ...stage, shape };
  },
});
