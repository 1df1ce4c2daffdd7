#!/usr/bin/env node
// `npm run bench`: throughput and peak memory of `recflow run` against the floor
// (`cat`) and Miller's plain conversion (`mlr --icsv --ojsonl cat`), on the same
// generated files (seeded, 2% invalid). Not part of `npm test`; needs a build
// (`npx tsc -p tsconfig.json`), and `mlr` + GNU `/usr/bin/time` for the full table.
//
//   node bench/run.mjs [--rows N] [--runs R] [--dir D] [--label TEXT] [--no-append]
//                      [--only csv,ndjson,gz] [--no-seq] [--baseline DIR] [--tokenizers]
//                      [--huge [GB]]
//
// --rows N        records per generated file (default 1,000,000)
// --runs R        timed runs of every command, interleaved (default 3); min and median reported
// --dir D         where data and outputs go (default $TMPDIR/recflow-perf-bench); files are reused
// --label TEXT    the name of this table in bench/RESULTS.md (e.g. "before", "after")
// --no-append     print the table only, do not touch bench/RESULTS.md
// --only LIST     cases to run: csv, ndjson, gz (default all)
// --no-seq        skip the forced single-thread run (RECFLOW_WORKERS=0)
// --baseline DIR  also time another built recflow tree (DIR/bin/recflow.js), e.g. a
//                 checkout of the commit before, in the same interleaved runs
// --tokenizers    also time csv-parse against recflow's CsvTokenizer (in process)
// --huge [GB]     memory test instead: a ~GB (default 5) customer CSV, once from disk and
//                 once piped from `recflow generate` into stdin; reports peak RSS
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, appendFileSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir, release, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'recflow.js');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

// ---------- options ----------
const argv = process.argv.slice(2);
const opt = { rows: 1_000_000, runs: 3, dir: join(tmpdir(), 'recflow-perf-bench'), label: '', append: true, only: ['csv', 'ndjson', 'gz'], seq: true, baseline: '', tokenizers: false, huge: 0, seed: '42' };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => {
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    return argv[++i];
  };
  if (a === '--rows') opt.rows = Number(next());
  else if (a === '--runs') opt.runs = Number(next());
  else if (a === '--dir') opt.dir = next();
  else if (a === '--label') opt.label = next();
  else if (a === '--no-append') opt.append = false;
  else if (a === '--only') opt.only = next().split(',');
  else if (a === '--no-seq') opt.seq = false;
  else if (a === '--baseline') opt.baseline = next();
  else if (a === '--tokenizers') opt.tokenizers = true;
  else if (a === '--seed') opt.seed = next();
  else if (a === '--huge') opt.huge = argv[i + 1] && /^\d+(\.\d+)?$/.test(argv[i + 1]) ? Number(argv[++i]) : 5;
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown option ${a}`);
}
if (!(opt.rows > 0) || !(opt.runs > 0)) usage('--rows and --runs must be positive numbers');

function usage(msg) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(6, 22).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
  process.stderr.write((msg ? `bench: ${msg}\n` : '') + text + '\n');
  process.exit(msg ? 2 : 0);
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('bench: no build; run `npx tsc -p tsconfig.json` first');
  process.exit(2);
}
mkdirSync(opt.dir, { recursive: true });
const log = (m) => process.stderr.write(`bench: ${m}\n`);
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAVE_TIME = existsSync('/usr/bin/time');
const HAVE_MLR = have('mlr');

// ---------- data ----------
/** `recflow generate` when the CLI has it, else the generator module from dist/. */
function generatorCommand(kind, count, format, out) {
  const help = spawnSync(process.execPath, [BIN, 'generate', '--help'], { encoding: 'utf8' });
  if (help.status === 0 && help.stdout.includes('--count')) {
    return [process.execPath, [BIN, 'generate', kind === 'customer' ? 'customers' : 'inventory', '--count', String(count), '--seed', opt.seed, '--invalid-share', '0.02', '--format', format, '--out', out, '--quiet']];
  }
  const script = `import('${join(ROOT, 'dist', 'generate', 'index.js')}').then(m => m.generate({ kind: '${kind}', count: ${count}, seed: '${opt.seed}', invalidShare: 0.02, format: '${format}', out: process.argv[1] }))`;
  return [process.execPath, ['--input-type=module', '-e', script, out]];
}

function generateFile(kind, count, format, out) {
  const stamp = `${out}.stamp`;
  const want = `${kind} ${count} ${format} seed=${opt.seed}`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log(`generating ${out} (${count.toLocaleString('en-US')} ${kind} records)`);
  const [cmd, args] = generatorCommand(kind, count, format, out);
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`generating ${out} failed`);
  writeFileSync(stamp, want);
}

// ---------- timing ----------
/** Run a command once; wall/user/sys seconds and peak RSS (KB) of the biggest process. */
async function measure(c) {
  const timeFile = join(opt.dir, '.time');
  const out = c.stdout ? openSync(c.stdout, 'w') : openSync('/dev/null', 'w');
  const env = { ...process.env, ...(c.env ?? {}) };
  const started = process.hrtime.bigint();
  let peakSampled = 0;
  const child = HAVE_TIME
    ? spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'sh', '-c', c.shell], { stdio: ['ignore', out, 'pipe'], env })
    : spawn('sh', ['-c', c.shell], { stdio: ['ignore', out, 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // without GNU time: sample VmHWM of the process tree every 100 ms
  const sampler = HAVE_TIME ? null : setInterval(() => (peakSampled = Math.max(peakSampled, treeHwm(child.pid))), 100);
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (sampler) clearInterval(sampler);
  closeSync(out);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) {
    log(`${c.shell} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return { wall, user: NaN, sys: NaN, rssKb: NaN, failed: code };
  }
  if (HAVE_TIME) {
    const [e, u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { wall, user: u, sys: s, rssKb: m };
  }
  return { wall, user: NaN, sys: NaN, rssKb: peakSampled };
}

function treeHwm(pid) {
  let peak = 0;
  const walk = (p) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+)/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]));
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) walk(t);
    } catch {}
  };
  walk(pid);
  return peak;
}

const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
const recflow = (args) => `${q(process.execPath)} ${q(BIN)} ${args}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtHour = (perSec) => {
  const h = perSec * 3600;
  return h >= 1e9 ? `${(h / 1e9).toFixed(2)} G` : `${(h / 1e6).toFixed(0)} M`;
};

// ---------- the cases ----------
function cases(rows) {
  const d = opt.dir;
  const f = {
    ccsv: join(d, 'customers.csv'),
    icsv: join(d, 'inventory.csv'),
    cjson: join(d, 'customers.ndjson'),
    ijson: join(d, 'inventory.ndjson'),
    cgz: join(d, 'customers.csv.gz'),
  };
  const dlq = join(d, 'dlq.ndjson');
  const summary = join(d, 'summary.json');
  const list = [];
  const add = (group, name, shell, extra = {}) => list.push({ group, name, shell, rows, ...extra });
  const rf = (input, to = '') => recflow(`run ${q(input)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}${to}`);
  const before = (input, to = '') => `${q(process.execPath)} ${q(join(opt.baseline, 'bin', 'recflow.js'))} run ${q(input)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}${to}`;
  const seq = { RECFLOW_WORKERS: '0' };
  for (const [label, csv, json] of [
    ['customers', f.ccsv, f.cjson],
    ['inventory', f.icsv, f.ijson],
  ]) {
    for (const [only, name, file, mlrIn] of [
      ['csv', 'CSV', csv, '--icsv'],
      ['ndjson', 'NDJSON', json, '--ijsonl'],
    ]) {
      if (!opt.only.includes(only)) continue;
      const input = `${label} ${name} → NDJSON`;
      add(input, 'cat (floor)', `cat ${q(file)}`);
      if (HAVE_MLR) add(input, 'miller', `mlr ${mlrIn} --ojsonl cat ${q(file)}`, { miller: true });
      if (opt.baseline) add(input, 'recflow before', before(file), { recflow: true });
      if (opt.seq) add(input, 'recflow, 1 thread', rf(file), { env: seq, recflow: true });
      add(input, 'recflow', rf(file), { recflow: true });
    }
  }
  if (opt.only.includes('gz')) {
    const g = 'customers CSV.gz → NDJSON.gz';
    const outGz = join(d, 'out.ndjson.gz');
    add(g, 'zcat (floor)', `zcat ${q(f.cgz)}`);
    if (HAVE_MLR) add(g, 'miller | gzip -6', `mlr --gzin --icsv --ojsonl cat ${q(f.cgz)} | gzip -6`, { miller: true });
    if (opt.baseline) add(g, 'recflow before', before(f.cgz, ` --to ${q(outGz)}`), { recflow: true });
    if (opt.seq) add(g, 'recflow, 1 thread', rf(f.cgz, ` --to ${q(outGz)}`), { env: seq, recflow: true });
    add(g, 'recflow', rf(f.cgz, ` --to ${q(outGz)}`), { recflow: true });
  }
  return { files: f, list, summary };
}

async function prepare(rows, files) {
  generateFile('customer', rows, 'csv', files.ccsv);
  generateFile('inventory', rows, 'csv', files.icsv);
  if (opt.only.includes('ndjson')) {
    generateFile('customer', rows, 'ndjson', files.cjson);
    generateFile('inventory', rows, 'ndjson', files.ijson);
  }
  if (opt.only.includes('gz')) {
    const stamp = `${files.cgz}.stamp`;
    const want = `gzip -6 of customers.csv ${statSync(files.ccsv).mtimeMs}`;
    if (!existsSync(files.cgz) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
      log(`compressing ${files.cgz}`);
      spawnSync('sh', ['-c', `gzip -6 -c ${q(files.ccsv)} > ${q(files.cgz)}`], { stdio: 'inherit' });
      writeFileSync(stamp, want);
    }
  }
}

function machine() {
  const mlr = HAVE_MLR ? spawnSync('mlr', ['--version'], { encoding: 'utf8' }).stdout.trim() : 'not installed';
  const c = cpus();
  return `${c.length} cores (${c[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${platform()} ${release()}, Node ${process.version}, ${mlr}`;
}

async function mainBench() {
  const loadBefore = loadavg().map((x) => x.toFixed(1)).join(' ');
  const { files, list, summary } = cases(opt.rows);
  await prepare(opt.rows, files);
  const results = list.map(() => []);
  const counts = new Map();
  for (let r = 0; r < opt.runs; r++) {
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      const m = await measure(c);
      results[i].push(m);
      if (c.recflow && !m.failed) {
        const s = JSON.parse(readFileSync(summary, 'utf8'));
        counts.set(i, s.records);
      }
      log(`run ${r + 1}/${opt.runs} ${c.group} / ${c.name}: ${m.failed ? `failed (exit ${m.failed})` : `${m.wall.toFixed(2)} s, ${(m.rssKb / 1024).toFixed(0)} MB`}`);
    }
  }
  // table
  const lines = [];
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  lines.push(`### ${opt.label ? opt.label + ' — ' : ''}${date}`);
  lines.push('');
  lines.push(`Machine: ${machine()}. Load average before / after: ${loadBefore} / ${loadavg().map((x) => x.toFixed(1)).join(' ')} (a shared machine: other work ran at the same time).`);
  lines.push(`Run: \`node bench/run.mjs ${process.argv.slice(2).join(' ')}\`.`);
  lines.push(`Data: ${fmtInt(opt.rows)} records per file, \`recflow generate\` seed ${opt.seed}, 2% invalid. ${opt.runs} runs per command, interleaved; records/s from the median wall time; peak RSS is the largest of the runs (GNU time, max RSS of the biggest process).`);
  lines.push('');
  lines.push('| input | command | min s | median s | records/s | records/hour | vs Miller | peak RSS MB | records in / out / rejected |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
  const millerRate = new Map();
  list.forEach((c, i) => {
    if (c.miller && !results[i].some((m) => m.failed)) millerRate.set(c.group, c.rows / median(results[i].map((m) => m.wall)));
  });
  list.forEach((c, i) => {
    const failed = results[i].find((m) => m.failed);
    if (failed) {
      lines.push(`| ${c.group} | ${c.name.replaceAll('|', '\\|')} | | | failed (exit ${failed.failed}) | | | | |`);
      return;
    }
    const walls = results[i].map((m) => m.wall);
    const med = median(walls);
    const rate = c.rows / med;
    const mr = millerRate.get(c.group);
    const ratio = c.miller ? '1.00x' : c.recflow && mr ? `${(rate / mr).toFixed(2)}x` : '';
    const rss = Math.max(...results[i].map((m) => m.rssKb)) / 1024;
    const n = counts.get(i);
    const recs = n ? `${fmtInt(n.in)} / ${fmtInt(n.out)} / ${fmtInt(n.rejected)}` : '';
    lines.push(`| ${c.group} | ${c.name.replaceAll('|', '\\|')} | ${Math.min(...walls).toFixed(2)} | ${med.toFixed(2)} | ${fmtInt(rate)} | ${fmtHour(rate)} | ${ratio} | ${rss.toFixed(0)} | ${recs} |`);
  });
  lines.push('');
  lines.push('Commands (stdout to /dev/null unless `--to` is given; `RECFLOW_WORKERS=0` forces the single-thread runner):');
  lines.push('');
  lines.push('```');
  const seen = new Set();
  for (const c of list) {
    const env = c.env ? Object.entries(c.env).map(([k, v]) => `${k}=${v} `).join('') : '';
    const text = (env + c.shell)
      .replaceAll(`'${process.execPath}' '${BIN}'`, 'recflow')
      .replaceAll(`'${process.execPath}' '${join(opt.baseline || '/nonexistent', 'bin', 'recflow.js')}'`, 'recflow-before')
      .replaceAll(`'${opt.dir}/`, "'$DIR/");
    if (!seen.has(text)) lines.push(text);
    seen.add(text);
  }
  lines.push('```');
  lines.push('');
  return lines.join('\n');
}

// ---------- csv-parse vs CsvTokenizer (in process) ----------
async function tokenizerBench() {
  const { CsvTokenizer } = await import(join(ROOT, 'dist', 'sources', 'csv.js'));
  const { parse } = await import('csv-parse');
  const lines = ['', `csv-parse ${JSON.parse(readFileSync(join(ROOT, 'node_modules', 'csv-parse', 'package.json'), 'utf8')).version} against recflow's CsvTokenizer, in process: the file decoded in 1 MB chunks fed to each; rows counted only (no records built). Best of ${Math.max(3, opt.runs)}.`, '', '| file | tokenizer | rows | best s | rows/s |', '|---|---|---:|---:|---:|'];
  for (const name of ['customers.csv', 'inventory.csv']) {
    const path = join(opt.dir, name);
    if (!existsSync(path)) continue;
    const buf = readFileSync(path);
    const dec = new StringDecoder('utf8');
    const chunks = [];
    for (let i = 0; i < buf.length; i += 1 << 20) chunks.push(dec.write(buf.subarray(i, i + (1 << 20))));
    chunks.push(dec.end());
    const runners = {
      'CsvTokenizer (recflow)': () => {
        let n = 0;
        const tok = new CsvTokenizer({ row() { n++; }, bad() { n++; } });
        for (const c of chunks) tok.push(c);
        tok.end();
        return n;
      },
      'csv-parse (stream API)': () =>
        new Promise((resolve, reject) => {
          let n = 0;
          const p = parse({ relax_column_count: true, relax_quotes: true, skip_empty_lines: true });
          p.on('data', () => n++);
          p.on('error', reject);
          p.on('end', () => resolve(n));
          for (const c of chunks) p.write(c);
          p.end();
        }),
    };
    for (const [label, fn] of Object.entries(runners)) {
      let best = Infinity;
      let rows = 0;
      for (let r = 0; r < Math.max(3, opt.runs); r++) {
        const t0 = performance.now();
        rows = await fn();
        best = Math.min(best, (performance.now() - t0) / 1000);
      }
      lines.push(`| ${name} | ${label} | ${fmtInt(rows)} | ${best.toFixed(2)} | ${fmtInt(rows / best)} |`);
      log(`${name} ${label}: ${best.toFixed(2)} s`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

// ---------- --huge: peak RSS on a multi-GB input ----------
async function hugeBench() {
  const bytesPerRow = 98; // generated customer CSV rows average ~98 bytes
  const rows = Math.round((opt.huge * 1e9) / bytesPerRow);
  const path = join(opt.dir, `customers-${opt.huge}GB.csv`);
  const free = spawnSync('df', ['-B1', '--output=avail', opt.dir], { encoding: 'utf8' }).stdout.split('\n')[1];
  const onDisk = Number(free) > opt.huge * 1e9 * 1.3;
  const lines = ['', `### memory test (--huge ${opt.huge}) — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Machine: ${machine()}. Run: \`node bench/run.mjs ${process.argv.slice(2).join(' ')}\`.`, '', '| input | command | records in | wall s | records/s | peak RSS MB |', '|---|---|---:|---:|---:|---:|'];
  const summary = join(opt.dir, 'summary-huge.json');
  const cmds = [];
  if (onDisk) {
    generateFile('customer', rows, 'csv', path);
    const size = statSync(path).size;
    cmds.push({ label: `${(size / 1e9).toFixed(2)} GB CSV file`, shell: recflow(`run ${q(path)} --quiet --dlq /dev/null --summary-json ${q(summary)}`) });
  } else {
    log(`not enough disk space for a ${opt.huge} GB file in ${opt.dir}; stdin only`);
  }
  const [gcmd, gargs] = generatorCommand('customer', rows, 'csv', '-');
  cmds.push({
    label: `~${opt.huge} GB CSV piped from generate into stdin`,
    shell: `${[gcmd, ...gargs].map(q).join(' ')} | ${recflow(`run - --format csv --quiet --dlq /dev/null --summary-json ${q(summary)}`)}`,
  });
  for (const c of cmds) {
    log(`huge: ${c.label}`);
    const m = await measure({ shell: c.shell });
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    lines.push(`| ${c.label} | recflow run | ${fmtInt(s.records.in)} | ${m.wall.toFixed(1)} | ${fmtInt(s.records.in / m.wall)} | ${(m.rssKb / 1024).toFixed(0)} (recflow's own figure: ${(s.peakRssBytes / 2 ** 20).toFixed(0)}) |`);
  }
  lines.push('', 'Peak RSS from GNU time (max of the processes in the pipe: for the stdin run that is recflow or the generator, whichever is larger); the summary JSON figure is recflow\'s own sample.', '');
  if (onDisk && !process.env.BENCH_KEEP_HUGE) {
    rmSync(path, { force: true });
    rmSync(`${path}.stamp`, { force: true });
  }
  return lines.join('\n');
}

// ---------- main ----------
let text = '';
if (opt.huge > 0) text = await hugeBench();
else {
  text = await mainBench();
  if (opt.tokenizers) text += await tokenizerBench();
}
process.stdout.write(text + '\n');
if (opt.append) {
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# recflow benchmarks\n\nSee the header of bench/run.mjs for how to run.\n\n');
  appendFileSync(RESULTS, text + '\n');
  log(`appended to ${RESULTS}`);
}
