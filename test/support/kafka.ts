// A Kafka broker for tests: librdkafka's mock cluster (test/support/mock-cluster.c, built
// here with gcc -lrdkafka), or a real cluster when RECFLOW_TEST_KAFKA=host:port is set.
// In CI (CI=true) a broker that cannot be started fails the suite; elsewhere tests skip.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, tempDir } from './cli.js';

const SRC = join(ROOT, 'test', 'support', 'mock-cluster.c');
const BIN_DIR = join(ROOT, 'test', 'support', 'bin');
const BIN = join(BIN_DIR, 'mock-cluster');
export const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

export interface TestKafka {
  /** Bootstrap servers, `host:port[,host:port]`. */
  bootstrap: string;
  /** True for the mock cluster: brokers can be taken down. */
  mock: boolean;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Mock only: disconnect broker `id` (-1: all) and refuse new connections. */
  setDown(id?: number): Promise<void>;
  setUp(id?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the mock cluster program when missing or older than its source. */
export function buildMockCluster(): string {
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= statSync(SRC).mtimeMs) return BIN;
  mkdirSync(BIN_DIR, { recursive: true });
  // Test files build in parallel: compile aside, then rename into place atomically.
  const tmp = `${BIN}.${process.pid}`;
  execFileSync('gcc', ['-O2', '-Wall', '-o', tmp, SRC, '-lrdkafka'], { stdio: 'pipe' });
  renameSync(tmp, BIN);
  return BIN;
}

/** Whether a broker can be had; in CI the reason becomes a failure, elsewhere a skip. */
export function kafkaAvailability(): { ok: boolean; reason?: string } {
  if (process.env.RECFLOW_TEST_KAFKA) return { ok: true };
  try {
    buildMockCluster();
    return { ok: true };
  } catch (err) {
    const out = (err as { stderr?: Buffer }).stderr?.toString().trim();
    const reason = `cannot build the Kafka mock cluster (needs gcc and librdkafka-dev): ${out || (err as Error).message}`;
    if (IN_CI) throw new Error(reason);
    return { ok: false, reason };
  }
}

/** Whether a file's Kafka tests can run; when not, says why `what` is skipped. */
export function kafkaTestsRun(what: string): boolean {
  const avail = kafkaAvailability();
  if (!avail.ok) console.warn(`skipping ${what}: ${avail.reason}`);
  return avail.ok;
}

/** Short waits for recflow runs, so that idle fetches, group joins and failures take seconds, not minutes. */
export const KAFKA_TEST_ENV: Readonly<Record<string, string>> = { RECFLOW_KAFKA_MAX_WAIT: '100ms', RECFLOW_KAFKA_SESSION_TIMEOUT: '6s', RECFLOW_KAFKA_TIMEOUT: '5s' };

/**
 * A broker for the tests of one describe block, started before them and stopped after
 * them, and (with `tmpPrefix`) a temp folder removed after them. Call it in the block.
 */
export function useKafka(tmpPrefix?: string): { kafka: TestKafka; tmp: { dir: string; cleanup: () => void } } {
  let started: TestKafka | undefined;
  const tmp = tmpPrefix === undefined ? { dir: '', cleanup: () => {} } : tempDir(tmpPrefix);
  beforeAll(async () => {
    started = await startKafka();
  });
  afterAll(async () => {
    await started?.stop();
    tmp.cleanup();
  });
  const live = (): TestKafka => {
    if (!started) throw new Error('the broker starts in beforeAll: use it inside a test or hook');
    return started;
  };
  const kafka: TestKafka = {
    get bootstrap() {
      return live().bootstrap;
    },
    get mock() {
      return live().mock;
    },
    createTopic: (name, partitions) => live().createTopic(name, partitions),
    setDown: (id) => live().setDown(id),
    setUp: (id) => live().setUp(id),
    stop: () => live().stop(),
  };
  return { kafka, tmp };
}

export function hasKcat(): boolean {
  const ok = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!ok && IN_CI) throw new Error('kcat is not installed (Debian package kcat): CI must install it');
  return ok;
}

export async function startKafka(brokers = 1): Promise<TestKafka> {
  const real = process.env.RECFLOW_TEST_KAFKA;
  if (real) return realKafka(real);
  const child = spawn(buildMockCluster(), [String(brokers)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const pending: ((line: string) => void)[] = [];
  lines.on('line', (line) => pending.shift()?.(line));
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('mock cluster did not answer')), 5_000);
      pending.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await next();
  if (!first.startsWith('bootstrap ')) throw new Error(`mock cluster said: ${first}`);
  const command = async (cmd: string): Promise<void> => {
    const answer = next();
    child.stdin!.write(`${cmd}\n`);
    const line = await answer;
    if (!line.startsWith('ok ')) throw new Error(`mock cluster: ${cmd}: ${line}`);
  };
  return {
    bootstrap: first.slice('bootstrap '.length).trim(),
    mock: true,
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    setDown: (id = -1) => command(`down ${id}`),
    setUp: (id = -1) => command(`up ${id}`),
    stop: async () => {
      child.stdin!.end('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function realKafka(bootstrap: string): TestKafka {
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  const unsupported = async (): Promise<void> => {
    throw new Error('taking brokers down needs the mock cluster (unset RECFLOW_TEST_KAFKA)');
  };
  return {
    bootstrap,
    mock: false,
    createTopic: async (name, partitions) => {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    },
    setDown: unsupported,
    setUp: unsupported,
    stop: () => admin.disconnect(),
  };
}

let seq = 0;
/** A topic/group name no other test (or earlier run against a real cluster) used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

export interface TestMessage {
  key?: string | null;
  value: string | null;
  partition?: number;
  headers?: Record<string, string>;
}

/** Produces with kafkajs (acks from all replicas); returns once acknowledged. */
export async function produce(bootstrap: string, topic: string, messages: TestMessage[]): Promise<void> {
  const producer = client(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** End offsets per partition, e.g. { 0: 25, 1: 28 }. */
export async function endOffsets(bootstrap: string, topic: string): Promise<Record<number, number>> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const out: Record<number, number> = {};
    for (const o of await admin.fetchTopicOffsets(topic)) out[o.partition] = Number(o.high);
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offsets per partition (-1: none). */
export async function committedOffsets(bootstrap: string, group: string, topic: string): Promise<Record<number, number>> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const out: Record<number, number> = {};
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of t?.partitions ?? []) out[p.partition] = Number(p.offset);
    return out;
  } finally {
    await admin.disconnect();
  }
}

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers: string[] | undefined;
}

/** Reads a whole topic with kcat (a second, independent client). */
export function kcatConsume(bootstrap: string, topic: string): KcatMessage[] {
  const r = spawnSync('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as KcatMessage);
}

/** Produces lines `key<TAB>value` with kcat, each with the given headers. */
export function kcatProduce(bootstrap: string, topic: string, lines: string[], headers: Record<string, string> = {}): void {
  const args = ['-b', bootstrap, '-P', '-t', topic, '-K', '\t'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const r = spawnSync('kcat', args, { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
}
