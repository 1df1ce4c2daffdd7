// A Kafka broker for the bench: librdkafka's mock cluster (test/support/mock-cluster.c,
// built with gcc -lrdkafka), or RECFLOW_TEST_KAFKA=host:port. The mock cluster keeps only
// about 4-5 MB per partition and deletes older segments, so a figure computed from what
// was produced, not from what the topic holds, can be wrong: countTopic() asks kcat.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** @returns {Promise<{bootstrap: string, mock: boolean, createTopic: (name: string, partitions: number) => Promise<void>, stop: () => Promise<void>}>} */
export async function startBroker(root) {
  if (process.env.RECFLOW_TEST_KAFKA) {
    const bootstrap = process.env.RECFLOW_TEST_KAFKA;
    return {
      bootstrap,
      mock: false,
      createTopic: async (name, partitions) => {
        const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
        await admin.disconnect();
      },
      stop: async () => {},
    };
  }
  const binDir = join(root, 'test', 'support', 'bin');
  const bin = join(binDir, 'mock-cluster');
  if (!existsSync(bin)) {
    mkdirSync(binDir, { recursive: true });
    execFileSync('gcc', ['-O2', '-o', bin, join(root, 'test', 'support', 'mock-cluster.c'), '-lrdkafka']);
  }
  const child = spawn(bin, ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const bootstrap = (await lines.next()).value.replace(/^bootstrap /, '');
  return {
    bootstrap,
    mock: true,
    createTopic: async (name, partitions) => {
      child.stdin.write(`topic ${name} ${partitions}\n`);
      const answer = (await lines.next()).value;
      if (!answer.startsWith('ok')) throw new Error(answer);
    },
    stop: async () => {
      child.stdin.end('quit\n');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

export const haveKcat = () => spawnSync('sh', ['-c', 'command -v kcat']).status === 0;

/** Messages the topic holds now, read end to end by kcat (NaN without kcat). */
export function countTopic(bootstrap, topic) {
  if (!haveKcat()) return NaN;
  const res = spawnSync('sh', ['-c', `kcat -b '${bootstrap}' -C -t '${topic}' -e -q -f '%o\\n' | wc -l`], { encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) throw new Error(`kcat on ${topic} failed: ${res.stderr}`);
  return Number(res.stdout.trim());
}
