// Request bodies: NDJSON (one record a line) or {"records":[...]}, optionally gzipped.
import { gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { BodyFormat } from './options.js';

const gzip = promisify(gzipCb);

export const gzipBody = (raw: Buffer): Promise<Buffer> => gzip(raw);

export const CONTENT_TYPE: Record<BodyFormat, string> = {
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

/** Bytes a line adds to a body: its UTF-8 length plus the newline or comma. */
export const lineBytes = (line: string): number => Buffer.byteLength(line) + 1;

/** Bytes of the {"records":[...]} wrapper, counted against --batch-bytes. */
export const JSON_WRAPPER_BYTES = '{"records":[]}'.length;

export async function encodeBody(lines: readonly string[], format: BodyFormat, gzipIt: boolean): Promise<Buffer> {
  const text = format === 'ndjson' ? `${lines.join('\n')}\n` : `{"records":[${lines.join(',')}]}`;
  const raw = Buffer.from(text, 'utf8');
  return gzipIt ? gzipBody(raw) : raw;
}
