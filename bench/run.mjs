#!/usr/bin/env node
// `npm run bench`: recflow against Miller's plain conversion (`mlr --icsv --ojsonl cat`) and
// DuckDB's (the far anchor), on two customer CSVs made two ways; Kafka on the mock cluster;
// HTTP to `recflow serve`. Not part of `npm test`. Needs a build; GNU /usr/bin/time, mlr,
// python3, kcat and gcc + librdkafka for the full table (missing tools skip rows, with a note).
//
//   node bench/run.mjs [--quick] [--rows N] [--runs R] [--only LIST] [--dir D] [--label TEXT]
//        [--no-append] [--bin A] [--bin-b B] [--baseline DIR] [--label-a T] [--label-b T]
//        [--threads N] [--workers N] [--seed S] [--kafka-records N] [--partitions P]
//        [--no-seq] [--tokenizers] [--huge [GB]]
//
// --quick          200,000 rows and 100,000 Kafka records (default 1,000,000 and 200,000)
// --runs R         rounds, interleaved (A B ... then ... B A); medians of R (default 3)
// --only LIST      engine (both CSVs: Miller, DuckDB, and per build contract only, 5 stages,
//                  dedupe), kafka (file → Kafka, Kafka → file), http (file → serve);
//                  default engine,kafka,http; also csv, ndjson, gz: the earlier sessions'
//                  generated customers and inventory as CSV/NDJSON/gzip against cat and Miller
// --bin A          the recflow entry to time (env RECFLOW_BIN; default this tree's bin/recflow.js)
// --bin-b B        a second build, interleaved with A (env RECFLOW_BIN_B; --baseline DIR means
//                  DIR/bin/recflow.js); `sh bench/snapshot.sh REV DIR` builds one from a commit
// --label-a T      the builds' names in the tables (env RECFLOW_BIN_LABEL, RECFLOW_BIN_B_LABEL)
// --threads N      RECFLOW_THREADS=N for every recflow run (--workers N: RECFLOW_WORKERS=N);
//                  both env variables, when set, pass through as they are
// --dir D          data and outputs (default $TMPDIR/recflow-perf-bench; files are reused)
// --label TEXT     the heading of this run's section in bench/RESULTS.md; --no-append: print only
// --seed S         seed of both generators (default 7)
// --kafka-records N, --partitions P: Kafka run size (default 200,000 short records, 8 partitions:
//                  under the ~4-5 MB a partition that the mock cluster keeps)
// --no-seq         (csv/ndjson/gz) skip the RECFLOW_WORKERS=0 rows
// --tokenizers     also csv-parse against recflow's CsvTokenizer, in process
// --huge [GB]      memory test instead: a ~GB (default 5) customer CSV from disk (contract only,
//                  and the 5 stages) and from stdin; reports peak RSS
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBuilds, threadEnv } from './lib/builds.mjs';
import { classicCases, hugeBench, tokenizerBench } from './lib/classic.mjs';
import { generatedCustomers, shortRecords } from './lib/data.mjs';
import { engineCases, targetRows } from './lib/engine.mjs';
import { httpCases, kafkaScript } from './lib/http-cases.mjs';
import { kafkaCases } from './lib/kafka-cli.mjs';
import { log, loadNow, machine, q } from './lib/measure.mjs';
import { netTable } from './lib/net-table.mjs';
import { commandList, fileTable, runRounds, summarize } from './lib/rounds.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const argv = process.argv.slice(2);
const opt = { rows: 0, runs: 3, dir: join(tmpdir(), 'recflow-perf-bench'), label: '', append: true, only: ['engine', 'kafka', 'http'], seq: true, tokenizers: false, huge: 0, seed: '7', quick: false, kafkaRecords: 0, partitions: 8, bin: '', binB: '', baseline: '' };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  if (a === '--rows') opt.rows = Number(next());
  else if (a === '--runs') opt.runs = Number(next());
  else if (a === '--quick') opt.quick = true;
  else if (a === '--dir') opt.dir = next();
  else if (a === '--label') opt.label = next();
  else if (a === '--no-append') opt.append = false;
  else if (a === '--only') opt.only = next().split(',');
  else if (a === '--no-seq') opt.seq = false;
  else if (a === '--bin') opt.bin = next();
  else if (a === '--bin-b') opt.binB = next();
  else if (a === '--baseline') opt.baseline = next();
  else if (a === '--label-a') opt.labelA = next();
  else if (a === '--label-b') opt.labelB = next();
  else if (a === '--threads') process.env.RECFLOW_THREADS = next();
  else if (a === '--workers') process.env.RECFLOW_WORKERS = next();
  else if (a === '--seed') opt.seed = next();
  else if (a === '--kafka-records') opt.kafkaRecords = Number(next());
  else if (a === '--partitions') opt.partitions = Number(next());
  else if (a === '--tokenizers') opt.tokenizers = true;
  else if (a === '--huge') opt.huge = argv[i + 1] && /^\d+(\.\d+)?$/.test(argv[i + 1]) ? Number(argv[++i]) : 5;
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown option ${a}`);
}
opt.rows ||= opt.quick ? 200_000 : 1_000_000;
opt.kafkaRecords ||= opt.quick ? 100_000 : 200_000;
const known = ['engine', 'kafka', 'http', 'csv', 'ndjson', 'gz'];
if (opt.only.some((o) => !known.includes(o))) usage(`--only takes ${known.join(', ')}`);
if (!(opt.rows > 0) || !(opt.runs > 0) || !(opt.partitions > 0) || !(opt.kafkaRecords > 0)) usage('--rows, --runs, --kafka-records and --partitions must be positive numbers');

function usage(msg) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(6).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
  process.stderr.write((msg ? `bench: ${msg}\n` : '') + text + '\n');
  process.exit(msg ? 2 : 0);
}

let builds;
try {
  builds = resolveBuilds(ROOT, opt);
} catch (err) {
  console.error(`bench: ${err.message}`);
  process.exit(2);
}
mkdirSync(opt.dir, { recursive: true });

function header(loadBefore) {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return [
    `### ${opt.label ? `${opt.label} — ` : ''}${date}`,
    '',
    `Machine: ${machine()}. Load average before / after: ${loadBefore} / ${loadNow()} (shared machine: compare ratios and CPU seconds within this table).`,
    `Run: \`node bench/run.mjs ${argv.map((a) => (/^[\w./=:,-]+$/.test(a) ? a : q(a))).join(' ')}\`${process.env.RECFLOW_BIN || process.env.RECFLOW_BIN_B ? ' with RECFLOW_BIN / RECFLOW_BIN_B set' : ''}. ${threadEnv()}.`,
    `Builds: ${builds.map((b) => `${b.label} = \`${b.bin.replace(ROOT, '')}\` (${b.desc})`).join('; ')}.`,
    `${opt.runs} rounds, interleaved (case order reversed every other round); medians over the rounds; "vs Miller" is the median of each round's Miller wall time / this wall time (above 1: faster than Miller); CPU = user + sys of all threads (GNU time), per million input records; peak RSS: the largest of the rounds (max RSS of the biggest process).`,
    '',
  ];
}

const pathNames = () => [
  ...builds.map((b) => [`'${process.execPath}' '${b.bin}'`, b.key === 'A' ? 'recflow' : 'recflow-B']),
  [`'${process.execPath}' '${join(ROOT, 'bench', 'duck.mjs')}'`, 'node bench/duck.mjs'],
  [`'${opt.dir}/`, "'$DIR/"],
  [`${opt.dir}/`, '$DIR/'],
];

async function fileSection(title, cases, notes) {
  const results = await runRounds(cases.list, opt.runs, opt.dir);
  const stats = summarize(cases.list, results, cases.rowsOf);
  // every run's figures, for a second look (the table shows medians only)
  const raw = cases.list.map((c, i) => ({ group: c.group, name: c.name, build: c.build?.label, runs: results[i].map(({ stderr, ...m }) => m) }));
  writeFileSync(join(opt.dir, `runs-${title.split(':')[0].toLowerCase().replace(/\W+/g, '-')}.json`), JSON.stringify(raw, null, 1));
  const lines = [`#### ${title}`, '', ...fileTable(stats), '', 'Commands (stdout to /dev/null unless `--to` is given):', '', '```', ...commandList(cases.list, pathNames()), '```', ''];
  if (notes.length) lines.push(...notes.map((n) => `- ${n}`), '');
  return { lines, stats };
}

async function main() {
  const loadBefore = loadNow();
  if (opt.huge > 0) return hugeBench({ builds, dir: opt.dir, seed: opt.seed, gb: opt.huge, argv });
  const out = [];
  let stats = [];
  const net = new Map();
  if (opt.only.includes('engine')) {
    const cases = engineCases({ root: ROOT, builds, rows: opt.rows, seed: opt.seed, dir: opt.dir });
    const o = cases.sets[1].check;
    const notes = [
      ...cases.notes,
      `Data: \`${cases.sets[0].how}\` (${opt.rows.toLocaleString('en-US')} rows) and \`${cases.sets[1].how}\` (${o.read.toLocaleString('en-US')} records; \`recflow validate\`: ${o.valid.toLocaleString('en-US')} valid, ${o.rejected.toLocaleString('en-US')} rejected: ${Object.entries(o.byCode).map(([k, v]) => `${k} ${v}`).join(', ')}).`,
      "Miller runs with `--allow-ragged-csv-input` on the other file (it stops at a row with more cells than the header otherwise); DuckDB gets the dialect there (`--dialect`: `delim=',', quote='\"', escape='\"', null_padding=true`; its sniffer gives up on the same rows); DuckDB uses both cores. Both write to /dev/null, like recflow.",
      `The 5 stages: ${cases.list.find((c) => c.name === '5 stages')?.shell.split(' --stage ').slice(1).map((s) => `\`--stage ${s.replace(opt.dir + '/', '$DIR/')}\``).join(' ')} (reference: 250 rows, one per country code); dedupe: \`--stage dedupe\` (customer_id).`,
    ];
    const s = await fileSection('Files: contract only, 5 stages, dedupe, against Miller and DuckDB', cases, notes);
    out.push(...s.lines);
    stats = stats.concat(s.stats);
  }
  const classic = opt.only.filter((o) => ['csv', 'ndjson', 'gz'].includes(o));
  if (classic.length) {
    const cases = classicCases({ builds, rows: opt.rows, seed: opt.seed, dir: opt.dir, only: classic, seq: opt.seq });
    out.push(...(await fileSection(`Earlier cases: ${classic.join(', ')} (\`recflow generate\` seed ${opt.seed}, 2% invalid, ${opt.rows.toLocaleString('en-US')} records per file)`, cases, [])).lines);
  }
  const netParts = {};
  if (opt.only.includes('kafka')) {
    const input = shortRecords(opt.kafkaRecords, opt.dir);
    netParts.kafka = await kafkaCases({ root: ROOT, builds, input, records: opt.kafkaRecords, partitions: opt.partitions, runs: opt.runs, dir: opt.dir });
    if (!opt.quick) netParts.kafkaScript = kafkaScript({ root: ROOT, builds, records: opt.kafkaRecords, partitions: opt.partitions });
  }
  if (opt.only.includes('http')) {
    const input = generatedCustomers(builds[0], opt.rows, opt.seed, opt.dir).path;
    netParts.http = await httpCases({ root: ROOT, builds, input, runs: opt.runs, dir: opt.dir, withScript: true });
  }
  if (Object.keys(netParts).length) out.push(...netTable(builds, netParts, net, opt));
  if (stats.length || net.size) out.push('#### Targets (issue 14)', '', '| build | target | want | measured | met |', '|---|---|---|---:|---|', ...targetRows(builds, stats, net), '');
  let text = [...header(loadBefore), ...out].join('\n');
  if (opt.tokenizers) text += await tokenizerBench({ root: ROOT, builds, dir: opt.dir, runs: opt.runs });
  return text;
}

const started = Date.now();
const text = await main();
process.stdout.write(text + '\n');
log(`whole bench: ${((Date.now() - started) / 60000).toFixed(1)} min`);
if (opt.append) {
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# recflow benchmarks\n\nSee the header of bench/run.mjs for how to run.\n\n');
  appendFileSync(RESULTS, '\n' + text + '\n');
  log(`appended to ${RESULTS}`);
}
