// `recflow validate <source...>`: the same reading and rules as run, writing only a report.
import { Command } from 'commander';
import { contractStage } from '../stages/contract.js';
import { addPipelineOptions, execute, type PipelineOptions } from './common.js';

export function validateCommand(): Command {
  const cmd = new Command('validate')
    .description('check records against the contract and report; exit 1 when any fail (see --max-rejects)')
    .argument('<source...>', "CSV/NDJSON files (optionally .gz), globs, or '-' for stdin")
    .option('--report-json <file>', "write the report as JSON to a file, or '-' for stdout")
    .option('--dlq <file>', 'also write rejected records here as NDJSON');
  addPipelineOptions(cmd);
  cmd.action(async (sources: string[], opts: PipelineOptions & { reportJson?: string } & Record<string, unknown>) => {
    process.exitCode = await execute({
      command: 'validate',
      sourceArgs: sources,
      opts,
      stages: [contractStage],
      makeSink: async () => null,
      defaultMaxRejects: 0,
      reportJson: opts.reportJson,
    });
  });
  return cmd;
}
