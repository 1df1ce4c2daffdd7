// `recflow test`: unit tests for pipelines and user stages, as `vector test` and
// `benthos test` give. A YAML/JSON file of cases; each builds its stages (inline or from
// a config file), feeds its input records through them in memory (the same Stage
// objects a run uses, flushed at the end), and compares what came out with `expect`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { RecflowError } from '../errors.js';
import { configStages } from '../config/resolve.js';
import { loadConfigFile } from '../config/load.js';
import { openSources } from '../sources/index.js';
import { planStages, type StageRef } from '../stages/plan.js';
import { stageRefFromFlag } from '../stages/parse-spec.js';
import type { Fields, Kind, Rec, Rejected, Stage } from './types.js';
import { log } from '../log.js';

const kindSchema = z.enum(['customer', 'inventory']);
const stageSchema = z.union([z.string().min(1), z.object({ name: z.string().min(1), options: z.record(z.unknown()).optional() }).strict()]);
const caseSchema = z
  .object({
    name: z.string().min(1),
    config: z.string().min(1).optional(),
    stages: z.array(stageSchema).optional(),
    validate: z.boolean().optional(),
    kind: kindSchema.optional(),
    input: z.array(z.record(z.unknown())).optional(),
    input_file: z.string().min(1).optional(),
    expect: z
      .object({
        output: z.array(z.record(z.unknown())).optional(),
        rejected: z.array(z.object({ codes: z.array(z.string()).min(1), line: z.number().int().optional(), field: z.string().optional() }).strict()).optional(),
        dropped: z.number().int().min(0).optional(),
      })
      .strict(),
  })
  .strict()
  .refine((c) => !(c.config && c.stages), { message: 'give either config or stages, not both' })
  .refine((c) => (c.input === undefined) !== (c.input_file === undefined), { message: 'give exactly one of input (records) or input_file (a CSV/NDJSON file)' });
const fileSchema = z.object({ cases: z.array(caseSchema).min(1) }).strict();

export type TestCase = z.infer<typeof caseSchema>;

export interface CaseResult {
  name: string;
  file: string;
  passed: boolean;
  /** What differs, one line each (empty when passed). */
  diff: string[];
  ms: number;
}

/** Reads and checks a test file; problems name the file, the path in it, and what was expected. */
export function loadTestFile(file: string): TestCase[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RecflowError('input', `cannot read test file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const doc = YAML.parseDocument(text);
  const e = doc.errors[0];
  if (e) throw new RecflowError('config', `${file}${e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  const res = fileSchema.safeParse(doc.toJS());
  if (!res.success) {
    const lines = res.error.issues.map((i) => `${file}: ${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new RecflowError('config', lines.join('\n'));
  }
  return res.data.cases;
}

async function stagesFor(c: TestCase, file: string, where: string): Promise<Stage[]> {
  const dir = dirname(file);
  let refs: StageRef[] = [];
  let validate = c.validate ?? true;
  if (c.config) {
    const cfg = loadConfigFile(resolve(dir, c.config));
    refs = cfg.data.stages === undefined ? [] : configStages(cfg, cfg.data.stages);
    if (cfg.data.validate === false) validate = c.validate ?? false;
  } else {
    refs = (c.stages ?? []).map((s, i) =>
      typeof s === 'string'
        ? stageRefFromFlag(s, dir, `${where}.stages[${i}]`)
        : { name: s.name, options: s.options ?? {}, where: `${where}.stages[${i}]`, baseDir: dir, inConfig: true },
    );
  }
  const plan = await planStages(refs, { validate, dryRun: false, warn: (m) => log('warn', m) });
  return plan.stages;
}

/** The case's records: inline, or read from a file exactly as `run` reads it (parse errors become rejects). */
async function inputRecords(c: TestCase, file: string): Promise<{ records: Rec[]; rejected: Rejected[] }> {
  if (c.input) {
    const records = c.input.map((value, i) => {
      const rec: Rec = { value, raw: value, source: `${file}#${c.name}`, line: i + 1, origin: `test:${file}#${c.name}`, pos: i + 1 };
      if (c.kind) rec.kindHint = c.kind as Kind;
      return rec;
    });
    return { records, rejected: [] };
  }
  const ctx = { opts: {}, env: process.env, debug: false, log: (m: string) => log('info', m) };
  const out = { records: [] as Rec[], rejected: [] as Rejected[] };
  for (const source of await openSources([resolve(dirname(file), c.input_file!)], { kind: c.kind as Kind | undefined }, ctx)) {
    for await (const batch of source.batches()) {
      out.records.push(...batch.records);
      out.rejected.push(...batch.rejected);
    }
    await source.close?.();
  }
  return out;
}

/** Runs one case: every stage in order on the whole input, then each stage's flush. */
async function runCase(c: TestCase, file: string, index: number): Promise<{ kept: Rec[]; rejected: Rejected[]; dropped: number }> {
  const stages = await stagesFor(c, file, `cases[${index}]`);
  const input = await inputRecords(c, file);
  const rejected: Rejected[] = input.rejected;
  let dropped = 0;
  const apply = async (from: number, input: Rec[]): Promise<Rec[]> => {
    let cur = input;
    for (let i = from; i < stages.length; i++) {
      const res = await stages[i]!.process(cur);
      dropped += cur.length - res.kept.length - res.rejected.length;
      rejected.push(...res.rejected);
      cur = res.kept;
    }
    return cur;
  };
  const kept = await apply(0, input.records);
  for (let i = 0; i < stages.length; i++) {
    const res = await stages[i]!.flush?.();
    if (!res) continue;
    dropped -= res.kept.length + res.rejected.length;
    rejected.push(...res.rejected);
    kept.push(...(await apply(i + 1, res.kept)));
  }
  for (const s of stages) await s.close?.();
  // input order, as the dead-letter file has it (parse errors and stage rejects mixed)
  rejected.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { kept, rejected, dropped };
}

const show = (v: unknown): string => JSON.stringify(v);

function compare(c: TestCase, got: { kept: Rec[]; rejected: Rejected[]; dropped: number }): string[] {
  const diff: string[] = [];
  const want = c.expect;
  if (want.output) {
    if (got.kept.length !== want.output.length) {
      diff.push(`output: expected ${want.output.length} record(s), got ${got.kept.length}`);
      for (const r of got.kept.slice(want.output.length)) diff.push(`  + ${show(r.value)}`);
    }
    want.output.forEach((exp, i) => {
      const actual = got.kept[i]?.value;
      if (!actual) return diff.push(`  - output[${i}]: expected ${show(exp)}, got nothing`);
      for (const [k, v] of Object.entries(exp)) {
        if (show(actual[k]) !== show(v)) diff.push(`output[${i}].${k}: expected ${show(v)}, got ${actual[k] === undefined ? '(absent)' : show(actual[k])}   in ${show(actual)}`);
      }
    });
  }
  if (want.rejected) {
    if (got.rejected.length !== want.rejected.length) diff.push(`rejected: expected ${want.rejected.length} record(s), got ${got.rejected.length}`);
    want.rejected.forEach((exp, i) => {
      const actual = got.rejected[i];
      if (!actual) return diff.push(`  - rejected[${i}]: expected codes ${show(exp.codes)}, got nothing`);
      const codes = actual.errors.map((e) => e.code);
      if (show(codes) !== show(exp.codes)) diff.push(`rejected[${i}].codes: expected ${show(exp.codes)}, got ${show(codes)}   (record ${show(actual.record)})`);
      if (exp.line !== undefined && actual.line !== exp.line) diff.push(`rejected[${i}].line: expected ${exp.line}, got ${actual.line}`);
      if (exp.field !== undefined && !actual.errors.some((e) => e.field === exp.field)) diff.push(`rejected[${i}]: expected an error on field ${exp.field}`);
    });
    for (const r of got.rejected.slice(want.rejected.length)) diff.push(`  + rejected ${show(r.errors.map((e) => e.code))} ${show(r.record)}`);
  }
  if (want.dropped !== undefined && got.dropped !== want.dropped) diff.push(`dropped: expected ${want.dropped}, got ${got.dropped}`);
  return diff;
}

/** Every case of every file; a bad test file throws (exit 2) before any case runs. */
export async function runTestFiles(files: string[]): Promise<CaseResult[]> {
  const loaded = files.map((f) => ({ file: f, cases: loadTestFile(f) }));
  const results: CaseResult[] = [];
  for (const { file, cases } of loaded) {
    for (const [i, c] of cases.entries()) {
      const t0 = Date.now();
      const got = await runCase(c, file, i);
      const diff = compare(c, got);
      results.push({ name: c.name, file, passed: diff.length === 0, diff, ms: Date.now() - t0 });
    }
  }
  return results;
}
