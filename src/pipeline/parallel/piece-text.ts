// How a piece's bytes become the text its tokenizer is fed, the sizes guessed for it, and
// its records counted per kind.
import { StringDecoder } from 'node:string_decoder';
import { CsvTokenizer } from '../../sources/csv.js';
import { invalidUtf8 } from '../../sources/dialect.js';
import type { NdjsonTokenizer } from '../../sources/ndjson.js';
import { asBuffer } from './buffers.js';
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

/**
 * Decode the piece and push its text into the tokenizer chunk by chunk, as the
 * sequential reader does: one decoder write and one push per chunk of the input
 * (the 64 MiB rule applies at those chunk ends); what follows the last chunk end
 * is the start of a chunk that goes on in the next piece; the final piece ends
 * with the decoder's rest, pushed as final. The decoder starts clean: a piece
 * starts after a '\n' byte, where the sequential decoder holds nothing either.
 * Returns the push after which the last record came out (see PieceResult.lastEmit).
 * @param records how many records came out so far
 */
export function feedPiece(t: PieceTask, tok: CsvTokenizer | NdjsonTokenizer, records: () => number): number {
  const { chunkEnds, final } = t;
  const bytes = asBuffer(t.bytes);
  const decoder = new StringDecoder('utf8');
  const csv = tok instanceof CsvTokenizer ? tok : null;
  let lastEmit = -1;
  let seen = records();
  let from = 0;
  const push = (text: string, chunkEnd: boolean): void => (csv ? csv.push(text, false, chunkEnd) : tok.push(text));
  for (let i = 0; i < chunkEnds.length; i++) {
    const end = chunkEnds[i]!;
    pushSliced(bytes, from, end, decoder, push, true);
    from = end;
    if (records() !== seen) {
      seen = records();
      lastEmit = i;
    }
  }
  if (from < bytes.length) pushSliced(bytes, from, bytes.length, decoder, push, false);
  if (final) {
    const rest = decoder.end();
    if (csv) csv.push(rest, true);
    else tok.push(rest, true);
  }
  return records() !== seen ? chunkEnds.length : lastEmit;
}
