// Turns the source arguments of a command into checked Sources, before any output:
// globs expanded, files stat'ed and readable, CSV headers checked.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { constants as zlib, gunzipSync } from 'node:zlib';
import { RecflowError } from '../errors.js';
import type { ComponentContext, Kind, Source } from '../pipeline/types.js';
import { validateRecord } from '../contract/index.js';
import { log } from '../log.js';
import { delimiterName, otherCandidate, parseDelimiter, parseEncoding, sniffDelimiter, type Delimiter, type EncodingOption } from './dialect.js';
import { CsvTokenizer } from './csv.js';
import { headerNames, headerOf, rowMaker, sniffFormat } from './csv-header.js';
import { FileSource } from './file.js';
import { readHead, type FileSpec, type Format } from './file-input.js';
import { recordLimit } from './limits.js';
import type { Checkpoint } from './checkpoint.js';

export interface SourceOptions {
  /** 'tsv' is CSV with tab as the delimiter. */
  format?: Format | 'tsv';
  kind?: Kind;
  delimiter?: Delimiter;
  encoding?: EncodingOption;
  strictEncoding?: boolean;
}

export function formatFromName(name: string): { format?: Format; gzip?: boolean; delimiter?: Delimiter } {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  if (base.endsWith('.tsv') || base.endsWith('.tab')) return { format: 'csv', gzip, delimiter: '\t' };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl') || base.endsWith('.json')) return { format: 'ndjson', gzip };
  return { gzip: gzip || undefined };
}

/**
 * Only these characters make a pattern (a glob, braces, an extglob, a negation) for
 * picomatch's scan: a name without any is a plain path, and tinyglobby need not load.
 */
const MAYBE_PATTERN = /[*?[\]{}()!]/;

async function expand(arg: string): Promise<string[]> {
  if (!MAYBE_PATTERN.test(arg)) return [arg];
  const { glob, isDynamicPattern } = await import('tinyglobby');
  if (!isDynamicPattern(arg)) return [arg];
  try {
    await stat(arg);
    return [arg]; // a real file whose name merely looks like a pattern
  } catch {
    const matches = await glob(arg, { onlyFiles: true, expandDirectories: false });
    if (matches.length === 0) {
      throw new RecflowError('input', `no files match the pattern '${arg}'; check the path or quote the pattern`);
    }
    return matches.sort();
  }
}

/** Bytes read for a file's content print: its first line must fit. */
const PRINT_BYTES = 64 * 1024;

/**
 * A print of the file's content that appending lines does not change: a hash of its
 * first line (the CSV header, or the first NDJSON record), after gunzip, at most 64 KiB.
 * Not size or mtime: `touch` or an appended line is no reason to send the rest again;
 * the HTTP keys hash each batch's records too, so other content gets other keys anyway.
 */
async function contentPrint(path: string): Promise<string> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(PRINT_BYTES);
    const { bytesRead } = await fh.read(buf, 0, PRINT_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // a truncated stream is fine: only its start is wanted
      head = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, PRINT_BYTES);
    } catch {
      // not valid gzip: the run reports it when it reads the file; the raw bytes serve as the print
    }
  }
  const nl = head.indexOf(10);
  return createHash('sha256').update(nl === -1 ? head : head.subarray(0, nl + 1)).digest('hex').slice(0, 16);
}

async function fileSpec(name: string, opts: SourceOptions): Promise<FileSpec> {
  const path = resolve(name);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot stat it (${code})`;
    throw new RecflowError('input', `cannot read ${name}: ${why}; check the path`, { cause: err });
  }
  if (st.isDirectory()) throw new RecflowError('input', `cannot read ${name}: it is a directory; give files or a glob like '${name}/*.csv'`);
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new RecflowError('input', `cannot read ${name}: permission denied; check the file's permissions`, { cause: err });
  }
  const byName = formatFromName(name);
  const given = givenFormat(opts);
  return {
    name,
    path,
    format: given.format ?? byName.format,
    delimiter: given.delimiter ?? (given.format === undefined ? byName.delimiter : undefined),
    encoding: opts.encoding,
    strictEncoding: opts.strictEncoding,
    gzip: byName.gzip,
    size: st.size,
    // a pipe or device is read once: nothing of it may be taken for a print
    origin: `file:${path}:${st.isFile() ? await contentPrint(path) : 'stream'}`,
  };
}

/** Format and delimiter from --format and --delimiter (--format tsv: tab). */
function givenFormat(opts: SourceOptions): { format?: Format; delimiter?: Delimiter } {
  if (opts.format === 'tsv') return { format: 'csv', delimiter: opts.delimiter ?? '\t' };
  return { format: opts.format, delimiter: opts.delimiter };
}

/**
 * Read the start of a source now: its format when not known, its CSV delimiter when
 * not given (sniffed), and its header, so that a duplicate column stops the run
 * before any output, whatever the input path (a .csv file, a sniffed file, stdin).
 */
async function checkHeader(spec: FileSpec, ctx: ComponentContext): Promise<void> {
  if (spec.format === 'ndjson') return;
  const head = await readHead(spec);
  if (head.text.length === 0) return;
  if (spec.format === undefined && sniffFormat(head.text) === 'ndjson') return;
  if (spec.delimiter === undefined) {
    const sniffed = sniffDelimiter(head.text, head.final);
    if (sniffed !== null && sniffed !== ',') {
      spec.delimiter = sniffed;
      spec.sniffed = true;
      if (!ctx.opts.quiet) log('info', `${spec.name}: reading as ${delimiterName(sniffed)}-separated (sniffed from the header; --delimiter sets it)`);
    } else if (sniffed === null) hintDelimiter(spec, head, ctx);
  }
  const cells = headerOf(head, spec.delimiter);
  if (cells !== null) headerNames(cells, spec.name);
}

/**
 * No delimiter split the start consistently, so it is read as ',': when none of its
 * first records has a kind and the header holds another candidate, say which flag to pass.
 */
function hintDelimiter(spec: FileSpec, head: { text: string; final: boolean }, ctx: ComponentContext): void {
  const other = otherCandidate(head.text);
  if (other === null) return;
  const rows: string[][] = [];
  const tok = new CsvTokenizer({ row: (cells) => void rows.push(cells), bad: () => {} });
  tok.push(head.text, head.final);
  if (rows.length < 2) return;
  let names: string[];
  try {
    names = headerNames(rows[0]!, spec.name);
  } catch {
    return; // the header check reports it
  }
  const make = rowMaker(names);
  if (rows.slice(1).some((r) => validateRecord(make(r), undefined).kind !== null)) return;
  const flag = other === '\t' ? 'tab' : other === ';' ? "';'" : "'|'";
  log('warn', `${spec.name}: no record of the first lines has a kind and the header holds '${other === '\t' ? '\\t' : other}': it is probably ${delimiterName(other)}-separated; pass --delimiter ${flag}`);
}

export async function openSources(args: string[], allOpts: SourceOptions, ctx: ComponentContext): Promise<Source[]> {
  const opts = allOpts;
  // run --from-dlq: the dead-letter file is the input (its reader and csv-parse load only then)
  const replay = ctx.opts.fromDlq === undefined ? null : await (await import('./dlq-replay.js')).replayFor(args, ctx, opts.kind);
  if (replay) return replay;
  const checkpoint = await checkpointOf(args, ctx); // run --checkpoint: files resume where the last run stopped
  const sources: Source[] = [];
  let stdinUsed = false;
  const origins = new Map<string, number>();
  for (const arg of args) {
    const opts = { ...allOpts, ...sourceSettings.get(arg) }; // a config file's { path, delimiter, encoding }
    if (/^kafka:\/\//i.test(arg)) {
      sources.push(await (await import('./kafka.js')).createKafkaSource(arg, ctx));
      continue;
    }
    if (arg === '-') {
      if (stdinUsed) throw new RecflowError('usage', "stdin ('-') can be given only once as a source");
      stdinUsed = true;
      // one constant identity: the same piped data gives the same batches and keys
      const spec: FileSpec = { name: '-', path: null, ...givenFormat(opts), encoding: opts.encoding, strictEncoding: opts.strictEncoding, origin: 'stdin' };
      await checkHeader(spec, ctx);
      sources.push(new FileSource(spec, { kindHint: opts.kind, maxRecordBytes: recordLimit(ctx.opts) }));
      continue;
    }
    for (const name of await expand(arg)) {
      const spec = await fileSpec(name, opts);
      // the same file twice: its second reading is its own source of batches
      const seen = origins.get(spec.origin) ?? 0;
      origins.set(spec.origin, seen + 1);
      if (seen > 0) spec.origin += `#${seen + 1}`;
      await checkHeader(spec, ctx);
      const resumed = checkpoint && (await checkpoint.source(spec, { kindHint: opts.kind, maxRecordBytes: recordLimit(ctx.opts) }));
      if (checkpoint) {
        if (resumed) sources.push(resumed);
        else ctx.log(`${name}: did not grow since the last checkpoint; skipped`);
        continue;
      }
      sources.push(new FileSource(spec, { kindHint: opts.kind, maxRecordBytes: recordLimit(ctx.opts) }));
    }
  }
  return sources;
}

/** The run's checkpoint, when --checkpoint is given (its module loads only then). */
async function checkpointOf(args: string[], ctx: ComponentContext): Promise<Checkpoint | null> {
  return ctx.opts.checkpoint === undefined ? null : (await import('./checkpoint.js')).checkpointFor(args, ctx);
}

/** Per-source settings from a config file's `sources:` entries `{ path, delimiter, encoding }`, by source argument. */
export const sourceSettings = new Map<string, Pick<SourceOptions, 'delimiter' | 'encoding'>>();

/** The settings of one `sources:` entry (its keys besides `path`); `where` names it in messages. */
export function sourceSettingsOf(entry: Record<string, unknown>, where: string): Pick<SourceOptions, 'delimiter' | 'encoding'> {
  const out: Pick<SourceOptions, 'delimiter' | 'encoding'> = {};
  for (const [k, v] of Object.entries(entry)) {
    try {
      if (k === 'delimiter') out.delimiter = parseDelimiter(String(v));
      else if (k === 'encoding') out.encoding = parseEncoding(String(v));
      else throw new Error('unknown key; a source takes path, delimiter and encoding.');
    } catch (err) {
      throw new RecflowError('config', `${where}: ${k}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Warnings on stderr for sources that held bytes that are not valid UTF-8 (after the run, before the summary). */
export function warnEncodings(sources: readonly Source[]): void {
  for (const s of sources) {
    const w = s instanceof FileSource ? s.encodingWarning() : null;
    if (w !== null) log('warn', w, { source: s.name, ...(s as FileSource).stats() });
  }
}
