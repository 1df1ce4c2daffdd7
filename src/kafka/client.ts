// kafkajs client settings shared by the Kafka source and sink: TLS/SASL, bounded retries,
// logging routed to recflow's log, and error messages that say what to do.
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaOptions } from './options.js';

export interface KafkaLog {
  log: (message: string) => void;
  debug: boolean;
}

/**
 * Backoff that gives up after roughly `timeoutMs` in total, so an unreachable broker
 * turns into a clear failure (exit 3) instead of kafkajs retrying for minutes.
 */
export function boundedRetry(timeoutMs: number): NonNullable<KafkaConfig['retry']> {
  const initialRetryTime = Math.min(300, Math.max(50, Math.floor(timeoutMs / 20)));
  const maxRetryTime = Math.max(initialRetryTime, Math.min(5_000, Math.floor(timeoutMs / 4)));
  let retries = 0;
  for (let spent = 0, wait = initialRetryTime; ; wait = Math.min(wait * 2, maxRetryTime)) {
    if (spent + wait > timeoutMs) break;
    spent += wait;
    retries++;
  }
  // kafkajs would otherwise restart a crashed consumer forever; we report and exit instead.
  return { initialRetryTime, maxRetryTime, retries: Math.max(1, retries), restartOnFailure: async () => false };
}

export function createKafkaClient(brokers: string[], opts: KafkaOptions, out: KafkaLog): Kafka {
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers,
    connectionTimeout: Math.min(3_000, opts.timeoutMs),
    // SyncGroup may wait for the other members (JoinGroup has its own, longer timeout).
    requestTimeout: Math.max(30_000, opts.timeoutMs),
    retry: boundedRetry(opts.timeoutMs),
    logLevel: out.debug ? logLevel.DEBUG : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!out.debug) return;
      const { message, ...extra } = entry.log;
      delete (extra as Record<string, unknown>).timestamp;
      out.log(`kafkajs ${entry.namespace}: ${message} ${JSON.stringify(extra)}`);
    },
  };
  if (opts.ssl) config.ssl = opts.sslCa ? { ca: [opts.sslCa] } : true;
  if (opts.sasl) config.sasl = { ...opts.sasl } as SASLOptions;
  return new Kafka(config);
}

interface KafkaJsError extends Error {
  type?: string;
  /** A system error code (ECONNREFUSED...): on Node's errors and on kafkajs' connection errors. */
  code?: string;
  retriable?: boolean;
  cause?: unknown;
}

// Errors are told apart by name, protocol type and system code, never by their message text.
const UNREACHABLE = new Set(['KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSNoBrokerAvailableError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const SASL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

/** The innermost cause of a kafkajs error (retry wrappers hide the real reason). */
export function rootCause(err: unknown): KafkaJsError {
  let e = err as KafkaJsError;
  const seen = new Set<unknown>();
  while (e && e.cause instanceof Error && !seen.has(e.cause)) {
    seen.add(e);
    e = e.cause as KafkaJsError;
  }
  return e;
}

/** One sentence for the user: what failed, where, and what to do. Never includes secrets. */
export function describeKafkaError(err: unknown, brokers: string[], what: string): string {
  const root = rootCause(err);
  const at = brokers.join(',');
  const why = root?.message ?? String(err);
  if (root?.name === 'KafkaJSSASLAuthenticationError' || SASL_TYPES.has(root?.type ?? '')) {
    return `Kafka at ${at} refused the SASL login while trying to ${what}: ${why} — check --kafka-username, RECFLOW_KAFKA_PASSWORD or --kafka-password-file, and --kafka-sasl-mechanism`;
  }
  if (root?.type === 'TOPIC_AUTHORIZATION_FAILED' || root?.type === 'GROUP_AUTHORIZATION_FAILED') {
    return `Kafka at ${at} does not allow this user to ${what}: ${why} — ask the cluster's operators for the ACLs`;
  }
  if (root?.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return `cannot ${what} at ${at}: ${why} — check the topic name, or create the topic first`;
  }
  if (UNREACHABLE.has(root?.name ?? '') || NETWORK_CODES.has(root?.code ?? '')) {
    return `cannot reach Kafka at ${at} to ${what}: ${why} — check the address, that the brokers are up, and --kafka-ssl/SASL settings (RECFLOW_KAFKA_*)`;
  }
  return `Kafka at ${at} failed to ${what}: ${why}`;
}

/** Races `p` against a timer so no kafkajs call can hang the run beyond its bound. */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors after which a commit is simply retried later (the group is moving). */
export function isRebalanceError(err: unknown): boolean {
  const t = rootCause(err)?.type ?? '';
  return ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP',
    'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'].includes(t) ||
    rootCause(err)?.name === 'KafkaJSRebalanceInProgress';
}
