// How a piece's bytes become the text its tokenizer is fed, the sizes guessed for it, and
// its records counted per kind.
import type { StringDecoder } from 'node:string_decoder';
import { invalidUtf8 } from '../../sources/dialect.js';
import type { PieceTask } from './piece-types.js';

/** The piece's bytes are valid UTF-8 (the final piece may end inside a sequence cut by the end of input). */
export function isUtf8Piece(bytes: Buffer, final: boolean): boolean {
  return !invalidUtf8(bytes, false, !final);
}

/** Output bytes to expect for a piece: NDJSON from CSV is about 2.5 times the input. */
export function outputGuess(t: PieceTask): number {
  return Math.ceil(t.bytes.length * (t.format === 'csv' ? 3 : 1.5)) + 65536;
}

/** Bytes of text decoded at once: a string under V8's large-object size dies young (pieces are bigger). */
const SLICE_BYTES = 64 * 1024;
const NL = 0x0a;

/**
 * Bytes [from, end) decoded and pushed in slices of about SLICE_BYTES cut after a '\n', only
 * the last one a chunk end (the tokenizers' size rule applies at chunk ends only), so records,
 * lines and rejects are those of one push of the whole range.
 */
export function pushSliced(bytes: Buffer, from: number, end: number, decoder: StringDecoder, push: (text: string, chunkEnd: boolean) => void, chunkEnd: boolean): void {
  while (end - from > SLICE_BYTES) {
    let cut = bytes.lastIndexOf(NL, from + SLICE_BYTES - 1);
    if (cut < from) cut = bytes.indexOf(NL, from + SLICE_BYTES); // a line longer than a slice
    if (cut === -1 || cut + 1 >= end) break;
    push(decoder.write(bytes.subarray(from, cut + 1)), false);
    from = cut + 1;
  }
  push(decoder.write(bytes.subarray(from, end)), chunkEnd);
}

/** One more record of `kind` kept (kinds in the order first met). */
export function countKind(kept: [string, number][], kind: string): void {
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i]!;
    if (k[0] === kind) {
      k[1]++;
      return;
    }
  }
  kept.push([kind, 1]);
}
