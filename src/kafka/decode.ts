// One Kafka message → a Rec for the pipeline, or a parse_error for the dead-letter output.
// A message too long or nested too deep is dead-lettered like any bad message, so
// the partition moves on past it (a poison pill would otherwise stop every run).
import type { KafkaMessage } from 'kafkajs';
import { MAX_DEPTH, nestsDeeperThan, parseRecordText } from '../contract/lossless.js';
import type { Kind, RawMessages, Rec, Rejected } from '../pipeline/types.js';
import { DEFAULT_MAX_RECORD_BYTES, PREVIEW_CHARS, preview, tooLongReason } from '../sources/limits.js';
import { deadRow } from '../pipeline/dead-row.js';

export function decodeMessage(
  topic: string,
  partition: number,
  m: KafkaMessage,
  kindOpt?: Kind,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
): { rec: Rec } | { rejected: Rejected } {
  const source = `kafka:${topic}/${partition}@${m.offset}`;
  const reject = (why: string, record: string | null, code: 'parse_error' | 'too_long' = 'parse_error'): { rejected: Rejected } => ({
    rejected: deadRow({ source, line: null }, null, [{ field: null, code, message: why }], record),
  });
  if (m.value !== null && m.value.length > maxRecordBytes) {
    // decode only the start: the preview (a cut character at its end becomes U+FFFD, then is dropped)
    const head = m.value.subarray(0, PREVIEW_CHARS * 4).toString('utf8');
    return reject(`message value ${tooLongReason(maxRecordBytes)}`, preview(head, maxRecordBytes), 'too_long');
  }
  // Invalid UTF-8 becomes U+FFFD rather than failing the run.
  const text = m.value === null ? null : m.value.toString('utf8');
  let value: unknown;
  let why: string | undefined;
  if (text === null) why = 'message has no value (a tombstone)';
  else if (nestsDeeperThan(text)) why = `message value is nested deeper than ${MAX_DEPTH} levels of objects and arrays`;
  else {
    try {
      value = parseRecordText(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) why = 'message value is JSON but not an object';
    } catch (err) {
      why = `message value is not JSON: ${(err as Error).message}`;
    }
  }
  if (why !== undefined) return reject(why, text);
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

export function headerKind(h: unknown): Kind | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  const s = v === undefined || v === null ? '' : String(v).trim().toLowerCase();
  return s === 'customer' || s === 'inventory' ? s : undefined;
}

/** A chunk's messages as they are, for decoding elsewhere (a worker); the kind as decodeMessage would take it. */
export function rawMessages(topic: string, partition: number, chunk: KafkaMessage[], kindOpt: Kind | undefined): RawMessages {
  return {
    topic,
    partition,
    values: chunk.map((m) => m.value),
    offsets: chunk.map((m) => Number(m.offset)),
    kinds: chunk.map((m) => kindOpt ?? headerKind(m.headers?.kind) ?? null),
  };
}
