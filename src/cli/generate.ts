// `recflow generate customers|inventory` (or `--contract FILE --kind K` for a declared
// kind): parse and check the options, then hand over to src/generate.
import { Command, CommanderError } from 'commander';
import { RecflowError, usageError } from '../errors.js';
import { onStopSignals } from '../pipeline/signals.js';
import type { GenerateResult, OutputFormat } from '../generate/index.js';
import { DEFAULT_SEED } from '../generate/seed.js';
import type { Kind } from '../pipeline/types.js';
import type { RecordGenerator } from '../generate/record.js';
import { log } from '../log.js';
import { isSpecialFile } from '../sinks/util/atomic-file.js';

interface GenerateFlags {
  count?: string;
  kind?: string;
  contract?: string[];
  seed: string;
  invalidShare: string;
  format?: string;
  rate?: string;
  out: string;
  quiet?: boolean;
}

const KINDS: Record<string, Kind> = { customers: 'customer', customer: 'customer', inventory: 'inventory' };

/** The kind to generate, and its generator when it is declared in a --contract file. */
async function resolveKind(arg: string | undefined, flags: GenerateFlags, count: number, seed: string): Promise<{ kind: Kind; generator?: RecordGenerator }> {
  if (arg !== undefined && flags.kind !== undefined && arg !== flags.kind) {
    throw usageError(`generate: the kind is given twice ('${arg}' and --kind ${flags.kind}); give it once`);
  }
  const text = arg ?? flags.kind;
  if (text === undefined) throw usageError('generate: which kind? customers, inventory, or a kind of a contract file (--contract FILE --kind K)');
  const builtin = KINDS[text.toLowerCase()];
  if (builtin) return { kind: builtin };
  if (!flags.contract?.length) throw usageError(`generate: unknown kind '${text}': use customers or inventory, or a kind declared in --contract FILE`);
  const { useContracts } = await import('../contract/contracts.js');
  const { declaredKind, declaredKinds, knownKinds } = await import('../contract/declared.js');
  await useContracts(flags.contract, undefined);
  const declared = declaredKind(text);
  if (!declared) throw usageError(`generate: unknown kind '${text}': expected one of ${knownKinds().join(', ')}`);
  const { declaredGenerator } = await import('../generate/declared.js');
  const { Rng } = await import('../generate/prng.js');
  // the values' plan (samples, checked bad values) comes from the seed too: same seed, same output
  const generator = declaredGenerator(declared.decl, declaredKinds().map((k) => k.decl), count, new Rng(seed, 3));
  return { kind: declared.decl.name, generator };
}

function parseCount(text: string | undefined): number {
  if (text === undefined) throw usageError('generate: --count is required (how many records to write), e.g. --count 1000');
  // Digits, optionally in exponent form for big round numbers (1e6).
  const n = /^\s*\d+(e\d+)?\s*$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw usageError(`--count must be a non-negative integer, got '${text}'`);
  return n;
}

function parseShare(text: string): number {
  const t = text.trim();
  const p = /%$/.test(t) ? Number(t.slice(0, -1)) / 100 : t === '' ? NaN : Number(t);
  if (!(p >= 0 && p <= 1)) throw usageError(`--invalid-share must be a number from 0 to 1 (or a percentage like 5%), got '${text}'`);
  return p;
}

function parseRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const r = text.trim() === '' ? NaN : Number(text);
  if (!(r > 0 && Number.isFinite(r))) throw usageError(`--rate must be a positive number of records per second, got '${text}'`);
  return r;
}

function parseFormat(text: string | undefined, out: string): OutputFormat {
  if (text === undefined) return /\.(ndjson|jsonl)(\.gz)?$/i.test(out) ? 'ndjson' : 'csv';
  const f = text.toLowerCase();
  if (f === 'csv') return 'csv';
  if (f === 'ndjson' || f === 'jsonl') return 'ndjson';
  throw usageError(`--format must be csv or ndjson, got '${text}'`);
}

function parseSeed(text: string): string {
  if (text.trim() === '') throw usageError("--seed must not be empty (any word or number, e.g. --seed 42)");
  return text;
}

/** A regular file is written aside and put in place only when whole (generate/writer.ts). */
const writtenAside = (out: string): boolean => out !== '-' && !isSpecialFile(out);

/**
 * `x.toLocaleString('en-US')` without its cost: the first call sets up ICU number
 * formatting, tens of milliseconds of a short run. Same text for every integer.
 */
function groupDigits(x: number): string {
  if (!Number.isSafeInteger(x) || Object.is(x, -0)) return x.toLocaleString('en-US');
  return String(x).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** One line on stderr, like the other commands' summaries. */
function summary(r: GenerateResult, out: string): string {
  const n = groupDigits;
  const secs = r.durationMs / 1000;
  const perSec = secs > 0 ? Math.round(r.records / secs) : r.records;
  const where = out === '-' ? 'stdout' : out;
  const note = r.ended === 'output_closed' ? '; stopped: the reader closed the output' : r.ended === 'aborted' && writtenAside(out) ? `; interrupted: ${out} left as it was` : '';
  return `recflow generate: ${n(r.records)} ${r.kind} records (${n(r.invalid)} invalid) as ${r.format} to ${where} in ${secs.toFixed(2)}s (${n(perSec)} rec/s)${note}\n`;
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .summary('write synthetic customer, inventory or contract-declared records (deterministic)')
    .description(
      'Write synthetic customer or inventory records, or records of a kind declared in a --contract file, as CSV or NDJSON, for demos, tests and benchmarks. ' +
        'The same seed and options give byte-identical output. With --invalid-share, that share of the records ' +
        'is invalid, each failing the record contract with exactly one error code, cycling over the codes of the kind.',
    )
    .argument('[kind]', 'customers or inventory, or a kind of --contract (or give --kind)')
    .option('--kind <kind>', 'the kind to generate (the same as the argument): customer, inventory or a kind declared in --contract')
    .option('--contract <file>', 'a contract file declaring the kind (docs/contracts.md), repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('-n, --count <n>', 'number of records to write (required)')
    .option('--seed <seed>', 'any word or number; the same seed gives the same records', DEFAULT_SEED)
    .option('--invalid-share <p>', 'share of invalid records, 0 to 1 (or 5%)', '0')
    .option('--format <format>', 'csv or ndjson (default: from the --out extension, else csv)')
    .option('--rate <r>', 'at most this many records per second (default: unlimited)')
    .option('-o, --out <file>', 'write to this file instead of stdout; a .gz name is gzip-compressed', '-')
    .option('-q, --quiet', 'no summary line on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  recflow generate customers --count 1000 --seed 7 > customers.csv\n' +
        '  recflow generate inventory --count 1e6 --invalid-share 0.02 --out inventory.ndjson.gz\n' +
        '  recflow generate customers --count 100000 --rate 500 --format ndjson | recflow run - --to out.ndjson\n' +
        '  recflow generate --contract examples/orders.contract.yaml --kind order --count 100 --format ndjson\n',
    )
    // Commander's own parse errors (unknown option, missing argument) become usage errors
    // (exit 2, one line from main); --help stays as it is.
    .configureOutput({ outputError: () => {} })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) throw err;
      throw usageError(`generate: ${err.message.replace(/^error: /, '')} (see recflow generate --help)`);
    })
    .action(async (kindText: string | undefined, flags: GenerateFlags, self: Command) => {
      const count = parseCount(flags.count);
      const seed = parseSeed(flags.seed);
      const invalidShare = parseShare(flags.invalidShare);
      const { kind, generator } = await resolveKind(kindText, flags, count, seed);
      if (generator && invalidShare > 0 && generator.codes.length === 0) {
        throw usageError(`generate: kind ${kind} has no rule a generated value can break, so --invalid-share cannot make invalid records; add rules (required, max_length, pattern...) or drop --invalid-share`);
      }
      const out = flags.out;
      const options = {
        kind,
        generator,
        count,
        seed,
        invalidShare,
        format: parseFormat(flags.format, out),
        rate: parseRate(flags.rate),
        out,
      };
      const quiet = Boolean(self.optsWithGlobals().quiet);
      // a signal stops generation so the output is flushed (and a .gz file closed properly)
      // loaded only now: the generators' tables cost every other command's start-up
      const { generate } = await import('../generate/index.js');
      const ctrl = new AbortController();
      const stop = onStopSignals(() => ctrl.abort());
      let result: GenerateResult;
      try {
        result = await generate({ ...options, signal: ctrl.signal });
      } finally {
        stop.dispose();
      }
      if (!quiet) log('info', 'summary', { ...result }, summary(result, out));
      const sig = stop.received();
      const kept = writtenAside(out) ? `; ${out} is left as it was (an interrupted generate puts no partial file in place)` : ' (output flushed)';
      if (sig) throw new RecflowError('interrupted', `generate: interrupted by ${sig} after ${result.records} records${kept}`, { signal: sig });
    });
  return cmd;
}
