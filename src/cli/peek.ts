// `recflow peek kafka://host:port/topic`: a quick look at a topic that joins no group and
// commits nothing (kcat -C's job), optionally with each message checked by the contract.
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { resolveOptions } from '../config/options.js';
import { RecflowError } from '../errors.js';
import { parseKafkaAddress } from '../kafka/address.js';
import { addKafkaClientOptions, parseKafkaOptions } from '../kafka/options.js';
import type { PeekedMessage, StartAt } from '../kafka/peek.js';
import type { Kind } from '../pipeline/types.js';
import { intOption } from './common.js';
import { onStopSignals } from '../pipeline/signals.js';
import { log } from '../log.js';

type CheckRecord = typeof import('../contract/index.js').checkRecord;

interface PeekOptions {
  partition?: number[];
  offset: string;
  fromTime?: number;
  count?: number;
  show?: string;
  validate?: boolean;
  kind?: Kind;
}

export function peekCommand(): Command {
  const cmd = new Command('peek')
    .description('print messages of a Kafka topic without a consumer group and without committing anything')
    .argument('<address>', 'kafka://host:port[,host:port]/topic')
    .option('--partition <p>', 'read only this partition (repeatable; default: all)', (v: string, prev: number[] | undefined) => [...(prev ?? []), intOption(0)(v)])
    .option('--offset <where>', "where each partition starts: 'beginning', 'end', an offset N, or -N for the last N messages", 'beginning')
    .option('--from-time <iso>', 'start each partition at the first message at or after this time (ISO 8601)', parseTime)
    .option('--count <n>', 'stop after n messages in all (default: at the end offsets that stood at the start)', intOption(1))
    .option('--show <what>', "'value' (default: the message value, one a line) or 'meta' (one JSON object a line with key, partition, offset, timestamp, headers)")
    .option('--validate', 'check each message against the contract: one JSON object a line with "valid" and the error codes')
    .option('--kind <kind>', "with --validate: treat every message as this kind: 'customer' or 'inventory'", (v) => {
      if (v !== 'customer' && v !== 'inventory') throw new InvalidArgumentError("expected 'customer' or 'inventory'.");
      return v;
    })
    .option('--debug', 'log every Kafka request kafkajs makes (stderr)');
  addKafkaClientOptions(cmd);
  cmd.action(async (address: string, opts: PeekOptions & Record<string, unknown>) => {
    resolveOptions(cmd); // flag > env (RECFLOW_KAFKA_TIMEOUT, ...) > default, as for run: fills `opts`
    if (opts.show !== undefined && opts.show !== 'value' && opts.show !== 'meta') {
      throw new RecflowError('usage', `--show '${opts.show}' is not known: use 'value' or 'meta'`);
    }
    if (opts.fromTime !== undefined && opts.offset !== 'beginning') throw new RecflowError('usage', '--from-time and --offset exclude each other: give one');
    const { brokers, topics } = parseKafkaAddress(address);
    if (topics.length !== 1) throw new RecflowError('usage', `peek reads one topic; '${address}' names ${topics.length}`);
    const kopts = parseKafkaOptions(opts);
    const start: StartAt = opts.fromTime !== undefined ? { at: 'time', ms: opts.fromTime } : parseOffset(opts.offset);
    // kafkajs and ndjson load only when peek runs: every other command starts without them
    const { createKafkaClient, describeKafkaError } = await import('../kafka/client.js');
    const { peek } = await import('../kafka/peek.js');
    const ndjson = (await import('ndjson')).default;
    const check = opts.validate ? (await import('../contract/index.js')).checkRecord : undefined;
    const kafka = createKafkaClient(brokers, kopts, { log: (m) => log('info', m), debug: Boolean(opts.debug) });
    const stop = new AbortController();
    const signals = onStopSignals(() => stop.abort());
    const print = printer(opts, ndjson, check);
    let n = 0;
    const each = (m: PeekedMessage): void => {
      n++;
      print.each(m);
    };
    try {
      const read = peek(kafka, { topic: topics[0]!, partitions: opts.partition, start, count: opts.count, maxWaitMs: 500 }, each, stop.signal);
      // kafkajs may go on retrying a connection after a stop: past a grace, stop waiting for it
      if ((await Promise.race([read, graceAfter(stop.signal)])) === STUCK) {
        setTimeout(() => process.exit(), STUCK_EXIT_MS).unref(); // its retry timers would keep the process alive
        read.catch(() => {});
      }
      await print.end();
    } catch (err) {
      // a signal while connecting or fetching: the status says why it ended, not the broken read
      if (!signals.received()) {
        if (err instanceof RecflowError) throw err;
        throw new RecflowError('source', describeKafkaError(err, brokers, `read ${topics[0]}`), { cause: err });
      }
    } finally {
      signals.dispose();
    }
    const what = `${n} message${n === 1 ? '' : 's'} from ${topics[0]}; nothing committed`;
    // stopped by a signal: what was read is printed, and the status says why it ended (130/143)
    const sig = signals.received();
    if (sig) throw new RecflowError('interrupted', `peek: interrupted by ${sig} after ${what}`, { signal: sig });
    log('info', `peek: ${what}`, { messages: n, topic: topics[0] }, `recflow peek: ${what}\n`);
  });
  return cmd;
}

const STUCK = Symbol('stuck');
/** How long a stopped peek waits for its read to end, and then for the process to exit by itself. */
const STUCK_AFTER_MS = 1000;
const STUCK_EXIT_MS = 1000;

/** Resolves STUCK once `stop` has been aborted for STUCK_AFTER_MS (never, if it is not). */
function graceAfter(stop: AbortSignal): Promise<typeof STUCK> {
  return new Promise((resolve) => stop.addEventListener('abort', () => setTimeout(() => resolve(STUCK), STUCK_AFTER_MS).unref(), { once: true }));
}

function parseTime(v: string): number {
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-12-01T08:00:00Z.');
  return ms;
}

function parseOffset(v: string): StartAt {
  if (v === 'beginning') return { at: 'beginning' };
  if (v === 'end') return { at: 'end' };
  if (/^\d+$/.test(v)) return { at: 'offset', offset: BigInt(v) };
  if (/^-\d+$/.test(v) && v !== '-0') return { at: 'last', count: BigInt(v.slice(1)) };
  throw new RecflowError('usage', `--offset '${v}' is not known: use beginning, end, an offset N, or -N for the last N messages`);
}

/**
 * How messages are printed: values as text, or (--show meta, --validate) JSON objects
 * through the ndjson package's serializer — off the hot path, where its cycle-safe
 * stringify costs nothing that matters (see docs/decisions.md).
 */
function printer(opts: PeekOptions, ndjson: typeof import('ndjson'), check: CheckRecord | undefined): { each: (m: PeekedMessage) => void; end: () => Promise<void> } {
  const meta = opts.show === 'meta';
  if (!meta && !opts.validate) {
    return { each: (m) => void process.stdout.write((m.value === null ? '' : m.value.toString('utf8')) + '\n'), end: async () => {} };
  }
  const out = ndjson.stringify();
  out.pipe(process.stdout, { end: false });
  return {
    each: (m) => {
      const text = m.value === null ? null : m.value.toString('utf8');
      const row: Record<string, unknown> = meta
        ? { partition: m.partition, offset: m.offset, timestamp: new Date(Number(m.timestamp)).toISOString(), key: m.key?.toString('utf8') ?? null, headers: m.headers }
        : { partition: m.partition, offset: m.offset };
      if (check) Object.assign(row, verdict(check, text, opts.kind ?? headerKind(m.headers.kind)));
      row.value = parsed(text);
      out.write(row);
    },
    end: async () => {
      out.end();
      await once(out, 'end');
    },
  };
}

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function verdict(checkRecord: CheckRecord, text: string | null, kind: Kind | undefined): { valid: boolean; kind: Kind | null; codes: string[] } {
  const value = parsed(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { valid: false, kind: null, codes: ['parse_error'] };
  const res = checkRecord(value as Record<string, unknown>, kind);
  return { valid: res.errors.length === 0, kind: res.kind, codes: res.errors.map((e) => e.code) };
}

function headerKind(h: string | string[] | undefined): Kind | undefined {
  const v = (Array.isArray(h) ? h[0] : h)?.trim().toLowerCase();
  return v === 'customer' || v === 'inventory' ? v : undefined;
}
