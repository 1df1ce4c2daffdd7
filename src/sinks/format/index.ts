// Output formats of the file and stdout sinks: which one a run writes (from
// --output-format or the file extension) and one encoder per output file.
// NDJSON stays the plain fast path; CSV/TSV/JSON only change how text is made.
import { InvalidArgumentError } from 'commander';
import { RecflowError } from '../../errors.js';
import type { Fields, Kind } from '../../pipeline/types.js';
import { DelimitedEncoder } from './csv.js';
import { JsonArrayEncoder, NdjsonEncoder } from './json.js';
import { log } from '../../log.js';

export const OUTPUT_FORMATS = ['ndjson', 'csv', 'tsv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A record as the sinks hold it (a Rec): its current value is written; `raw` (as read) holds number texts. */
export interface Valued {
  readonly value: Fields;
  readonly raw?: Fields;
}

/** Turns records into the text of one output (one file, or stdout), in order. */
export interface RecordEncoder {
  /** The text for these records (plus what goes before the first one: a header, `[`). */
  encode(records: readonly Valued[]): string;
  /** What closes the output (`]` for JSON, the header of an empty CSV); '' if nothing. */
  end(): string;
}

function asFormat(value: string): OutputFormat | null {
  const v = value.trim().toLowerCase();
  return (OUTPUT_FORMATS as readonly string[]).includes(v) ? (v as OutputFormat) : null;
}

/** commander parser for --output-format (also used for RECFLOW_OUTPUT_FORMAT and the config file). */
export function parseOutputFormat(value: string): OutputFormat {
  const f = asFormat(value);
  if (f === null) throw new InvalidArgumentError(`expected one of ${OUTPUT_FORMATS.join(', ')}.`);
  return f;
}

/** The format a path implies by its extension (after an optional `.gz`), or null. */
export function formatOfPath(path: string): OutputFormat | null {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv')) return 'tsv';
  if (name.endsWith('.json')) return 'json';
  return null;
}

export interface OutputChoice {
  format: OutputFormat;
  /** The one kind a single CSV/TSV output holds (from --kind), when known. */
  kind?: Kind;
}

/**
 * What `--to <address>` writes, checked before any output exists (RecflowError
 * 'usage', exit 2). `address` is '-' for stdout. CSV and TSV have one header per
 * output, so records of both kinds need one output per kind: `{kind}` in the path,
 * or --kind to say the input holds one kind.
 */
export function outputChoice(address: string, opts: Record<string, unknown>): OutputChoice {
  const given = opts.outputFormat === undefined ? undefined : asFormat(String(opts.outputFormat));
  if (given === null) throw new RecflowError('usage', `--output-format ${JSON.stringify(opts.outputFormat)}: expected one of ${OUTPUT_FORMATS.join(', ')}`);
  const format = given ?? (address === '-' ? 'ndjson' : (formatOfPath(address) ?? 'ndjson'));
  const kind = typeof opts.kind === 'string' && opts.kind !== '' ? opts.kind : undefined; // built-in or --contract kind
  const split = address !== '-' && address.includes('{kind}');
  if ((format === 'csv' || format === 'tsv') && !split && !kind) {
    const where = address === '-' ? 'stdout' : address;
    const example = address === '-' ? `--to 'out-{kind}.${format}'` : `--to '${withKind(address)}'`;
    throw new RecflowError(
      'usage',
      `${where}: ${format.toUpperCase()} output has one header, so it holds one kind of record; ` +
        `give --kind customer|inventory when the input holds one kind, or put {kind} in the path for one file per kind (${example})`,
    );
  }
  return kind ? { format, kind } : { format };
}

/** `out.csv.gz` → `out-{kind}.csv.gz` (for the message above). */
function withKind(path: string): string {
  const m = /^(.*?)((?:\.[a-z0-9]+)?(?:\.gz)?)$/i.exec(path);
  return m ? `${m[1]}-{kind}${m[2]}` : `${path}-{kind}`;
}

/**
 * A fresh encoder for one output. `kind` is the output's kind when known (the
 * `{kind}` of a split file, or --kind); `label` names it in warnings.
 */
export function makeEncoder(
  format: OutputFormat,
  kind: string | undefined,
  label: string,
  warn: (message: string) => void = (m) => log('warn', m),
): RecordEncoder {
  switch (format) {
    case 'ndjson':
      return new NdjsonEncoder();
    case 'json':
      return new JsonArrayEncoder();
    case 'csv':
      return new DelimitedEncoder(',', kind, label, warn);
    case 'tsv':
      return new DelimitedEncoder('\t', kind, label, warn);
  }
}

/** Write what closes the output (`encoder.end()`), then finish it. */
export async function endOutput(encoder: RecordEncoder, write: (text: string) => Promise<void>, finish: () => Promise<void>): Promise<void> {
  const tail = encoder.end();
  if (tail !== '') await write(tail);
  await finish();
}

// The format each file/stdout sink writes, for the parallel runner: its workers
// write NDJSON bytes, so it takes only sinks that write NDJSON.
const formats = new WeakMap<object, OutputFormat>();

export function withFormat<S extends object>(sink: S, format: OutputFormat): S {
  formats.set(sink, format);
  return sink;
}

/** The format a file/stdout sink writes; undefined for other sinks. */
export function formatOf(sink: object): OutputFormat | undefined {
  return formats.get(sink);
}

/** --output-format is for files and stdout: a usage error for HTTP and Kafka sinks. */
export function checkFormatApplies(sink: 'stdout' | 'file' | 'http' | 'kafka', opts: Record<string, unknown>): void {
  if (opts.outputFormat === undefined || sink === 'stdout' || sink === 'file') return;
  const sends = sink === 'http' ? 'NDJSON or {"records":[...]} (see --body)' : 'one JSON record per message';
  throw new RecflowError('usage', `--output-format applies to a file or stdout sink, not to ${sink === 'http' ? 'an HTTP' : 'a Kafka'} sink, which sends ${sends}`);
}
