// Parses `kafka://host:port[,host:port]/topic[,topic]` addresses for the Kafka source and sink.
import { RecflowError } from '../errors.js';
import { redactAddress } from '../redact.js';

export interface KafkaAddress {
  /** `host:port` strings as kafkajs wants them. */
  brokers: string[];
  topics: string[];
}

export const DEFAULT_KAFKA_PORT = 9092;

// Kafka's own rule for topic names.
const TOPIC_RE = /^[A-Za-z0-9._-]{1,249}$/;

export function isKafkaAddress(address: string): boolean {
  return /^kafka:\/\//i.test(address);
}

/**
 * `allowKind` lets a sink topic hold `{kind}`; a source reads fixed topics only.
 * Every problem is a usage error that names the address and shows the expected form.
 */
export function parseKafkaAddress(address: string, opts: { allowKind?: boolean } = {}): KafkaAddress {
  const bad = (why: string): RecflowError =>
    new RecflowError(
      'usage',
      `bad Kafka address '${redactAddress(address)}': ${why} — expected kafka://host:port[,host:port]/topic${opts.allowKind ? '' : '[,topic]'}`,
    );
  if (!isKafkaAddress(address)) throw bad('it must start with kafka://');
  const rest = address.slice('kafka://'.length);
  if (/[?#]/.test(rest)) throw bad('query strings are not supported; use the --group/--kafka-* options');
  const slash = rest.indexOf('/');
  if (slash < 0) throw bad('no topic after the broker list');
  const hostPart = rest.slice(0, slash);
  const topicPart = rest.slice(slash + 1);
  if (hostPart === '') throw bad('no broker before the topic');

  if (hostPart.includes('@')) throw bad('user names and passwords do not belong in the address; use RECFLOW_KAFKA_USERNAME and RECFLOW_KAFKA_PASSWORD(_FILE)');
  const brokers = hostPart.split(',').map((h) => parseBroker(h, bad));
  const topics = topicPart.split(',');
  if (opts.allowKind && topics.length > 1) throw bad('a sink writes to one topic (it may contain {kind})');
  for (const t of topics) {
    const plain = opts.allowKind ? t.replaceAll('{kind}', 'kind') : t;
    if (t === '') throw bad('empty topic name');
    if (!TOPIC_RE.test(plain)) {
      throw bad(`topic '${t}' may hold only letters, digits, '.', '_' and '-' (at most 249)`);
    }
  }
  return { brokers, topics: [...new Set(topics)] };
}

function parseBroker(text: string, bad: (why: string) => RecflowError): string {
  const h = text.trim();
  if (h === '') throw bad('empty broker in the list');
  // kafkajs splits bootstrap addresses on ':', so IPv6 literals cannot work.
  if (h.startsWith('[') || h.split(':').length > 2) {
    throw bad(`broker '${h}': IPv6 literals are not supported, use a host name`);
  }
  const [host = '', port] = h.split(':');
  if (host === '' || !/^[A-Za-z0-9._-]+$/.test(host)) throw bad(`broker '${h}' has no valid host`);
  let n = DEFAULT_KAFKA_PORT;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw bad(`broker '${h}' has a bad port (1-65535)`);
    }
    n = Number(port);
  }
  return `${host}:${n}`;
}

/** The topic for one record of a sink topic template (`{kind}` → customer/inventory). */
export function topicFor(template: string, kind: string): string {
  return template.replaceAll('{kind}', kind);
}
