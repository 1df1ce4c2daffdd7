// How the bytes of a CSV input are to be read: the cell delimiter (given, or sniffed
// from the header line) and the text encoding (given, or from a byte order mark).
// Inputs that are not UTF-8 are decoded here into UTF-8 bytes, so that every reader
// after this (the tokenizers, the parallel splitter and workers) sees one encoding.
import { isUtf8 } from 'node:buffer';
import { InvalidArgumentError } from 'commander';

export type Delimiter = ',' | ';' | '\t' | '|';
export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1' | 'windows-1252';
export type EncodingOption = Encoding | 'auto';

/** Candidates in order of preference when the sniffer finds a tie. */
export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];

const DELIMITER_WORDS: Record<string, Delimiter> = {
  ',': ',', comma: ',',
  ';': ';', semicolon: ';',
  '\t': '\t', '\\t': '\t', tab: '\t',
  '|': '|', pipe: '|',
};

/** Parses a --delimiter value (or config `delimiter`). */
export function parseDelimiter(value: string): Delimiter {
  const d = DELIMITER_WORDS[String(value).toLowerCase()];
  if (d === undefined) throw new InvalidArgumentError("expected ',', ';', '\\t' or '|' (or the words comma, semicolon, tab, pipe).");
  return d;
}

const ENCODINGS: Record<string, EncodingOption> = {
  auto: 'auto',
  'utf-8': 'utf-8', utf8: 'utf-8',
  'utf-16le': 'utf-16le', utf16le: 'utf-16le',
  'utf-16be': 'utf-16be', utf16be: 'utf-16be',
  latin1: 'latin1', 'iso-8859-1': 'latin1',
  'windows-1252': 'windows-1252', cp1252: 'windows-1252',
};

/** Parses an --encoding value (or config `encoding`). */
export function parseEncoding(value: string): EncodingOption {
  const e = ENCODINGS[String(value).toLowerCase()];
  if (e === undefined) throw new InvalidArgumentError("expected utf-8, utf-16le, utf-16be, latin1, windows-1252 or auto.");
  return e;
}

/** Printable name of a delimiter (for messages and the summary). */
export function delimiterName(d: Delimiter): string {
  return d === '\t' ? 'tab' : d === ';' ? 'semicolon' : d === '|' ? 'pipe' : 'comma';
}

/** The encoding a byte order mark at the start of `head` names, or utf-8 (auto). */
export function encodingFromBom(head: Buffer): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/**
 * Decodes chunks of a non-UTF-8 input into UTF-8 bytes. Streaming: a multi-byte
 * sequence or a UTF-16 code unit cut by a chunk end waits for the next chunk, so
 * '\n' bytes out are exactly the line ends of the input.
 */
export class Transcoder {
  private readonly decoder: TextDecoder;

  constructor(encoding: Encoding) {
    // WHATWG treats latin1 as windows-1252 (its superset for printable text)
    this.decoder = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : encoding);
  }

  write(chunk: Buffer): Buffer {
    return Buffer.from(this.decoder.decode(chunk, { stream: true }), 'utf8');
  }

  end(): Buffer {
    return Buffer.from(this.decoder.decode(), 'utf8');
  }
}

/**
 * Whether bytes that decoded to text holding U+FFFD really are invalid UTF-8 (a
 * U+FFFD can also be in the input as valid UTF-8). Up to 3 bytes at either end may
 * be part of a sequence cut by a chunk end: they are left out of the check.
 */
export function invalidUtf8(bytes: Buffer, cutStart: boolean, cutEnd: boolean): boolean {
  let from = 0;
  let to = bytes.length;
  if (cutStart) while (from < 3 && from < to && (bytes[from]! & 0xc0) === 0x80) from++;
  if (cutEnd) {
    for (let k = 1; k <= 3 && to - k >= from; k++) {
      const b = bytes[to - k]!;
      if ((b & 0xc0) === 0xc0) {
        to -= k; // a lead byte: its sequence may go on in the next chunk
        break;
      }
      if ((b & 0x80) === 0) break;
    }
  }
  return !isUtf8(bytes.subarray(from, to));
}

/**
 * Finds bytes that are not UTF-8 in a stream of chunks, exactly: a sequence cut by a
 * chunk end is checked whole with the next chunk (its start is carried over).
 */
export class Utf8Checker {
  private carry: Buffer | null = null;

  /** True when this chunk (with what was carried into it) holds bytes that are not UTF-8. */
  write(chunk: Buffer): boolean {
    const bytes = this.carry === null ? chunk : Buffer.concat([this.carry, chunk]);
    const to = unfinishedFrom(bytes);
    this.carry = to < bytes.length ? Buffer.from(bytes.subarray(to)) : null;
    return !isUtf8(to === bytes.length ? bytes : bytes.subarray(0, to));
  }

  /** True when the input ended inside a sequence. */
  end(): boolean {
    const bad = this.carry !== null;
    this.carry = null;
    return bad;
  }
}

/** Where a multi-byte sequence that may go on in the next chunk starts (the length when none). */
function unfinishedFrom(bytes: Buffer): number {
  const len = bytes.length;
  for (let k = 1; k <= 3 && k <= len; k++) {
    const b = bytes[len - k]!;
    if ((b & 0x80) === 0) return len; // ASCII: nothing open
    if ((b & 0xc0) === 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > k ? len - k : len; // its sequence is complete when k bytes are enough
    }
  }
  return len;
}

/** Whether a record's value holds U+FFFD anywhere (a string, or inside objects and arrays). */
export function holdsReplacement(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\uFFFD');
  if (v === null || typeof v !== 'object') return false;
  for (const x of Array.isArray(v) ? v : Object.values(v as object)) if (holdsReplacement(x)) return true;
  return false;
}

/** Cells per record of `text` (records end at a newline outside quotes); the last, unfinished one left out unless `final`. */
function cellCounts(text: string, d: string, maxRecords: number, final: boolean): number[] {
  const counts: number[] = [];
  let cells = 1;
  let quoted = false;
  let empty = true;
  for (let i = 0; i < text.length && counts.length < maxRecords; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === d) cells++;
    else if (c === '\n') {
      if (!empty) counts.push(cells);
      cells = 1;
      empty = true;
      continue;
    } else if (c === '\r') continue;
    empty = false;
  }
  if (final && !empty && counts.length < maxRecords) counts.push(cells);
  return counts;
}

/**
 * The delimiter of a CSV text's start: the candidate that splits the header into
 * the most cells (outside quotes) and the next few records into as many; null
 * when no candidate splits it consistently (read as ',').
 */
export function sniffDelimiter(head: string, final = true): Delimiter | null {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  let best: Delimiter | null = null;
  let bestCells = 1;
  for (const d of DELIMITERS) {
    const counts = cellCounts(text, d, 6, final);
    if (counts.length === 0 || counts[0]! <= bestCells) continue;
    if (counts.every((n) => n === counts[0])) {
      best = d;
      bestCells = counts[0]!;
    }
  }
  return best;
}

/** A delimiter other than ',' that the header line holds (for the hint when none was consistent). */
export function otherCandidate(head: string): Delimiter | null {
  const nl = head.indexOf('\n');
  const line = nl === -1 ? head : head.slice(0, nl);
  let best: Delimiter | null = null;
  let most = 0;
  for (const d of DELIMITERS.slice(1)) {
    const n = line.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}
