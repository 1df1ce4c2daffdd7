// Address parsing, option parsing and the small pure helpers of the Kafka components.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parseKafkaAddress, topicFor } from '../../src/kafka/address.js';
import { boundedRetry, describeKafkaError } from '../../src/kafka/client.js';
import { resolveOptions } from '../../src/config/options.js';
import { addKafkaOptions, checkKafkaFlagsApply, parseKafkaOptions } from '../../src/kafka/options.js';
import { PartitionTable } from '../../src/kafka/partitions.js';
import { RecflowError } from '../../src/errors.js';
import { tempDir } from '../support/cli.js';

const tmp = tempDir('recflow-kafka-opts-');
afterAll(() => tmp.cleanup());

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('usage');
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseKafkaAddress', () => {
  it.each([
    ['kafka://localhost:9092/orders', ['localhost:9092'], ['orders']],
    ['kafka://a:1,b:2/t1,t2', ['a:1', 'b:2'], ['t1', 't2']],
    ['kafka://broker/orders', ['broker:9092'], ['orders']],
    ['KAFKA://h:9/x.y_z-1', ['h:9'], ['x.y_z-1']],
  ])('%s', (addr, brokers, topics) => {
    expect(parseKafkaAddress(addr)).toEqual({ brokers, topics });
  });

  it.each([
    ['kafka://h:9092', 'no topic'],
    ['kafka:///t', 'no broker'],
    ['kafka://h:99999/t', 'bad port'],
    ['kafka://h:x/t', 'bad port'],
    ['kafka://h:1/', 'empty topic'],
    ['kafka://h:1/a b', "may hold only"],
    ['kafka://h:1/t?group=x', 'query strings'],
    ['kafka://[::1]:9092/t', 'IPv6'],
    ['kafka://h:1,/t', 'empty broker'],
  ])('rejects %s', (addr, why) => {
    const msg = usageMessage(() => parseKafkaAddress(addr));
    expect(msg).toContain(why);
    // the address as shown: a query string (it may hold a secret) is hidden
    expect(msg).toContain(addr.replace(/\?.*$/, '?<redacted>'));
    expect(msg).not.toContain('group=x');
    expect(msg).toContain('expected kafka://');
  });

  it('lets a sink topic hold {kind}, but only one topic', () => {
    expect(parseKafkaAddress('kafka://h:1/rec-{kind}', { allowKind: true }).topics).toEqual(['rec-{kind}']);
    expect(topicFor('rec-{kind}', 'inventory')).toBe('rec-inventory');
    usageMessage(() => parseKafkaAddress('kafka://h:1/rec-{kind}'));
    usageMessage(() => parseKafkaAddress('kafka://h:1/a,b', { allowKind: true }));
  });
});

describe('parseKafkaOptions', () => {
  it('has defaults', () => {
    expect(parseKafkaOptions({}, {})).toMatchObject({
      group: 'recflow',
      fromBeginning: true,
      untilCaughtUp: false,
      maxRecords: undefined,
      timeoutMs: 30_000,
      ssl: false,
      sasl: undefined,
    });
  });

  it('reads flags, then env (through the one resolver, config/options.ts)', () => {
    const env = { RECFLOW_KAFKA_GROUP: 'envgroup', RECFLOW_KAFKA_TIMEOUT: '5s', RECFLOW_KAFKA_SSL: '1' };
    const resolved = (argv: string[]): Record<string, unknown> => {
      const cmd = addKafkaOptions(new Command('run').exitOverride()).parse(argv, { from: 'user' });
      resolveOptions(cmd, env);
      return cmd.opts();
    };
    expect(parseKafkaOptions(resolved([]), {})).toMatchObject({ group: 'envgroup', timeoutMs: 5000, ssl: true });
    expect(parseKafkaOptions(resolved(['--group', 'flag', '--kafka-timeout', '2m']), {})).toMatchObject({ group: 'flag', timeoutMs: 120_000 });
    const o = parseKafkaOptions({ fromEnd: true, until: 'caught-up', maxRecords: '10', maxDuration: '1.5s' }, {});
    expect(o).toMatchObject({ fromBeginning: false, untilCaughtUp: true, maxRecords: 10, maxDurationMs: 1500 });
  });

  it.each([
    [{ fromBeginning: true, fromEnd: true }, 'exclude each other'],
    [{ until: 'done' }, "only condition is 'caught-up'"],
    [{ maxRecords: '0' }, '--max-records'],
    [{ maxRecords: '1e3' }, '--max-records'],
    [{ maxDuration: 'soon' }, '--max-duration'],
    [{ kafkaTimeout: '-1s' }, '--kafka-timeout'],
    [{ group: 'a b' }, '--group'],
    [{ kafkaUsername: 'u' }, 'RECFLOW_KAFKA_PASSWORD'],
    [{ kafkaSaslMechanism: 'gssapi', kafkaUsername: 'u' }, 'not supported'],
    [{ kafkaSaslMechanism: 'plain' }, '--kafka-username'],
    [{ kafkaUsername: 'u', kafkaPasswordFile: '/nonexistent/pw' }, '--kafka-password-file'],
    [{ kafkaCa: '/nonexistent/ca.pem' }, '--kafka-ca'],
  ])('rejects %j', (opts, why) => {
    expect(usageMessage(() => parseKafkaOptions(opts, {}))).toContain(why);
  });

  it('reads the SASL password from env or a file, never from a flag value', () => {
    const env = { RECFLOW_KAFKA_PASSWORD: 's3cret' };
    expect(parseKafkaOptions({ kafkaUsername: 'u' }, env).sasl).toEqual({ mechanism: 'plain', username: 'u', password: 's3cret' });
    const file = join(tmp.dir, 'pw');
    writeFileSync(file, 'from-file\n');
    const o = parseKafkaOptions({ kafkaUsername: 'u', kafkaSaslMechanism: 'scram-sha-512', kafkaPasswordFile: file }, env);
    expect(o.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'from-file' });
    // The secret never appears in a usage message.
    const msg = usageMessage(() => parseKafkaOptions({ kafkaUsername: 'u', kafkaSaslMechanism: 'nope' }, env));
    expect(msg).not.toContain('s3cret');
  });

  it('registers the flags on a commander command', () => {
    const cmd = addKafkaOptions(new Command('run').exitOverride());
    cmd.parse(['--group', 'g', '--from-end', '--until', 'caught-up', '--max-records', '5', '--kafka-ssl'], { from: 'user' });
    const o = parseKafkaOptions(cmd.opts(), {});
    expect(o).toMatchObject({ group: 'g', fromBeginning: false, untilCaughtUp: true, maxRecords: 5, ssl: true });
    const quiet = new Command('run').exitOverride().configureOutput({ writeErr: () => undefined });
    expect(() => addKafkaOptions(quiet).parse(['--kafka-password', 'x'], { from: 'user' })).toThrow(/unknown option/);
  });

  it('refuses Kafka flags on a run without Kafka, unless they came from env or config', () => {
    expect(usageMessage(() => checkKafkaFlagsApply({ until: 'caught-up' }, ['a.csv'], '-'))).toBe(
      '--until applies to Kafka sources only (kafka://host:port/topic)',
    );
    expect(usageMessage(() => checkKafkaFlagsApply({ kafkaSsl: true }, ['a.csv'], 'out.ndjson'))).toContain('--kafka-ssl applies only');
    expect(() => checkKafkaFlagsApply({ kafkaSsl: true }, ['a.csv'], 'kafka://h:1/t')).not.toThrow();
    expect(() => checkKafkaFlagsApply({ group: 'g', until: 'caught-up' }, ['kafka://h:1/t'], '-')).not.toThrow();
    expect(() => checkKafkaFlagsApply({ group: 'g' }, ['a.csv'], '-', (attr) => attr !== 'group')).not.toThrow();
  });
});

describe('helpers', () => {
  it('boundedRetry keeps the total backoff within the timeout', () => {
    for (const t of [1_000, 5_000, 30_000, 120_000]) {
      const r = boundedRetry(t);
      let total = 0;
      for (let i = 0, w = r.initialRetryTime!; i < r.retries!; i++, w = Math.min(w * 2, r.maxRetryTime!)) total += w;
      expect(total).toBeLessThanOrEqual(t * 1.25);
      expect(r.retries).toBeGreaterThanOrEqual(1);
    }
  });

  it('describeKafkaError says where and what to do', () => {
    const err = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' }),
    });
    const msg = describeKafkaError(err, ['127.0.0.1:1'], 'read topic t');
    expect(msg).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1 to read topic t: Connection error: connect ECONNREFUSED/);
    expect(msg).toContain('check the address');
  });

  it('PartitionTable reports lag and caught-up from the start offsets', () => {
    const t = new PartitionTable(true);
    t.add('o', 0, 0, 10, -1);
    t.add('o', 1, 5, 8, 8);
    t.assign({ o: [0, 1] });
    expect(t.status(false)).toBe('lag p0=10 p1=0');
    expect(t.isCaughtUp(t.get('o', 1)!)).toBe(true);
    t.get('o', 0)!.acked = 7;
    expect(t.status(true)).toBe('lag o/0=3 o/1=0');
    expect(t.pendingCommits()).toEqual([{ topic: 'o', partition: 0, offset: '7' }]);
    expect(t.allCaughtUp()).toBe(false);
    t.get('o', 0)!.groupCommitted = 10; // another member got there
    expect(t.allCaughtUp()).toBe(true);
    const fromEnd = new PartitionTable(false);
    fromEnd.add('o', 0, 0, 10, -1);
    expect(fromEnd.isCaughtUp(fromEnd.get('o', 0)!)).toBe(true);
  });
});
