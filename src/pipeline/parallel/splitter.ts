// Cuts the bytes of one input into pieces of whole lines for the workers.
//
// A piece ends right after a '\n' byte (0x0A is never part of a multi-byte UTF-8
// sequence, so each piece decodes on its own to exactly the text the sequential
// reader decodes there). For NDJSON that is always a record boundary. For CSV it
// is one unless a quoted field holding a newline spans the cut: the worker's
// tokenizer then stops at that record and reports where the text it could not
// finish starts (PieceResult.pendingByte); the runner puts those bytes in front
// of the next piece and does that piece again. So the cut is exact by
// construction (the tokenizer decides), and the main thread never decodes or
// scans for quotes.
import { allocate } from './buffers.js';

export interface Piece {
  /** Whole lines of the input (at the start of an ArrayBuffer of their own). */
  bytes: Buffer;
  /** Offsets in bytes where a chunk of the input, as read, ended. */
  chunkEnds: number[];
  /** Bytes of input read when each of those chunks was read. */
  chunkBytes: number[];
  /** Bytes of input read when the chunk holding the bytes after the last chunk end was read (final piece: all). */
  tailBytes: number;
  /** Physical line of the first byte. */
  line: number;
  /** Starts the input. */
  first: boolean;
  /** Ends the input. */
  final: boolean;
}

const NL = 10;

export class Splitter {
  /** Chunks held, oldest first (the first may be the tail of a chunk already cut). */
  private parts: Buffer[] = [];
  private held = 0;
  /** Chunk ends as offsets in the bytes held, and the bytes of input read at each. */
  private ends: number[] = [];
  private endBytes: number[] = [];
  private line = 1;
  private first = true;
  private bytesRead = 0;
  /** Bytes put back by unshift(): the next piece must go past them. */
  private putBack = 0;

  /**
   * @param target bytes per piece (a piece may be longer: it ends at a line end)
   * @param alloc gives a buffer of at least that many bytes, with an ArrayBuffer of its own
   */
  constructor(
    private readonly target: number,
    private readonly alloc: (bytes: number) => Buffer = allocate,
  ) {}

  /** Add a chunk as read. */
  add(bytes: Buffer, bytesRead: number): void {
    if (bytes.length > 0) this.parts.push(bytes);
    this.held += bytes.length;
    this.ends.push(this.held);
    this.endBytes.push(bytesRead);
    this.bytesRead = bytesRead;
  }

  /** Bytes held that are not in a piece yet. */
  get size(): number {
    return this.held;
  }

  /**
   * The next piece when enough bytes are held: the shortest run of whole lines
   * of at least `target` bytes (default: the splitter's). Null when there is none yet (a long line: wait
   * for its end).
   */
  take(target = this.target): Piece | null {
    if (this.held < target) return null;
    const cut = this.lineEndFrom(Math.max(target - 1, this.putBack));
    return cut === 0 ? null : this.cut(cut, false);
  }

  /** Whatever is held, up to the last line end (after a stop). Null when none. */
  takeLines(): Piece | null {
    const cut = this.lastLineEnd();
    return cut <= this.putBack ? null : this.cut(cut, false);
  }

  /** The last piece: all that is held (the caller decodes the decoder's rest as final). */
  finish(): Piece {
    return this.cut(this.held, true);
  }

  /**
   * Put back bytes that a worker could not finish (the start of a record cut in
   * two), with their chunk ends, in front of what is held.
   */
  unshift(bytes: Buffer, chunkEnds: number[], chunkBytes: number[], line: number, first: boolean): void {
    this.parts.unshift(bytes);
    this.ends = chunkEnds.concat(this.ends.map((e) => e + bytes.length));
    this.endBytes = chunkBytes.concat(this.endBytes);
    this.held += bytes.length;
    this.line = line;
    this.first = first;
    this.putBack = bytes.length;
  }

  /** Offset just after the first '\n' held at or after `from`, or 0. */
  private lineEndFrom(from: number): number {
    let base = 0;
    for (const p of this.parts) {
      if (base + p.length > from) {
        const nl = p.indexOf(NL, Math.max(0, from - base));
        if (nl !== -1) return base + nl + 1;
      }
      base += p.length;
    }
    return 0;
  }

  /** Offset just after the last '\n' held, or 0. */
  private lastLineEnd(): number {
    let base = this.held;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i]!;
      base -= p.length;
      const nl = p.lastIndexOf(NL);
      if (nl !== -1) return base + nl + 1;
    }
    return 0;
  }

  private cut(at: number, final: boolean): Piece {
    const bytes = this.alloc(at).subarray(0, at);
    let filled = 0;
    const parts = this.parts;
    let i = 0;
    while (filled < at) {
      const p = parts[i]!;
      const take = Math.min(p.length, at - filled);
      bytes.set(take === p.length ? p : p.subarray(0, take), filled);
      filled += take;
      if (take < p.length) {
        parts[i] = p.subarray(take);
        break;
      }
      i++;
    }
    this.parts = parts.slice(i);
    const chunkEnds: number[] = [];
    const chunkBytes: number[] = [];
    const rest: number[] = [];
    const restBytes: number[] = [];
    for (let k = 0; k < this.ends.length; k++) {
      const e = this.ends[k]!;
      if (e <= at) {
        chunkEnds.push(e);
        chunkBytes.push(this.endBytes[k]!);
      } else {
        rest.push(e - at);
        restBytes.push(this.endBytes[k]!);
      }
    }
    const tailBytes = restBytes.length > 0 ? restBytes[0]! : this.bytesRead;
    const piece: Piece = { bytes, chunkEnds, chunkBytes, tailBytes, line: this.line, first: this.first, final };
    this.endBytes = restBytes;
    this.ends = rest;
    this.held -= at;
    this.putBack = 0;
    this.line += countLines(bytes);
    this.first = false;
    return piece;
  }
}

/** Number of '\n' bytes. */
export function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NL); i !== -1; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

/** Offset just after the `k`-th '\n' byte (0 for k = 0). */
export function afterLines(b: Buffer, k: number): number {
  let at = 0;
  for (let n = 0; n < k; n++) {
    const nl = b.indexOf(NL, at);
    if (nl === -1) return b.length;
    at = nl + 1;
  }
  return at;
}

/**
 * The unfinished end of a piece, from byte `from`, as bytes to put in front of
 * the next one: its chunk ends shifted, and whether it still starts the input.
 */
export function tailOf(
  p: { bytes: Buffer; chunkEnds: number[]; chunkBytes: number[]; first: boolean },
  from: number,
): { bytes: Buffer; chunkEnds: number[]; chunkBytes: number[]; first: boolean } {
  const chunkEnds: number[] = [];
  const chunkBytes: number[] = [];
  for (let k = 0; k < p.chunkEnds.length; k++) {
    if (p.chunkEnds[k]! > from) {
      chunkEnds.push(p.chunkEnds[k]! - from);
      chunkBytes.push(p.chunkBytes[k]!);
    }
  }
  return { bytes: p.bytes.subarray(from), chunkEnds, chunkBytes, first: p.first && from === 0 };
}
