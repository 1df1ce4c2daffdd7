// `recflow run <source...>`: read, check, transform, write.
import { Command } from 'commander';
import { addRunConfigOptions, resolveJob } from '../config/index.js';
import { addKafkaOptions, checkKafkaFlagsApply } from '../kafka/options.js';
import { addHttpSinkOptions } from '../sinks/http/options.js';
import { createSink, sinkKind } from '../sinks/index.js';
import { parseOutputFormat } from '../sinks/format/index.js';
import { RecflowError } from '../errors.js';
import { addPipelineOptions, intOption, type PipelineOptions } from './common.js';

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('read records from files, stdin or Kafka, check them against the contract, and write them to a sink')
    .argument('[source...]', "CSV/NDJSON files (optionally .gz), globs, '-' for stdin, or kafka://host:port/topic (or `sources:` in --config)")
    .option('--to <sink>', "where records go: '-' (stdout), a file path (.gz compresses, {kind} splits), http(s)://, kafka://", '-')
    .option('--output-format <format>', "file/stdout sink: ndjson, csv, tsv or json (one array); default from the --to extension (.ndjson/.jsonl, .csv, .tsv, .json, each optionally .gz), else ndjson", parseOutputFormat)
    .option('--dlq <file>', 'write rejected records here as NDJSON (source, line, kind, errors, record)')
    .option('--no-clobber', 'refuse (exit 2) to replace an output file that already exists')
    .option('--append', 'file sink: add to the end of existing NDJSON files instead of replacing them (not crash-atomic: a torn last line is cut off by the next --append run)')
    .option('--rotate-records <n>', 'file sink: finish a file every N records, named <name>-<start time>-<seq><ext>; a Kafka source commits per finished file', intOption(1))
    .option('--rotate-seconds <s>', 'file sink: finish a file S seconds after its first record (with --rotate-records: whichever comes first)', intOption(1))
    .option('--checkpoint <file>', 'cron over growing files: read each file from where the last run with this checkpoint stopped (JSON; written once records are delivered)')
    .option('--from-dlq <file>', 'replay a dead-letter file: each line\'s record goes through the pipeline again (instead of source arguments)')
    .option('--codes <codes>', 'with --from-dlq: replay only lines with one of these error codes (comma-separated)');
  addPipelineOptions(cmd);
  addHttpSinkOptions(cmd);
  addKafkaOptions(cmd);
  addRunConfigOptions(cmd);
  cmd.action(async (args: string[], _opts: unknown, command: Command) => {
    const replay = command.opts<{ fromDlq?: string; codes?: string; checkpoint?: string }>();
    if (replay.fromDlq !== undefined && args.length > 0) throw new RecflowError('usage', `--from-dlq replaces the source arguments: give either ${replay.fromDlq} or ${args.join(' ')}, not both`);
    if (replay.codes !== undefined && replay.fromDlq === undefined) throw new RecflowError('usage', '--codes applies to --from-dlq only');
    if (replay.fromDlq !== undefined && replay.checkpoint !== undefined) throw new RecflowError('usage', '--checkpoint applies to files, not to --from-dlq');
    // the dead-letter file stands as the one source (sources/dlq-replay.ts reads it)
    const job = await resolveJob(command, replay.fromDlq !== undefined ? [replay.fromDlq] : args); // flags > env > config
    const opts = command.opts<PipelineOptions & { to: string } & Record<string, unknown>>();
    const to = opts.to;
    const { execute } = await import('../pipeline/execute.js'); // the engine loads for a run, not for --help
    const result = await execute({
      command: 'run',
      sourceArgs: job.sources,
      opts,
      openStages: (owner) => job.openStages(owner), // built before any output; --dry-run prints and stops there
      check: () => checkRunFlags(command, opts, job.sources),
      sinkPath: sinkKind(to) === 'file' || to === '-' ? to : undefined,
      makeSink: (ctx, stages) => createSink(to, { ...ctx, pipeline: stages.fingerprint }),
    });
    process.exitCode = result.exitCode;
  });
  return cmd;
}

/** Flags that only some sinks take; refused (exit 2) before anything is read. */
function checkRunFlags(command: Command, opts: PipelineOptions & { to: string } & Record<string, unknown>, sources: string[]): void {
  const to = opts.to;
  checkKafkaFlagsApply(opts, sources, to, (a) => command.getOptionValueSource(a) === 'cli');
  const rotation = opts.rotateRecords !== undefined ? '--rotate-records' : opts.rotateSeconds !== undefined ? '--rotate-seconds' : undefined;
  if (opts.append && sinkKind(to) !== 'file') throw new RecflowError('usage', `--append applies to a file sink (--to <path>), not to ${to === '-' ? 'stdout' : `a ${sinkKind(to)} sink`}`);
  if (opts.append && opts.clobber === false) throw new RecflowError('usage', '--append and --no-clobber exclude each other: appending needs the existing file');
  if (rotation && sinkKind(to) !== 'file') throw new RecflowError('usage', `${rotation} applies to a file sink (--to <path>), not to ${to === '-' ? 'stdout' : `a ${sinkKind(to)} sink`}`);
}
