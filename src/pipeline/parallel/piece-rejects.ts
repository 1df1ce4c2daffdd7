// A piece's rejected rows as its task asks for them (PieceTask.deadLetter): the rows as
// JSON for a main thread that needs them, or dead-letter lines and counts it only adds up.
import { hasTexts } from '../../contract/lossless.js';
import { deadLetterText } from '../dead-row.js';
import { RejectCounts } from '../stats.js';
import { byInputOrder, placeOf, type Rejected } from '../types.js';
import type { PieceResult, PieceTask } from './piece-types.js';
import { stringifyRows } from './out-buffer.js';

/**
 * @param staged the stages rejected some of `rows` a batch at a time: sort them into line
 *   order among the parse errors, as the sequential Runner orders a batch's (stable: one
 *   record is rejected once)
 * @param texts a row is known to carry number texts (contract/lossless.ts)
 */
export function rejectsOf(rows: Rejected[], mode: NonNullable<PieceTask['deadLetter']>, staged: boolean, texts: boolean): Pick<PieceResult, 'rejected' | 'rejectLines' | 'rejectPlaces' | 'rejectCounts'> {
  if (rows.length === 0) return { rejected: '', rejectLines: '', rejectPlaces: null, rejectCounts: null };
  if (staged && rows.length > 1) rows.sort(byInputOrder);
  if (mode === 'rows') {
    const lossless = texts || (staged && rows.some((r) => hasTexts(r.record)));
    return { rejected: lossless ? stringifyRows(rows) : JSON.stringify(rows), rejectLines: '', rejectPlaces: null, rejectCounts: null };
  }
  const counts = new RejectCounts();
  counts.countRejected(rows);
  let lines = '';
  if (mode === 'lines') for (const r of rows) lines += deadLetterText(r) + '\n';
  return { rejected: '', rejectLines: lines, rejectPlaces: mode === 'lines' ? rows.map(placeOf) : null, rejectCounts: counts };
}
