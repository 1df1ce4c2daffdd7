// Kafka → file with SIGKILL at a random moment, then a rerun: an offset is committed only
// once its record is in a finished file under its final name, so after any kill every
// committed record is in the files that exist, no file that exists is torn, and the
// rerun completes the rest. Against librdkafka's mock cluster (or RECFLOW_TEST_KAFKA).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { collect, spawnCli } from '../support/cli.js';
import { committedOffsets, KAFKA_TEST_ENV, kafkaTestsRun, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('Kafka file-crash tests');

const ENV = KAFKA_TEST_ENV;
const PARTITIONS = 4;
const RECORDS = 6000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Case {
  name: string;
  /** The --to path of round `round`. */
  to: (dir: string, round: number) => string;
  args: string[];
  /** Finished outputs (final names) in the directory. */
  finals: (dir: string) => string[];
  /** Kill once a file was finished (rotation: commits are on their way), else once data is written. */
  afterFinished: boolean;
}

const CASES: Case[] = [
  {
    // without rotation a run commits at close; each run gets its own file, as docs/kafka.md advises
    name: '.ndjson.gz, commit at close',
    to: (dir, round) => join(dir, `gz-${round}.ndjson.gz`),
    args: [],
    finals: (dir) => readdirSync(dir).filter((f) => /^gz-\d+\.ndjson\.gz$/.test(f)),
    afterFinished: false,
  },
  {
    name: '.ndjson, --rotate-records 500 (one path for every run)',
    to: (dir) => join(dir, 'rot.ndjson'),
    args: ['--rotate-records', '500'],
    finals: (dir) => readdirSync(dir).filter((f) => /^rot-\d{8}T\d{6}Z-\d{6}\.ndjson$/.test(f)),
    afterFinished: true,
  },
];

/** Every record of every finished file; throws on a torn one (bad gzip, cut line). */
function finishedIds(dir: string, files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const raw = readFileSync(join(dir, f));
    const text = f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    expect(text === '' || text.endsWith('\n'), `${f} ends with a whole line`).toBe(true);
    for (const line of text.split('\n')) if (line !== '') out.push(String((JSON.parse(line) as { customer_id: string }).customer_id));
  }
  return out;
}

/** Something is being written for this run: a temp file with data, or a finished file. */
function writing(dir: string, c: Case, before: number): boolean {
  if (c.finals(dir).length > before) return true;
  if (c.afterFinished) return false;
  return readdirSync(dir).some((f) => /^\..*\.recflow-\d+\.tmp$/.test(f) && statSync(join(dir, f)).size > 0);
}

describe.skipIf(!kafkaOk)('Kafka → file: SIGKILL, rerun, nothing committed that is not in a finished file', () => {
  const { kafka, tmp } = useKafka('recflow-kafka-crash-');

  const scenario = async (c: Case, index: number): Promise<void> => {
    const dir = join(tmp.dir, `case-${index}`);
    mkdirSync(dir);
    const topic = uniqueName('crash');
    await kafka.createTopic(topic, PARTITIONS);
    // partition p holds C(p), C(p+4), ... at offsets 0, 1, ...: a committed offset names its records
    const rows = Array.from({ length: RECORDS }, (_, i) => ({ customer_id: `C${i}`, email: `u${i}@example.com`, country: 'de' }));
    await produce(kafka.bootstrap, topic, rows.map((r, i) => ({ key: r.customer_id, value: JSON.stringify(r), partition: i % PARTITIONS })));
    const committedIds = (offsets: Record<number, number>): string[] =>
      rows.filter((_, i) => Math.floor(i / PARTITIONS) < (offsets[i % PARTITIONS] ?? -1)).map((r) => r.customer_id);
    const group = uniqueName('g');
    const args = (round: number): string[] => ['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', group, '--until', 'caught-up',
      '--kafka-batch', '50', '--to', c.to(dir, round), '-q', ...c.args];

    for (let round = 1; round <= 2; round++) {
      const before = c.finals(dir).length;
      const child = spawnCli(args(round), { env: ENV });
      const done = collect(child, { timeoutMs: 40_000 });
      while (child.exitCode === null && !writing(dir, c, before)) await sleep(10);
      await sleep(Math.floor(Math.random() * 120));
      child.kill('SIGKILL');
      const res = await done;
      expect(res.signal ?? res.code, res.stderr).not.toBe(3);
      // acknowledged means durable where it lands: every committed record is in a finished file
      const present = new Set(finishedIds(dir, c.finals(dir)));
      const committed = committedIds(await committedOffsets(kafka.bootstrap, group, topic));
      expect(committed.filter((id) => !present.has(id)), `round ${round}: committed, not in a finished file`).toEqual([]);
    }
    const last = await collect(spawnCli(args(3), { env: ENV }), { timeoutMs: 40_000 });
    expect(last.code, last.stderr).toBe(0);
    const got = new Set(finishedIds(dir, c.finals(dir)));
    expect(rows.filter((r) => !got.has(r.customer_id)).map((r) => r.customer_id)).toEqual([]);
    expect(Object.values(await committedOffsets(kafka.bootstrap, group, topic)).reduce((a, b) => a + b, 0)).toBe(RECORDS);
    expect(existsSync(join(dir, 'rot.ndjson'))).toBe(false);
  };

  it('→ .ndjson.gz (commit at close) and → .ndjson with rotation, two kills then a clean run each', async () => {
    await Promise.all(CASES.map((c, i) => scenario(c, i)));
  }, 60_000);

  it('stream mode with --rotate-seconds: an idle stream still finishes its file and commits, while it runs', async () => {
    const dir = join(tmp.dir, 'stream');
    mkdirSync(dir);
    const topic = uniqueName('stream');
    await kafka.createTopic(topic, 2);
    const group = uniqueName('g');
    const child = spawnCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', group, '--rotate-seconds', '1',
      '--to', join(dir, 's.ndjson'), '-q'], { env: ENV });
    const done = collect(child, { timeoutMs: 40_000 });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const rows = Array.from({ length: 300 }, (_, i) => ({ customer_id: `S${i}`, email: `s${i}@example.com`, country: 'de' }));
    await produce(kafka.bootstrap, topic, rows.map((r) => ({ key: r.customer_id, value: JSON.stringify(r) })));
    const finals = (): string[] => readdirSync(dir).filter((f) => /^s-\d{8}T\d{6}Z-\d{6}\.ndjson$/.test(f));
    const committed = async (): Promise<number> => Object.values(await committedOffsets(kafka.bootstrap, group, topic)).reduce((a, b) => a + Math.max(0, b), 0);
    for (let i = 0; i < 150 && (await committed()) < rows.length; i++) {
      expect(child.exitCode, stderr).toBeNull();
      await sleep(200);
    }
    expect(await committed()).toBe(rows.length); // no more records came: the timer finished the file
    expect(new Set(finishedIds(dir, finals()))).toEqual(new Set(rows.map((r) => r.customer_id)));
    child.kill('SIGTERM');
    expect((await done).code).toBe(143);
  }, 45_000);
});
