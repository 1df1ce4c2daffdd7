// HTTP to `recflow serve` on loopback: `recflow run FILE --to http://…/ingest` per build and
// round (a fresh receiver of the same build each run: it remembers idempotency keys), then
// bench/http.mjs once per build (200k NDJSON end to end, and the HTTP sink alone in process).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, measure, q } from './measure.mjs';
import { startServe } from './serve.mjs';

export async function httpCases({ root, builds, input, runs, dir, withScript }) {
  const runsBy = new Map(builds.map((b) => [b.key, []]));
  const summary = join(dir, 'http-summary.json');
  const dlq = join(dir, 'http-dlq.ndjson');
  for (let r = 0; r < runs; r++) {
    for (const b of r % 2 ? [...builds].reverse() : builds) {
      const serve = await startServe(b.bin, join(dir, 'http-received.ndjson'));
      try {
        const m = await measure({ shell: b.cmd(`run ${q(input)} --to ${q(`${serve.url}/ingest`)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}`) }, dir);
        if (!m.failed) m.records = JSON.parse(readFileSync(summary, 'utf8')).records;
        runsBy.get(b.key).push(m);
        log(`http round ${r + 1}/${runs} ${b.label}: ${m.failed ? `failed (exit ${m.failed})` : `${m.wall.toFixed(2)} s`}`);
      } finally {
        await serve.stop();
      }
    }
  }
  const script = new Map();
  if (withScript) {
    for (const b of builds) {
      try {
        const out = execFileSync(process.execPath, [join(root, 'bench', 'http.mjs'), '--runs', String(runs), '--json'], { env: { ...process.env, RECFLOW_BIN: b.bin }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        script.set(b.key, JSON.parse(out.trim().split('\n').pop()));
      } catch (err) {
        log(`bench/http.mjs with ${b.label} failed: ${String(err.stderr ?? err.message).trim().split('\n').pop()}`);
      }
    }
  }
  return {
    rows: builds.map((b) => ({ build: b, runs: runsBy.get(b.key), command: b.cmd(`run FILE --to http://127.0.0.1:PORT/ingest --quiet --dlq dlq.ndjson`) })),
    script,
  };
}

/** bench/kafka.mjs (in process: recflow's sink and source, plain kafkajs beside) once per build. */
export function kafkaScript({ root, builds, records, partitions }) {
  const out = new Map();
  for (const b of builds) {
    try {
      const text = execFileSync(process.execPath, [join(root, 'bench', 'kafka.mjs'), '--records', String(records), '--partitions', String(partitions), '--json'], { env: { ...process.env, RECFLOW_BIN: b.bin }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      out.set(b.key, JSON.parse(text.trim().split('\n').pop()));
    } catch (err) {
      log(`bench/kafka.mjs with ${b.label} failed: ${String(err.stderr ?? err.message).trim().split('\n').pop()}`);
    }
  }
  return out;
}
