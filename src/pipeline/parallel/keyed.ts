// A dedupe stage after the pieces, without records mode: the workers give each output
// line's key (PieceTask.dedupe), and this thread only admits the keys in input order and
// takes the duplicates out of the piece's lines. A duplicate's dead-letter row needs the
// record as read: its lines of the piece are read again (duplicateRows).
import { parseLossless } from '../../contract/lossless.js';
import type { Fields, Rejected, StageKeys } from '../types.js';
import type { RunPlan } from '../runner.js';
import { PieceWork, type PieceResult, type PieceTask } from './piece.js';
import { asBuffer } from './buffers.js';
import { afterLines } from './splitter.js';
import { RecflowError } from '../../errors.js';

/**
 * Admit the piece's keys; take the duplicates out of its lines and counts (in place).
 * Returns the duplicates' dead-letter rows (reject), or null; dropped ones are counted.
 */
export async function pickKeyed(res: PieceResult, task: PieceTask, keys: StageKeys, stats: RunPlan['stats']): Promise<Rejected[] | null> {
  const dk = res.dedupeKeys;
  if (dk === null || res.keptTotal === 0) return null;
  const dup: number[] = [];
  const { bytes, lengths, hashes } = dk;
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i]!;
    if (n < 0) continue; // no key: passes unchecked
    if (!keys.admit(bytes, at, n, hashes[i]!)) dup.push(i);
    at += n;
  }
  if (dup.length === 0) return null;
  const rows = keys.onDuplicate === 'reject' ? await duplicateRows(res, task, keys, dup) : null;
  if (rows === null) stats.dropped += dup.length;
  compact(res, dup);
  return rows;
}

/** Duplicates this close (in kept lines) are read again in one range. */
const NEAR = 32;

/**
 * The rows of the duplicates: their values from the lines written; the records as read from
 * the piece read again, a range of lines around each cluster of duplicates (records start at
 * a line start), so a piece with a few duplicates is not read again whole.
 */
async function duplicateRows(res: PieceResult, task: PieceTask, keys: StageKeys, dup: number[]): Promise<Rejected[]> {
  const bytes = asBuffer(task.bytes);
  const out = asBuffer(res.out!);
  const ends = res.ends!;
  const pos = res.pos!;
  const header = res.header ?? task.header;
  const at = lineOffsets(bytes, task.line);
  const rows: Rejected[] = [];
  for (let c = 0; c < dup.length; ) {
    let e = c; // the cluster: dup[c..e]
    while (e + 1 < dup.length && dup[e + 1]! - dup[e]! <= NEAR) e++;
    const first = dup[c]!;
    const last = dup[e]! + 1 >= res.keptTotal;
    const from = at(pos[first]!);
    const to = last ? bytes.length : at(pos[dup[e]! + 1]!, false);
    const part: PieceTask = { ...task, write: false, bytes: bytes.subarray(from, to), chunkEnds: [], line: pos[first]!, first: false, final: last && task.final, header, spare: undefined };
    const kept = await new PieceWork(part).keptRecords(); // the kept lines first..dup[e], in order
    for (let d = c; d <= e; d++) {
      const i = dup[d]!;
      const k = kept[i - first];
      if (k === undefined || k.line !== pos[i]) throw new RecflowError('internal', `${task.source}:${pos[i]}: a duplicate record could not be read again`);
      const value = parseLossless(out.toString('utf8', i === 0 ? 0 : ends[i - 1]!, ends[i]! - 1)) as Fields; // the line without its '\n'
      rows.push(keys.duplicate({ value, raw: k.raw, kind: k.kind, source: task.source, line: k.line, origin: task.origin, pos: k.line }));
    }
    c = e + 1;
  }
  return rows;
}

/** Byte offset of a physical line of the piece, for ascending lines (`move` false: a look ahead). */
function lineOffsets(bytes: Buffer, first: number): (line: number, move?: boolean) => number {
  let line = first;
  let offset = 0;
  return (to, move = true) => {
    const o = offset + afterLines(bytes.subarray(offset), to - line);
    if (move) {
      line = to;
      offset = o;
    }
    return o;
  };
}

/** Take lines `dup` (ascending) out of the piece's output, its ends, positions, keys and counts. */
function compact(res: PieceResult, dup: number[]): void {
  const out = asBuffer(res.out!);
  const ends = res.ends!;
  const pos = res.pos!;
  const n = res.keptTotal;
  let w = 0; // lines kept so far
  let at = 0; // bytes kept so far
  let d = 0;
  const kept = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const start = i === 0 ? 0 : ends[i - 1]!;
    if (d < dup.length && dup[d] === i) {
      d++;
      continue;
    }
    const len = ends[i]! - start;
    if (at !== start) out.copyWithin(at, start, start + len);
    at += len;
    ends[w] = at;
    pos[w] = pos[i]!;
    if (res.keys) res.keys[w] = res.keys[i]!;
    if (res.kinds) res.kinds[w] = res.kinds[i]!;
    const kind = res.lineKinds![i]!;
    res.lineKinds![w] = kind;
    kept.set(kind, (kept.get(kind) ?? 0) + 1);
    w++;
  }
  res.out = w === 0 ? null : out.subarray(0, at);
  res.ends = ends.subarray(0, w);
  res.pos = pos.subarray(0, w);
  if (res.keys) res.keys.length = w;
  if (res.kinds) res.kinds.length = w;
  res.lineKinds!.length = w;
  res.kept = [...kept]; // kinds in the order first met, as the worker counts them
  res.keptTotal = w;
}
