// NDJSON (one record per line) and JSON (one array, streamed: `[`, records
// separated by `,\n`, `]` at the end), both from JSON.stringify of each record.
import type { RecordEncoder, Valued } from './index.js';

export class NdjsonEncoder implements RecordEncoder {
  encode(records: readonly Valued[]): string {
    let text = '';
    for (let i = 0; i < records.length; i++) text += JSON.stringify(records[i]!.value) + '\n';
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
    for (let i = 0; i < records.length; i++) text += (i === 0 ? '' : ',\n') + JSON.stringify(records[i]!.value);
    return text;
  }

  end(): string {
    return this.started ? '\n]\n' : '[]\n';
  }
}
