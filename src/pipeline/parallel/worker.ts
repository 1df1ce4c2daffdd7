// Worker thread entry: process pieces (piece.ts) as the main thread sends them.
// Loaded from dist/ by pool.ts. Buffers travel by transfer, not copy (buffers.ts): the
// piece's bytes come in and go back with the result; output buffers go out with the
// result and come back as spares once written, so memory stays flat.
import { parentPort, workerData } from 'node:worker_threads';
import { processPiece, type PieceResult, type PieceTask } from './piece.js';
import { buildWorkerStages, usePieceStages } from './piece-stages.js';
import { BufferPool, transferables } from './buffers.js';
import type { WorkerReply, WorkerSetup } from './pool.js';

/** Output buffers: the spares the main thread sent (the newest two). */
const spares = new BufferPool(2);

const setup = (workerData ?? null) as WorkerSetup | null;
// the plan's stages, built here as the main thread built them (pieces wait for them)
const ready: Promise<void> = setup?.stages
  ? buildWorkerStages(setup.stages.spec, setup.stages.count).then(usePieceStages)
  : setup?.contracts
    ? import('../../contract/contracts.js').then((c) => c.useContracts(setup.contracts, undefined))
    : Promise.resolve();

const port = parentPort;
if (port) {
  let chain: Promise<void> = Promise.resolve();
  const send = (reply: WorkerReply, transfer: ArrayBuffer[]): void => port.postMessage(reply, transfer);
  const crash = (task: PieceTask, err: unknown): void => {
    const e = err as Error | undefined;
    const message = typeof e?.message === 'string' ? e.message : String(err);
    send({ id: task.id, crash: { message, stack: typeof e?.stack === 'string' ? e.stack : undefined } }, [task.bytes.buffer as ArrayBuffer]);
  };
  const handle = (task: PieceTask): void | Promise<void> => {
    if (task.spare) {
      for (const b of task.spare) spares.give(b);
      task.spare = undefined;
    }
    let result: PieceResult | Promise<PieceResult>;
    try {
      result = processPiece(task, spares.alloc);
    } catch (err) {
      return crash(task, err);
    }
    if (result instanceof Promise) {
      return result.then(
        (r) => send(r, transferables(r)),
        (err: unknown) => crash(task, err),
      );
    }
    send(result, transferables(result));
  };
  // Every piece waits for the stages: if building them failed, every piece fails
  // (never processed without them).
  const step = (task: PieceTask): Promise<void> => ready.then(() => handle(task)).catch((err: unknown) => crash(task, err));
  // one piece at a time, in arrival order
  port.on('message', (task: PieceTask) => {
    chain = chain.then(
      () => step(task),
      () => step(task),
    );
  });
}
