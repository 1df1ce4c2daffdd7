// Which runner executes a plan: the parallel fast path when the plan is one it
// reproduces exactly (file/stdin sources, the contract stage alone, the
// file/stdout sink or none), else the sequential Runner.
//
// Environment (for tests and benchmarks):
//   RECFLOW_WORKERS=0      always the sequential Runner
//   RECFLOW_WORKERS=N      the fast path with N worker threads, whatever the input size
//                          (default: one per core but one; the main thread helps)
//   RECFLOW_WORKERS=inline the fast path without worker threads (what one core gets)
//   RECFLOW_CHUNK_BYTES=N  bytes per piece (default 64 KiB); small values make
//                          tests cross piece boundaries with small files
//   RECFLOW_EXPLAIN=1      say on stderr which runner was chosen, and why
import { availableParallelism } from 'node:os';
import { contractStage } from '../../stages/contract.js';
import { declaredOn } from '../../contract/declared.js';
import { FileSource } from '../../sources/file.js';
import { formatOf } from '../../sinks/format/index.js';
import { Runner, type RunOutcome, type RunPlan } from '../runner.js';
import { textOutOf, type TextOut } from './output.js';
import { ParallelRunner } from './runner.js';
import { log } from '../../log.js';

export interface PlanRunner {
  run(): Promise<RunOutcome>;
  stop(signal: NodeJS.Signals): void;
}

/** Files smaller than this in total go to the sequential runner (starting workers costs more than it saves). */
const SMALL_INPUT_BYTES = 4 * 1024 * 1024;
/** Beyond this the single main thread (reading, ordering, writing) becomes the limit. */
const MAX_WORKERS = 3;
/**
 * Bytes per piece. 64 KiB runs as fast as 128 KiB-1 MiB (1M customers: 2.27 s) and
 * keeps a piece's decoded text under V8's large-object size, so it dies in the young
 * generation instead of piling up in the old one: peak RSS on 15M rows 137 MB, against
 * 183 MB with 128 KiB pieces. 32 KiB: 4% slower.
 */
const PIECE_CHARS = 64 * 1024;

export function makeRunner(plan: RunPlan, env: NodeJS.ProcessEnv = process.env): PlanRunner {
  const choice = parallelChoice(plan, env);
  if (env.RECFLOW_EXPLAIN) {
    log('info', typeof choice === 'string' ? `sequential runner: ${choice}` : `parallel runner: ${choice.workers} worker thread(s), pieces of ${choice.pieceChars} bytes`);
  }
  return typeof choice === 'string' ? new Runner(plan) : new ParallelRunner(plan, choice);
}

/** The fast path's settings, or why the plan does not take it. */
function parallelChoice(plan: RunPlan, env: NodeJS.ProcessEnv): { workers: number; pieceChars: number; out: TextOut | null } | string {
  const inline = env.RECFLOW_WORKERS?.trim() === 'inline';
  const forced = inline ? -1 : env.RECFLOW_WORKERS !== undefined && env.RECFLOW_WORKERS.trim() !== '' ? Number(env.RECFLOW_WORKERS) : undefined;
  if (forced !== undefined && !inline && !(Number.isSafeInteger(forced) && forced >= 0)) return 'RECFLOW_WORKERS is not a whole number or "inline"';
  if (forced === 0) return 'RECFLOW_WORKERS=0';
  if (plan.stages.length !== 1 || plan.stages[0] !== contractStage) return 'stages other than the contract alone';
  if (declaredOn) return 'kinds declared with --contract (the workers know the built-in kinds only)';
  if (plan.sources.length === 0 || !plan.sources.every((s) => s instanceof FileSource)) return 'a source that is not a file or stdin';
  let out: TextOut | null = null;
  const format = plan.sink ? formatOf(plan.sink) : undefined;
  if (format !== undefined && format !== 'ndjson') return `${format.toUpperCase()} output (the workers write NDJSON)`;
  if (plan.sink) {
    out = textOutOf(plan.sink);
    if (!out) return `a sink that is not a file, stdout or HTTP (${plan.sink.name})`;
  }
  const stdin = plan.sources.some((s) => s.totalBytes === undefined);
  const bytes = plan.sources.reduce((n, s) => n + (s.totalBytes ?? 0), 0);
  if (forced === undefined && !stdin && bytes < SMALL_INPUT_BYTES) return `small input (${bytes} bytes)`;
  const chunk = Number(env.RECFLOW_CHUNK_BYTES);
  const pieceChars = Number.isSafeInteger(chunk) && chunk > 0 ? chunk : PIECE_CHARS;
  // One worker per core but one, the main thread being the other: it processes
  // pieces too whenever the workers have work queued (one core: no worker at all).
  const workers = inline ? 0 : (forced ?? Math.min(MAX_WORKERS, availableParallelism() - 1));
  return { workers, pieceChars, out };
}
