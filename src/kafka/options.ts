// The Kafka flags of `recflow run`, declared once: commander reads them, parseKafkaOptions
// types and checks them, docs/kafka.md describes them. Secrets come from env or a file only.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parseDuration, withEnv } from '../config/options.js';
import { RecflowError } from '../errors.js';
import { switchFromText } from '../bool.js';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
const MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export interface KafkaOptions {
  /** Consumer group of a Kafka source. */
  group: string;
  /** Where a partition starts when the group has no committed offset for it. */
  fromBeginning: boolean;
  /** Batch mode: stop at the end offsets that stood at start. */
  untilCaughtUp: boolean;
  /** Batch mode: stop after this many messages. */
  maxRecords?: number;
  /** Batch mode: stop after this long. */
  maxDurationMs?: number;
  clientId: string;
  /** How long brokers may stay unreachable before the run fails (exit 3). */
  timeoutMs: number;
  /** Longest a fetch waits for new messages (also bounds how fast stop() takes effect). */
  maxWaitMs: number;
  /** Most records per batch handed to the pipeline (and so per offset commit). */
  batchSize: number;
  /** Group session timeout: how soon a dead member's partitions move on. */
  sessionTimeoutMs: number;
  ssl: boolean;
  /** PEM text of the CA bundle to trust, when given. */
  sslCa?: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export const KAFKA_DEFAULTS = {
  group: 'recflow',
  clientId: 'recflow',
  timeoutMs: 30_000,
  maxWaitMs: 1_000,
  batchSize: 500,
  sessionTimeoutMs: 30_000,
} as const;

/** Adds the Kafka flags to `run`. Defaults live in parseKafkaOptions so env can fill unset flags. */
export function addKafkaOptions(cmd: Command): Command {
  cmd
    // RECFLOW_GROUP (the generic name) was read too, once: kept as a deprecated alias
    .addOption(withEnv(new Option('--group <name>', 'Kafka source: consumer group (default "recflow"; env RECFLOW_KAFKA_GROUP)'), 'RECFLOW_KAFKA_GROUP', ['RECFLOW_GROUP']))
    .addOption(
      new Option('--from-beginning', 'Kafka source: with no committed offset, start at the oldest message (default)')
        .conflicts('fromEnd'),
    )
    .addOption(new Option('--from-end', 'Kafka source: with no committed offset, read only messages that arrive from now on'))
    .addOption(
      new Option('--until <condition>', 'Kafka source, batch mode: "caught-up" stops at the end offsets that stood at start, then commits and exits 0'),
    )
    .addOption(new Option('--max-records <n>', 'Kafka source, batch mode: stop after n messages, commit, exit 0'))
    .addOption(new Option('--max-duration <duration>', 'Kafka source, batch mode: stop after this long (e.g. 90s, 5m, 1h), commit, exit 0'));
  addKafkaClientOptions(cmd);
  return cmd
    .addOption(
      new Option('--kafka-max-wait <duration>', 'Kafka source: longest a fetch waits for new messages (default 1s; env RECFLOW_KAFKA_MAX_WAIT)'),
    )
    .addOption(
      new Option('--kafka-session-timeout <duration>', 'Kafka source: group session timeout; a killed member\'s partitions move on after it (default 30s; env RECFLOW_KAFKA_SESSION_TIMEOUT)'),
    )
    .addOption(
      new Option('--kafka-batch <n>', 'Kafka source: most records per batch, i.e. per offset commit (default 500; env RECFLOW_KAFKA_BATCH)'),
    );
}

/** The flags every Kafka client takes: identity, TLS, SASL, time bound (run and peek). */
export function addKafkaClientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--kafka-client-id <id>', 'Kafka: client id shown in broker logs (default "recflow"; env RECFLOW_KAFKA_CLIENT_ID)'))
    .addOption(
      new Option('--kafka-sasl-mechanism <mechanism>', 'Kafka: SASL mechanism (env RECFLOW_KAFKA_SASL_MECHANISM)').choices(MECHANISMS),
    )
    .addOption(new Option('--kafka-username <name>', 'Kafka: SASL user name (env RECFLOW_KAFKA_USERNAME)'))
    .addOption(
      new Option('--kafka-password-file <path>', 'Kafka: file holding the SASL password (or env RECFLOW_KAFKA_PASSWORD, RECFLOW_KAFKA_PASSWORD_FILE)'),
    )
    .addOption(new Option('--kafka-ssl', 'Kafka: connect with TLS (env RECFLOW_KAFKA_SSL=1)'))
    .addOption(new Option('--kafka-ca <file>', 'Kafka: PEM file of CA certificates to trust; implies --kafka-ssl (env RECFLOW_KAFKA_CA)'))
    .addOption(
      new Option('--kafka-timeout <duration>', 'Kafka: fail (exit 3) when brokers stay unreachable this long (default 30s; env RECFLOW_KAFKA_TIMEOUT)'),
    );
}

type Raw = Record<string, unknown>;

const SOURCE_FLAGS: Record<string, string> = {
  group: '--group', fromBeginning: '--from-beginning', fromEnd: '--from-end', until: '--until',
  maxRecords: '--max-records', maxDuration: '--max-duration', kafkaMaxWait: '--kafka-max-wait',
  kafkaSessionTimeout: '--kafka-session-timeout', kafkaBatch: '--kafka-batch',
};
const CLIENT_FLAGS: Record<string, string> = {
  kafkaClientId: '--kafka-client-id', kafkaSaslMechanism: '--kafka-sasl-mechanism', kafkaUsername: '--kafka-username',
  kafkaPasswordFile: '--kafka-password-file', kafkaSsl: '--kafka-ssl', kafkaCa: '--kafka-ca', kafkaTimeout: '--kafka-timeout',
};

/**
 * A Kafka flag on a run without Kafka is a mistake worth a usage error (exit 2), e.g.
 * `--until caught-up` with only file sources would otherwise be silently ignored.
 * `fromCommandLine` limits the check to flags (env and config may serve several runs),
 * e.g. `(attr) => cmd.getOptionValueSource(attr) === 'cli'`.
 */
export function checkKafkaFlagsApply(
  opts: Raw,
  sources: string[],
  sink?: string,
  fromCommandLine: (attr: string) => boolean = () => true,
): void {
  const kafkaSource = sources.some((s) => /^kafka:\/\//i.test(s));
  const kafkaAny = kafkaSource || (sink !== undefined && /^kafka:\/\//i.test(sink));
  const given = (flags: Record<string, string>): string | undefined =>
    Object.keys(flags).find((k) => opts[k] !== undefined && opts[k] !== false && fromCommandLine(k));
  const src = given(SOURCE_FLAGS);
  if (src && !kafkaSource) throw usage(`${SOURCE_FLAGS[src]} applies to Kafka sources only (kafka://host:port/topic)`);
  const cli = given(CLIENT_FLAGS);
  if (cli && !kafkaAny) throw usage(`${CLIENT_FLAGS[cli]} applies only when reading from or writing to Kafka (kafka://...)`);
}

function parseCount(value: unknown, name: string): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw usage(`${name} '${text}' must be a whole number of at least 1`);
  }
  return Number(text);
}

function parseBool(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  const b = switchFromText(String(value));
  if (b === undefined) throw usage(`${name} '${value}' must be true or false`);
  return b;
}

function usage(message: string): RecflowError {
  return new RecflowError('usage', message);
}

function readSecretFile(path: string, name: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw usage(`${name}: cannot read '${path}' (${why}): give a readable file holding the password`);
  }
  // Files written by `echo` end with a newline that is not part of the secret.
  return text.replace(/\r?\n$/, '');
}

/**
 * Typed options from the resolved opts() (flag > env > config, see config/options.ts),
 * defaults applied here. `env` is read for the one secret without a flag: RECFLOW_KAFKA_PASSWORD.
 */
export function parseKafkaOptions(opts: Raw, env: NodeJS.ProcessEnv = process.env): KafkaOptions {
  const pick = (key: string): unknown => (opts[key] === null ? undefined : opts[key]);

  const fromBeginning = opts.fromBeginning === undefined ? undefined : parseBool(opts.fromBeginning, '--from-beginning');
  const fromEnd = opts.fromEnd === undefined ? undefined : parseBool(opts.fromEnd, '--from-end');
  if (fromBeginning && fromEnd) throw usage('--from-beginning and --from-end exclude each other: give one');

  let untilCaughtUp = false;
  if (opts.until !== undefined) {
    if (String(opts.until).trim() !== 'caught-up') {
      throw usage(`--until '${String(opts.until)}' is not known: the only condition is 'caught-up'`);
    }
    untilCaughtUp = true;
  }

  const group = String(pick('group') ?? KAFKA_DEFAULTS.group).trim();
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(group)) {
    throw usage(`--group '${group}' may hold only letters, digits, '.', '_' and '-'`);
  }
  const clientId = String(pick('kafkaClientId') ?? KAFKA_DEFAULTS.clientId);

  const num = <T>(key: string, flag: string, parse: (v: unknown, n: string) => T, dflt: T): T => {
    const v = pick(key);
    return v === undefined ? dflt : parse(v, flag);
  };
  // 0 is refused for every Kafka duration: a timeout, wait or batch duration of 0 would end at once
  const duration = (v: unknown, n: string): number => parseDuration(v, n, 'positive');
  const maxRecords = num('maxRecords', '--max-records', parseCount, undefined as number | undefined);
  const maxDurationMs = num('maxDuration', '--max-duration', duration, undefined as number | undefined);
  const timeoutMs = num('kafkaTimeout', '--kafka-timeout', duration, KAFKA_DEFAULTS.timeoutMs);
  const maxWaitMs = num('kafkaMaxWait', '--kafka-max-wait', duration, KAFKA_DEFAULTS.maxWaitMs);
  const batchSize = num('kafkaBatch', '--kafka-batch', parseCount, KAFKA_DEFAULTS.batchSize);
  const sessionTimeoutMs = num('kafkaSessionTimeout', '--kafka-session-timeout', duration, KAFKA_DEFAULTS.sessionTimeoutMs);
  if (sessionTimeoutMs < 3_000) throw usage('--kafka-session-timeout must be at least 3s (brokers usually require 6s)');
  if (maxWaitMs > timeoutMs) throw usage('--kafka-max-wait must not be longer than --kafka-timeout');

  const caPath = pick('kafkaCa');
  let sslCa: string | undefined;
  if (caPath !== undefined) {
    try {
      sslCa = readFileSync(String(caPath), 'utf8');
    } catch (err) {
      throw usage(`--kafka-ca: cannot read '${String(caPath)}' (${(err as Error).message}): give a PEM file of CA certificates`);
    }
  }
  const sslRaw = pick('kafkaSsl');
  const ssl = sslCa !== undefined || (sslRaw !== undefined && parseBool(sslRaw, '--kafka-ssl'));

  return {
    group,
    fromBeginning: fromEnd ? false : true,
    untilCaughtUp,
    maxRecords,
    maxDurationMs,
    clientId,
    timeoutMs,
    maxWaitMs,
    batchSize,
    sessionTimeoutMs,
    ssl,
    sslCa,
    sasl: parseSasl(pick, env),
  };
}

function parseSasl(pick: (key: string) => unknown, env: NodeJS.ProcessEnv): KafkaOptions['sasl'] {
  const mechRaw = pick('kafkaSaslMechanism');
  const username = pick('kafkaUsername');
  if (mechRaw === undefined && username === undefined) return undefined;
  const mechanism = String(mechRaw ?? 'plain').trim().toLowerCase() as SaslMechanism;
  if (!MECHANISMS.includes(mechanism)) {
    throw usage(`--kafka-sasl-mechanism '${String(mechRaw)}' is not supported: use ${MECHANISMS.join(', ')}`);
  }
  if (username === undefined || String(username) === '') {
    throw usage('SASL needs a user name: give --kafka-username or set RECFLOW_KAFKA_USERNAME');
  }
  // The file (flag, RECFLOW_KAFKA_PASSWORD_FILE or config) wins over the env secret, as a flag wins over env everywhere.
  const file = pick('kafkaPasswordFile');
  let password: string | undefined;
  if (file !== undefined) password = readSecretFile(String(file), '--kafka-password-file');
  else password = env.RECFLOW_KAFKA_PASSWORD;
  if (password === undefined || password === '') {
    throw usage('SASL needs a password: set RECFLOW_KAFKA_PASSWORD or give --kafka-password-file (never on the command line)');
  }
  return { mechanism, username: String(username), password };
}
