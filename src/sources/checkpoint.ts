// `--checkpoint FILE`: cron runs over growing files. Per input file the checkpoint
// holds a fingerprint (device+inode, hash of the first KiB) and the byte offset and
// line after the last record written or dead-lettered; the next run skips files that
// did not grow and reads grown ones from there. It is rewritten (crash-safely, as every
// output: sinks/util/atomic-file) from each batch's ack, i.e. only once the sink and the
// dead-letter file have the records.
//
// A file is read here, not by FileSource, because reading must start at an offset,
// stop at the last complete line, and say after each batch where it stands. Not being
// a FileSource also keeps such runs on the sequential runner (pipeline/parallel).
import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { RecflowError } from '../errors.js';
import { mayAckLate } from '../pipeline/acks.js';
import type { Fields, Kind, Rec, Rejected, Source, SourceBatch } from '../pipeline/types.js';
import { CsvTokenizer } from './csv.js';
import { Closer } from './closer.js';
import { csvRecords, readCsvHeader, sniffFormat } from './csv-header.js';
import { FileSource } from './file.js';
import type { FileSpec, Format } from './file-input.js';
import { NdjsonTokenizer } from './ndjson.js';
import { log } from '../log.js';
import { clearLeftovers, writeFileAtomic } from '../sinks/util/atomic-file.js';
import { lineRow } from '../pipeline/dead-row.js';

/** Bytes hashed for the fingerprint (as Vector does: a rotated file has other first bytes). */
const HEAD_BYTES = 1024;
const CHUNK_BYTES = 128 * 1024;

export interface FileEntry {
  dev: number;
  ino: number;
  /** sha256 (16 hex) of the first `headBytes` bytes: fewer than 1 KiB while the file is small. */
  head: string;
  headBytes: number;
  /** Byte offset just past the last record written or dead-lettered. */
  offset: number;
  /** The physical line the next record starts on (positions and HTTP keys continue from it). */
  line: number;
}

type Fingerprint = Omit<FileEntry, 'offset' | 'line'>;

interface CheckpointFile {
  version: 1;
  files: Record<string, FileEntry>;
}

export interface SourceOpts {
  kindHint?: Kind;
  maxRecordBytes: number;
}

/**
 * The checkpoint of `run --checkpoint FILE`, or null without it. Only files can be
 * resumed: stdin has no offsets to come back to, Kafka has its committed offsets.
 */
export async function checkpointFor(args: string[], ctx: { opts: Record<string, unknown>; log: (m: string) => void }): Promise<Checkpoint | null> {
  const path = ctx.opts.checkpoint;
  if (typeof path !== 'string') return null;
  const other = args.find((a) => a === '-' || /^kafka:\/\//i.test(a));
  if (other !== undefined) {
    throw new RecflowError('usage', `--checkpoint applies to files only, not to ${other === '-' ? 'stdin' : 'a Kafka source (it resumes from its committed offsets)'}; drop --checkpoint or the source`);
  }
  return Checkpoint.load(path, (m) => log('warn', m));
}

/** The checkpoint of one run: loaded at start, rewritten after each ack. */
export class Checkpoint {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly files: Record<string, FileEntry>,
    private readonly log: (m: string) => void,
  ) {}

  static async load(path: string, log: (m: string) => void): Promise<Checkpoint> {
    clearLeftovers(path, oldTempPid);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Checkpoint(path, {}, log); // first run
      throw new RecflowError('usage', `cannot read the checkpoint ${path} (${(err as NodeJS.ErrnoException).code}); check --checkpoint`, { cause: err });
    }
    let data: Partial<CheckpointFile>;
    try {
      data = JSON.parse(text) as Partial<CheckpointFile>;
    } catch (err) {
      throw new RecflowError('usage', `the checkpoint ${path} is not valid JSON (${(err as Error).message}); delete it to read every file from the start`, { cause: err });
    }
    if (data?.version !== 1 || typeof data.files !== 'object' || data.files === null) {
      throw new RecflowError('usage', `the checkpoint ${path} is not a recflow checkpoint (version 1); delete it to read every file from the start`);
    }
    return new Checkpoint(path, data.files, log);
  }

  /** The source for one input file, or null when it did not grow since the last run. */
  async source(spec: FileSpec, opts: SourceOpts): Promise<Source | null> {
    const path = spec.path!;
    const encoding = (spec as { encoding?: string }).encoding;
    if (encoding !== undefined && encoding !== 'auto' && encoding !== 'utf-8') {
      throw new RecflowError('usage', `--checkpoint reads UTF-8 files only (byte offsets are kept), not --encoding ${encoding}; convert the file or drop --checkpoint`);
    }
    const st = await stat(path);
    const gzip = spec.gzip ?? (await isGzip(path));
    const before = this.files[path];
    const now = await fingerprint(path, st, before?.headBytes);
    let start = { offset: 0, line: 1 };
    if (before) {
      const same = before.dev === now.dev && before.ino === now.ino && before.head === now.head && st.size >= before.offset;
      if (!same) this.log(`${spec.name}: ${st.size < before.offset ? 'shrunk' : 'replaced (another file now)'} since the last checkpoint; reading it from the start`);
      else if (st.size === before.offset) return null; // did not grow
      else if (gzip) this.log(`${spec.name}: a .gz file changed since the last checkpoint; reading it whole again`);
      else start = { offset: before.offset, line: before.line };
    }
    // the print of the file as opened now (a rotation during the run is seen by the next one)
    const print = await fingerprint(path, st, undefined);
    if (gzip) return this.wholeSource(spec, opts, () => this.record(path, print, st.size, 0));
    return new CheckpointFileSource(spec, opts, start, (offset, line) => this.record(path, print, offset, line));
  }

  /** gzip cannot be resumed at a byte offset: taken whole, and checkpointed only once read to the end. */
  private wholeSource(spec: FileSpec, opts: SourceOpts, done: () => Promise<void>): Source {
    const inner = new FileSource(spec, opts);
    return {
      name: inner.name,
      totalBytes: inner.totalBytes,
      stop: () => inner.stop(),
      close: () => inner.close(),
      stats: () => inner.stats(),
      async *batches(): AsyncGenerator<SourceBatch> {
        yield* inner.batches();
        if (!inner.stopping) yield { records: [], rejected: [], ack: mayAckLate(done) };
      },
    };
  }

  /** An ack (acks come in order): the file's entry moves on, and the file is rewritten after the writes before. */
  private record(path: string, print: Fingerprint, offset: number, line: number): Promise<void> {
    const entry: FileEntry = { ...print, offset, line };
    this.writing = this.writing.then(() => {
      this.files[path] = entry;
      return this.save();
    });
    return this.writing;
  }

  /** Like every output (a reader or a killed run sees the old file or the new one); leftovers were cleared at load. */
  private async save(): Promise<void> {
    const body = JSON.stringify({ version: 1, files: this.files } satisfies CheckpointFile, null, 2) + '\n';
    try {
      await writeFileAtomic(this.path, body, { leftovers: 'keep' });
    } catch (err) {
      throw new RecflowError('source', `cannot write the checkpoint ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The pid in `NAME.tmp-PID`, the temp file name of earlier versions (not hidden). */
function oldTempPid(name: string, base: string): number | null {
  if (!name.startsWith(`${base}.tmp-`)) return null;
  const digits = name.slice(base.length + 5);
  return /^\d+$/.test(digits) && Number.isSafeInteger(Number(digits)) ? Number(digits) : null;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** device+inode and a hash of the first KiB; `headBytes` given: hash exactly that many (a file still under 1 KiB). */
async function fingerprint(path: string, st: { dev: number; ino: number } | undefined, headBytes: number | undefined): Promise<Fingerprint> {
  const fh = await open(path, 'r');
  try {
    const s = st ?? (await fh.stat());
    const want = headBytes !== undefined && headBytes < HEAD_BYTES ? headBytes : HEAD_BYTES;
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, 0);
    const head = createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex').slice(0, 16);
    return { dev: s.dev, ino: s.ino, head, headBytes: bytesRead };
  } finally {
    await fh.close();
  }
}

/** A CSV/NDJSON file read from a checkpointed offset to its last complete line. */
export class CheckpointFileSource implements Source {
  readonly name: string;
  readonly totalBytes: number;
  private stopped = false;
  private read = 0;
  private leftOver = 0;
  /** Holds the batches being read (their finally closes the file). */
  private readonly closer = new Closer<SourceBatch>(() => this.stop());

  constructor(
    private readonly spec: FileSpec,
    private readonly opts: SourceOpts,
    private readonly start: { offset: number; line: number },
    private readonly ack: (offset: number, line: number) => Promise<void>,
  ) {
    this.name = spec.name;
    this.totalBytes = Math.max(0, (spec.size ?? 0) - start.offset);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Stops reading and closes the file (a read in flight ends first); a second call gets the first's promise. */
  close(): Promise<void> {
    return this.closer.close();
  }

  stats(): Record<string, unknown> {
    return { bytes: this.read, resumedAt: { offset: this.start.offset, line: this.start.line }, ...(this.leftOver > 0 ? { incompleteTailBytes: this.leftOver } : {}) };
  }

  batches(): AsyncGenerator<SourceBatch> {
    return this.closer.hold(this.readBatches());
  }

  private async *readBatches(): AsyncGenerator<SourceBatch> {
    const { spec } = this;
    const fh = await open(spec.path!, 'r');
    try {
      const format = spec.format ?? (await sniff(fh));
      const reader = await this.reader(format);
      let pos = this.start.offset;
      let carry = Buffer.alloc(0);
      const buf = Buffer.alloc(CHUNK_BYTES);
      while (!this.stopped) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos + carry.length);
        if (bytesRead === 0) break; // the end as it stands now: lines appended meanwhile were taken
        const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
        const nl = data.lastIndexOf(10);
        // no line end yet: keep reading (a line longer than the record limit is the tokenizer's to reject)
        if (nl === -1 && data.length <= this.opts.maxRecordBytes) {
          carry = data;
          continue;
        }
        const cut = nl === -1 ? data.length : nl + 1;
        carry = data.subarray(cut);
        pos += cut;
        this.read = pos - this.start.offset;
        const out = reader.push(data.subarray(0, cut));
        const batch: SourceBatch = { records: out.records, rejected: out.rejected, bytesRead: this.read };
        if (out.boundary !== null) {
          const at = { offset: pos, line: out.boundary };
          batch.ack = mayAckLate(() => this.ack(at.offset, at.line));
        }
        if (batch.records.length > 0 || batch.rejected.length > 0 || batch.ack) yield batch;
      }
      this.leftOver = carry.length;
      if (carry.length > 0 && !this.stopped) {
        log('info', `${spec.name}: ${carry.length} bytes after the last line end are left for the next run (a line still being written)`);
      }
    } finally {
      await fh.close();
    }
  }

  /** A tokenizer fed whole lines; says after each push where the next record starts, if at a record boundary. */
  private async reader(format: Format): Promise<{ push(bytes: Buffer): { records: Rec[]; rejected: Rejected[]; boundary: number | null } }> {
    const { spec, opts, start } = this;
    let records: Rec[] = [];
    let rejected: Rejected[] = [];
    // NDJSON lines are counted from 1 by the tokenizer: shifted to the file's lines
    const shift = format === 'ndjson' ? start.line - 1 : 0;
    const bad = (line: number, raw: string, reason: string, code: 'parse_error' | 'too_long' = 'parse_error'): void => {
      const at = line + shift;
      rejected.push(lineRow(spec.name, at, opts.kindHint, code, reason, raw));
    };
    const add = (value: Fields, line: number): void => {
      const at = line + shift;
      records.push({ value, raw: value, source: spec.name, line: at, origin: spec.origin, pos: at, kindHint: opts.kindHint });
    };
    const limits = { maxRecordBytes: opts.maxRecordBytes };
    const decoder = new StringDecoder('utf8');
    let lines = start.line; // the line the next pushed text starts on
    const take = (): { records: Rec[]; rejected: Rejected[] } => {
      const out = { records, rejected };
      records = [];
      rejected = [];
      return out;
    };
    if (format === 'ndjson') {
      const tok = new NdjsonTokenizer({ row: add, bad }, limits);
      return {
        push(bytes) {
          tok.push(decoder.write(bytes));
          lines += countLines(bytes);
          return { ...take(), boundary: bytes[bytes.length - 1] === 10 ? lines : null };
        },
      };
    }
    const csv = await this.csvTokenizer(add, bad, limits);
    return {
      push(bytes) {
        csv.push(decoder.write(bytes));
        // a quoted field still open across the cut: not a place to resume from
        return { ...take(), boundary: csv.pending === '' ? csv.lineNumber : null };
      },
    };
  }

  /** From the top the first row is the header; resumed, the header is read from the top first. */
  private async csvTokenizer(add: (v: Fields, line: number) => void, bad: (line: number, raw: string, reason: string, code?: 'parse_error' | 'too_long') => void, limits: { maxRecordBytes: number }): Promise<CsvTokenizer> {
    const { spec, start } = this;
    const csv = csvRecords(spec.name, add, bad, { ...limits, delimiter: (spec as { delimiter?: string }).delimiter } as ConstructorParameters<typeof CsvTokenizer>[1]);
    if (start.offset > 0) {
      csv.useHeader((await readCsvHeader(spec)) ?? []);
      csv.tokenizer.resume(start.line);
    }
    return csv.tokenizer;
  }
}

async function sniff(fh: FileHandle): Promise<Format> {
  const buf = Buffer.alloc(4096);
  const { bytesRead } = await fh.read(buf, 0, 4096, 0);
  return sniffFormat(buf.subarray(0, bytesRead).toString('utf8'));
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}
