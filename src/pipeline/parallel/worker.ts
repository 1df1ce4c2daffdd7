// Worker thread entry: process pieces (piece.ts) as the main thread sends them.
// Loaded from dist/ by pool.ts. Buffers travel by transfer, not copy: the piece's
// bytes come in and go back with the result; output buffers go out with the
// result and come back as spares once written, so memory stays flat.
import { parentPort } from 'node:worker_threads';
import { processPiece, transferables, type PieceTask } from './piece.js';
import type { WorkerReply } from './pool.js';

const spares: ArrayBuffer[] = [];

/** An output buffer of at least `bytes`: a spare when one is big enough. */
function alloc(bytes: number): Buffer {
  for (let i = 0; i < spares.length; i++) {
    if (spares[i]!.byteLength >= bytes) return Buffer.from(spares.splice(i, 1)[0]!);
  }
  return Buffer.allocUnsafeSlow(bytes);
}

// For tests only: the worker dies on its n-th piece, as if killed or out of memory.
const dieAt = Number(process.env.RECFLOW_TEST_WORKER_DIES_AT ?? 0);
let pieces = 0;

const port = parentPort;
if (port) {
  port.on('message', (task: PieceTask) => {
    if (dieAt > 0 && ++pieces === dieAt) process.exit(70);
    if (task.spare) {
      for (const b of task.spare) spares.push(b);
      task.spare = undefined;
      while (spares.length > 2) spares.shift();
    }
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result = processPiece(task, alloc);
      transfer = transferables(result);
      reply = result;
    } catch (err) {
      reply = { id: task.id, crash: (err as Error)?.stack ?? String(err) };
      transfer = [task.bytes.buffer as ArrayBuffer];
    }
    port.postMessage(reply, transfer);
  });
}
