// What `run` needs from this folder: the --stage/--no-validate/--config/--dry-run
// options, and one call that resolves options, builds the stages and handles
// --dry-run, all before any output (so a bad config or stage exits 2 with nothing written).
import { Option, type Command } from 'commander';
import type { Stage, StageSpec } from '../pipeline/types.js';
import { planStages } from '../stages/plan.js';
import { pipelineFingerprint } from './fingerprint.js';
import { resolveRun } from './resolve.js';
import { log } from '../log.js';
import { Owner } from '../pipeline/owner.js';

export function addRunConfigOptions(cmd: Command): Command {
  return cmd
    .option(
      '--stage <spec>',
      "apply a stage, repeatable, in order: NAME[:key=value,...] or ./my-stage.mjs (see 'recflow stages')",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--no-validate', 'skip the default contract pass (validate+normalize): records pass as read')
    .addOption(new Option('--config <file>', 'read sources, stages and options from a YAML or JSON file').env('RECFLOW_CONFIG'))
    .option('--dry-run', 'print the resolved pipeline and check it (sources exist, stages build); read no data')
    .option('--strict', 'exit 2 before anything is written when a stage names a field no contract of the kinds in play declares (default: a warning)')
    .addHelpText(
      'after',
      '\nEvery option can also be set as RECFLOW_<NAME> (e.g. RECFLOW_MAX_REJECTS=10) or in the --config file\n' +
        '(maxRejects: 10 or max-rejects: 10). Precedence: flag > environment > config file > default.\n' +
        "Stages: recflow run data.csv --stage 'filter:expr=quantity > 10' --stage select:fields=sku,quantity",
    );
}

export interface PreparedRun {
  sources: string[];
  stages: Stage[];
  /** How the stages were given, so worker threads can build the same ones (see pipeline/parallel). */
  stageSpec: StageSpec;
  /** What turns input into output, for the HTTP idempotency keys (see fingerprint.ts). */
  fingerprint: string;
  /** Release the stages (user stages may hold resources); a second call does nothing. */
  close(): Promise<void>;
}

/** Resolve flags/env/config and build the stages; null when --dry-run has printed the pipeline. */
export async function prepareRun(cmd: Command, args: string[], alsoKnown?: Command): Promise<PreparedRun | null> {
  const run = await resolveRun(cmd, args, process.env, alsoKnown);
  const opts = cmd.opts<{ validate?: boolean; dryRun?: boolean; kind?: string; contract?: string[]; strict?: boolean }>();
  const plan = await planStages(run.stageRefs, {
    validate: opts.validate !== false,
    dryRun: opts.dryRun === true, // user stage modules are parsed, not run
    warn: (m) => log('warn', m),
  });
  // the stages are open from here: whoever fails or ends the command before the run closes them
  const owner = new Owner();
  const close = owner.defer('stages', async () => {
    for (const s of plan.stages) await s.close?.();
  });
  try {
    // a misspelt field in a stage warns (exit 2 with --strict) before anything is read or written
    if (run.stageRefs.length > 0) await (await import('../stages/field-check.js')).checkStageFields(run.stageRefs, { ...opts, warn: (m) => log('warn', m) });
    if (opts.dryRun) {
      process.stdout.write(await (await import('./dry-run.js')).dryRun(cmd, run, plan));
      await close();
      return null;
    }
  } catch (err) {
    await owner.dispose();
    throw err;
  }
  return {
    sources: run.sources,
    stages: plan.stages,
    stageSpec: { refs: run.stageRefs, validate: opts.validate !== false },
    fingerprint: pipelineFingerprint({ described: plan.described, refs: run.stageRefs, kind: opts.kind }),
    close,
  };
}
