// What `run` needs from this folder: the --stage/--no-validate/--config/--dry-run
// options, and one call that resolves options and hands execute the job's stage
// builder (stages and --dry-run are handled before any output: a bad config or stage
// exits 2 with nothing written).
import { Option, type Command } from 'commander';
import type { ResolvedJob } from './prepare.js';

export type { ResolvedJob };

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

/** Resolve flags/env/config (nothing is opened); execute then builds the stages through the job, under its owner. */
export async function resolveJob(cmd: Command, args: string[], alsoKnown?: Command): Promise<ResolvedJob> {
  // the resolver, the stages and their contracts load when a command runs, not for --help
  return (await import('./prepare.js')).resolveJob(cmd, args, alsoKnown);
}
