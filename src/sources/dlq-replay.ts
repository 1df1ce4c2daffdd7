// `run --from-dlq FILE [--codes c1,c2]`: the dead-letter lines of an earlier run as
// input. Each line's `record` goes through the pipeline again with its original
// `source` and `line` (so a record that fails again is dead-lettered where it came
// from); where it sat in the replayed file is added as `replay: {file, line}`.
//
// Provenance: stages build their Rejected rows from Rec.source/line and know nothing of
// a replay. Rather than a field every stage would have to copy, the source registers a
// lookup (source, line) → replay position with the dead-letter writer (pipeline/dlq.ts).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseLossless, parseRecordText } from '../contract/lossless.js';
import { RecflowError } from '../errors.js';
import { setReplayLookup, type ReplayPosition } from '../pipeline/dlq.js';
import type { ErrorCode, Fields, Kind, Rec, RecordError, Rejected, Source, SourceBatch } from '../pipeline/types.js';
import { Closer } from './closer.js';
import { headerNames, readCsvHeader, rowMaker } from './csv-header.js';
import { destroyed, type FileSpec } from './file-input.js';
import { formatFromName } from './index.js';
import { deadRow, lineRow } from '../pipeline/dead-row.js';

const BATCH_LINES = 1000;

export interface ReplayOptions {
  kindHint?: Kind;
  /** --codes: replay only lines with one of these codes. */
  codes?: Set<string>;
  log: (m: string) => void;
}

/** One dead-letter line as records.md describes it. */
/** A dead-letter line as read back: a row as deadRow makes it. */
type DeadLine = Rejected;

/** The --from-dlq source, or null without it. `args` is the dead-letter file alone (run.ts puts it there). */
export async function replayFor(args: string[], ctx: { opts: Record<string, unknown>; log: (m: string) => void }, kind: Kind | undefined): Promise<Source[] | null> {
  const file = ctx.opts.fromDlq;
  if (typeof file !== 'string') return null;
  try {
    await access(file);
  } catch (err) {
    throw new RecflowError('input', `cannot read the dead-letter file ${file} (${(err as NodeJS.ErrnoException).code}); check --from-dlq`, { cause: err });
  }
  const codes = typeof ctx.opts.codes === 'string' ? new Set(ctx.opts.codes.split(',').map((c) => c.trim()).filter(Boolean)) : undefined;
  if (codes && codes.size === 0) throw new RecflowError('usage', '--codes needs at least one error code, e.g. --codes invalid_email,filtered');
  void args;
  return [new DlqReplaySource(file, { kindHint: kind, codes, log: ctx.log })];
}

export class DlqReplaySource implements Source {
  readonly name: string;
  private stopped = false;
  /** Holds the dead-letter file's lines being read (their finally lets go of the file). */
  private readonly closer = new Closer<string>(() => this.stop());
  private readonly counts = { lines: 0, replayed: 0, skipped: 0, notReplayable: 0 };
  private readonly reasons = new Map<string, number>();
  /** (source, line) → where the record sat in the replayed file. */
  private readonly where = new Map<string, ReplayPosition[]>();
  private readonly origin: string;
  /** CSV headers of original files, read once each (null: the file is gone). */
  private readonly headers = new Map<string, string[] | null>();

  constructor(
    private readonly file: string,
    private readonly opts: ReplayOptions,
  ) {
    this.name = file;
    this.origin = `dlq:${resolve(file)}`;
    setReplayLookup((r) => {
      const list = this.where.get(keyOf(r.source, r.line));
      if (!list) return undefined;
      return list.length > 1 ? list.shift() : list[0];
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** Stops reading and lets go of the file; a second call gets the first's promise. */
  close(): Promise<void> {
    return this.closer.close();
  }

  stats(): Record<string, unknown> {
    return { ...this.counts, reasons: Object.fromEntries(this.reasons) };
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    let records: Rec[] = [];
    let rejected: Rejected[] = [];
    let n = 0;
    let firstLine: string | undefined;
    const input = this.closer.hold(lines(this.file));
    for await (const text of input) {
      n++;
      if (text.trim() === '') continue;
      firstLine ??= text;
      const out = await this.lineAt(text, n, firstLine);
      if (out === null) continue;
      if ('value' in out) records.push(out);
      else rejected.push(out);
      if (records.length + rejected.length >= BATCH_LINES) {
        yield { records, rejected };
        records = [];
        rejected = [];
        if (this.stopped) break;
      }
    }
    if (records.length + rejected.length > 0) yield { records, rejected };
    this.report();
  }

  private report(): void {
    const c = this.counts;
    const why = [...this.reasons].map(([r, k]) => `${k} ${r}`).join('; ');
    this.opts.log(`replay of ${this.file}: ${c.replayed} line(s) replayed, ${c.skipped} skipped (not in --codes), ${c.notReplayable} not replayable (kept in the dead-letter output)${why ? `: ${why}` : ''}`);
  }

  /** One dead-letter line: a record to replay, a row to dead-letter again, or null (skipped). */
  private async lineAt(text: string, n: number, firstLine: string): Promise<Rec | Rejected | null> {
    this.counts.lines++;
    let dl: DeadLine;
    try {
      dl = asDeadLine(parseLossless(text)); // numbers as written, for the records passed through
    } catch (err) {
      return this.notReplayable(lineRow(this.file, n, null, 'parse_error', `not a dead-letter line (${(err as Error).message})`, text), n, 'not a dead-letter line');
    }
    if (this.opts.codes && !dl.errors.some((e) => this.opts.codes!.has(e.code))) {
      this.counts.skipped++;
      return null;
    }
    const pos: ReplayPosition = { file: this.file, line: n };
    const got = typeof dl.record === 'string' && isRawText(dl.errors) ? await this.reread(dl, n) : { ok: dl.record };
    if ('no' in got) return this.notReplayable(dl, n, got.no);
    this.remember(dl, pos);
    if ('again' in got) {
      this.counts.replayed++; // replayed, and failed again: dead-lettered with its new error
      return deadRow(dl, this.opts.kindHint, got.again, dl.record);
    }
    const value = got.ok;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return this.notReplayable(dl, n, 'its record is not a JSON object');
    this.counts.replayed++;
    return { value: value as Fields, raw: value as Fields, source: dl.source, line: dl.line, origin: `${this.origin}:${print(firstLine)}`, pos: n, kindHint: this.opts.kindHint };
  }

  /** Kept as it was (its original errors), with the reason in `replay`. */
  private notReplayable(dl: DeadLine, n: number, reason: string): Rejected {
    this.counts.notReplayable++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    this.remember(dl, { file: this.file, line: n, not_replayable: reason });
    return deadRow(dl, dl.kind, dl.errors, dl.record);
  }

  private remember(dl: DeadLine, pos: ReplayPosition): void {
    const key = keyOf(dl.source, dl.line);
    const list = this.where.get(key);
    if (list) list.push(pos);
    else this.where.set(key, [pos]);
  }

  /**
   * The raw text of a line that did not parse, read again in its original format: the
   * record (ok), the errors when it still does not parse (again), or why it cannot be read (no).
   */
  private async reread(dl: DeadLine, n: number): Promise<Reread> {
    if (dl.errors.some((e) => e.code === 'too_long')) return { no: 'only a preview of a too_long record was kept' };
    const text = dl.record as string;
    const again = (why: string): { again: RecordError[] } => ({ again: [{ field: null, code: 'parse_error' as ErrorCode, message: `${dl.source}:${dl.line ?? '?'}: ${why} (replayed from ${this.file}:${n})` }] });
    const format = /^kafka:/i.test(dl.source) ? 'ndjson' : (formatFromName(dl.source).format ?? (text.trimStart().startsWith('{') ? 'ndjson' : 'csv'));
    if (format === 'ndjson') {
      try {
        const v = parseRecordText(text);
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? { ok: v } : again('expected a JSON object');
      } catch (err) {
        return again(`not valid JSON: ${(err as Error).message}`);
      }
    }
    const header = await this.headerOf(dl.source);
    if (header === null) return { no: 'a CSV row needs the header of its original file, which cannot be read any more' };
    let rows: string[][];
    try {
      rows = parseCsv(text, { relax_quotes: false, relax_column_count: true }) as string[][];
    } catch (err) {
      return again(`not a valid CSV row: ${(err as Error).message}`);
    }
    if (rows.length !== 1) return again(`expected one CSV row, found ${rows.length}`);
    if (rows[0]!.length > header.length) return again(`row has ${rows[0]!.length} cells but the header has ${header.length}`);
    return { ok: rowMaker(header)(rows[0]!) };
  }

  private async headerOf(source: string): Promise<string[] | null> {
    if (this.headers.has(source)) return this.headers.get(source)!;
    let header: string[] | null = null;
    try {
      const spec: FileSpec = { name: source, path: resolve(source), format: 'csv', origin: '' };
      const cells = await readCsvHeader(spec);
      header = cells === null ? null : headerNames(cells, source);
    } catch {
      header = null; // gone, unreadable or a bad header: not replayable, said per line
    }
    this.headers.set(source, header);
    return header;
  }
}

type Reread = { ok: unknown } | { again: RecordError[] } | { no: string };

/** Lines that hold the raw text of their input (the record could not be parsed). */
function isRawText(errors: RecordError[]): boolean {
  return errors.some((e) => e.code === 'parse_error' || e.code === 'too_long');
}

function asDeadLine(v: unknown): DeadLine {
  const o = v as Partial<DeadLine> | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error('not a JSON object');
  if (typeof o.source !== 'string') throw new Error('no "source"');
  if (o.line !== null && typeof o.line !== 'number') throw new Error('no "line"');
  if (!Array.isArray(o.errors)) throw new Error('no "errors"');
  if (!('record' in o)) throw new Error('no "record"');
  const kind = o.kind === 'customer' || o.kind === 'inventory' ? o.kind : null;
  return deadRow({ source: o.source, line: o.line }, kind, o.errors, o.record);
}

function keyOf(source: string, line: number | null): string {
  return `${source}\0${line}`;
}

/** Same file content, same origin: a rerun of the same replay sends the same HTTP keys. */
function print(firstLine: string): string {
  return createHash('sha256').update(firstLine).digest('hex').slice(0, 16);
}

/** The file's lines (without '\n' or '\r\n'), streamed. */
async function* lines(path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk as Buffer);
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
    }
  } finally {
    await destroyed(stream); // closed early: the file is let go before close() resolves
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}
