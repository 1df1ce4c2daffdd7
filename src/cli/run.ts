// `recflow run <source...>`: read, check, transform, write.
import { Command } from 'commander';
import { addRunConfigOptions, prepareRun } from '../config/index.js';
import { addKafkaOptions, checkKafkaFlagsApply } from '../kafka/options.js';
import { addHttpSinkOptions } from '../sinks/http/options.js';
import { createSink, sinkKind } from '../sinks/index.js';
import { addPipelineOptions, execute, type PipelineOptions } from './common.js';

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('read records from files, stdin or Kafka, check them against the contract, and write them to a sink')
    .argument('[source...]', "CSV/NDJSON files (optionally .gz), globs, '-' for stdin, or kafka://host:port/topic (or `sources:` in --config)")
    .option('--to <sink>', "where records go: '-' (stdout, NDJSON), a file path (.gz compresses, {kind} splits), http(s)://, kafka://", '-')
    .option('--dlq <file>', 'write rejected records here as NDJSON (source, line, kind, errors, record)');
  addPipelineOptions(cmd);
  addHttpSinkOptions(cmd);
  addKafkaOptions(cmd);
  addRunConfigOptions(cmd);
  cmd.action(async (args: string[], _opts: unknown, command: Command) => {
    const prepared = await prepareRun(command, args); // flags > env > config; stages built before any output
    if (!prepared) return; // --dry-run printed the pipeline
    const opts = command.opts<PipelineOptions & { to: string } & Record<string, unknown>>();
    const to = opts.to;
    checkKafkaFlagsApply(opts, prepared.sources, to, (a) => command.getOptionValueSource(a) === 'cli');
    try {
      process.exitCode = await execute({
        command: 'run',
        sourceArgs: prepared.sources,
        opts,
        stages: prepared.stages,
        sinkPath: sinkKind(to) === 'file' || to === '-' ? to : undefined,
        makeSink: (ctx) => createSink(to, ctx),
      });
    } finally {
      await prepared.close();
    }
  });
  return cmd;
}
