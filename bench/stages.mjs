#!/usr/bin/env node
// Do stages slow the plain pipeline? Times `recflow run` on one generated customer
// CSV (seeded) with: the default contract pass, `--stage validate --stage normalize`
// (must fuse into the same pass), the default plus one filter stage, and --no-validate.
// Each scenario runs with the default runner choice (the parallel fast path takes
// plans that are the contract pass alone) and forced sequential (RECFLOW_WORKERS=0).
// Needs a build (`npx tsc -p tsconfig.json`). Prints records/s (best and median of R runs).
//
//   node bench/stages.mjs [--rows N] [--runs R] [--dir D] [--bin B] [--before B0]
//
// --bin B      the recflow entry to time (default bin/recflow.js; a snapshot build keeps
//              colleagues' rebuilds of dist/ out of the figures)
// --before B0  also time the default pipeline with another build (e.g. one made before stages)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const BIN = arg('bin', join(ROOT, 'bin', 'recflow.js'));
const BEFORE = arg('before', undefined);
const ROWS = Number(arg('rows', 500_000));
const RUNS = Number(arg('runs', 3));
const DIR = arg('dir', join(tmpdir(), 'recflow-bench'));

if (!existsSync(join(BIN, '..', '..', 'dist', 'cli', 'main.js'))) {
  console.error('build first: npx tsc -p tsconfig.json');
  process.exit(2);
}
mkdirSync(DIR, { recursive: true });
const data = join(DIR, `customers-${ROWS}-seed1.csv`);

/** `recflow generate` when it is there; else a small seeded generator of our own. */
function makeData() {
  const fd = openSync(data, 'w');
  const gen = spawnSync(process.execPath, [BIN, 'generate', 'customers', '--count', String(ROWS), '--seed', '1'], { stdio: ['ignore', fd, 'ignore'] });
  closeSync(fd);
  if (gen.status === 0) return 'recflow generate customers --seed 1';
  const C = ['DE', 'fr', 'US', 'gb', 'JP', 'br'];
  const rows = ['customer_id,first_name,last_name,email,phone,country,city,signup_date,lifetime_value,loyalty_tier'];
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < ROWS; i++) {
    rows.push(`C${i},Ann ,Smith,user${i}@Example.com,+1 415 555 ${1000 + (i % 9000)},${C[i % 6]},Berlin,2021-0${1 + (i % 9)}-1${i % 10},${(rnd() * 3000).toFixed(2)},gold`);
  }
  writeFileSync(data, rows.join('\n') + '\n');
  return 'bench/stages.mjs built-in generator';
}
const source = existsSync(data) ? 'cached file' : makeData();

const FILTER = 'filter:expr=country in ("DE","FR") or lifetime_value > 1000';
const SCENARIOS = [
  ...(BEFORE ? [['default, build before stages', [], BEFORE]] : []),
  ['default (contract pass)', []],
  ['--stage validate --stage normalize', ['--stage', 'validate', '--stage', 'normalize']],
  ['default + 1 filter stage', ['--stage', FILTER]],
  ['--no-validate', ['--no-validate']],
];

// CPU time (user+sys, all threads) from GNU time when present: on a shared machine it
// moves much less than wall time when neighbours compete for the cores.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function once(args, env, bin = BIN) {
  const sum = join(DIR, 'stages-summary.json');
  const cmd = [process.execPath, bin, 'run', data, '--to', '/dev/null', '-q', '--summary-json', sum, ...args];
  const t0 = process.hrtime.bigint();
  const res = spawnSync(TIME ?? cmd[0], TIME ? ['-f', 'CPU %U %S', ...cmd] : cmd.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (res.status !== 0) throw new Error(`recflow run ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  const s = JSON.parse(readFileSync(sum, 'utf8'));
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(res.stderr);
  return { rate: s.records.in / secs, cpuUs: cpu ? ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / s.records.in : NaN, out: s.records.out };
}

console.log(`# recflow stages bench: ${ROWS.toLocaleString('en-US')} customer rows (${source}), ${RUNS} runs each`);
console.log(`# ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}; wall time of the whole process, records read / s\n`);
console.log(`| scenario | runner | best rec/s | median rec/s | median CPU µs/record | written |`);
console.log(`|---|---|---:|---:|---:|---:|`);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const cases = [['auto', {}], ['sequential', { RECFLOW_WORKERS: '0' }]].flatMap(([mode, env]) => SCENARIOS.map(([name, args, bin]) => ({ mode, env, name, args, bin, runs: [] })));
// interleaved, so that a noisy neighbour slows every scenario alike
for (let i = 0; i < RUNS; i++) for (const c of cases) c.runs.push(once(c.args, c.env, c.bin));
for (const c of cases) {
  const rates = c.runs.map((r) => r.rate).sort((a, b) => a - b);
  const cpu = c.runs.map((r) => r.cpuUs).sort((a, b) => a - b)[Math.floor(c.runs.length / 2)];
  const mid = rates[Math.floor(rates.length / 2)];
  console.log(`| ${c.name} | ${c.mode} | ${fmt(rates[rates.length - 1])} | ${fmt(mid)} | ${cpu.toFixed(2)} | ${fmt(c.runs[0].out)} |`);
}
