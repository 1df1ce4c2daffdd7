// `recflow contract show|check|infer|from-json-schema` (docs/contracts.md): look at the
// kinds, check a contract file, draft one from data or from a JSON Schema. Drafts go to
// stdout as YAML that --contract takes as is; notes and warnings go to stderr.
import { Command, InvalidArgumentError } from 'commander';
import { EXIT_STATUS, usageError } from '../errors.js';
import { log } from '../log.js';
import { parseDelimiter, parseEncoding } from '../sources/dialect.js';
import { intOption } from './common.js';

const repeat = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function kindName(v: string): string {
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(v)) throw new InvalidArgumentError('expected a lowercase letter, then up to 63 of a-z 0-9 _ -.');
  return v;
}

interface ShowFlags {
  contract?: string[];
  json?: boolean;
  markdown?: boolean;
}

async function show(kind: string | undefined, flags: ShowFlags): Promise<void> {
  if (flags.json && flags.markdown) throw usageError('contract show: give --json or --markdown, not both');
  const { useContracts } = await import('../contract/contracts.js');
  await useContracts(flags.contract, undefined);
  const { allKinds, kindMarkdown, kindText, listText } = await import('../contract/show.js');
  const kinds = allKinds();
  const chosen = kind === undefined ? kinds : kinds.filter((k) => k.name === kind);
  if (chosen.length === 0) {
    const known = kinds.map((k) => k.name).join(', ');
    throw usageError(`contract show: no kind '${kind}'; known kinds: ${known}${flags.contract?.length ? '' : ' (other kinds need --contract FILE)'}`);
  }
  let out: string;
  if (flags.json) out = JSON.stringify(kind === undefined ? chosen : chosen[0], null, 2) + '\n';
  else if (flags.markdown) out = chosen.map(kindMarkdown).join('\n');
  else out = kind === undefined ? listText(chosen) : kindText(chosen[0]!);
  process.stdout.write(out);
}

async function check(files: string[]): Promise<void> {
  const { useContracts } = await import('../contract/contracts.js');
  const { declaredKinds } = await import('../contract/declared.js');
  await useContracts(files, undefined); // a bad file throws a config error: exit 2, each problem with its line and path
  for (const file of files) {
    const kinds = declaredKinds().filter((k) => k.decl.file === file);
    const what = kinds.map((k) => `${k.decl.name} (${k.decl.fields.length} field${k.decl.fields.length === 1 ? '' : 's'})`).join(', ');
    process.stdout.write(`${file}: OK, ${kinds.length} kind${kinds.length === 1 ? '' : 's'}: ${what}\n`);
  }
}

interface InferFlags {
  kind?: string;
  sample: number;
  format?: 'csv' | 'ndjson' | 'tsv';
  delimiter?: ',' | ';' | '\t' | '|';
  encoding?: 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1' | 'windows-1252' | 'auto';
}

function warn(lines: readonly string[]): void {
  for (const w of lines) log('warn', w, undefined, `recflow: warning: ${w}\n`);
}

async function infer(sources: string[], flags: InferFlags): Promise<void> {
  for (const s of sources) if (s === '-' || /^kafka:\/\//i.test(s)) throw usageError(`contract infer: ${s}: give files (CSV, TSV or NDJSON, optionally .gz), not stdin or Kafka`);
  const { inferContract } = await import('../contract/infer.js');
  const res = await inferContract(sources, { kind: flags.kind, sample: flags.sample, format: flags.format, delimiter: flags.delimiter, encoding: flags.encoding });
  warn(res.warnings);
  process.stdout.write(res.text);
}

async function fromJsonSchema(file: string, flags: { kind?: string }): Promise<void> {
  const { fromJsonSchema: convert } = await import('../contract/json-schema.js');
  const res = convert(file, flags.kind);
  warn(res.warnings);
  process.stdout.write(res.text);
}

export function contractCommand(): Command {
  const cmd = new Command('contract')
    .description('show the record kinds, check a contract file, or draft one from data or a JSON Schema (docs/contracts.md)')
    // no subcommand is a usage error, as `recflow` alone is: the help on stderr, exit 2
    .usage('<command> [options]')
    .argument('[command]')
    .action((name: string | undefined) => {
      if (name !== undefined) throw usageError(`contract: unknown command '${name}'; expected show, check, infer or from-json-schema (see 'recflow contract --help')`);
      process.stderr.write(cmd.helpInformation());
      process.exitCode = EXIT_STATUS.usage;
    });
  cmd
    .command('show')
    .description("print a kind's fields, types, rules and error codes; without KIND, list the kinds")
    .argument('[kind]', "a kind name: 'customer', 'inventory' or one of --contract")
    .option('--contract <file>', 'also show the kinds of this contract file, repeatable', repeat)
    .option('--json', 'as JSON')
    .option('--markdown', 'as Markdown tables')
    .action(show);
  cmd
    .command('check')
    .description('check contract files: exit 0 with one OK line each, exit 2 with the file, line, path and what was expected')
    .argument('<file...>', 'contract files (.yaml, .yml or .json)')
    .action(check);
  cmd
    .command('infer')
    .description('draft a contract from data: a type per column from the values seen, printed as YAML to edit and use with --contract')
    .argument('<source...>', 'CSV, TSV or NDJSON files (optionally .gz) or globs; one kind per file, or one for all with --kind')
    .option('--kind <name>', 'one kind of this name for all the files (default: a kind per file, named after it)', kindName)
    .option('--sample <n>', 'records read from each file', intOption(1), 10_000)
    .option('--format <format>', "input format for unknown extensions: 'csv', 'tsv' or 'ndjson'", (v) => {
      if (v !== 'csv' && v !== 'ndjson' && v !== 'tsv') throw new InvalidArgumentError("expected 'csv', 'tsv' or 'ndjson'.");
      return v;
    })
    .option('--delimiter <char>', "CSV cell delimiter (default: sniffed from the header line)", parseDelimiter)
    .option('--encoding <name>', 'input text encoding (default auto: a byte order mark, else UTF-8)', parseEncoding)
    .addHelpText('after', '\nExample:\n  recflow contract infer exports/orders.csv --kind order > orders.contract.yaml\n  recflow validate exports/orders.csv --contract orders.contract.yaml\n')
    .action(infer);
  cmd
    .command('from-json-schema')
    .description('convert a JSON Schema of one record (type, properties, required, format, pattern, minimum/maximum, maxLength, enum) into a contract; every keyword not converted is named on stderr')
    .argument('<file>', 'a JSON Schema (.json, or YAML)')
    .option('--kind <name>', 'the kind name (default: from the title, else the file name)', kindName)
    .action(fromJsonSchema);
  return cmd;
}
