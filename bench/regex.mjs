#!/usr/bin/env node
// What do linear-time regexes cost? Times RegExp (what filter used before), re2js (pure JS
// RE2, what recflow uses now, raw and through recflow's wrapper) and, when installed
// outside the project, re2-wasm (Google's RE2 in WebAssembly) on ordinary patterns over
// fields of generated customers, then on the pathological (a+)+$, then end to end.
// Needs a build (`npm run build`).
//
//   node bench/regex.mjs [--tests N] [--rows R] [--re2-wasm DIR] [--bin B] [--before B0] [--e2e-rows E]
//
// --tests N      matches per pattern and engine (default 1,000,000)
// --rows R       generated customers the fields come from (default 20,000, seed 1)
// --re2-wasm DIR a folder where `npm install --prefix DIR re2-wasm` was run (not a dependency)
// --bin B        the recflow entry to time end to end (default bin/recflow.js; a snapshot build
//                keeps colleagues' rebuilds of dist/ out of the figures)
// --before B0    also time `recflow run` end to end with another build (e.g. one from before RE2)
// --e2e-rows E   customers for the end-to-end runs (default 500,000; 0 skips them)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { RE2JS } from 're2js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const TESTS = Number(arg('tests', 1_000_000));
const ROWS = Number(arg('rows', 20_000));
const E2E_ROWS = Number(arg('e2e-rows', 500_000));
const WASM_DIR = arg('re2-wasm', undefined);
const BEFORE = arg('before', undefined);
const BIN = arg('bin', join(ROOT, 'bin', 'recflow.js'));
const DIR = join(tmpdir(), 'recflow-bench');

if (!existsSync(join(ROOT, 'dist', 'stages', 'filter-regex.js'))) {
  console.error('build first: npm run build');
  process.exit(2);
}
const { compileRegex } = await import(join(ROOT, 'dist', 'stages', 'filter-regex.js'));
const RE2W = WASM_DIR ? createRequire(join(WASM_DIR, 'package.json'))('re2-wasm').RE2 : null;
mkdirSync(DIR, { recursive: true });

function generate(rows) {
  const file = join(DIR, `customers-${rows}-seed1.csv`);
  if (!existsSync(file)) {
    const fd = openSync(file, 'w');
    const gen = spawnSync(process.execPath, [BIN, 'generate', 'customers', '--count', String(rows), '--seed', '1'], { stdio: ['ignore', fd, 'inherit'] });
    closeSync(fd);
    if (gen.status !== 0) throw new Error('recflow generate failed');
  }
  return file;
}

const records = parse(readFileSync(generate(ROWS)), { columns: true });
const PATTERNS = [
  ['first_name', '^[A-Z]', ''],
  ['email', '@example\\.com$', 'i'],
  ['phone', '\\d{3}-\\d{4}', ''],
  ['last_name', 'smith', 'i'],
  ['email', '^[a-z]+\\.[a-z]+\\d*@(gmail|gmx|outlook)\\.(com|de)$', ''],
];
const bits = (f) => (f.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
const ENGINES = [
  ['RegExp', (p, f) => new RegExp(p, f)],
  ['re2js', (p, f) => RE2JS.compile(p, bits(f))],
  ['recflow (re2js)', (p, f) => compileRegex(p, f)],
  ...(RE2W ? [['re2-wasm', (p, f) => new RE2W(p, `u${f}`)]] : []),
];

/** ns per test, best of 3, and the number of matches. */
function time(re, fields) {
  let best = Infinity;
  let hits = 0;
  for (let run = 0; run < 3; run++) {
    hits = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0, k = 0; i < TESTS; i++, k = k + 1 === fields.length ? 0 : k + 1) if (re.test(fields[k])) hits++;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / TESTS);
  }
  return { ns: best, hits };
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ${TESTS.toLocaleString()} tests per cell over ${records.length.toLocaleString()} generated customers`);
console.log('\n| field =~ pattern | ' + ENGINES.map(([n]) => `${n} ns/test`).join(' | ') + ' | matches |');
console.log('|---|' + ENGINES.map(() => '---|').join('') + '---|');
for (const [field, p, f] of PATTERNS) {
  const fields = records.map((r) => r[field] ?? '');
  const cells = ENGINES.map(([, make]) => time(make(p, f), fields));
  const hits = new Set(cells.map((c) => c.hits));
  if (hits.size !== 1) throw new Error(`engines disagree on /${p}/${f}: ${cells.map((c) => c.hits).join(' / ')}`);
  const base = cells[0].ns;
  const shown = cells.map((c, i) => (i === 0 ? c.ns.toFixed(0) : `${c.ns.toFixed(0)} (${(c.ns / base).toFixed(1)}x)`));
  console.log(`| ${field} =~ /${p}/${f} | ${shown.join(' | ')} | ${cells[0].hits.toLocaleString()} |`);
}

// (a+)+$ on n a then !: RegExp grows exponentially (measured to 26, then extrapolated
// from the growth between 24 and 26); RE2 is linear
const measured = new Map(); // n → RegExp ms
console.log('\n| (a+)+$ on n × a then ! | ' + ENGINES.map(([n]) => `${n} ms`).join(' | ') + ' |');
console.log('|---|' + ENGINES.map(() => '---|').join(''));
for (const n of [16, 20, 22, 24, 26, 28, 30, 100_000]) {
  const text = 'a'.repeat(n) + '!';
  const cells = ENGINES.map(([name, make]) => {
    const native = name === 'RegExp';
    if (native && n > 26) {
      if (n > 1000) return 'never (exponential)';
      const perChar = Math.sqrt(measured.get(26) / measured.get(24));
      return `~${((measured.get(26) * perChar ** (n - 26)) / 1000).toFixed(0)} s (extrapolated, ${perChar.toFixed(2)}x per a)`;
    }
    const re = make('(a+)+$', '');
    const t0 = performance.now();
    if (re.test(text)) throw new Error('(a+)+$ matched');
    const ms = performance.now() - t0;
    if (native) measured.set(n, ms);
    return ms.toFixed(ms < 10 ? 2 : 0);
  });
  console.log(`| ${n.toLocaleString()} | ${cells.join(' | ')} |`);
}

// End to end: `recflow run` with a regex filter, this build and optionally another one,
// runs interleaved (neighbours' load hits both alike); CPU time from GNU time when present
if (E2E_ROWS > 0) {
  const data = generate(E2E_ROWS);
  const FILTERS = ['filter:expr=email =~ /@example\\.com$/i', 'filter:expr=first_name =~ /^[A-Z]/ and phone =~ /\\d{3}-\\d{4}/', 'filter:expr=country == "DE"'];
  const builds = [['this build', BIN], ...(BEFORE ? [['--before', BEFORE]] : [])];
  const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const once = (bin, stage) => {
    const cmd = [process.execPath, bin, 'run', data, '--stage', stage, '--to', '/dev/null', '-q'];
    const t0 = process.hrtime.bigint();
    const res = spawnSync(TIME ?? cmd[0], TIME ? ['-f', 'CPU %U %S', ...cmd] : cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.status !== 0) throw new Error(`recflow run --stage ${stage} exited ${res.status}: ${res.stderr}`);
    const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(res.stderr);
    return { rate: E2E_ROWS / wall, cpuUs: cpu ? ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / E2E_ROWS : NaN };
  };
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  console.log(`\n| recflow run, ${E2E_ROWS.toLocaleString()} customers, sequential runner, median of 5 | ` + builds.map(([n]) => `${n}: rec/s, CPU µs/record`).join(' | ') + ' |');
  console.log('|---|' + builds.map(() => '---|').join(''));
  for (const stage of FILTERS) {
    const runs = builds.map(() => []);
    for (let i = 0; i < 5; i++) builds.forEach(([, bin], b) => runs[b].push(once(bin, stage)));
    const cells = runs.map((r) => `${Math.round(median(r.map((x) => x.rate))).toLocaleString()}, ${median(r.map((x) => x.cpuUs)).toFixed(2)}`);
    console.log(`| \`${stage}\` | ${cells.join(' | ')} |`);
  }
}
