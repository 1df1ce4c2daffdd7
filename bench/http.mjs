#!/usr/bin/env node
// Records/s through the HTTP sink to a local `recflow serve` on loopback.
//   node bench/http.mjs [--count 200000] [--runs 3] [--input FILE] [--json] [-- <extra run flags, e.g. --gzip --batch-records 2000>]
// Two figures: end to end (`recflow run file --to http://...`, contract checks
// included) and sink only (prebuilt records straight into the HttpSink).
// --input FILE: send that file end to end instead of 200k generated NDJSON customers
// (records counted from the run's summary). --json: one JSON line of results only.
// Build first: npx tsc -p tsconfig.json
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServe as serveOn } from './lib/serve.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// RECFLOW_BIN: another build to bench (its own dist/ is used for the sink-only figure too).
const BIN = resolve(process.env.RECFLOW_BIN ?? join(ROOT, 'bin', 'recflow.js'));
const DIST = join(dirname(BIN), '..', 'dist');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const runFlags = dash < 0 ? [] : argv.slice(dash + 1);
const flag = (name, dflt) => (own.includes(name) ? Number(own[own.indexOf(name) + 1]) : dflt);
const COUNT = flag('--count', 200_000);
const RUNS = flag('--runs', 3);
const INPUT = own.includes('--input') ? own[own.indexOf('--input') + 1] : '';
const JSON_ONLY = own.includes('--json');

const dir = mkdtempSync(join(tmpdir(), 'recflow-bench-http-'));
const input = INPUT || join(dir, 'customers.ndjson');
const startServe = () => serveOn(BIN, join(dir, 'received.ndjson'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function endToEnd(url) {
  const summary = join(dir, 'summary.json');
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [BIN, 'run', input, '--to', `${url}/ingest`, '--quiet', '--dlq', join(dir, 'dlq.ndjson'), '--summary-json', summary, ...runFlags], { stdio: ['ignore', 'ignore', JSON_ONLY ? 'pipe' : 'inherit'] });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { secs, rate: JSON.parse(readFileSync(summary, 'utf8')).records.in / secs };
}

async function sinkOnly(url) {
  const { createHttpSink } = await import(pathToFileURL(join(DIST, 'sinks', 'http', 'index.js')).href);
  const origin = `file:bench:${Date.now()}`;
  const recs = Array.from({ length: COUNT }, (_, i) => {
    const value = { kind: 'customer', customer_id: `C${i}`, first_name: 'Ann', last_name: 'Lee', email: `c${i}@example.com`, country: 'DE', lifetime_value: 12.5, loyalty_tier: 'gold' };
    return { value, raw: value, source: 'bench', line: i + 1, origin, pos: i + 1, kind: 'customer' };
  });
  const opts = {};
  for (let i = 0; i < runFlags.length; i++) {
    const m = /^--(.+)$/.exec(runFlags[i]);
    if (!m) continue;
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const next = runFlags[i + 1];
    if (next === undefined || next.startsWith('--')) opts[key] = true;
    else opts[key] = runFlags[++i];
  }
  const sink = await createHttpSink(`${url}/ingest`, { opts, env: process.env, log: () => {}, debug: false });
  const t0 = process.hrtime.bigint();
  const pending = [];
  for (let i = 0; i < recs.length; i += 2000) {
    const part = recs.slice(i, i + 2000);
    // a build with one sink interface takes a SinkBatch (it declares `encoded`); older ones an array
    pending.push(sink.write('encoded' in sink ? { records: part, streaming: false } : part));
    if (pending.length >= sink.maxInFlight) await pending.shift();
  }
  await Promise.all(pending);
  await sink.close();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { secs, rate: COUNT / secs };
}

if (!INPUT) try {
  execFileSync(process.execPath, [BIN, 'generate', 'customers', '--count', String(COUNT), '--seed', '1', '--format', 'ndjson', '--out', input, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
} catch {
  // Older generate without --out: take stdout.
  writeFileSync(input, execFileSync(process.execPath, [BIN, 'generate', 'customers', '--count', String(COUNT), '--seed', '1', '--format', 'ndjson'], { maxBuffer: 1 << 30 }));
}
const bytes = statSync(input).size;
const say = JSON_ONLY ? () => {} : (line) => console.log(line);
const results = { bench: 'http', input: INPUT || `${COUNT} generated NDJSON customers`, runFlags };
say(`recflow HTTP bench: ${INPUT ? INPUT : `${COUNT} customer records`} (${(bytes / 1e6).toFixed(1)} MB), ${RUNS} runs each, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
say(`run flags: ${runFlags.join(' ') || '(defaults)'}`);
for (const [key, name, fn] of [['endToEnd', 'end to end (run file --to http)', endToEnd], ['sinkOnly', 'sink only (records -> HttpSink)', sinkOnly]]) {
  const rates = [];
  for (let i = 0; i < RUNS; i++) {
    const serve = await startServe(); // fresh receiver: every run's keys are new to it
    try {
      rates.push((await fn(serve.url)).rate);
    } finally {
      await serve.stop();
    }
  }
  results[key] = { median: Math.round(median(rates)), runs: rates.map(Math.round) };
  say(`${name.padEnd(34)} median ${Math.round(median(rates)).toLocaleString('en-US')} records/s  (runs: ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')})`);
}
if (JSON_ONLY) console.log(JSON.stringify(results));
rmSync(dir, { recursive: true, force: true });
