// The end of a run that has one: the verdict, the summary (stderr and --summary-json) and the reports.
import { gzipSync } from 'node:zlib';
import { Chalk } from 'chalk';
import { writeFileAtomic } from '../sinks/util/atomic-file.js';
import { log } from '../log.js';
import { VERSION } from '../version.js';
import { writeReports, type ReportCollector, type ReportSpec } from '../report/index.js';
import { warnEncodings } from '../sources/index.js';
import type { RunOutcome } from './runner.js';
import type { RunStats } from './stats.js';
import { summaryJson, summaryText, type Paint } from './summary.js';
import type { Sink, Source } from './types.js';
import { verdictFor } from './verdict.js';

/** Colour only on a TTY; NO_COLOR and FORCE_COLOR are honoured. */
export function paintFor(stream: NodeJS.WriteStream): Paint {
  const env = process.env;
  let level: 0 | 1 = stream.isTTY ? 1 : 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') level = 0;
  if (env.FORCE_COLOR !== undefined) level = env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? 0 : 1;
  const c = new Chalk({ level });
  return { bold: c.bold, red: c.red, green: c.green, yellow: c.yellow, dim: c.dim };
}

/** What a run's end needs to know about the command. */
export interface FinishOptions {
  command: 'run' | 'validate';
  opts: Record<string, unknown> & { dlq?: string; summaryJson?: string; annotations?: number; runId?: unknown };
  defaultMaxRejects?: number;
}

export interface Finished {
  stats: RunStats;
  sources: Source[];
  sink: Sink | null;
  reports: ReportSpec[];
  collector: ReportCollector;
  readerLeft: boolean;
}

/** How a run ended: the exit status (from the errors.ts table, via the verdict) and the summary's outcome line. */
export interface RunResult {
  exitCode: number;
  outcome: string;
}

/** The verdict, the summary and the reports: on every exit path that has a run. */
export async function finish(x: FinishOptions, f: Finished, outcome: RunOutcome): Promise<RunResult> {
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
  const failure = verdict.failure;
  // --debug (as main.ts): the stack too, which for a worker thread's crash holds the worker's
  const stack = (opts.debug || process.env.RECFLOW_DEBUG) && failure?.stack ? failure.stack : undefined;
  if (failure) log('error', failure.message, { code: failure.code, ...(stack ? { stack } : {}) }, `recflow: ${paint.red('error:')} ${failure.message}\n${stack ? stack + '\n' : ''}`);
  const summary = { runId: opts.runId, ...summaryJson(stats, extras) };
  const text = summaryText(stats, extras, paint);
  log('info', 'summary', summary, text);
  const json = JSON.stringify(summary, null, 2) + '\n';
  if (opts.summaryJson === '-') process.stdout.write(json);
  else if (opts.summaryJson) await writeFileAtomic(opts.summaryJson, opts.summaryJson.toLowerCase().endsWith('.gz') ? gzipSync(json) : json);
  await writeReports(reports, { collector, command: x.command, version: VERSION, summaryText: text, summaryJson: json, annotations: opts.annotations ?? 10, env: process.env });
  return { exitCode: verdict.exitCode, outcome: verdict.outcome };
}
