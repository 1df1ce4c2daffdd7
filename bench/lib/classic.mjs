// The earlier sessions' cases (`--only csv,ndjson,gz`): generated customers and inventory
// as CSV and NDJSON, and customers.csv.gz in and out, against the floor (`cat`) and
// Miller; `--tokenizers` (csv-parse against CsvTokenizer in process) and `--huge [GB]`
// (peak RSS on a multi-GB CSV, with the contract alone and with the 5 stages).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { countryReference, fiveStages, generated } from './data.mjs';
import { fmtInt, have, log, machine, measure, q } from './measure.mjs';

/** Cases for the groups in `only` (csv, ndjson, gz); data made with build A. */
export function classicCases({ builds, rows, seed, dir, only, seq }) {
  const f = {
    ccsv: join(dir, 'customers.csv'),
    icsv: join(dir, 'inventory.csv'),
    cjson: join(dir, 'customers.ndjson'),
    ijson: join(dir, 'inventory.ndjson'),
    cgz: join(dir, 'customers.csv.gz'),
  };
  const a = builds[0];
  generated(a, 'customers', rows, seed, 'csv', f.ccsv);
  generated(a, 'inventory', rows, seed, 'csv', f.icsv);
  if (only.includes('ndjson')) {
    generated(a, 'customers', rows, seed, 'ndjson', f.cjson);
    generated(a, 'inventory', rows, seed, 'ndjson', f.ijson);
  }
  if (only.includes('gz')) gzipOnce(f.ccsv, f.cgz);
  const dlq = join(dir, 'dlq.ndjson');
  const summary = join(dir, 'summary.json');
  const list = [];
  const mlr = have('mlr');
  const rf = (b, input, to = '') => b.cmd(`run ${q(input)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}${to}`);
  const recflows = (group, input, to) => {
    for (const b of builds) list.push({ group, name: 'recflow run', build: b, summary, shell: rf(b, input, to) });
    if (seq) list.push({ group, name: 'recflow run, RECFLOW_WORKERS=0', build: a, summary, env: { RECFLOW_WORKERS: '0' }, shell: rf(a, input, to) });
  };
  for (const [label, csv, json] of [['customers', f.ccsv, f.cjson], ['inventory', f.icsv, f.ijson]]) {
    for (const [key, name, file, mlrIn] of [['csv', 'CSV', csv, '--icsv'], ['ndjson', 'NDJSON', json, '--ijsonl']]) {
      if (!only.includes(key)) continue;
      const group = `${label} ${name} → NDJSON`;
      list.push({ group, name: 'cat (floor)', anchor: 'floor', shell: `cat ${q(file)}` });
      if (mlr) list.push({ group, name: 'miller', anchor: 'miller', shell: `mlr ${mlrIn} --ojsonl cat ${q(file)}` });
      recflows(group, file, '');
    }
  }
  if (only.includes('gz')) {
    const group = 'customers CSV.gz → NDJSON.gz';
    list.push({ group, name: 'zcat (floor)', anchor: 'floor', shell: `zcat ${q(f.cgz)}` });
    if (mlr) list.push({ group, name: 'miller | gzip -6', anchor: 'miller', shell: `mlr --gzin --icsv --ojsonl cat ${q(f.cgz)} | gzip -6` });
    recflows(group, f.cgz, ` --to ${q(join(dir, 'out.ndjson.gz'))}`);
  }
  return { list, rowsOf: () => rows };
}

function gzipOnce(csv, gz) {
  const want = `gzip -6 of ${csv} ${statSync(csv).mtimeMs}`;
  if (existsSync(gz) && existsSync(`${gz}.stamp`) && readFileSync(`${gz}.stamp`, 'utf8') === want) return;
  log(`compressing ${gz}`);
  spawnSync('sh', ['-c', `gzip -6 -c ${q(csv)} > ${q(gz)}`], { stdio: 'inherit' });
  writeFileSync(`${gz}.stamp`, want);
}

/** csv-parse against recflow's CsvTokenizer (build A), in process, on the classic CSVs. */
export async function tokenizerBench({ root, builds, dir, runs }) {
  const { CsvTokenizer } = await import(pathToFileURL(join(builds[0].tree, 'dist', 'sources', 'csv.js')).href);
  const { parse } = await import('csv-parse');
  const version = JSON.parse(readFileSync(join(root, 'node_modules', 'csv-parse', 'package.json'), 'utf8')).version;
  const lines = ['', `csv-parse ${version} against recflow's CsvTokenizer, in process: the file decoded in 1 MB chunks fed to each; rows counted only (no records built). Best of ${Math.max(3, runs)}.`, '', '| file | tokenizer | rows | best s | rows/s |', '|---|---|---:|---:|---:|'];
  for (const name of ['customers.csv', 'inventory.csv']) {
    const path = join(dir, name);
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
      for (let r = 0; r < Math.max(3, runs); r++) {
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

/** --huge [GB]: peak RSS of build A on a ~GB customer CSV, from disk and piped into stdin. */
export async function hugeBench({ builds, dir, seed, gb, argv }) {
  const a = builds[0];
  const rows = Math.round((gb * 1e9) / 98); // generated customer CSV rows average ~98 bytes
  const path = join(dir, `customers-${gb}GB.csv`);
  const free = spawnSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).stdout.split('\n')[1];
  const onDisk = Number(free) > gb * 1e9 * 1.3;
  const lines = ['', `### memory test (--huge ${gb}) — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Machine: ${machine()}. Run: \`node bench/run.mjs ${argv.join(' ')}\`.`, '', '| input | command | records in | wall s | records/s | peak RSS MB |', '|---|---|---:|---:|---:|---:|'];
  const summary = join(dir, 'summary-huge.json');
  const cmds = [];
  if (onDisk) {
    generated(a, 'customers', rows, seed, 'csv', path);
    cmds.push({ label: `${(statSync(path).size / 1e9).toFixed(2)} GB CSV file`, shell: a.cmd(`run ${q(path)} --quiet --dlq /dev/null --summary-json ${q(summary)}`) });
    // issue 14: the 5-stage pipeline must stay under 200 MB on such a file too
    const stages = fiveStages(countryReference(dir)).map((st) => ` --stage ${q(st)}`).join('');
    cmds.push({ label: `${(statSync(path).size / 1e9).toFixed(2)} GB CSV file, the 5 stages`, shell: a.cmd(`run ${q(path)} --quiet --dlq /dev/null --summary-json ${q(summary)}${stages}`) });
  } else {
    log(`not enough disk space for a ${gb} GB file in ${dir}; stdin only`);
  }
  const gen = a.cmd(`generate customers --count ${rows} --seed ${q(seed)} --invalid-share 0.02 --format csv --quiet`);
  cmds.push({ label: `~${gb} GB CSV piped from generate into stdin`, shell: `${gen} | ${a.cmd(`run - --format csv --quiet --dlq /dev/null --summary-json ${q(summary)}`)}` });
  for (const c of cmds) {
    log(`huge: ${c.label}`);
    const m = await measure({ shell: c.shell }, dir);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    lines.push(`| ${c.label} | recflow run | ${fmtInt(s.records.in)} | ${m.wall.toFixed(1)} | ${fmtInt(s.records.in / m.wall)} | ${(m.rssKb / 1024).toFixed(0)} (recflow's own figure: ${(s.peakRssBytes / 2 ** 20).toFixed(0)}) |`);
  }
  lines.push('', "Peak RSS from GNU time (max of the processes in the pipe: for the stdin run that is recflow or the generator, whichever is larger); the summary JSON figure is recflow's own sample.", '');
  if (onDisk && !process.env.BENCH_KEEP_HUGE) {
    rmSync(path, { force: true });
    rmSync(`${path}.stamp`, { force: true });
  }
  return lines.join('\n');
}
