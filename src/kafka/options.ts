// The Kafka flags of `recflow run` and `peek`, declared once in two tables (source,
// client): commander reads them, read() types and checks them, docs/kafka.md describes
// them. Secrets come from env or a file only.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../config/options.js';
import { defineOptions, optional, optionalText, type OptionValues } from '../config/schema.js';
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

const usage = (message: string): RecflowError => new RecflowError('usage', message);

function parseCount(value: unknown, name: string): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw usage(`${name} '${text}' must be a whole number of at least 1`);
  }
  return Number(text);
}

function parseBool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const b = switchFromText(String(value));
  if (b === undefined) throw usage(`${name} '${String(value)}' must be true or false`);
  return b;
}

// 0 is refused for every Kafka duration: a timeout, wait or batch duration of 0 would end at once
const duration = (v: unknown, flag: string): number => parseDuration(v, flag, 'positive');

function parseGroup(v: unknown, flag: string): string {
  const group = String(v).trim();
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(group)) throw usage(`${flag} '${group}' may hold only letters, digits, '.', '_' and '-'`);
  return group;
}

function parseUntil(v: unknown): boolean {
  if (v === undefined) return false;
  if (String(v).trim() !== 'caught-up') throw usage(`--until '${String(v)}' is not known: the only condition is 'caught-up'`);
  return true;
}

/** The Kafka source's flags of `run`, declared once (docs/kafka.md describes them). */
export const KAFKA_SOURCE_OPTIONS = defineOptions({
  // RECFLOW_GROUP (the generic name) was read too, once: kept as a deprecated alias
  group: { flags: '--group <name>', description: 'Kafka source: consumer group', default: 'recflow', env: { name: 'RECFLOW_KAFKA_GROUP', deprecated: ['RECFLOW_GROUP'] }, parse: parseGroup },
  fromBeginning: {
    flags: '--from-beginning',
    description: 'Kafka source: with no committed offset, start at the oldest message (default)',
    conflicts: 'fromEnd',
    parse: parseBool,
  },
  fromEnd: { flags: '--from-end', description: 'Kafka source: with no committed offset, read only messages that arrive from now on', parse: parseBool },
  until: {
    flags: '--until <condition>',
    description: 'Kafka source, batch mode: "caught-up" stops at the end offsets that stood at start, then commits and exits 0',
    parse: parseUntil,
  },
  maxRecords: { flags: '--max-records <n>', description: 'Kafka source, batch mode: stop after n messages, commit, exit 0', parse: optional(parseCount) },
  maxDuration: { flags: '--max-duration <duration>', description: 'Kafka source, batch mode: stop after this long (e.g. 90s, 5m, 1h), commit, exit 0', parse: optional(duration) },
  kafkaMaxWait: { flags: '--kafka-max-wait <duration>', description: 'Kafka source: longest a fetch waits for new messages', default: '1s', showEnv: true, parse: duration },
  kafkaSessionTimeout: {
    flags: '--kafka-session-timeout <duration>',
    description: "Kafka source: group session timeout; a killed member's partitions move on after it",
    default: '30s',
    showEnv: true,
    parse: duration,
  },
  kafkaBatch: { flags: '--kafka-batch <n>', description: 'Kafka source: most records per batch, i.e. per offset commit', default: '500', showEnv: true, parse: parseCount },
});

/** The flags every Kafka client takes: identity, TLS, SASL, time bound (run and peek). */
export const KAFKA_CLIENT_OPTIONS = defineOptions({
  kafkaClientId: { flags: '--kafka-client-id <id>', description: 'Kafka: client id shown in broker logs', default: 'recflow', showEnv: true, parse: (v) => String(v) },
  kafkaSaslMechanism: { flags: '--kafka-sasl-mechanism <mechanism>', description: 'Kafka: SASL mechanism', choices: MECHANISMS, showEnv: true, parse: optionalText },
  kafkaUsername: { flags: '--kafka-username <name>', description: 'Kafka: SASL user name', showEnv: true, parse: optionalText },
  kafkaPasswordFile: {
    flags: '--kafka-password-file <path>',
    description: 'Kafka: file holding the SASL password (or env RECFLOW_KAFKA_PASSWORD, RECFLOW_KAFKA_PASSWORD_FILE)',
    parse: optionalText,
  },
  kafkaSsl: { flags: '--kafka-ssl', description: 'Kafka: connect with TLS (env RECFLOW_KAFKA_SSL=1)', parse: parseBool },
  kafkaCa: { flags: '--kafka-ca <file>', description: 'Kafka: PEM file of CA certificates to trust; implies --kafka-ssl', showEnv: true, parse: optionalText },
  kafkaTimeout: { flags: '--kafka-timeout <duration>', description: 'Kafka: fail (exit 3) when brokers stay unreachable this long', default: '30s', showEnv: true, parse: duration },
});

/** Adds the Kafka flags to `run`. Defaults are applied by read(), so env and config can fill unset flags. */
export function addKafkaOptions(cmd: Command): Command {
  KAFKA_SOURCE_OPTIONS.add(cmd);
  return KAFKA_CLIENT_OPTIONS.add(cmd);
}

/** The flags every Kafka client takes (run and peek). */
export function addKafkaClientOptions(cmd: Command): Command {
  return KAFKA_CLIENT_OPTIONS.add(cmd);
}

/**
 * A Kafka flag on a run without Kafka is a mistake worth a usage error (exit 2), e.g.
 * `--until caught-up` with only file sources would otherwise be silently ignored.
 * `fromCommandLine` limits the check to flags (env and config may serve several runs),
 * e.g. `(attr) => cmd.getOptionValueSource(attr) === 'cli'`.
 */
export function checkKafkaFlagsApply(
  opts: Record<string, unknown>,
  sources: string[],
  sink?: string,
  fromCommandLine: (attr: string) => boolean = () => true,
): void {
  const kafkaSource = sources.some((s) => /^kafka:\/\//i.test(s));
  const kafkaAny = kafkaSource || (sink !== undefined && /^kafka:\/\//i.test(sink));
  const src = KAFKA_SOURCE_OPTIONS.firstGiven(opts, fromCommandLine);
  if (src && !kafkaSource) throw usage(`${KAFKA_SOURCE_OPTIONS.flag(src)} applies to Kafka sources only (kafka://host:port/topic)`);
  const cli = KAFKA_CLIENT_OPTIONS.firstGiven(opts, fromCommandLine);
  if (cli && !kafkaAny) throw usage(`${KAFKA_CLIENT_OPTIONS.flag(cli)} applies only when reading from or writing to Kafka (kafka://...)`);
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
 * defaults applied by the tables. `env` is read for the one secret without a flag: RECFLOW_KAFKA_PASSWORD.
 */
export function parseKafkaOptions(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): KafkaOptions {
  const src = KAFKA_SOURCE_OPTIONS.read(opts);
  const cli = KAFKA_CLIENT_OPTIONS.read(opts);
  if (src.fromBeginning && src.fromEnd) throw usage('--from-beginning and --from-end exclude each other: give one');
  if (src.kafkaSessionTimeout < 3_000) throw usage('--kafka-session-timeout must be at least 3s (brokers usually require 6s)');
  if (src.kafkaMaxWait > cli.kafkaTimeout) throw usage('--kafka-max-wait must not be longer than --kafka-timeout');
  const sslCa = cli.kafkaCa === undefined ? undefined : readCa(cli.kafkaCa);
  return {
    group: src.group,
    fromBeginning: !src.fromEnd,
    untilCaughtUp: src.until,
    maxRecords: src.maxRecords,
    maxDurationMs: src.maxDuration,
    clientId: cli.kafkaClientId,
    timeoutMs: cli.kafkaTimeout,
    maxWaitMs: src.kafkaMaxWait,
    batchSize: src.kafkaBatch,
    sessionTimeoutMs: src.kafkaSessionTimeout,
    ssl: sslCa !== undefined || cli.kafkaSsl === true,
    sslCa,
    sasl: parseSasl(cli, env),
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw usage(`--kafka-ca: cannot read '${path}' (${(err as Error).message}): give a PEM file of CA certificates`);
  }
}

type ClientValues = OptionValues<typeof KAFKA_CLIENT_OPTIONS.specs>;

function parseSasl(cli: ClientValues, env: NodeJS.ProcessEnv): KafkaOptions['sasl'] {
  const { kafkaSaslMechanism: mechRaw, kafkaUsername: username, kafkaPasswordFile: file } = cli;
  if (mechRaw === undefined && username === undefined) return undefined;
  const mechanism = (mechRaw ?? 'plain').trim().toLowerCase() as SaslMechanism;
  if (!MECHANISMS.includes(mechanism)) {
    throw usage(`--kafka-sasl-mechanism '${String(mechRaw)}' is not supported: use ${MECHANISMS.join(', ')}`);
  }
  if (username === undefined || username === '') {
    throw usage('SASL needs a user name: give --kafka-username or set RECFLOW_KAFKA_USERNAME');
  }
  // The file (flag, RECFLOW_KAFKA_PASSWORD_FILE or config) wins over the env secret, as a flag wins over env everywhere.
  const password = file !== undefined ? readSecretFile(file, '--kafka-password-file') : env.RECFLOW_KAFKA_PASSWORD;
  if (password === undefined || password === '') {
    throw usage('SASL needs a password: set RECFLOW_KAFKA_PASSWORD or give --kafka-password-file (never on the command line)');
  }
  return { mechanism, username, password };
}
