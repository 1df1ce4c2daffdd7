// Option parsers and the options every pipeline command takes (`run`, `validate`).
import { InvalidArgumentError, type Command } from 'commander';
import { parseDelimiter, parseEncoding } from '../sources/dialect.js';
import { recordBytesOption } from '../sources/limits.js';

export type { PipelineOptions } from '../pipeline/execute.js';

export function intOption(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    }
    return n;
  };
}

export function rateOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

/** Options every pipeline command takes. */
export function addPipelineOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', "input format for stdin or unknown extensions: 'csv', 'tsv' or 'ndjson' (default: by extension, else sniffed)", (v) => {
      if (v !== 'csv' && v !== 'ndjson' && v !== 'tsv') throw new InvalidArgumentError("expected 'csv' or 'ndjson' (or 'tsv': CSV with tabs).");
      return v;
    })
    .option('--delimiter <char>', "CSV cell delimiter: ',', ';', '\\t' or '|' (or comma, semicolon, tab, pipe); default: sniffed from the header line (.tsv/.tab: tab)", parseDelimiter)
    .option('--encoding <name>', 'input text encoding: utf-8, utf-16le, utf-16be, latin1, windows-1252 or auto (a byte order mark, else UTF-8)', parseEncoding)
    .option('--strict-encoding', 'reject records holding bytes that are not valid UTF-8 as invalid_encoding (default: counted and warned about)')
    .option('--kind <kind>', "treat every record as this kind: 'customer', 'inventory' or a kind of --contract (default: from the record)", (v) => {
      if (!/^[a-z][a-z0-9_-]{0,63}$/.test(v)) throw new InvalidArgumentError("expected 'customer', 'inventory' or a kind declared with --contract.");
      return v; // a declared kind is checked once the contract files are loaded
    })
    .option('--contract <file>', 'add the record kinds declared in this YAML/JSON contract file, repeatable (docs/contracts.md)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--max-rejects <n>', 'exit 1 when more records than this are rejected', intOption(0))
    .option('--max-reject-rate <r>', 'exit 1 when more than this share (0-1) of records is rejected', rateOption)
    .option('--max-record-bytes <size>', 'longest record (a line, or a CSV record) in bytes, or with k/m suffix; longer ones are dead-lettered as too_long (default: 16m)', recordBytesOption)
    .option('-q, --quiet', 'no live status line (errors and the summary still go to stderr)')
    .option('--summary-json <file>', "write the summary as JSON to a file, or '-' for stdout")
    .option('--progress-interval <seconds>', 'seconds between plain status lines when stderr is not a TTY', intOption(1), 5)
    .option('--debug', 'show stack traces on errors')
    .option('--report <format[:file]>', "a report for CI, repeatable: text, json, github (workflow commands on stdout), junit:FILE, sarif:FILE (default under GitHub Actions: github)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--report-json <file>', "the JSON report (same as --report json:FILE), or '-' for stdout")
    .option('--annotations <n>', 'github report: at most n annotations, spread across error codes', intOption(0), 10)
    .option('--report-max <n>', 'sarif report: at most n results (one per rejected record)', intOption(1), 1000)
    .option('--fail-on-empty', 'exit 1 when no record at all was read')
    .option('--metrics <addr>', 'serve Prometheus /metrics, /health and /ready on PORT or HOST:PORT (a bare port binds 127.0.0.1)')
    .option('--threads <n>', 'threads that process records, this one included (default: one per core); the output is the same for any number', intOption(1));
}
