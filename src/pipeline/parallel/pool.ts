// A small pool of worker threads that process pieces (worker.ts). A task goes to
// the worker with the fewest tasks queued; when every worker has two queued, the
// main thread processes it (synchronously, in run()) instead of waiting idle. A piece's
// bytes are transferred (not copied) to the worker and come back with the result;
// output buffers the runner is done with go back to the workers as spares (buffers.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { processPiece, type PieceResult, type PieceTask } from './piece.js';
import { BufferPool } from './buffers.js';
import { log } from '../../log.js';
import { RecflowError } from '../../errors.js';
import type { StageSpec } from '../types.js';

interface Pending {
  task: PieceTask;
  /** A copy of the piece's bytes (the task's go to the worker): to redo it here if the worker dies. */
  copy: Buffer;
  resolve: (r: PieceResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  queued: Map<number, Pending>;
}

/** What a worker thread is started with: the stages its pieces go through, if any. */
export interface WorkerSetup {
  /** Build these (the first `count` stages of the plan from `spec`); absent: the contract alone. */
  stages?: { spec: StageSpec; count: number };
  /** With the contract alone: contract files to load first (kinds declared with --contract). */
  contracts?: readonly string[];
}

/** What stopped a worker processing a task (an Error's fields: errors do not cross threads whole). */
export interface WorkerCrash {
  message: string;
  stack?: string;
}

/** A worker's answer: a result, or the error that stopped it processing a task. */
export type WorkerReply = PieceResult | { id: number; crash: WorkerCrash };

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class PiecePool {
  private slots: Slot[] | null = null;
  private broken = false;
  /** Output buffers written out, to hand back to a worker (or to use here when inline). */
  private readonly spares = new BufferPool(4);
  /** Buffers for the copies of pieces in workers, to reuse. */
  private readonly copies = new BufferPool(8, 96 * 1024);
  /** Output buffers for pieces done on this thread. */
  private readonly alloc = this.spares.alloc;

  /**
   * @param size number of worker threads (0: everything on the main thread)
   * @param youngGenMb young generation per worker. Measured on 1M customer rows, 2 cores, two
   *   workers: 8 MB 2.40 s / 180 MB RSS, 16 MB 2.31 s / 185 MB, 32 MB 2.25 s / 245 MB; with one
   *   worker and the main thread helping, 16, 32 and 64 MB all gave 2.37-2.41 s.
   */
  constructor(
    private readonly size: number,
    private readonly setup: WorkerSetup = {},
    private readonly youngGenMb = 16,
  ) {
    // the worker is loadable only from the build (dist/); under a TS runner, go inline
    if (size > 0 && !existsSync(fileURLToPath(WORKER_URL))) this.broken = true;
  }

  get threads(): number {
    return this.broken || this.size === 0 ? 0 : this.size;
  }

  /**
   * Process a piece. Its bytes must have an ArrayBuffer of their own: it is
   * transferred to the worker and comes back as `result.input`.
   */
  run(task: PieceTask): Promise<PieceResult> {
    if (this.threads === 0) return inline(task, this.alloc);
    const slots = (this.slots ??= this.start());
    let best = slots[0]!;
    for (const s of slots) if (s.queued.size < best.queued.size) best = s;
    // every worker has work queued: this thread does the piece itself (it would
    // otherwise wait idle: reading and writing take little of its time)
    if (best.queued.size >= 2) return inline(task, this.alloc);
    const copy = this.copyOf(task.bytes);
    const transfer = [task.bytes.buffer as ArrayBuffer];
    // (a task done again is a copy of the first one: never keep its spares, sent already)
    task.spare = this.spares.lend(2);
    if (task.spare) transfer.push(...task.spare);
    return new Promise<PieceResult>((resolve, reject) => {
      best.queued.set(task.id, { task, copy, resolve, reject });
      best.worker.ref(); // a piece in work keeps the process alive
      best.worker.postMessage(task, transfer);
    });
  }

  /**
   * True when the next task would be done on this thread: every worker has two
   * queued. Worker results arrive as events, so the caller should let the event
   * loop turn (setImmediate) before believing it.
   */
  get busy(): boolean {
    if (this.threads === 0 || this.slots === null) return false;
    return this.slots.every((s) => s.queued.size >= 2);
  }

  /** Start the worker threads now rather than at the first piece. */
  warm(): void {
    if (this.threads > 0) this.slots ??= this.start();
  }

  /** An output buffer is written out: reuse it. */
  recycle(buffer: ArrayBuffer): void {
    this.spares.give(buffer);
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = null;
    if (slots) await Promise.all(slots.map((s) => stopWorker(s.worker)));
  }

  private start(): Slot[] {
    const slots: Slot[] = [];
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_URL, {
        resourceLimits: { maxYoungGenerationSizeMb: this.youngGenMb },
        workerData: this.setup,
        stdout: true, // never mixed into the data on our stdout (workers print nothing anyway)
      });
      worker.unref(); // until it has a piece (see run)
      const slot: Slot = { worker, queued: new Map() };
      worker.on('message', (m: WorkerReply) => {
        const p = slot.queued.get(m.id);
        if (!p) return;
        slot.queued.delete(m.id);
        // an idle worker does not keep the process alive: a run stuck on a promise nothing
        // settles (a user stage that never answers) must still reach the exit guard
        if (slot.queued.size === 0) worker.unref();
        this.reuse(p.copy);
        if ('crash' in m) p.reject(workerFailed(p.task, m.crash));
        else p.resolve(m);
      });
      worker.on('error', (err) => this.fallBack(slot, err));
      worker.on('exit', (code) => this.fallBack(slot, code));
      slots.push(slot);
    }
    return slots;
  }

  /**
   * A worker stopped (out of memory, killed): the pieces it held are done again
   * here from their copies, and so is every later piece. Nothing is lost; the run
   * goes on at one thread's speed.
   */
  private fallBack(slot: Slot, why: unknown): void {
    if (this.slots === null || !this.slots.includes(slot)) {
      // closed: whatever was still queued was given up by the runner
      for (const p of slot.queued.values()) p.reject(new RecflowError('internal', 'the worker pool was closed'));
      slot.queued.clear();
      return;
    }
    if (!this.broken) {
      const reason = why instanceof Error ? why.message : `exit code ${String(why)}`;
      log('warn', `a worker thread stopped (${reason}); its pieces are done again on the main thread`);
    }
    this.broken = true;
    const left = [...slot.queued.values()];
    slot.queued.clear();
    for (const p of left) {
      const task: PieceTask = { ...p.task, bytes: p.copy, spare: undefined };
      inline(task, this.alloc).then(p.resolve, p.reject);
    }
  }

  /** A copy of a piece's bytes, in a buffer of its own (reused once the worker answers). */
  private copyOf(bytes: Uint8Array): Buffer {
    const buf = this.copies.take(bytes.length);
    buf.set(bytes);
    return buf.subarray(0, bytes.length);
  }

  private reuse(copy: Buffer): void {
    this.copies.give(copy); // the whole buffer (copies start at 0)
  }
}

/**
 * A worker could not process a piece: a bug (the stages are the ones the main thread
 * checked). One line says where and what to do; the worker's stack is for --debug.
 */
export function workerFailed(task: PieceTask, crash: WorkerCrash): RecflowError {
  const where = task.kafka
    ? `${task.source} from offset ${task.kafka.offsets[0] ?? '?'}`
    : `${task.source === '-' ? 'stdin' : task.source} at line ${task.line}`;
  const what = crash.message.split('\n')[0];
  const err = new RecflowError(
    'internal',
    `a worker thread failed on a piece of ${where}: ${what}; run again with --threads 1 to do without worker threads, and please report this with the output of --debug`,
  );
  // the stack is printed under --debug: the worker's is the one that tells
  err.stack = `${err.name}: ${err.message}\nin the worker thread: ${crash.stack ?? crash.message}`;
  return err;
}

/**
 * Terminates a worker, waiting a bounded time. Seen on Node 20 under load: terminate() of
 * a worker busy with a piece (after another piece crashed) never settled, the event loop ran
 * dry, and the run's guard reported a stuck run instead of the crash. The process's exit
 * ends the thread anyway.
 */
function stopWorker(worker: Worker, waitMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, waitMs); // (also keeps the event loop alive meanwhile)
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    worker.terminate().then(done, done);
  });
}

function inline(task: PieceTask, alloc: (bytes: number) => Buffer): Promise<PieceResult> {
  try {
    return Promise.resolve(processPiece(task, alloc)); // (a piece with async user stages answers a promise)
  } catch (err) {
    return Promise.reject(err);
  }
}
