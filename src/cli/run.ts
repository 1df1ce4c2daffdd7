// `recflow run <source...>`: read, check, transform, write.
import { Command } from 'commander';
import { createSink, sinkKind } from '../sinks/index.js';
import { contractStage } from '../stages/contract.js';
import { addPipelineOptions, execute, type PipelineOptions } from './common.js';

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('read records from files, stdin or Kafka, check them against the contract, and write them to a sink')
    .argument('<source...>', "CSV/NDJSON files (optionally .gz), globs, '-' for stdin, or kafka://host:port/topic")
    .option('--to <sink>', "where records go: '-' (stdout, NDJSON), a file path (.gz compresses, {kind} splits), http(s)://, kafka://", '-')
    .option('--dlq <file>', 'write rejected records here as NDJSON (source, line, kind, errors, record)');
  addPipelineOptions(cmd);
  cmd.action(async (sources: string[], opts: PipelineOptions & { to: string } & Record<string, unknown>) => {
    const to = opts.to;
    process.exitCode = await execute({
      command: 'run',
      sourceArgs: sources,
      opts,
      stages: [contractStage],
      sinkPath: sinkKind(to) === 'file' || to === '-' ? to : undefined,
      makeSink: (ctx) => createSink(to, ctx),
    });
  });
  return cmd;
}
