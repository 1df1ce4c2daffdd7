// NDJSON (one record per line) and JSON (one array, streamed: `[`, records
// separated by `,\n`, `]` at the end), both from each record's JSON text as the
// contract writes it (recordJson: numbers passed through are kept as read).
import { recordJson } from '../../contract/record.js';
import { VALUE_HOLDS_TEXTS } from '../../pipeline/types.js';
import type { RecordEncoder, Valued } from './index.js';

/** A record's JSON text, numbers passed through as read (from `raw` unless the value holds them: VALUE_HOLDS_TEXTS). */
export function recJson(r: Valued): string {
  return (r as { [VALUE_HOLDS_TEXTS]?: boolean })[VALUE_HOLDS_TEXTS] === true ? recordJson(r.value) : recordJson(r.value, r.raw);
}

export class NdjsonEncoder implements RecordEncoder {
  encode(records: readonly Valued[]): string {
    let text = '';
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      text += recJson(r) + '\n';
    }
    return text;
  }

  end(): string {
    return '';
  }
}

/** One element per line, so the array is still readable line by line. */
export class JsonArrayEncoder implements RecordEncoder {
  private started = false;

  encode(records: readonly Valued[]): string {
    if (records.length === 0) return '';
    let text = this.started ? ',\n' : '[\n';
    this.started = true;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      text += (i === 0 ? '' : ',\n') + recJson(r);
    }
    return text;
  }

  end(): string {
    return this.started ? '\n]\n' : '[]\n';
  }
}
