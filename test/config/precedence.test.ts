// One resolver for every option: flag > environment > config file > default, one
// environment name per option (plus warned deprecated aliases), one duration parser.
// Through the built CLI: `--dry-run` prints each resolved option with where it came from.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDuration, type DurationRule } from '../../src/config/options.js';
import { RecflowError } from '../../src/errors.js';
import { parseKafkaOptions } from '../../src/kafka/options.js';
import { runCli, tempDir } from '../support/cli.js';

const tmp = tempDir('recflow-precedence-');
afterAll(() => tmp.cleanup());

// A Kafka source and an HTTP sink: the Kafka and HTTP options both apply; --dry-run connects to neither.
const PIPE = ['run', 'kafka://127.0.0.1:9/t', '--to', 'http://127.0.0.1:9/in', '--dry-run'];
const CONFIG = 'group: from-config\nkafkaTimeout: 7s\nbatchRecords: 70\nprogressInterval: 7\nretryMaxTime: 70s\n';

/** `key: value # from origin` lines of the dry-run output. */
function resolved(stdout: string): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const line of stdout.split('\n')) {
    const m = /^(\w+): "?(.*?)"? # from (flag|environment|config|default)\b/.exec(line);
    if (m) out.set(m[1]!, [m[2]!, m[3]!]);
  }
  return out;
}

interface Row {
  what: string;
  key: string;
  flags?: string[];
  env?: Record<string, string>;
  expected: [string, string];
}

const ROWS: Row[] = [
  { what: 'config alone', key: 'group', expected: ['from-config', 'config'] },
  { what: 'RECFLOW_KAFKA_GROUP beats the config file', key: 'group', env: { RECFLOW_KAFKA_GROUP: 'from-env' }, expected: ['from-env', 'environment'] },
  { what: 'the flag beats env and config', key: 'group', flags: ['--group', 'from-flag'], env: { RECFLOW_KAFKA_GROUP: 'from-env' }, expected: ['from-flag', 'flag'] },
  { what: 'the documented name beats the deprecated one', key: 'group', env: { RECFLOW_KAFKA_GROUP: 'documented', RECFLOW_GROUP: 'old' }, expected: ['documented', 'environment'] },
  { what: 'the deprecated RECFLOW_GROUP still works', key: 'group', env: { RECFLOW_GROUP: 'old' }, expected: ['old', 'environment'] },
  { what: 'a Kafka client option: env beats config', key: 'kafkaTimeout', env: { RECFLOW_KAFKA_TIMEOUT: '9s' }, expected: ['9s', 'environment'] },
  { what: 'an HTTP option: env beats config', key: 'batchRecords', env: { RECFLOW_BATCH_RECORDS: '90' }, expected: ['90', 'environment'] },
  { what: 'an HTTP option: the flag beats env', key: 'batchRecords', flags: ['--batch-records', '11'], env: { RECFLOW_BATCH_RECORDS: '90' }, expected: ['11', 'flag'] },
  { what: 'a pipeline option: env beats config', key: 'progressInterval', env: { RECFLOW_PROGRESS_INTERVAL: '9' }, expected: ['9', 'environment'] },
  { what: 'a duration of the HTTP sink: env beats config', key: 'retryMaxTime', env: { RECFLOW_RETRY_MAX_TIME: '0' }, expected: ['0', 'environment'] },
];

describe('flag > environment > config file > default, for every option', () => {
  const config = join(tmp.dir, 'job.yaml');
  writeFileSync(config, CONFIG);

  it.each(ROWS)('$what', async ({ key, flags = [], env = {}, expected }) => {
    const res = await runCli([...PIPE, '--config', config, ...flags], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(resolved(res.stdout).get(key)).toEqual(expected);
  });

  it('without config or env, the default (here: progressInterval)', async () => {
    const res = await runCli(PIPE);
    expect(res.code, res.stderr).toBe(0);
    expect(resolved(res.stdout).get('progressInterval')).toEqual(['5', 'default']);
  });

  it('the deprecated RECFLOW_GROUP warns once on stderr, naming the documented variable', async () => {
    const res = await runCli([...PIPE, '--config', config], { env: { RECFLOW_GROUP: 'old' } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.match(/RECFLOW_GROUP/g)?.length).toBe(1);
    expect(res.stderr).toMatch(/warning: RECFLOW_GROUP is deprecated: use RECFLOW_KAFKA_GROUP/);
    const both = await runCli([...PIPE], { env: { RECFLOW_GROUP: 'old', RECFLOW_KAFKA_GROUP: 'new' } });
    expect(both.stderr).toMatch(/RECFLOW_GROUP is deprecated: use RECFLOW_KAFKA_GROUP \(ignored: RECFLOW_KAFKA_GROUP is set\)/);
    const none = await runCli([...PIPE], { env: { RECFLOW_KAFKA_GROUP: 'new' } });
    expect(none.stderr).not.toMatch(/deprecated/);
  });

  it('the components read the resolved options only: no second look at the environment', () => {
    // the config value (already merged into opts by the resolver) stays; env was the resolver's to apply
    expect(parseKafkaOptions({ group: 'from-config' }, { RECFLOW_KAFKA_GROUP: 'from-env' }).group).toBe('from-config');
    expect(parseKafkaOptions({}, { RECFLOW_KAFKA_TIMEOUT: '5s' }).timeoutMs).toBe(30_000);
  });
});

describe('one parseDuration: what 0 means is said per option', () => {
  const ok: [unknown, DurationRule, number][] = [
    ['250ms', 'positive', 250],
    ['90', 'positive', 90_000],
    [' 5M ', 'positive', 300_000],
    ['1.5s', 'positive', 1500],
    ['1h', 'positive', 3_600_000],
    [2, 'positive', 2000],
    ['0', 'zero-allowed', 0],
    ['0ms', 'zero-allowed', 0],
  ];
  it.each(ok)('%j (%s) = %d ms', (text, rule, ms) => {
    expect(parseDuration(text, '--x', rule)).toBe(ms);
  });

  const bad: [unknown, DurationRule, string][] = [
    ['0', 'positive', '--x must be longer than 0'],
    ['0s', 'positive', '--x must be longer than 0'],
    ['0.0001s', 'positive', '--x must be longer than 0'],
    ['soon', 'zero-allowed', "--x must be a duration such as 90s, 5m or 500ms, got 'soon'"],
    ['-1s', 'zero-allowed', "--x must be a duration such as 90s, 5m or 500ms, got '-1s'"],
    ['', 'positive', "--x must be a duration such as 90s, 5m or 500ms, got ''"],
    [true, 'positive', "--x must be a duration such as 90s, 5m or 500ms, got 'true'"],
  ];
  it.each(bad)('%j (%s) is refused', (text, rule, message) => {
    let err: unknown;
    try {
      parseDuration(text, '--x', rule);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('usage');
    expect((err as Error).message).toBe(message);
  });

  it.each([
    [['--max-duration', '0'], 2, /--max-duration must be longer than 0/],
    [['--kafka-timeout', '0'], 2, /--kafka-timeout must be longer than 0/],
    [['--kafka-max-wait', '0s'], 2, /--kafka-max-wait must be longer than 0/],
    [['--retry-max-time', '0'], 0, /^$/],
  ])('through the CLI: %j exits %d', async (flags, code, stderr) => {
    const res = await runCli([...PIPE, ...flags]);
    expect(res.code, res.stderr).toBe(code);
    expect(res.stderr).toMatch(stderr);
  });
});
