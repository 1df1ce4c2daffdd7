// One Kafka message → a Rec for the pipeline, or a parse_error for the dead-letter output.
import type { KafkaMessage } from 'kafkajs';
import type { Kind, Rec, Rejected } from '../pipeline/types.js';

export function decodeMessage(
  topic: string,
  partition: number,
  m: KafkaMessage,
  kindOpt?: Kind,
): { rec: Rec } | { rejected: Rejected } {
  const source = `kafka:${topic}/${partition}@${m.offset}`;
  // Invalid UTF-8 becomes U+FFFD rather than failing the run.
  const text = m.value === null ? null : m.value.toString('utf8');
  let value: unknown;
  let why: string | undefined;
  if (text === null) why = 'message has no value (a tombstone)';
  else {
    try {
      value = JSON.parse(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) why = 'message value is JSON but not an object';
    } catch (err) {
      why = `message value is not JSON: ${(err as Error).message}`;
    }
  }
  if (why !== undefined) {
    return { rejected: { source, line: null, kind: null, errors: [{ field: null, code: 'parse_error', message: why }], record: text } };
  }
  const rec: Rec = {
    value: value as Record<string, unknown>,
    raw: value as Record<string, unknown>,
    source,
    line: null,
    origin: `kafka:${topic}/${partition}`,
    pos: Number(m.offset),
  };
  // --kind wins over the header, as it wins over the record's own kind field.
  const kind = kindOpt ?? headerKind(m.headers?.kind);
  if (kind) rec.kindHint = kind;
  return { rec };
}

function headerKind(h: unknown): Kind | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  const s = v === undefined || v === null ? '' : String(v).trim().toLowerCase();
  return s === 'customer' || s === 'inventory' ? s : undefined;
}
