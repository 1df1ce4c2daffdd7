// One pipeline execution for `run` and `validate`: it opens the sources, the sink, the
// dead-letter output, the metrics server and the progress line, registers each on one
// Owner right after opening, and disposes the owner on every path (see docs/decisions.md,
// "Who closes what"). It returns how the run ended; the CLI only maps that to an exit status.
import { EXIT_OK, EXIT_STATUS, RecflowError } from '../errors.js';
import { fileDeadLetter, noDeadLetter } from './dlq.js';
import { Progress } from './progress.js';
import { makeRunner, type PlanRunner } from './parallel/index.js';
import type { MetricsServer } from './metrics.js';
import { log } from '../log.js';
import { stdoutGone } from './epipe.js';
import { onStdout, parseReports, ReportCollector, type ReportSpec } from '../report/index.js';
import type { RunOutcome } from './runner.js';
import { RunStats } from './stats.js';
import type { ComponentContext, Kind, Sink, Source, Stage, StageSpec } from './types.js';
import { checkScheme, planOutputs, type OutputRequest } from '../sinks/outputs.js';
import { openSources } from '../sources/index.js';
import type { Delimiter, EncodingOption } from '../sources/dialect.js';
import { useContracts } from '../contract/contracts.js';
import { Owner } from './owner.js';
import { onStopSignals } from './signals.js';
import { finish, type RunResult } from './finish.js';

export type { RunResult } from './finish.js';

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

/** The stages of a run, built under execute's owner (which closes them). */
export interface OpenedStages {
  stages: Stage[];
  /** How the stages were given (worker threads build them again from it). */
  spec: StageSpec;
  /** What turns input into output, for the HTTP idempotency keys. */
  fingerprint: string;
}

export interface Execution {
  command: 'run' | 'validate';
  sourceArgs: string[];
  opts: PipelineOptions & Record<string, unknown>;
  /** Builds the stages, registering their close on the owner; null: --dry-run printed the pipeline, nothing is run. */
  openStages: (owner: Owner) => Promise<OpenedStages | null>;
  /** Build the sink once the sources checked out (null for validate). */
  makeSink: (ctx: ComponentContext, stages: OpenedStages) => Promise<Sink | null>;
  /** Checks of the command's flags that may still refuse the run (usage errors), run under the owner. */
  check?: () => void;
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

/** Runs the pipeline and says how it ended. Throws RecflowError for usage errors before any output. */
export async function execute(x: Execution): Promise<RunResult> {
  const owner = new Owner();
  const ctx = contextFor(x.opts);
  // a signal before the run starts still ends with a summary (nothing was written yet)
  let runner: PlanRunner | undefined;
  let early: NodeJS.Signals | undefined;
  const signals = onStopSignals((signal) => {
    ctx.log(`${signal}: stopping; writing what was read (send again to quit at once)`);
    if (runner) runner.stop(signal);
    else early = signal;
  });
  owner.defer('signal handlers', () => signals.dispose());
  // the stdout reader left (| head): stop reading as on a signal; exit 0 with a summary that says so
  const readerLeft = { left: false };
  if (x.sinkPath === '-') {
    stdoutGone.handler = () => {
      if (readerLeft.left) return;
      readerLeft.left = true;
      runner?.stop('SIGPIPE');
    };
    owner.defer('stdout watch', () => void (stdoutGone.handler = undefined));
  }
  let result: RunResult;
  try {
    const stages = await x.openStages(owner);
    if (stages === null) result = { exitCode: EXIT_OK, outcome: 'dry-run' };
    else {
      x.check?.();
      result = await executeWith(x, stages, ctx, owner, readerLeft, (r) => {
        runner = r;
        if (early) r.stop(early);
      });
    }
  } catch (err) {
    await owner.dispose(); // the first error is the one to report
    throw err;
  }
  const closeError = await owner.dispose();
  if (closeError) throw closeError;
  return result;
}

/** Usage errors about what would share stdout, before anything is opened. */
function checkStdout(x: Execution, reports: ReportSpec[]): void {
  const { opts } = x;
  const onOut = onStdout(reports);
  if ((opts.summaryJson === '-' || onOut.length > 0) && x.sinkPath === '-') {
    const what = opts.summaryJson === '-' ? '--summary-json -' : `--report ${onOut[0]!.format}`;
    throw new RecflowError('usage', `${what} and data on stdout would mix; give it a file name (e.g. --report ${onOut[0]?.format ?? 'json'}:report.${onOut[0]?.format === 'github' ? 'txt' : 'json'})`);
  }
  if (opts.dlq === '-' && (x.sinkPath === '-' || opts.summaryJson === '-' || onOut.length > 0)) {
    throw new RecflowError('usage', `--dlq - and ${x.sinkPath === '-' ? 'data' : 'a report'} on stdout would mix; give --dlq a file name (e.g. --dlq rejects.ndjson)`);
  }
}

/** Sources and the sink are closed by the runner's protocol; the owner's call is the safety net, its error the runner's to report. */
function ownQuietly(owner: Owner, label: string, r: { close?(): Promise<unknown> } | null): void {
  if (r?.close) owner.defer(label, () => r.close!().catch(() => undefined));
}

async function executeWith(x: Execution, opened: OpenedStages, ctx: ComponentContext, owner: Owner, readerLeft: { left: boolean }, started: (r: PlanRunner) => void): Promise<RunResult> {
  const { opts } = x;
  await useContracts(opts.contract, opts.kind); // before any source opens: a bad contract file is exit 2
  const reports = parseReports({ ...opts, reportJson: x.reportJson ?? opts.reportJson }, process.env);
  checkStdout(x, reports);
  // every output checked by identity, templates fixed, before any input is read (stdin included)
  for (const arg of x.sourceArgs) checkScheme(arg, 'source'); // `s3://b/k` is not a local file name
  const plan = planOutputs({ outputs: outputRequests(x, reports), noClobber: opts.clobber === false });
  const sources = await openSources(x.sourceArgs, { format: opts.format, kind: opts.kind, delimiter: opts.delimiter, encoding: opts.encoding, strictEncoding: opts.strictEncoding }, ctx);
  for (const s of sources) ownQuietly(owner, `source ${s.name}`, s);
  plan.checkInputs(sources.map((s) => s.name));
  plan.makeFolders();
  // from here on opts and reports hold the expanded paths
  Object.assign(opts, { dlq: plan.path('--dlq'), summaryJson: plan.path('--summary-json'), runId: plan.runId });
  for (const r of reports) if (r.file) r.file = plan.expand(r.file);
  const stats = new RunStats();
  stats.totalBytes = sources.reduce((n, s) => n + (s.totalBytes ?? 0), 0);
  const collector = new ReportCollector(opts.reportMax ?? 1000, sources.map((s) => s.name));
  if (reports.length > 0) stats.onRejected = (rows) => collector.add(rows);
  const end = (outcome: RunOutcome, sink: Sink | null): Promise<RunResult> => finish(x, { stats, sources, sink, reports, collector, readerLeft: readerLeft.left }, outcome);
  // prom-client loads only with --metrics
  const metricsModule = opts.metrics ? await import('./metrics.js') : undefined;
  const latency = metricsModule?.latencyObserver();
  let sink: Sink | null;
  try {
    sink = await x.makeSink({ ...ctx, outputs: plan, ...(latency ? { observeLatency: latency.observe } : {}) }, opened);
  } catch (err) {
    // a sink that cannot start (Kafka unreachable) is a failed run, with its summary, not a usage error
    if (!(err instanceof RecflowError) || (err.code !== 'sink' && err.code !== 'source')) throw err;
    for (const s of sources) await s.close?.().catch(() => {});
    return end({ failure: err }, null);
  }
  ownQuietly(owner, 'sink', sink);
  // sources that ack (Kafka, --checkpoint) need each batch's rejects under the final name before its ack
  const acked = typeof opts.checkpoint === 'string' || x.sourceArgs.some((a) => /^kafka:\/\//i.test(a));
  const dlq = opts.dlq ? fileDeadLetter(opts.dlq, { acked }) : noDeadLetter;
  const closeDlq = owner.defer('dead-letter output', () => dlq.close());
  const metrics: MetricsServer | undefined = metricsModule && opts.metrics ? await metricsModule.startMetrics(opts.metrics, { stats, sink, sources, latency: latency?.histogram }) : undefined;
  const closeMetrics = owner.defer('metrics server', () => metrics?.close());
  if (metrics) ctx.log(`metrics on ${metrics.url}/metrics (health: /health, /ready)`);
  const spec = { ...opened.spec, contracts: opts.contract ?? [] };
  const runner = makeRunner({ sources, stages: opened.stages, sink, dlq, stats, spec }, process.env, opts.threads); // stateless stages on every core
  const progress = startProgress(x, stats, sources, sink);
  const stopProgress = owner.defer('progress', () => progress.stop());
  const guard = exitGuard(stuckRun);
  const unguard = owner.defer('exit guard', () => guard.off());
  let outcome: RunOutcome;
  try {
    started(runner);
    outcome = await runner.run();
  } finally {
    // closed here, in this order, so that their errors reach the caller as before
    await unguard();
    await stopProgress();
    await closeDlq();
    await closeMetrics();
  }
  return end(outcome, sink);
}

function startProgress(x: Execution, stats: RunStats, sources: Source[], sink: Sink | null): Progress {
  const progress = new Progress(stats, {
    quiet: Boolean(x.opts.quiet),
    tty: Boolean(process.stderr.isTTY),
    intervalSeconds: x.opts.progressInterval,
    label: `recflow ${x.command}`,
    status: () => [sink?.status?.(), ...sources.map((s) => s.status?.())].filter(Boolean).join(' | ') || undefined,
    remaining: () => {
      const left = sources.map((s) => s.remaining?.());
      return left.every((n) => n === undefined) ? undefined : left.reduce<number>((a, n) => a + (n ?? 0), 0);
    },
  });
  progress.start();
  return progress;
}

/** The event loop emptied while the run still waited: a promise nothing will settle. */
function stuckRun(): void {
  const why = 'the run was waiting for something that can no longer happen (nothing left to wait on); exit 3. Records not accounted for in the dead-letter output may not have been delivered. This is a bug in recflow or in a user stage (a promise that never settles); please report it.';
  log('error', `internal error: ${why}`, undefined, `recflow: internal error: ${why}\n`);
  process.exitCode = EXIT_STATUS.internal;
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
