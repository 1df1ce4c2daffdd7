// `recflow peek`: kcat -C's job — read without a group and commit nothing — checked
// against the mock cluster, with kcat as the second opinion on what the topic holds.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from '../support/cli.js';
import { hasKcat, kafkaTestsRun, kcatConsume, produce, uniqueName, useKafka } from '../support/kafka.js';

const kafkaOk = kafkaTestsRun('recflow peek tests');
const kcat = kafkaOk && hasKcat();
const ENV = { RECFLOW_KAFKA_TIMEOUT: '5s' };

describe.skipIf(!kafkaOk)('recflow peek', () => {
  const { kafka } = useKafka();
  let topic: string;
  const sent = Array.from({ length: 30 }, (_, i) => ({
    key: `k${i}`,
    partition: i % 3,
    headers: i === 0 ? { kind: 'customer' } : undefined,
    value: JSON.stringify(i % 10 === 5 ? { customer_id: `C${i}`, email: 'not-an-email' } : { customer_id: `C${i}`, email: `u${i}@example.com` }),
  }));
  const peekArgs = (...more: string[]): string[] => ['peek', `kafka://${kafka.bootstrap}/${topic}`, ...more];

  beforeAll(async () => {
    topic = uniqueName('peek');
    await kafka.createTopic(topic, 3);
    await produce(kafka.bootstrap, topic, sent);
  });

  it('prints every value once, the same set kcat reads, and says nothing was committed', async () => {
    const res = await runCli(peekArgs(), { env: ENV });
    expect(res.stderr).toMatch(/30 messages from .*; nothing committed/);
    expect(res.code).toBe(0);
    const got = res.stdout.trim().split('\n').sort();
    expect(got).toEqual(sent.map((m) => m.value).sort());
    if (kcat) expect(kcatConsume(kafka.bootstrap, topic).map((m) => m.payload).sort()).toEqual(got);
  });

  it('joins no group and commits nothing: only Metadata, ListOffsets and Fetch requests go out', async () => {
    const res = await runCli(peekArgs('--count', '5', '--debug'), { env: ENV });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/Fetch/);
    expect(res.stderr).not.toMatch(/JoinGroup|SyncGroup|FindCoordinator|GroupCoordinator|OffsetCommit|Heartbeat/);
    // the control: a group consumer's debug log does show those requests
    const run = await runCli(['run', `kafka://${kafka.bootstrap}/${topic}`, '--group', uniqueName('g'), '--until', 'caught-up', '--debug', '--to', '/dev/null'], {
      env: { ...ENV, RECFLOW_KAFKA_MAX_WAIT: '100ms', RECFLOW_KAFKA_SESSION_TIMEOUT: '6s' },
    });
    expect(run.stderr).toMatch(/JoinGroup/);
    expect(run.stderr).toMatch(/OffsetCommit/);
  });

  it('--partition, --offset N and -N, --count', async () => {
    const p1 = sent.filter((m) => m.partition === 1).map((m) => m.value);
    const all = await runCli(peekArgs('--partition', '1'), { env: ENV });
    expect(all.stdout.trim().split('\n')).toEqual(p1);
    const from = await runCli(peekArgs('--partition', '1', '--offset', '7'), { env: ENV });
    expect(from.stdout.trim().split('\n')).toEqual(p1.slice(7));
    const last = await runCli(peekArgs('--partition', '1', '--offset', '-2'), { env: ENV });
    expect(last.stdout.trim().split('\n')).toEqual(p1.slice(-2));
    const two = await runCli(peekArgs('--partition', '1', '--count', '2'), { env: ENV });
    expect(two.stdout.trim().split('\n')).toEqual(p1.slice(0, 2));
    const end = await runCli(peekArgs('--offset', 'end'), { env: ENV });
    expect(end.stdout).toBe('');
    expect(end.code).toBe(0);
  });

  it('--from-time: a time after every message reads nothing, one before reads all', async () => {
    const later = await runCli(peekArgs('--from-time', new Date(Date.now() + 3_600_000).toISOString()), { env: ENV });
    expect(later.code).toBe(0);
    expect(later.stdout).toBe('');
    if (kafka.mock) {
      // librdkafka's mock answers every ListOffsets-by-time with the end offset
      console.log('peek --from-time before the first message: checked only on a real cluster (RECFLOW_TEST_KAFKA)');
      return;
    }
    const earlier = await runCli(peekArgs('--from-time', '2000-01-01T00:00:00Z'), { env: ENV });
    expect(earlier.stdout.trim().split('\n')).toHaveLength(30);
  });

  it('--show meta and --validate: key, partition, offset, timestamp, headers, pass/fail with codes', async () => {
    const res = await runCli(peekArgs('--partition', '0', '--show', 'meta', '--validate'), { env: ENV });
    expect(res.code).toBe(0);
    const rows = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatchObject({ partition: 0, offset: '0', key: 'k0', headers: { kind: 'customer' }, valid: true, kind: 'customer', codes: [] });
    expect(Date.parse(String(rows[0]!.timestamp))).toBeGreaterThan(Date.now() - 3_600_000);
    const bad = rows.find((r) => (r.value as { customer_id: string }).customer_id === 'C15');
    expect(bad).toMatchObject({ valid: false, codes: ['invalid_email'] });
  });

  it('usage errors exit 2 before connecting', async () => {
    for (const args of [peekArgs('--offset', 'middle'), peekArgs('--show', 'all'), ['peek', 'kafka://127.0.0.1:1/a,b'], peekArgs('--from-time', 'yesterday')]) {
      const res = await runCli(args, { env: ENV });
      expect(res.code, args.join(' ') + '\n' + res.stderr).toBe(2);
    }
    const missing = await runCli(peekArgs('--partition', '9'), { env: ENV });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no partition 9/);
  });
});

// No broker needed: a listener that takes connections and never answers keeps peek waiting.
describe('recflow peek stopped by a signal', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('SIGINT / SIGTERM while it waits for the broker: exit 130 / 143, saying so, not a read error', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const before = sockets.length;
      const child = spawnCli(['peek', `kafka://127.0.0.1:${port}/t`], { env: { RECFLOW_KAFKA_TIMEOUT: '3s' } });
      const done = collect(child);
      // once peek has connected (it then waits for an answer that never comes)
      for (let i = 0; i < 400 && sockets.length === before && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
      child.kill(signal);
      const res = await done;
      expect(res.code, res.stderr).toBe(status);
      expect(res.stderr).toMatch(new RegExp(`interrupted by ${signal} after 0 messages from t; nothing committed`));
    }
  }, 60_000);
});
