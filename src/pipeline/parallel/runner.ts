// The engine for file and stdin sources: the main thread reads bytes and cuts them into
// pieces of whole lines (splitter.ts); worker threads decode, tokenize, check, run the
// stateless stages and serialize a piece (piece.ts); the main thread applies the results
// strictly in input order, so output, dead-letter lines and counts are the sequential
// Runner's. Pieces in flight, writes pending and buffers are bounded: memory stays flat.
import { RecflowError } from '../../errors.js';
import { FileSource } from '../../sources/file.js';
import { sniffFormat } from '../../sources/csv-header.js';
import type { Format } from '../../sources/file-input.js';
import { withTimeout, type RunOutcome, type RunPlan } from '../runner.js';
import type { SinkWriteResult, Source, Stage, StageKeys, StageSpec } from '../types.js';
import { pickKeyed } from './keyed.js';
import { usePieceStages } from './piece-stages.js';
import { applyRejects, countOut, deadLetterLines, deadLetterMode, failedWrite, outputsOf, sinkFailure, type TextOut } from './output.js';
import { StringDecoder } from 'node:string_decoder';
import type { PieceResult, PieceTask } from './piece.js';
import { PiecePool } from './pool.js';
import { asBuffer, BufferPool } from './buffers.js';
import { Splitter, tailOf, type Piece } from './splitter.js';

export interface ParallelOptions {
  /** Worker threads (0: pieces are processed on the main thread). */
  workers: number;
  /** Target bytes per piece. */
  pieceChars: number;
  /** Where text goes; null when the plan has no sink (validate). */
  out: TextOut | null;
  /** Pieces in flight (dispatched, not applied yet). */
  maxPieces?: number;
  /** Sink writes pending. */
  maxWrites?: number;
  /**
   * The stages pieces go through (the plan's first `count`, all stateless): `local` on this
   * thread, built again from `spec` in each worker. Absent: the contract alone, fused.
   */
  stages?: { spec: StageSpec; count: number; local: readonly Stage[] };
  /** With the contract alone (no `stages`): contract files the workers load first. */
  contracts?: readonly string[];
  /** A dedupe stage after the pieces: the workers key the lines, this thread admits the keys (keyed.ts). */
  keyed?: StageKeys;
}

/** Bytes of the first CSV piece (the others wait for the header it holds). */
const FIRST_PIECE = 16 * 1024;

interface InFlight {
  task: PieceTask;
  result: Promise<PieceResult>;
  source: FileSource;
  /** Bytes of input read at each chunk end of the piece, and for what follows the last one. */
  chunkBytes: number[];
  tailBytes: number;
  /** The last piece of its source (final, or the last one after a stop). */
  last: boolean;
}

interface Write {
  /** The sink's outcome, or the error it failed with (file sinks). */
  done: Promise<{ ok: SinkWriteResult } | { err: unknown }>;
  task: PieceTask;
  kept: number;
  keptByKind: [string, number][];
  /** Buffers to reuse once written: the piece's bytes and its output. */
  input: Buffer;
  outputs: Uint8Array[];
}

export class ParallelRunner {
  private stopSignal: NodeJS.Signals | undefined;
  private current: FileSource | undefined;
  private failure: RecflowError | undefined;
  private readonly pool: PiecePool;
  private readonly pieces: InFlight[] = [];
  private readonly writes: Write[] = [];
  /** Kept records in `writes`. */
  private pendingKept = 0;
  private nextId = 0;
  private readonly maxPieces: number;
  private readonly maxWrites: number;
  /** The source being read, and its state. */
  private splitter: Splitter | null = null;
  private format: Format = 'csv';
  private header: string[] | null = null;
  /** bytesRead bookkeeping, as the sequential Runner does it, in the order results are applied. */
  private appliedSource: FileSource | undefined;
  private doneBytes = 0;
  private lastBytes = 0;
  private applied = 0;
  /** Piece buffers done with, for the next pieces (buffers.ts: who owns a buffer when). */
  private readonly inputs: BufferPool;
  /** How the workers hand rejects back (PieceTask.deadLetter). */
  private readonly deadLetter: NonNullable<PieceTask['deadLetter']>;

  constructor(
    private readonly plan: RunPlan,
    private readonly opts: ParallelOptions,
  ) {
    const st = opts.stages;
    usePieceStages(st ? st.local : null);
    this.pool = new PiecePool(opts.workers, st ? { stages: { spec: st.spec, count: st.count } } : opts.contracts ? { contracts: opts.contracts } : {});
    this.pool.warm(); // workers load their modules while the first bytes are read
    // two per worker (one in work, one queued), one for the main thread, and slack
    // for results waiting to be applied; more only costs memory
    this.maxPieces = opts.maxPieces ?? opts.workers * 2 + 3;
    this.maxWrites = opts.maxWrites ?? 2;
    this.inputs = new BufferPool(4, opts.pieceChars + (opts.pieceChars >> 1));
    this.deadLetter = deadLetterMode(plan, opts.out);
  }

  /** Stop reading; what was read is still written, then run() returns. */
  stop(signal: NodeJS.Signals): void {
    this.stopSignal ??= signal;
    this.plan.sink?.abort?.(signal); // a sink in an outage stops retrying: its undelivered records are dead-lettered
    this.current?.stop();
  }

  async run(): Promise<RunOutcome> {
    const { stats, sink } = this.plan;
    let sinkClosed = false;
    try {
      try {
        let sourceFailure: RecflowError | undefined;
        for (const source of this.plan.sources as FileSource[]) {
          if (this.stopSignal || this.failure) break;
          this.current = source;
          sourceFailure = await this.read(source);
          if (sourceFailure) break;
        }
        while (this.pieces.length > 0) await this.applyHead();
        this.opts.out?.flush(); // a partial batch held back for more lines
        while (this.writes.length > 0) await this.settleWrite();
        // a source that failed (corrupt gzip): what was read is written; the sink is closed below
        if (sourceFailure) this.failure ??= sourceFailure;
        else if (sink && !this.failure) {
          sinkClosed = true;
          await this.closeSink();
        }
      } catch (err) {
        if (!(err instanceof RecflowError)) throw err;
        this.failure ??= err;
        // what is written stays written; pieces not applied yet are dropped, as the sequential runner drops batches not taken
        this.pieces.length = 0;
        this.opts.out?.flush();
        while (this.writes.length > 0) await this.settleWrite();
      }
    } finally {
      await this.pool.close();
      // as the sequential runner: on failure too, the sink is closed (files flushed, gzip ended), best effort
      if (sink && !sinkClosed) await withTimeout(sink.close(), 5000).catch(() => {});
    }
    stats.samplePeakRss();
    await this.plan.dlq.flush();
    return { interrupted: this.stopSignal, failure: this.failure };
  }

  // ---- reading and cutting ----

  /** Read one source into pieces. Returns the error that stopped the source, if one did. */
  private async read(source: FileSource): Promise<RecflowError | undefined> {
    let started = false;
    this.header = null;
    this.splitter = new Splitter(this.opts.pieceChars, this.allocInput);
    const splitter = this.splitter;
    let broken: RecflowError | undefined;
    try {
      try {
        for await (const chunk of source.chunks()) {
          if (!started) {
            // the format is sniffed from the first chunk as decoded, as the sequential reader does
            this.format = source.format ?? sniffFormat(new StringDecoder('utf8').write(chunk.bytes));
            started = true;
          }
          splitter.add(chunk.bytes, chunk.bytesRead);
          for (;;) {
            if (splitter.size < this.target()) break;
            await this.room();
            // results from the workers are events: take them in before deciding this
            // thread must do the next piece itself (reads from the page cache resolve
            // without ever letting the event loop turn)
            if (this.pool.busy) await new Promise<void>((resolve) => setImmediate(resolve));
            const piece = splitter.take(this.target());
            if (piece === null) break;
            this.dispatch(source, piece, false);
          }
          if (this.failure) return undefined;
          if (this.stopSignal) source.stop();
        }
      } catch (err) {
        if (!(err instanceof RecflowError)) throw err;
        broken = err;
      }
      if (!started) return broken; // empty input: no records
      await this.room();
      if (!broken && !source.stopping) {
        this.dispatch(source, splitter.finish(), true);
        return undefined;
      }
      // stopped, or the source failed: the whole lines read so far are still processed
      const piece = splitter.takeLines();
      if (piece) this.dispatch(source, piece, true);
      else {
        const tail = this.pieces[this.pieces.length - 1];
        if (tail && tail.source === source) tail.last = true;
      }
      return broken;
    } finally {
      await (source as Source).close?.();
    }
  }

  /** Bytes for the next piece: while a CSV header is not known, pieces go one at a time, so keep them small. */
  private target(): number {
    return this.format === 'csv' && this.header === null ? Math.min(FIRST_PIECE, this.opts.pieceChars) : this.opts.pieceChars;
  }

  /** Wait until another piece may be dispatched: few enough in flight, and the CSV header known. */
  private async room(): Promise<void> {
    while (
      this.pieces.length >= this.maxPieces ||
      (this.pieces.length > 0 && this.format === 'csv' && this.header === null && this.pieces[this.pieces.length - 1]!.source === this.current)
    ) {
      await this.applyHead();
    }
  }

  private dispatch(source: FileSource, p: Piece, last: boolean): void {
    const task: PieceTask = {
      id: this.nextId++,
      source: source.name,
      origin: source.origin,
      format: this.format,
      kindHint: source.kindHint,
      bytes: p.bytes,
      chunkEnds: p.chunkEnds,
      line: p.line,
      first: p.first,
      final: p.final,
      header: this.header,
      write: this.opts.out !== null,
      split: this.opts.out?.split ?? false,
      lines: (this.opts.out?.lines ?? false) || this.opts.keyed !== undefined,
      ...(this.opts.out?.keys ? { keys: true } : {}),
      ...(this.opts.keyed ? { dedupe: { fields: this.opts.keyed.fields } } : {}),
      records: this.opts.out?.passes === true,
      deadLetter: this.deadLetter,
      maxRecordBytes: source.maxRecordBytes,
      delimiter: source.delimiter,
      strictEncoding: source.strictEncoding,
    };
    this.pieces.push({ task, result: this.run1(task), source, chunkBytes: p.chunkBytes, tailBytes: p.tailBytes, last });
  }

  private run1(task: PieceTask): Promise<PieceResult> {
    const r = this.pool.run(task);
    r.catch(() => {}); // a result thrown away (a piece done again) must not fail the run
    return r;
  }

  // ---- applying results in order ----

  private async applyHead(): Promise<void> {
    const slot = this.pieces[0]!;
    const res = await slot.result;
    this.pieces.shift();
    const input = asBuffer(res.input); // the bytes are back from the worker
    slot.task.bytes = input;
    if (res.error) throw new RecflowError(res.error.code, res.error.message);
    if (res.header && slot.source === this.current) this.header = res.header;
    if (res.invalidUtf8 > 0) slot.source.noteInvalid(res.invalidUtf8, res.invalidLines);
    if (res.pendingByte >= 0 && !slot.task.final && !slot.last) this.carry(slot, res);

    const { stats, dlq } = this.plan;
    if (slot.source !== this.appliedSource) {
      if (this.appliedSource) this.doneBytes += this.appliedSource.totalBytes ?? this.lastBytes;
      this.appliedSource = slot.source;
      this.lastBytes = 0;
    }
    if (res.recordsIn > 0) {
      // as the sequential runner: bytes read as of the last chunk that gave records
      this.lastBytes = res.lastEmit >= 0 && res.lastEmit < slot.chunkBytes.length ? slot.chunkBytes[res.lastEmit]! : slot.tailBytes;
      stats.bytesRead = this.doneBytes + this.lastBytes;
    }
    const out = this.opts.out;
    // records mode: the Runner that takes the records counts them and their rejects
    stats.recordsIn += out?.passes ? res.dropped : res.recordsIn;
    stats.dropped += res.dropped;
    const duplicates = this.opts.keyed ? await pickKeyed(res, slot.task, this.opts.keyed, stats) : null;
    if (!out?.passes) applyRejects(res, duplicates, this.plan);
    const outputs = outputsOf(res);
    if (out === null) {
      countOut(stats, res.kept, res.keptTotal);
      this.release(input, outputs);
    } else if (res.keptTotal > 0 || (out.passes && res.rejected !== '')) {
      const done = out.write(res, slot.source.origin).then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err: err ?? new Error('write failed') }),
      );
      this.writes.push({ done, task: slot.task, kept: res.keptTotal, keptByKind: res.kept, input, outputs });
      this.pendingKept += res.keptTotal;
      const window = out.window;
      if (window === null) {
        while (this.writes.length > this.maxWrites) await this.settleWrite();
      } else {
        // the sink may hold the newest lines back for its next batch, never the oldest
        // write's once `window` (at least one batch) records follow them
        while (this.writes.length > 0 && this.pendingKept - this.writes[0]!.kept >= window) await this.settleWrite();
      }
    } else {
      this.release(input, outputs);
    }
    if (dlq.needsDrain()) await dlq.flush();
    if ((++this.applied & 15) === 0) stats.samplePeakRss();
  }

  /**
   * The piece ended inside a record (a quoted newline at the cut): that record's
   * bytes go in front of the next piece, which is done again (once its first
   * result, and with it its bytes, is back); or, when the next piece is not cut
   * yet, back into the splitter.
   */
  private carry(slot: InFlight, res: PieceResult): void {
    const part = tailOf({ bytes: slot.task.bytes as Buffer, chunkEnds: slot.task.chunkEnds, chunkBytes: slot.chunkBytes, first: slot.task.first }, res.pendingByte);
    const tail = this.allocInput(part.bytes.length).subarray(0, part.bytes.length);
    tail.set(part.bytes);
    const next = this.pieces[0];
    if (next && next.source === slot.source) {
      const redo = next.result.then((stale) => {
        const t = next.task;
        const prev = asBuffer(stale.input);
        const bytes = this.allocInput(tail.length + prev.length).subarray(0, tail.length + prev.length);
        bytes.set(tail, 0);
        bytes.set(prev, tail.length);
        this.release(prev, outputsOf(stale));
        this.release(tail, []);
        const task: PieceTask = {
          ...t,
          id: this.nextId++,
          bytes,
          chunkEnds: part.chunkEnds.concat(t.chunkEnds.map((e) => e + tail.length)),
          line: res.pendingLine,
          first: part.first,
          header: res.header ?? t.header,
          spare: undefined,
        };
        next.task = task;
        next.chunkBytes = part.chunkBytes.concat(next.chunkBytes);
        return this.run1(task);
      });
      redo.catch(() => {});
      next.result = redo;
      return;
    }
    if (slot.source === this.current && this.splitter) this.splitter.unshift(tail, part.chunkEnds, part.chunkBytes, res.pendingLine, part.first);
  }

  /** A buffer for a piece's bytes, at least `bytes` long, with an ArrayBuffer of its own. */
  private readonly allocInput = (bytes: number): Buffer => this.inputs.take(bytes);

  /** Buffers done with: the piece's bytes for later pieces, output buffers back to the workers. */
  private release(input: Buffer, outputs: Uint8Array[]): void {
    this.inputs.give(input);
    for (const o of outputs) this.pool.recycle(o.buffer as ArrayBuffer);
  }

  private async settleWrite(): Promise<void> {
    const w = this.writes.shift()!;
    this.pendingKept -= w.kept;
    const res = await w.done;
    // a file sink that failed took none of the piece's lines
    const outcome: SinkWriteResult = 'err' in res ? failedWrite(res.err, w.kept) : res.ok;
    if (this.opts.out?.passes) {
      // records mode: taken by the Runner, which counts and writes them
    } else if (!outcome.refused?.length) countOut(this.plan.stats, w.keptByKind, w.kept);
    else await deadLetterLines(w.task, outcome, this.plan);
    this.release(w.input, w.outputs);
    if (outcome.failure) this.failed(outcome.failure);
  }

  /** The sink gave up: stop reading; what is in flight is settled (and dead-lettered) as it comes. */
  private failed(failure: RecflowError): void {
    this.failure ??= failure;
    this.current?.stop();
  }

  private async closeSink(): Promise<void> {
    await this.plan.sink!.close().catch((err: unknown) => void this.failed(sinkFailure(err)));
  }
}
