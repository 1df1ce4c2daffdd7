// Which runner executes a plan. One engine: the stateless head of the stages (the
// contract, filter, select, rename, set, enrich, sample rate=...) runs in worker
// threads on pieces of file/stdin input or on batches of Kafka messages, with the same
// result as the sequential Runner on one thread; what keeps state across records
// (dedupe, head, sample n=...) runs after it on the main thread, in input order. The
// sequential Runner alone takes: small inputs, a plan whose first stage keeps state,
// and the contract alone where one thread was measured faster (parallelChoice says
// which, and RECFLOW_EXPLAIN=1 prints it).
//
// Threads: --threads N (config `threads`) is the number of threads that process
// records, the main thread included (N-1 workers); default: one per core.
// Environment (for tests and benchmarks):
//   RECFLOW_WORKERS=0      always the sequential Runner
//   RECFLOW_WORKERS=N      the parallel engine with N worker threads, whatever the input size
//   RECFLOW_WORKERS=inline the parallel engine without worker threads (what one core gets)
//   RECFLOW_CHUNK_BYTES=N  bytes per piece (default 128 KiB); small values make
//                          tests cross piece boundaries with small files
//   RECFLOW_EXPLAIN=1      say on stderr which runner was chosen, and why
import { availableParallelism } from 'node:os';
import { contractStage } from '../../stages/contract.js';
import { parallelPrefix } from './piece-stages.js';
import { declaredOn } from '../../contract/declared.js';
import { FileSource } from '../../sources/file.js';
import { Runner, type RunOutcome, type RunPlan } from '../runner.js';
import { textOutOf, type TextOut } from './output.js';
import { EngineSource } from './engine-source.js';
import { defersDecoding, MessageEngineSource, type DeferringSource } from './message-source.js';
import { ParallelRunner, type ParallelOptions } from './runner.js';
import { log } from '../../log.js';

export interface PlanRunner {
  run(): Promise<RunOutcome>;
  stop(signal: NodeJS.Signals): void;
}

/** Files smaller than this in total go to the sequential runner (starting workers costs more than it saves). */
const SMALL_INPUT_BYTES = 4 * 1024 * 1024;
/**
 * Bytes per piece. Each piece costs the main thread a dispatch, a result, a write and their
 * wake-ups, so bigger pieces leave it more cores to feed; their text is still decoded in
 * ~64 KiB slices (piece-text.ts). Measured (bench/RESULTS.md, session 6), 1 worker: main
 * thread CPU on 1M customers 0.94 s at 64 KiB, 0.73 s at 128 KiB, 0.65 s at 256 KiB; peak
 * RSS on 3M rows with the 5 stages 138, 151 and 202 MB. 128 KiB keeps it under 200 MB.
 */
const PIECE_CHARS = 128 * 1024;

export function makeRunner(plan: RunPlan, env: NodeJS.ProcessEnv = process.env, threads?: number): PlanRunner {
  const choice = parallelChoice(plan, env, threads);
  if (typeof choice === 'string') {
    if (env.RECFLOW_EXPLAIN) log('info', `sequential runner: ${choice}`);
    return new Runner(plan);
  }
  if ('messages' in choice) return messageRunner(plan, choice, env);
  const { opts, head, records } = choice;
  if (env.RECFLOW_EXPLAIN) {
    const inWorkers = opts.stages ? plan.stages.slice(0, head).map((s) => s.name).join(', ') : 'the contract (fused)';
    const rest = plan.stages.slice(head).map((s) => s.name);
    const after = records
      ? `; then on the main thread, in input order: ${rest.length > 0 ? rest.join(', ') + ', ' : ''}the ${plan.sink?.name ?? 'count'}`
      : opts.keyed
        ? `; the workers key the lines for ${rest.join(', ')}, which admits the keys on the main thread, in input order`
        : '';
    log('info', `parallel runner: ${opts.workers} worker thread(s) and the main thread, pieces of ${opts.pieceChars} bytes; stages in the workers: ${inWorkers}${after}`);
  }
  if (!records) return new ParallelRunner(plan, opts);
  // a stage keeps state, or the sink takes records: the workers feed the rest of the plan as one source of batches
  const source = new EngineSource(plan, opts);
  return new Runner({ ...plan, sources: [source], stages: plan.stages.slice(head) });
}

/** Stages that only check records: the workers' share of a plan that holds no more is too small for records mode. */
const CONTRACT_ONLY = new Set(['contract', 'kind', 'validate', 'normalize']);

/** The first `head` stages only check the contract (the workers' share would not pay for records mode). */
const onlyChecks = (stages: RunPlan['stages'], head: number): boolean => stages.slice(0, head).every((s) => CONTRACT_ONLY.has(s.name));

/** A Kafka source: its messages are decoded and run through the stateless stages in the workers. */
function messageRunner(plan: RunPlan, c: { messages: DeferringSource; workers: number; head: number }, env: NodeJS.ProcessEnv): PlanRunner {
  const local = plan.stages.slice(0, c.head);
  if (env.RECFLOW_EXPLAIN) {
    const rest = [...plan.stages.slice(c.head).map((s) => s.name), `the ${plan.sink?.name ?? 'count'}`].join(', ');
    log('info', `parallel runner: ${c.workers} worker thread(s) and the main thread decode the messages of ${c.messages.name}; stages in the workers: ${local.map((s) => s.name).join(', ')}; then on the main thread, in order: ${rest}`);
  }
  const source = new MessageEngineSource(c.messages, { spec: plan.spec!, count: c.head, local }, c.workers, plan.stats);
  return new Runner({ ...plan, sources: [source], stages: plan.stages.slice(c.head) });
}

/** The parallel engine's settings and how many stages run in the workers, or why the plan does not take it. */
type Choice = { opts: ParallelOptions; head: number; records: boolean } | { messages: DeferringSource; workers: number; head: number };

function parallelChoice(plan: RunPlan, env: NodeJS.ProcessEnv, threads: number | undefined): Choice | string {
  const inline = env.RECFLOW_WORKERS?.trim() === 'inline';
  const forced = inline ? -1 : env.RECFLOW_WORKERS !== undefined && env.RECFLOW_WORKERS.trim() !== '' ? Number(env.RECFLOW_WORKERS) : undefined;
  if (forced !== undefined && !inline && !(Number.isSafeInteger(forced) && forced >= 0)) return 'RECFLOW_WORKERS is not a whole number or "inline"';
  if (forced === 0) return 'RECFLOW_WORKERS=0';
  const head = parallelPrefix(plan.stages);
  if (head === 0) return `stage '${plan.stages[0]?.name ?? '?'}' keeps state across records and comes first`;
  // the fused contract pass knows declared kinds once the workers load the contract files
  const fused = head === 1 && plan.stages[0] === contractStage && (!declaredOn || plan.spec !== undefined);
  if (!fused && !plan.spec) return 'stages given without their spec (the workers cannot build them)';
  const workers = inline ? 0 : (forced ?? Math.max(0, (threads ?? availableParallelism()) - 1));
  const [first] = plan.sources;
  if (plan.sources.length === 1 && first && defersDecoding(first)) {
    if (!plan.spec) return 'stages given without their spec (the workers cannot build them)';
    // measured: Kafka → file with the contract alone, 62k rec/s on the engine against 74k on one thread (bench/RESULTS.md)
    if (forced === undefined && threads === undefined && onlyChecks(plan.stages, head)) {
      return 'a Kafka source with the contract alone: one thread is faster (the main thread would parse every record again)';
    }
    return { messages: first, workers, head };
  }
  if (plan.sources.length === 0 || !plan.sources.every((s) => s instanceof FileSource)) return 'a source that is not a file or stdin';
  // the workers write the output text themselves when the sink declares it takes it (Sink.encoded)
  const out: TextOut | null = plan.sink ? textOutOf(plan.sink) : null;
  // a dedupe stage last, after the pieces: the workers key the lines, the main thread admits the keys
  const keyed = head === plan.stages.length - 1 && out !== null && !out.split ? (plan.stages[head]?.keyed ?? null) : null;
  const records = keyed === null && (head < plan.stages.length || (plan.sink !== null && out === null));
  // Records handed to the main thread are parsed there again, which costs about what the
  // whole run costs on one thread (bench/RESULTS.md): worth it only when stages in the
  // workers do more than the contract (a filter that keeps few, enrich, regexes).
  if (records && forced === undefined && threads === undefined && onlyChecks(plan.stages, head)) {
    return `the contract alone before ${head < plan.stages.length ? `stage '${plan.stages[head]!.name}'` : `the ${plan.sink?.name ?? ''} sink`}: one thread is faster (the main thread would parse every record again)`;
  }
  // measured: file → Kafka with the contract alone, 43k rec/s and 31 CPU s per 1M on the engine
  // against 52k and 23 s on one thread (bench/RESULTS.md, session 5): kafkajs on the main thread is the limit
  if (plan.sink?.encoded === 'ndjson-keyed' && forced === undefined && threads === undefined && onlyChecks(plan.stages, head)) {
    return `the contract alone before the ${plan.sink.name} sink: one thread is faster (the Kafka client on the main thread is the limit)`;
  }
  const stdin = plan.sources.some((s) => s.totalBytes === undefined);
  const bytes = plan.sources.reduce((n, s) => n + (s.totalBytes ?? 0), 0);
  if (forced === undefined && !stdin && bytes < SMALL_INPUT_BYTES) return `small input (${bytes} bytes)`;
  const chunk = Number(env.RECFLOW_CHUNK_BYTES);
  const pieceChars = Number.isSafeInteger(chunk) && chunk > 0 ? chunk : PIECE_CHARS;
  // (workers: one per core but one, the main thread being the other: it processes
  // pieces too whenever the workers have work queued; one core: no worker at all)
  const stages = fused && !records ? undefined : { spec: plan.spec!, count: head, local: plan.stages.slice(0, head) };
  // (an empty list still makes the workers look at the shipped contract files: one may have been edited)
  const contracts = !stages && declaredOn ? (plan.spec?.contracts ?? []) : undefined;
  const opts: ParallelOptions = { workers, pieceChars, out: records ? null : out, ...(stages ? { stages } : {}), ...(contracts ? { contracts } : {}), ...(keyed ? { keyed } : {}) };
  return { opts, head, records };
}
