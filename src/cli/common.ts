// What `run` and `validate` share: option parsers, colour, and one pipeline execution
// (open sources → stages → sink, progress, signals, summary, exit status).
import { writeFileAtomic } from '../sinks/util/atomic-file.js';
import { gzipSync } from 'node:zlib';
import { Chalk } from 'chalk';
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_STATUS, RecflowError, signalExitStatus } from '../errors.js';
import { fileDeadLetter, noDeadLetter } from '../pipeline/dlq.js';
import { Progress } from '../pipeline/progress.js';
import { makeRunner, type PlanRunner } from '../pipeline/parallel/index.js';
import type { MetricsServer } from '../pipeline/metrics.js';
import { verdictFor } from '../pipeline/verdict.js';
import { log } from '../log.js';
import { VERSION } from '../version.js';
import { stdoutGone } from './epipe.js';
import { onStdout, parseReports, ReportCollector, writeReports, type ReportSpec } from '../report/index.js';
import type { RunOutcome } from '../pipeline/runner.js';
import { RunStats } from '../pipeline/stats.js';
import { summaryJson, summaryText, type Paint } from '../pipeline/summary.js';
import type { Kind, Sink, Source, Stage, StageSpec } from '../pipeline/types.js';
import type { ComponentContext } from '../sinks/index.js';
import { checkScheme, planOutputs, type OutputRequest } from '../sinks/outputs.js';
import { openSources, warnEncodings } from '../sources/index.js';
import { parseDelimiter, parseEncoding, type Delimiter, type EncodingOption } from '../sources/dialect.js';
import { recordBytesOption } from '../sources/limits.js';
import { useContracts } from '../contract/contracts.js';

export function intOption(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    }
    return n;
  };
}

export function rateOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

/** Colour only on a TTY; NO_COLOR and FORCE_COLOR are honoured. */
export function paintFor(stream: NodeJS.WriteStream): Paint {
  const env = process.env;
  let level: 0 | 1 = stream.isTTY ? 1 : 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') level = 0;
  if (env.FORCE_COLOR !== undefined) level = env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? 0 : 1;
  const c = new Chalk({ level });
  return { bold: c.bold, red: c.red, green: c.green, yellow: c.yellow, dim: c.dim };
}

/** Options every pipeline command takes. */
export function addPipelineOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', "input format for stdin or unknown extensions: 'csv', 'tsv' or 'ndjson' (default: by extension, else sniffed)", (v) => {
      if (v !== 'csv' && v !== 'ndjson' && v !== 'tsv') throw new InvalidArgumentError("expected 'csv' or 'ndjson' (or 'tsv': CSV with tabs).");
      return v;
    })
    .option('--delimiter <char>', "CSV cell delimiter: ',', ';', '\\t' or '|' (or comma, semicolon, tab, pipe); default: sniffed from the header line (.tsv/.tab: tab)", parseDelimiter)
    .option('--encoding <name>', 'input text encoding: utf-8, utf-16le, utf-16be, latin1, windows-1252 or auto (a byte order mark, else UTF-8)', parseEncoding)
    .option('--strict-encoding', 'reject records holding bytes that are not valid UTF-8 as invalid_encoding (default: counted and warned about)')
    .option('--kind <kind>', "treat every record as this kind: 'customer', 'inventory' or a kind of --contract (default: from the record)", (v) => {
      if (!/^[a-z][a-z0-9_-]{0,63}$/.test(v)) throw new InvalidArgumentError("expected 'customer', 'inventory' or a kind declared with --contract.");
      return v; // a declared kind is checked once the contract files are loaded
    })
    .option('--contract <file>', 'add the record kinds declared in this YAML/JSON contract file, repeatable (docs/contracts.md)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--max-rejects <n>', 'exit 1 when more records than this are rejected', intOption(0))
    .option('--max-reject-rate <r>', 'exit 1 when more than this share (0-1) of records is rejected', rateOption)
    .option('--max-record-bytes <size>', 'longest record (a line, or a CSV record) in bytes, or with k/m suffix; longer ones are dead-lettered as too_long (default: 16m)', recordBytesOption)
    .option('-q, --quiet', 'no live status line (errors and the summary still go to stderr)')
    .option('--summary-json <file>', "write the summary as JSON to a file, or '-' for stdout")
    .option('--progress-interval <seconds>', 'seconds between plain status lines when stderr is not a TTY', intOption(1), 5)
    .option('--debug', 'show stack traces on errors')
    .option('--report <format[:file]>', "a report for CI, repeatable: text, json, github (workflow commands on stdout), junit:FILE, sarif:FILE (default under GitHub Actions: github)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--report-json <file>', "the JSON report (same as --report json:FILE), or '-' for stdout")
    .option('--annotations <n>', 'github report: at most n annotations, spread across error codes', intOption(0), 10)
    .option('--report-max <n>', 'sarif report: at most n results (one per rejected record)', intOption(1), 1000)
    .option('--fail-on-empty', 'exit 1 when no record at all was read')
    .option('--metrics <addr>', 'serve Prometheus /metrics, /health and /ready on PORT or HOST:PORT (a bare port binds 127.0.0.1)')
    .option('--threads <n>', 'threads that process records, this one included (default: one per core); the output is the same for any number', intOption(1));
}

export interface PipelineOptions {
  format?: 'csv' | 'ndjson' | 'tsv';
  delimiter?: Delimiter;
  encoding?: EncodingOption;
  strictEncoding?: boolean;
  kind?: Kind;
  /** --contract FILE, repeatable: contract files declaring more kinds. */
  contract?: string[];
  maxRejects?: number;
  maxRejectRate?: number;
  quiet?: boolean;
  summaryJson?: string;
  progressInterval: number;
  debug?: boolean;
  dlq?: string;
  /** --report FORMAT[:FILE], repeatable. */
  report?: string[];
  reportJson?: string;
  annotations?: number;
  reportMax?: number;
  metrics?: string;
  failOnEmpty?: boolean;
  threads?: number;
}

export interface Execution {
  command: 'run' | 'validate';
  sourceArgs: string[];
  opts: PipelineOptions & Record<string, unknown>;
  /** Build the sink once the sources checked out (null for validate). */
  makeSink: (ctx: ComponentContext) => Promise<Sink | null>;
  stages: Stage[];
  /** How the stages were given (worker threads build them again from it). */
  stageSpec?: StageSpec;
  /** Default reject allowance when no --max-rejects/--max-reject-rate: validate allows 0. */
  defaultMaxRejects?: number;
  /** Extra JSON report (validate --report-json). */
  reportJson?: string;
  /** Where the sink writes, to refuse overwriting an input. */
  sinkPath?: string;
}

export function contextFor(opts: Record<string, unknown>): ComponentContext {
  const quiet = Boolean(opts.quiet);
  return {
    opts,
    env: process.env,
    debug: Boolean(opts.debug),
    log: (m) => {
      if (!quiet) log('info', m);
    },
  };
}

/** The run's outputs for the planner, each named by its option for messages. */
function outputRequests(x: Execution, reports: ReportSpec[]): (OutputRequest | undefined)[] {
  const out = (arg: string, path: string | undefined, sink = false) => (path === undefined ? undefined : { arg, path, sink });
  const reportJson = x.reportJson ?? (x.opts.reportJson as string | undefined);
  return [
    out('--to', x.sinkPath, true),
    out('--dlq', x.opts.dlq),
    out('--summary-json', x.opts.summaryJson),
    ...reports.map((r) => out(r.format === 'json' && r.file === reportJson ? '--report-json' : `--report ${r.format}`, r.file)),
  ];
}

/** Runs the pipeline and returns the exit status. Throws RecflowError for usage errors before any output. */
export async function execute(x: Execution): Promise<number> {
  const { opts } = x;
  const ctx = contextFor(opts);
  // a signal before the run starts still ends with a summary (nothing was written yet)
  let runner: PlanRunner | undefined;
  let early: NodeJS.Signals | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(signalExitStatus(signal)); // a second signal: stop now
    stopping = true;
    ctx.log(`${signal}: stopping; writing what was read (send again to quit at once)`);
    if (runner) runner.stop(signal);
    else early = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // the stdout reader left (| head): stop reading as on a signal; exit 0 with a summary that says so
  const readerLeft = { left: false };
  if (x.sinkPath === '-') {
    stdoutGone.handler = () => {
      if (readerLeft.left) return;
      readerLeft.left = true;
      runner?.stop('SIGPIPE');
    };
  }
  try {
    return await executeWith(x, ctx, readerLeft, (r) => {
      runner = r;
      if (early) r.stop(early);
    });
  } finally {
    stdoutGone.handler = undefined;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function executeWith(x: Execution, ctx: ComponentContext, readerLeft: { left: boolean }, started: (r: PlanRunner) => void): Promise<number> {
  const { opts } = x;
  await useContracts(opts.contract, opts.kind); // before any source opens: a bad contract file is exit 2
  const reports = parseReports({ ...opts, reportJson: x.reportJson ?? opts.reportJson }, process.env);
  const onOut = onStdout(reports);
  if ((opts.summaryJson === '-' || onOut.length > 0) && x.sinkPath === '-') {
    const what = opts.summaryJson === '-' ? '--summary-json -' : `--report ${onOut[0]!.format}`;
    throw new RecflowError('usage', `${what} and data on stdout would mix; give it a file name (e.g. --report ${onOut[0]?.format ?? 'json'}:report.${onOut[0]?.format === 'github' ? 'txt' : 'json'})`);
  }
  if (opts.dlq === '-' && (x.sinkPath === '-' || opts.summaryJson === '-' || onOut.length > 0)) {
    throw new RecflowError('usage', `--dlq - and ${x.sinkPath === '-' ? 'data' : 'a report'} on stdout would mix; give --dlq a file name (e.g. --dlq rejects.ndjson)`);
  }
  // every output checked by identity, templates fixed, before any input is read (stdin included)
  for (const arg of x.sourceArgs) checkScheme(arg, 'source'); // `s3://b/k` is not a local file name
  const plan = planOutputs({ outputs: outputRequests(x, reports), noClobber: opts.clobber === false });
  const sources = await openSources(x.sourceArgs, { format: opts.format, kind: opts.kind, delimiter: opts.delimiter, encoding: opts.encoding, strictEncoding: opts.strictEncoding }, ctx);
  plan.checkInputs(sources.map((s) => s.name));
  plan.makeFolders();
  // from here on opts and reports hold the expanded paths
  Object.assign(opts, { dlq: plan.path('--dlq'), summaryJson: plan.path('--summary-json'), runId: plan.runId });
  for (const r of reports) if (r.file) r.file = plan.expand(r.file);
  const stats = new RunStats();
  stats.totalBytes = sources.reduce((n, s) => n + (s.totalBytes ?? 0), 0);
  const collector = new ReportCollector(opts.reportMax ?? 1000, sources.map((s) => s.name));
  if (reports.length > 0) stats.onRejected = (rows) => collector.add(rows);
  const end = (outcome: RunOutcome, sink: Sink | null): Promise<number> => finish(x, { stats, sources, sink, reports, collector, readerLeft: readerLeft.left }, outcome);
  // prom-client loads only with --metrics
  const metricsModule = opts.metrics ? await import('../pipeline/metrics.js') : undefined;
  const latency = metricsModule?.latencyObserver();
  let sink: Sink | null;
  try {
    sink = await x.makeSink({ ...ctx, outputs: plan, ...(latency ? { observeLatency: latency.observe } : {}) });
  } catch (err) {
    // a sink that cannot start (Kafka unreachable) is a failed run, with its summary, not a usage error
    if (!(err instanceof RecflowError) || (err.code !== 'sink' && err.code !== 'source')) throw err;
    for (const s of sources) await s.close?.().catch(() => {});
    return end({ failure: err }, null);
  }
  // sources that ack (Kafka, --checkpoint) need each batch's rejects under the final name before its ack
  const acked = typeof opts.checkpoint === 'string' || x.sourceArgs.some((a) => /^kafka:\/\//i.test(a));
  const dlq = opts.dlq ? fileDeadLetter(opts.dlq, { acked }) : noDeadLetter;
  const metrics: MetricsServer | undefined = metricsModule && opts.metrics ? await metricsModule.startMetrics(opts.metrics, { stats, sink, sources, latency: latency?.histogram }) : undefined;
  if (metrics) ctx.log(`metrics on ${metrics.url}/metrics (health: /health, /ready)`);
  const spec = x.stageSpec ? { ...x.stageSpec, contracts: opts.contract ?? [] } : undefined;
  const runner = makeRunner({ sources, stages: x.stages, sink, dlq, stats, spec }, process.env, opts.threads); // stateless stages on every core
  const progress = new Progress(stats, {
    quiet: Boolean(opts.quiet),
    tty: Boolean(process.stderr.isTTY),
    intervalSeconds: opts.progressInterval,
    label: `recflow ${x.command}`,
    status: () => [sink?.status?.(), ...sources.map((s) => s.status?.())].filter(Boolean).join(' | ') || undefined,
    remaining: () => {
      const left = sources.map((s) => s.remaining?.());
      return left.every((n) => n === undefined) ? undefined : left.reduce<number>((a, n) => a + (n ?? 0), 0);
    },
  });
  progress.start();
  let outcome;
  const guard = exitGuard(() => {
    // the event loop emptied while the run still waited: a promise nothing will settle
    const why = 'the run was waiting for something that can no longer happen (nothing left to wait on); exit 3. Records not accounted for in the dead-letter output may not have been delivered. This is a bug in recflow or in a user stage (a promise that never settles); please report it.';
    log('error', `internal error: ${why}`, undefined, `recflow: internal error: ${why}\n`);
    process.exitCode = EXIT_STATUS.internal;
  });
  try {
    started(runner);
    outcome = await runner.run();
  } finally {
    guard.off();
    progress.stop();
    await dlq.close();
    await metrics?.close();
  }
  return end(outcome, sink);
}

interface Finished {
  stats: RunStats;
  sources: Source[];
  sink: Sink | null;
  reports: ReportSpec[];
  collector: ReportCollector;
  readerLeft: boolean;
}

/** The verdict, the summary (stderr and --summary-json) and the reports: on every exit path that has a run. */
async function finish(x: Execution, f: Finished, outcome: RunOutcome): Promise<number> {
  const { opts } = x;
  const { stats, sources, sink, reports, collector } = f;
  warnEncodings(sources);
  const verdict = verdictFor(outcome, stats, { ...opts, command: x.command, defaultMaxRejects: x.defaultMaxRejects, readerLeft: f.readerLeft });
  const extras = {
    command: `recflow ${x.command}`,
    exitCode: verdict.exitCode,
    outcome: verdict.outcome,
    sink: sink?.stats?.(),
    sources: sources.map((s) => ({ name: s.name, ...(s.stats?.() ?? {}) })),
    deadLetter: opts.dlq ?? null,
  };
  const paint = paintFor(process.stderr);
  if (verdict.failure) log('error', verdict.failure.message, undefined, `recflow: ${paint.red('error:')} ${verdict.failure.message}\n`);
  const summary = { runId: opts.runId, ...summaryJson(stats, extras) };
  const text = summaryText(stats, extras, paint);
  log('info', 'summary', summary, text);
  const json = JSON.stringify(summary, null, 2) + '\n';
  if (opts.summaryJson === '-') process.stdout.write(json);
  else if (opts.summaryJson) await writeFileAtomic(opts.summaryJson, opts.summaryJson.toLowerCase().endsWith('.gz') ? gzipSync(json) : json);
  await writeReports(reports, { collector, command: x.command, version: VERSION, summaryText: text, summaryJson: json, annotations: opts.annotations ?? 10, env: process.env });
  return verdict.exitCode;
}

/**
 * Calls `onEmpty` if the process is about to exit (the event loop is empty) before
 * off() is called: the run awaited a promise nothing can settle any more. Without
 * this, Node would exit 0 as if the run had succeeded.
 */
function exitGuard(onEmpty: () => void): { off(): void } {
  const listener = (): void => {
    process.off('beforeExit', listener);
    onEmpty();
  };
  process.on('beforeExit', listener);
  return { off: () => process.off('beforeExit', listener) };
}
