// NDJSON (one record per line) and JSON (one array, streamed: `[`, records
// separated by `,\n`, `]` at the end), both from each record's JSON text as the
// contract writes it (recordJson: numbers passed through are kept as read).
import { recordJson } from '../../contract/record.js';
import type { RecordEncoder, Valued } from './index.js';

export class NdjsonEncoder implements RecordEncoder {
  encode(records: readonly Valued[]): string {
    let text = '';
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      text += recordJson(r.value, r.raw) + '\n';
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
      text += (i === 0 ? '' : ',\n') + recordJson(r.value, r.raw);
    }
    return text;
  }

  end(): string {
    return this.started ? '\n]\n' : '[]\n';
  }
}
