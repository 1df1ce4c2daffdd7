// Dead-letter rows are written in input order whichever stage rejected them: by line for
// files, by offset for Kafka (rows of Kafka records have line null and source topic/partition@offset).
import { describe, expect, it } from 'vitest';
import { byInputOrder, type Rejected } from '../../src/pipeline/types.js';

const row = (source: string, line: number | null, code: Rejected['errors'][number]['code'] = 'filtered'): Rejected => ({
  source,
  line,
  kind: null,
  errors: [{ field: null, code, message: code }],
  record: {},
});

describe('byInputOrder', () => {
  it.each([
    ['file lines', [row('a.csv', 9), row('a.csv', 2), row('a.csv', 5)], ['a.csv:2', 'a.csv:5', 'a.csv:9']],
    ['Kafka offsets (parse errors first in the batch, then stage rejects)', [row('kafka:t/0@105', null, 'parse_error'), row('kafka:t/0@106', null), row('kafka:t/0@101', null), row('kafka:t/0@103', null)], ['kafka:t/0@101:null', 'kafka:t/0@103:null', 'kafka:t/0@105:null', 'kafka:t/0@106:null']],
    ['offsets past 2^32', [row('kafka:t/3@4294967301', null), row('kafka:t/3@4294967297', null)], ['kafka:t/3@4294967297:null', 'kafka:t/3@4294967301:null']],
  ])('%s', (_name, rows, want) => {
    expect(rows.slice().sort(byInputOrder).map((r) => `${r.source}:${r.line}`)).toEqual(want);
  });

  it('is stable: rows of one record keep their order', () => {
    const rows = [row('a.csv', 3, 'invalid_email'), row('a.csv', 1), row('a.csv', 3, 'filtered')];
    expect(rows.sort(byInputOrder).map((r) => r.errors[0]!.code)).toEqual(['filtered', 'invalid_email', 'filtered']);
  });
});
