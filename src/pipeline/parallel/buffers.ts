// The parallel engine's buffers: every one has an ArrayBuffer of its own, so it can be
// transferred between threads without a copy, and it has one owner at each step:
//   1. reader (main thread): the splitter fills a buffer with a piece's whole lines
//      (runner's input pool; a Kafka batch's values likewise, message-source.ts);
//   2. worker: the piece's bytes are transferred with the task (the main thread keeps a
//      copy from its copy pool, to do the piece again if the worker dies); the worker
//      writes the output into buffers from its own pool (spares the main thread sent);
//   3. main: the result transfers the input and the output buffers back;
//   4. sink: the output is lent to the sink's write until that write settles (the Kafka
//      sink sends views into it as message values: nothing may reuse it before);
//   5. returned to a pool: the input to the reader's, the outputs to the main thread's
//      spares, which go to a worker with its next task (or serve a piece done inline).
// A buffer that was transferred away is detached (byteLength 0): a pool ignores it.
import type { PieceResult } from './piece-types.js';

/** A new buffer of `bytes` with an ArrayBuffer of its own (not a slice of Node's shared pool). */
export function allocate(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes);
}

/** Buffers handed back for reuse, at most `keep` of them (the oldest go first). */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /**
   * @param keep most buffers kept
   * @param minBytes least size of a new buffer (so that it serves later, slightly bigger asks)
   */
  constructor(
    private readonly keep: number,
    private readonly minBytes = 0,
  ) {}

  /** A buffer of at least `bytes` (the whole of a kept one, or a new one): the caller owns it. */
  take(bytes: number): Buffer {
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      if (free[i]!.byteLength >= bytes) return Buffer.from(free.splice(i, 1)[0]!);
    }
    return allocate(Math.max(bytes, this.minBytes));
  }

  /** The owner is done with this buffer (a view's whole ArrayBuffer is kept). */
  give(buffer: ArrayBuffer | Uint8Array): void {
    const ab = buffer instanceof ArrayBuffer ? buffer : (buffer.buffer as ArrayBuffer);
    if (ab.byteLength === 0) return; // detached: transferred elsewhere
    this.free.push(ab);
    if (this.free.length > this.keep) this.free.shift();
  }

  /** Up to `n` kept buffers, oldest first, to transfer to a worker (which then owns them). */
  lend(n: number): ArrayBuffer[] | undefined {
    return this.free.length > 0 ? this.free.splice(0, n) : undefined;
  }

  /** The pool's take, as the alloc function piece code is given. */
  readonly alloc = (bytes: number): Buffer => this.take(bytes);
}

/** A Buffer view of bytes (a Buffer arrives from another thread as a plain Uint8Array). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}

/** The ArrayBuffers of a result: its input and output, to transfer rather than copy. */
export function transferables(r: PieceResult): ArrayBuffer[] {
  const list: ArrayBuffer[] = [r.input.buffer as ArrayBuffer];
  if (r.out) list.push(r.out.buffer as ArrayBuffer);
  if (r.ends) list.push(r.ends.buffer as ArrayBuffer, r.pos!.buffer as ArrayBuffer);
  for (const [, b] of r.outByKind) list.push(b.buffer as ArrayBuffer);
  if (r.dedupeKeys) list.push(r.dedupeKeys.bytes.buffer as ArrayBuffer, r.dedupeKeys.lengths.buffer as ArrayBuffer, r.dedupeKeys.hashes.buffer as ArrayBuffer);
  return list;
}
