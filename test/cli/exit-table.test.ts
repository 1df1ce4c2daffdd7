// Exit statuses come from the one table in src/errors.ts, whatever the path: the same
// failure gives the same status whether met while opening or in the middle of a run.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS, exitCodeFor, RecflowError, signalExitStatus, type RecflowErrorCode } from '../../src/errors.js';
import { describeKafkaError } from '../../src/kafka/client.js';
import { collect, FIXTURES, ROOT, runCli, spawnCli, tempDir } from '../support/cli.js';
import { startServe } from '../support/serve.js';

const tmp = tempDir('recflow-exit-table-');
let csv: string;
beforeAll(async () => {
  csv = (await runCli(['generate', 'customers', '--count', '20000', '--seed', '3'])).stdout;
});
afterAll(() => tmp.cleanup());

const file = (name: string, bytes: Buffer | string): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('the table', () => {
  const table: [RecflowErrorCode, number][] = [
    ['usage', 2],
    ['config', 2],
    ['input', 2],
    ['data', 1],
    ['sink', 3],
    ['source', 3],
    ['internal', 3],
  ];
  it.each(table)('%s → %d', (code, status) => {
    expect(EXIT_STATUS[code]).toBe(status);
    expect(exitCodeFor(new RecflowError(code, 'x'))).toBe(status);
  });

  it('signals, and errors that are not RecflowErrors', () => {
    expect(signalExitStatus('SIGINT')).toBe(130);
    expect(signalExitStatus('SIGTERM')).toBe(143);
    expect(exitCodeFor(new RecflowError('interrupted', 'x', { signal: 'SIGTERM' }))).toBe(143);
    expect(exitCodeFor(new RecflowError('interrupted', 'x', { signal: 'SIGINT' }))).toBe(130);
    expect(exitCodeFor(new Error('boom'))).toBe(3);
  });
});

describe('a corrupt .gz: exit 3 (the source failed) wherever it is met', () => {
  const gz = (): Buffer => gzipSync(csv);
  const cases: [string, () => Buffer][] = [
    // the header is read at open (CSV): met before the run
    ['cut after 20 bytes, met at open (.csv.gz)', () => gz().subarray(0, 20)],
    ['not gzip at all, met at open (.csv.gz)', () => Buffer.from('customer_id,email\nC1,a@b.c\n')],
    ['cut in the middle, met mid-file (.csv.gz)', () => gz().subarray(0, Math.floor(gz().length / 2))],
  ];
  it.each(cases)('%s', async (_what, bytes) => {
    const input = file(`in-${Math.random().toString(36).slice(2)}.csv.gz`, bytes());
    const res = await runCli(['run', input, '--to', join(tmp.dir, 'out.ndjson'), '-q']);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain(input.split('/').pop()!);
  });

  it('the same bytes as .ndjson.gz (no header read at open: met in the run) exit the same', async () => {
    // a gzip header, then bytes that are no deflate block: nothing decodes (as in a file cut short at the start)
    const cut = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 5, 6, 7]);
    const asCsv = await runCli(['run', file('cut.csv.gz', cut), '--to', join(tmp.dir, 'o1.ndjson'), '-q']);
    const asNdjson = await runCli(['run', file('cut.ndjson.gz', cut), '--to', join(tmp.dir, 'o2.ndjson'), '-q']);
    expect([asCsv.code, asNdjson.code]).toEqual([3, 3]);
  });
});

describe('every command takes its status from the table', () => {
  it.each([
    [['run', '--no-such-option'], 2],
    [['run', '/nonexistent/x.csv'], 2],
    [['generate', 'customers'], 2],
    [['serve', '--port', 'x'], 2],
    [['peek', 'kafka://h:1/t', '--count', '0'], 2],
  ])('%j → %d', async (args, code) => {
    const res = await runCli(args);
    expect(res.code, res.stderr).toBe(code);
  });

  it('validate with rejects → 1', async () => {
    expect((await runCli(['validate', join(FIXTURES, 'customers.csv'), '-q'])).code).toBe(1);
  });

  it('serve: SIGINT → 130, SIGTERM → 143', async () => {
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const serve = await startServe(['--quiet']);
      const res = await serve.stop(signal);
      expect(res.code, res.stderr).toBe(code);
    }
  });

  it('generate: SIGTERM → 143', async () => {
    const child = spawnCli(['generate', 'customers', '--count', '1000000', '--rate', '200']);
    const done = collect(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGTERM');
    expect((await done).code).toBe(143);
  });
});

describe('nothing classifies errors by their message text', () => {
  // Kafka failures: by kafkajs' error name, protocol type or the system code, whatever the message says
  const kafka = (fields: Record<string, string>, message = 'some text'): Error => Object.assign(new Error(message), fields);
  it.each([
    [kafka({ name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' }), /^cannot reach Kafka/],
    [kafka({ code: 'ENOTFOUND' }), /^cannot reach Kafka/],
    [kafka({ name: 'KafkaJSProtocolError', type: 'SASL_AUTHENTICATION_FAILED' }), /refused the SASL login/],
    [kafka({ name: 'KafkaJSSASLAuthenticationError' }), /refused the SASL login/],
    [kafka({ name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' }), /does not allow this user/],
    // a message that merely mentions a connection or SASL is not classified by it
    [kafka({}, 'Connection lost while authenticating with SASL'), /^Kafka at h:1 failed to read t: Connection lost/],
  ])('describeKafkaError %#', (err, expected) => {
    expect(describeKafkaError(err, ['h:1'], 'read t')).toMatch(expected);
  });

  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  // `.message.includes(...)`, `/re/.test(err.message)`, `err.message.match(...)` and the like
  const PATTERNS = [
    /\.message\s*\)?\s*\.(includes|match|startsWith|endsWith|search)\(/,
    /\.test\(\s*(\w+\.)*(message|String\((err|e|error)\))\s*\)/,
    /\.test\(\s*(why|msg|reason)\s*\)/,
  ];
  it('in src/', () => {
    const hits = files(join(ROOT, 'src')).flatMap((p) =>
      readFileSync(p, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${p.slice(ROOT.length)}:${i + 1}` }))
        .filter(({ line }) => PATTERNS.some((re) => re.test(line)))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(hits).toEqual([]);
  });
});
