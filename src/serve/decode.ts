// Request bodies as the HTTP contract allows them: NDJSON or {"records":[...]}, optionally gzipped.
import type { IncomingMessage } from 'node:http';
import { gunzip as gunzipCb } from 'node:zlib';
import { promisify } from 'node:util';

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
  /** One JSON text per record, as appended to the output file. */
  lines: string[];
  byKind: Record<string, number>;
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
  const text = raw.toString('utf8');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const out: Decoded = { lines: [], byKind: {} };
  if (type === 'application/json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new BadRequest(400, 'body is not valid JSON');
    }
    const records = Array.isArray(doc) ? doc : (doc as { records?: unknown })?.records;
    if (!Array.isArray(records)) throw new BadRequest(400, 'a JSON body must be {"records":[...]}');
    records.forEach((r, i) => add(out, r, JSON.stringify(r), `records[${i}]`));
    return out;
  }
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(trimmed);
    } catch {
      throw new BadRequest(400, `line ${lineNo} is not valid JSON`);
    }
    add(out, rec, trimmed, `line ${lineNo}`);
  }
  return out;
}

function add(out: Decoded, rec: unknown, text: string, where: string): void {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new BadRequest(400, `${where} is not a JSON object`);
  const kind = (rec as { kind?: unknown }).kind;
  const k = typeof kind === 'string' ? kind : 'unknown';
  out.byKind[k] = (out.byKind[k] ?? 0) + 1;
  out.lines.push(text);
}
