// From the stages the user listed to the Stage objects the runner applies.
//
// The rule for the record contract:
// - No `validate`/`normalize` in the list: the contract runs first as one fused pass
//   (checkRecord), then the listed stages; `--no-validate` (validate: false) drops that pass.
// - `validate` or `normalize` listed anywhere: no implicit pass; each runs where placed,
//   whatever --no-validate says. `validate` directly followed by `normalize` is fused.
// - When the pipeline does not start with a contract stage, a cheap step first decides each
//   record's kind (for the summary and `{kind}` paths) without rewriting it.
//
// The stage modules (and zod) are imported only when a stage is listed, so the
// plain `run` starts as fast as before stages existed.
import type { z } from 'zod';
import { RecflowError } from '../errors.js';
import type { Stage } from '../pipeline/types.js';
import { contractStage, kindOnlyStage } from './contract.js';
import type { StageContext, StageDefinition } from './define.js';
import { isModulePath, type StageRef } from './parse-spec.js';
import { didYouMean } from './suggest.js';

export type { StageRef } from './parse-spec.js';

export interface PlannedStage {
  name: string;
  /** Options after validation, defaults filled in (for --dry-run). */
  options: Record<string, unknown>;
  note?: string;
}

export interface PipelinePlan {
  stages: Stage[];
  described: PlannedStage[];
}

function contextFor(ref: StageRef, warn: (m: string) => void): StageContext {
  return {
    baseDir: ref.baseDir,
    where: ref.where,
    option: (key) => (ref.inConfig ? `${ref.where}.options.${key}` : `${ref.where}: option '${key}'`),
    warn,
  };
}

/** Validate options against the stage's schema; every problem is listed with where it is. */
export function checkOptions(def: StageDefinition, ref: StageRef, ctx: StageContext): Record<string, unknown> {
  const res = (def.options as z.AnyZodObject).safeParse(ref.options);
  if (res.success) return res.data as Record<string, unknown>;
  const known = Object.keys(def.options.shape as object);
  const lines: string[] = [];
  for (const issue of res.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        lines.push(`${ctx.option(k)}: stage ${def.name} has no option '${k}'${didYouMean(k, known)}; its options: ${known.join(', ') || 'none'}`);
      }
    } else {
      const key = issue.path.join('.');
      const got = issue.path.length === 1 && ref.options[key] !== undefined ? `, got ${JSON.stringify(ref.options[key])}` : '';
      lines.push(`${key ? ctx.option(key) : ref.where}: ${issue.message}${got}`);
    }
  }
  throw new RecflowError('config', lines.join('\n'));
}

interface Built {
  stage: Stage;
  options: Record<string, unknown>;
  note?: string;
}

export const NOT_LOADED_NOTE = 'user stage (not loaded in dry run): it parses; its exports and options are checked by a real run';

/** Stands in for a user stage a dry run did not load; a dry run never runs stages. */
function notLoaded(name: string): Stage {
  return {
    name,
    process: () => {
      throw new Error(`stage ${name} was not loaded (dry run)`);
    },
  };
}

async function build(ref: StageRef, warn: (m: string) => void, dryRun: boolean): Promise<Built> {
  const ctx = contextFor(ref, warn);
  if (isModulePath(ref.name)) {
    const user = await import('./user.js');
    if (!dryRun) return user.loadUserStage(ref.name, ref.options, ref.baseDir, ctx);
    // Importing the module would run its top-level code: a dry run only checks it parses.
    user.checkUserStage(ref.name, ref.baseDir, ctx);
    return { stage: notLoaded(ref.name), options: ref.options, note: NOT_LOADED_NOTE };
  }
  const { BUILTIN_STAGES, findStage } = await import('./index.js');
  const def = findStage(ref.name);
  if (!def) {
    const names = BUILTIN_STAGES.map((d) => d.name);
    throw new RecflowError(
      'config',
      `${ref.where}: no stage named '${ref.name}'${didYouMean(ref.name, names)}; built-in stages: ${names.join(', ')} ` +
        "(or a module path like ./my-stage.mjs; see 'recflow stages')",
    );
  }
  const options = checkOptions(def, ref, ctx);
  return { stage: await def.create(options, ctx), options };
}

const isContract = (name: string): boolean => name === 'validate' || name === 'normalize';

/** `dryRun`: user stage modules are checked, not imported (see NOT_LOADED_NOTE). */
export async function planStages(refs: StageRef[], o: { validate: boolean; warn: (m: string) => void; dryRun?: boolean }): Promise<PipelinePlan> {
  const explicit = refs.some((r) => isContract(r.name));
  const built: ({ name: string } & Built)[] = [];
  for (const ref of refs) built.push({ name: ref.name, ...(await build(ref, o.warn, o.dryRun === true)) });
  const stages: Stage[] = [];
  const described: PlannedStage[] = [];
  if (!explicit && o.validate) {
    stages.push(contractStage);
    const note = 'implicit contract pass (validate+normalize fused); turn off with --no-validate';
    described.push({ name: 'validate', options: {}, note }, { name: 'normalize', options: {}, note });
  }
  for (let i = 0; i < built.length; i++) {
    const b = built[i]!;
    if (b.name === 'validate' && built[i + 1]?.name === 'normalize') {
      stages.push(contractStage); // same result as the two in a row, in one pass
      described.push({ name: 'validate', options: {}, note: 'fused with the next stage' }, { name: 'normalize', options: {} });
      i++;
      continue;
    }
    stages.push(b.stage);
    described.push({ name: b.name, options: b.options, ...(b.note ? { note: b.note } : {}) });
  }
  if (stages[0] !== contractStage && !isContract(built[0]?.name ?? '')) stages.unshift(kindOnlyStage);
  return { stages, described };
}
