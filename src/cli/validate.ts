// `recflow validate <source...>`: the same reading, stages and rules as run, writing only a report.
// With --config it checks exactly the pipeline a cron job runs (sources, stages, contract).
import { Command } from 'commander';
import { addRunConfigOptions, resolveJob } from '../config/index.js';
import { addPipelineOptions, type PipelineOptions } from './common.js';
import { runCommand } from './run.js';

export function validateCommand(): Command {
  const cmd = new Command('validate')
    .description('check records against the contract (and the stages of --stage / --config) and report; exit 1 when any fail (see --max-rejects)')
    .argument('[source...]', "CSV/NDJSON files (optionally .gz), globs, or '-' for stdin (or `sources:` in --config)")
    .option('--dlq <file>', 'also write rejected records here as NDJSON');
  addPipelineOptions(cmd);
  addRunConfigOptions(cmd);
  cmd.action(async (args: string[], _opts: unknown, command: Command) => {
    // a run job's config file may hold run-only keys (to, rotate-records...): accepted, not applied
    const job = await resolveJob(command, args, runCommand());
    // the job's own output files are the job's: validate writes only what its flags name
    for (const attr of ['dlq', 'summaryJson', 'reportJson']) {
      if (command.getOptionValueSource(attr) === 'config') command.setOptionValueWithSource(attr, undefined, 'default');
    }
    const opts = command.opts<PipelineOptions & { reportJson?: string } & Record<string, unknown>>();
    const { execute } = await import('../pipeline/execute.js'); // the engine loads for a run, not for --help
    const result = await execute({
      command: 'validate',
      sourceArgs: job.sources,
      opts,
      openStages: (owner) => job.openStages(owner), // --dry-run prints and stops there
      makeSink: async () => null,
      defaultMaxRejects: 0,
      reportJson: opts.reportJson,
    });
    process.exitCode = result.exitCode;
  });
  return cmd;
}
