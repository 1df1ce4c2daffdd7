// The ndjson package's parser against the ways recflow reads NDJSON, on one file, interleaved.
// Usage: node bench/ndjson.mjs [file] (default bench/data/c1m.ndjson, from `recflow generate customers --format ndjson`)
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ndjson from 'ndjson';

const file = process.argv[2] ?? 'bench/data/c1m.ndjson';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function viaNdjson() {
  let n = 0;
  await new Promise((resolve, reject) => createReadStream(file).pipe(ndjson.parse()).on('data', () => n++).on('end', resolve).on('error', reject));
  return n;
}
async function viaReadline() {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line) { JSON.parse(line); n++; }
  return n;
}
async function viaChunks() {
  // what recflow's file source does: big chunks, split on '\n', JSON.parse per line
  let n = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + chunk;
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      if (i > start) { JSON.parse(text.slice(start, i)); n++; }
      start = i + 1;
    }
    rest = text.slice(start);
  }
  return n;
}
readFileSync(file); // warm the page cache
const cases = { 'ndjson.parse': viaNdjson, 'readline + JSON.parse': viaReadline, 'chunks + JSON.parse': viaChunks };
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < 3; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const c0 = cpu(), t0 = performance.now();
    const n = await fn();
    times[name].push({ s: (performance.now() - t0) / 1000, cpu: cpu() - c0, n });
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[1];
const base = median(times['chunks + JSON.parse'].map((t) => t.s));
for (const [name, ts] of Object.entries(times)) {
  const s = median(ts.map((t) => t.s));
  console.log(`${name.padEnd(24)} ${ts[0].n} lines  median ${s.toFixed(2)} s  cpu ${median(ts.map((t) => t.cpu)).toFixed(2)} s  ${(s / base).toFixed(2)}x`);
}
