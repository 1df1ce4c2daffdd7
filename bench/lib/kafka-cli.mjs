// `recflow run` into and out of Kafka on the mock cluster: file → Kafka, then Kafka → file
// from that topic with a new consumer group, per build and round (interleaved).
// Consume rates count what the topic holds (kcat), not what was produced, and leave out
// the time to the group join, which is reported apart: the join is the moment the
// "kafka: joined group" log line is stamped (--log-format json), measured from the spawn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTopic, haveKcat, startBroker } from './kafka-broker.mjs';
import { log, measure, q } from './measure.mjs';

/**
 * @returns {Promise<{rows: object[], notes: string[]}>} rows: one per build and direction,
 *   with the per-round measurements in `runs`.
 */
export async function kafkaCases({ root, builds, input, records, partitions, runs, dir }) {
  const notes = [];
  if (!haveKcat()) notes.push('kcat not installed: topic contents not counted (consume rates assume every produced record is held)');
  let broker;
  try {
    broker = await startBroker(root);
  } catch (err) {
    return { rows: [], notes: [`Kafka skipped: no broker (${err.message.split('\n')[0]}); needs gcc and librdkafka-dev, or RECFLOW_TEST_KAFKA`] };
  }
  const produce = new Map(builds.map((b) => [b.key, []]));
  const consume = new Map(builds.map((b) => [b.key, []]));
  const summary = join(dir, 'kafka-summary.json');
  const dlq = join(dir, 'kafka-dlq.ndjson');
  const out = join(dir, 'kafka-out.ndjson');
  try {
    for (let r = 0; r < runs; r++) {
      for (const b of r % 2 ? [...builds].reverse() : builds) {
        const topic = `bench-${b.key}-${r}-${Date.now().toString(36)}`;
        await broker.createTopic(topic, partitions);
        const url = `kafka://${broker.bootstrap}/${topic}`;
        const p = await measure({ shell: b.cmd(`run ${q(input)} --to ${q(url)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}`) }, dir);
        const written = p.failed ? NaN : JSON.parse(readFileSync(summary, 'utf8')).records.out;
        const held = countTopic(broker.bootstrap, topic);
        produce.get(b.key).push({ ...p, records: written, held });
        if (held < written) notes.push(`${topic}: the topic holds ${held} of ${written} records written (mock cluster retention); consume rates count what it holds`);
        const c = await consumeOnce(b, url, `g-${topic}`, { dir, summary, dlq, out });
        consume.get(b.key).push(c);
        if (!c.failed && Number.isFinite(held) && c.records !== held) notes.push(`${topic}: Kafka → file read ${c.records}, the topic holds ${held}`);
        log(`kafka round ${r + 1}/${runs} ${b.label}: file → Kafka ${fmt(written / p.wall)} rec/s, Kafka → file ${fmt(c.records / c.afterJoin)} rec/s after a ${c.join.toFixed(2)} s join`);
      }
    }
  } finally {
    await broker.stop();
  }
  const rows = [];
  for (const b of builds) {
    rows.push({ build: b, kind: 'produce', runs: produce.get(b.key), command: b.cmd(`run short.ndjson --to kafka://BROKER/TOPIC --quiet --dlq dlq.ndjson`) });
    rows.push({ build: b, kind: 'consume', runs: consume.get(b.key), command: b.cmd(`run kafka://BROKER/TOPIC --group NEW --until caught-up --to out.ndjson --log-format json --dlq dlq.ndjson`) });
  }
  return { rows, notes };
}

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');

async function consumeOnce(b, url, group, { dir, summary, dlq, out }) {
  const t0 = Date.now();
  const shell = b.cmd(`run ${q(url)} --group ${q(group)} --until caught-up --to ${q(out)} --log-format json --progress-interval 3600 --dlq ${q(dlq)} --summary-json ${q(summary)}`);
  const m = await measure({ shell }, dir);
  if (m.failed) return { ...m, records: NaN, join: NaN, afterJoin: NaN };
  const joined = m.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((e) => /^kafka: joined group/.test(e.message ?? ''));
  const join = joined ? (Date.parse(joined.time) - t0) / 1000 : NaN;
  const records = JSON.parse(readFileSync(summary, 'utf8')).records.in;
  return { ...m, records, join, afterJoin: m.wall - join };
}
