// Request bodies as the HTTP contract allows them: NDJSON or {"records":[...]}, optionally gzipped.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { gunzip as gunzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { type KindSpan, scanObjectLine } from './json-scan.js';

const gunzip = promisify(gunzipCb);

/** A request the receiver refuses with this status (400, 413, 415). */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true; // keep draining so the answer can be read
      else chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BadRequest(413, `body larger than ${maxBytes} bytes`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export interface Decoded {
  /** Records in the body. */
  count: number;
  byKind: Record<string, number>;
  /** What is appended to the output file: one JSON text per record, each line ending in '\n'. */
  text(): string | Buffer;
}

export async function decodeRecords(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined, maxBytes: number): Promise<Decoded> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  let raw = body;
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      raw = await gunzip(body, { maxOutputLength: maxBytes });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new BadRequest(413, `body larger than ${maxBytes} bytes once gunzipped`);
      throw new BadRequest(400, `body is not valid gzip (${code ?? 'error'})`);
    }
  } else if (encoding !== 'identity') {
    throw new BadRequest(415, `Content-Encoding ${encoding} is not supported: send gzip or nothing`);
  }
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    const plain = scanBody(raw);
    if (plain !== null) return plain;
  }
  const text = raw.toString('utf8');
  const lines: string[] = [];
  const out: Decoded = { count: 0, byKind: {}, text: () => (lines.length === 0 ? '' : lines.join('\n') + '\n') };
  if (type === 'application/json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new BadRequest(400, 'body is not valid JSON');
    }
    const records = Array.isArray(doc) ? doc : (doc as { records?: unknown })?.records;
    if (!Array.isArray(records)) throw new BadRequest(400, 'a JSON body must be {"records":[...]}');
    records.forEach((r, i) => lines.push(add(out, r, JSON.stringify(r), `records[${i}]`)));
    out.count = lines.length;
    return out;
  }
  const all = text.split('\n');
  // the body as sent is what the lines would give when none needs trimming (valid UTF-8,
  // no blank line, no \r, ends with \n): then it is appended as it is, not joined again
  let asSent = raw.length > 0 && raw[raw.length - 1] === 0x0a && isUtf8(raw);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const trimmed = line.trim();
    if (trimmed.length !== line.length || (trimmed === '' && i < all.length - 1)) asSent = false;
    if (trimmed === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(trimmed);
    } catch {
      throw new BadRequest(400, `line ${i + 1} is not valid JSON`);
    }
    lines.push(add(out, rec, trimmed, `line ${i + 1}`));
  }
  out.count = lines.length;
  if (asSent && out.count > 0) out.text = () => raw;
  return out;
}

/**
 * An NDJSON body whose every line is a plain JSON object, counted without JSON.parse and
 * appended as it is; null when any line is not (the caller parses it then, and says why).
 */
function scanBody(raw: Buffer): Decoded | null {
  if (raw.length === 0 || raw[raw.length - 1] !== 0x0a || !isUtf8(raw)) return null;
  const out: Decoded = { count: 0, byKind: {}, text: () => raw };
  const span: KindSpan = { start: -1, end: -1, escaped: false };
  const names = new KindNames(raw);
  for (let start = 0; start < raw.length; ) {
    const end = raw.indexOf(0x0a, start);
    if (!scanObjectLine(raw, start, end, span)) return null;
    const k = span.start < 0 ? 'unknown' : span.escaped ? (JSON.parse(raw.toString('utf8', span.start, span.end)) as string) : names.at(span.start, span.end);
    out.byKind[k] = (out.byKind[k] ?? 0) + 1;
    out.count++;
    start = end + 1;
  }
  return out;
}

/** Kind names from their bytes, the same one as the line before made no string again. */
class KindNames {
  private from = 0;
  private to = -1;
  private name = '';
  constructor(private readonly raw: Buffer) {}

  at(start: number, end: number): string {
    const n = end - start;
    if (n === this.to - this.from && this.raw.compare(this.raw, this.from, this.to, start, end) === 0) return this.name;
    this.from = start;
    this.to = end;
    this.name = this.raw.toString('utf8', start, end);
    return this.name;
  }
}

/** Count a record (it must be a JSON object); its text is returned for the lines. */
function add(out: Decoded, rec: unknown, text: string, where: string): string {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new BadRequest(400, `${where} is not a JSON object`);
  const kind = (rec as { kind?: unknown }).kind;
  const k = typeof kind === 'string' ? kind : 'unknown';
  out.byKind[k] = (out.byKind[k] ?? 0) + 1;
  return text;
}
