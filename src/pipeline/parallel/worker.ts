// Worker thread entry: process pieces (piece.ts) as the main thread sends them.
// Loaded from dist/ by pool.ts. Buffers travel by transfer, not copy: the piece's
// bytes come in and go back with the result; output buffers go out with the
// result and come back as spares once written, so memory stays flat.
import { parentPort, workerData } from 'node:worker_threads';
import { processPiece, transferables, type PieceResult, type PieceTask } from './piece.js';
import { buildWorkerStages, usePieceStages } from './piece-stages.js';
import type { WorkerReply, WorkerSetup } from './pool.js';

const spares: ArrayBuffer[] = [];

/** An output buffer of at least `bytes`: a spare when one is big enough. */
function alloc(bytes: number): Buffer {
  for (let i = 0; i < spares.length; i++) {
    if (spares[i]!.byteLength >= bytes) return Buffer.from(spares.splice(i, 1)[0]!);
  }
  return Buffer.allocUnsafeSlow(bytes);
}

const setup = (workerData ?? null) as WorkerSetup | null;
// the plan's stages, built here as the main thread built them (pieces wait for them)
const ready: Promise<void> = setup?.stages
  ? buildWorkerStages(setup.stages.spec, setup.stages.count).then(usePieceStages)
  : setup?.contracts
    ? import('../../contract/contracts.js').then((c) => c.useContracts(setup.contracts, undefined))
    : Promise.resolve();

const port = parentPort;
if (port) {
  let chain = ready;
  const send = (reply: WorkerReply, transfer: ArrayBuffer[]): void => port.postMessage(reply, transfer);
  const crash = (task: PieceTask, err: unknown): void =>
    send({ id: task.id, crash: (err as Error)?.stack ?? String(err) }, [task.bytes.buffer as ArrayBuffer]);
  const handle = (task: PieceTask): void | Promise<void> => {
    if (task.spare) {
      for (const b of task.spare) spares.push(b);
      task.spare = undefined;
      while (spares.length > 2) spares.shift();
    }
    let result: PieceResult | Promise<PieceResult>;
    try {
      result = processPiece(task, alloc);
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
  // one piece at a time, in arrival order, once the stages are built
  port.on('message', (task: PieceTask) => {
    chain = chain.then(
      () => handle(task),
      (err: unknown) => crash(task, err),
    );
  });
}
