// Bearer tokens on both sides: checked before anything is sent or written, never
// printed; `serve` takes its token from a file or the environment, guards /stats
// with it, and warns when it listens beyond loopback without one.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback, parseServeOptions } from '../../../src/cli/serve.js';
import { RecflowError } from '../../../src/errors.js';
import { checkToken, parseHeaders } from '../../../src/sinks/http/options.js';
import { FIXTURES, runCli, tempDir } from '../../support/cli.js';
import { scriptedServer, startServe, type ScriptedServer, type ServeHandle } from '../../support/serve.js';

let tmp: ReturnType<typeof tempDir>;
let target: ScriptedServer;
const serves: ServeHandle[] = [];
beforeAll(async () => {
  tmp = tempDir('recflow-tokens-');
  target = await scriptedServer(() => ({ status: 200, body: '{}' }));
});
afterEach(async () => {
  await Promise.all(serves.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

const file = (name: string, text: string): string => {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
};

function errorOf(fn: () => unknown): RecflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RecflowError) return err;
    throw err;
  }
  throw new Error('expected a RecflowError');
}

/** `run` to the scripted endpoint with a dead-letter file; the token comes from env or args. */
async function send(name: string, args: string[], env: Record<string, string> = {}) {
  const dlq = join(tmp.dir, `${name}.dlq.ndjson`);
  const before = target.requests.length;
  const res = await runCli(['run', join(FIXTURES, 'customers.csv'), '--to', `${target.url}/ingest`, '--dlq', dlq, '--retries', '1', ...args], {
    env: { RECFLOW_HTTP_TOKEN: undefined, ...env },
  });
  return { ...res, sent: target.requests.length - before, dlqWritten: existsSync(dlq) };
}

describe('checkToken', () => {
  it.each([
    ['tok\u0001en', 'holds whitespace or control characters'],
    ['tok\u007fen', 'holds whitespace or control characters'],
    ['tok en', 'holds whitespace or control characters'],
    ['tok\ten', 'holds whitespace or control characters'],
    ['tok\u0000en', 'holds whitespace or control characters'],
    ['tok\u00e9n', 'holds a character that is not printable ASCII'],
    ['tok\u2028en', 'holds a character that is not printable ASCII'],
    ['', 'is empty'],
  ])('refuses %j, naming where it came from but not the token', (token, why) => {
    const err = errorOf(() => checkToken(token, 'RECFLOW_HTTP_TOKEN'));
    expect(err.code).toBe('config');
    expect(err.message).toContain(`the token in RECFLOW_HTTP_TOKEN ${why}`);
    if (token !== '') expect(err.message).not.toContain(token);
  });

  it('takes any printable ASCII without spaces, and refuses anything with another character', () => {
    const visible = fc.stringMatching(/^[\x21-\x7e]+$/);
    fc.assert(fc.property(visible, (t) => checkToken(t, 'x') === t));
    const other = fc.integer({ min: 0, max: 0xffff }).filter((c) => c < 0x21 || c > 0x7e);
    fc.assert(
      fc.property(visible, other, visible, (a, c, b) => {
        expect(() => checkToken(a + String.fromCharCode(c) + b, 'x')).toThrow(RecflowError);
      }),
    );
  });
});

describe('--header values', () => {
  it.each(['X-Api-Key: se\rcret', 'X-Api-Key: se\ncret', 'X-Api-Key: se\u0001cret', 'X-Api-Key: se\u007fcret'])(
    'refuses %j without printing the value',
    (entry) => {
      const err = errorOf(() => parseHeaders([entry]));
      expect(err.code).toBe('usage');
      expect(err.message).toContain('--header X-Api-Key');
      expect(err.message).not.toContain('se');
    },
  );

  it('keeps a value with a tab and non-ASCII text', () => {
    expect(parseHeaders(['X-Note: a\tb é'])).toEqual({ 'X-Note': 'a\tb é' });
  });
});

describe('run --to http:// with a bad token', () => {
  it.each([
    ['a control character', 'tok\u0001secret'],
    ['a space inside', 'tok secret'],
    ['only spaces', '   '],
  ])('RECFLOW_HTTP_TOKEN with %s: exit 2 before anything is sent or written, token not shown', async (_what, token) => {
    const res = await send('env', [], { RECFLOW_HTTP_TOKEN: token });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('RECFLOW_HTTP_TOKEN');
    expect(res.stderr).not.toContain('secret');
    expect(res.stdout).toBe('');
    expect(res.sent).toBe(0);
    expect(res.dlqWritten).toBe(false);
  });

  it('--token-file holding a control character: exit 2, the message names the file', async () => {
    const path = file('bad-token', 'tok\u001bsecret\n');
    const res = await send('file', ['--token-file', path]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`the token in --token-file ${path} holds whitespace or control characters`);
    expect(res.stderr).not.toContain('secret');
    expect(res.sent).toBe(0);
    expect(res.dlqWritten).toBe(false);
  });

  it('a --header with a control character: exit 2 before anything is sent', async () => {
    const res = await send('header', ['--header', 'X-Api-Key: k\u0001secret']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--header X-Api-Key');
    expect(res.stderr).not.toContain('secret');
    expect(res.sent).toBe(0);
  });

  it('a good token from the environment is sent', async () => {
    const res = await send('good', ['-q'], { RECFLOW_HTTP_TOKEN: 'tok-good-1' });
    expect(res.code).toBe(0);
    expect(res.sent).toBeGreaterThan(0);
    expect(target.requests.at(-1)!.headers.authorization).toBe('Bearer tok-good-1');
  });
});

describe('serve tokens', () => {
  const env = (e: Record<string, string>): NodeJS.ProcessEnv => e;

  it('takes the token from --token, --token-file or RECFLOW_SERVE_TOKEN; a flag wins over the environment', () => {
    const path = file('serve-token', 'from-file\n');
    expect(parseServeOptions({ token: 'from-flag' }, env({ RECFLOW_SERVE_TOKEN: 'from-env' })).token).toBe('from-flag');
    expect(parseServeOptions({ tokenFile: path }, env({ RECFLOW_SERVE_TOKEN: 'from-env' })).token).toBe('from-file');
    expect(parseServeOptions({}, env({ RECFLOW_SERVE_TOKEN: ' from-env ' })).token).toBe('from-env');
    expect(parseServeOptions({}, env({})).token).toBeUndefined();
  });

  it.each([
    [{ token: 'a', tokenFile: 'f' }, {}, 'usage', 'give the token once: --token or --token-file, not both'],
    [{ token: '' }, {}, 'config', 'the token in --token is empty'],
    [{ token: 'a\u0001b' }, {}, 'config', 'the token in --token holds whitespace or control characters'],
    [{}, { RECFLOW_SERVE_TOKEN: 'a b' }, 'config', 'the token in RECFLOW_SERVE_TOKEN holds whitespace or control characters'],
    [{}, { RECFLOW_SERVE_TOKEN: '  ' }, 'config', 'the token in RECFLOW_SERVE_TOKEN is empty'],
  ] as const)('refuses %j %j', (raw, e, code, message) => {
    const err = errorOf(() => parseServeOptions({ ...raw }, env({ ...e })));
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
  });

  it('refuses a token file with a control character, naming the file', () => {
    const path = file('serve-bad', 'a\u0007b');
    expect(errorOf(() => parseServeOptions({ tokenFile: path }, env({}))).message).toContain(`the token in --token-file ${path} holds whitespace or control characters`);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['example.org', false],
  ])('isLoopback(%s) is %s', (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});

describe('recflow serve with a token', () => {
  const body = `${JSON.stringify({ kind: 'customer', customer_id: 'C1' })}\n`;
  const post = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', ...headers } });

  it.each([
    ['--token-file', (path: string) => ({ args: ['--token-file', path], env: {} })],
    ['RECFLOW_SERVE_TOKEN', () => ({ args: [], env: { RECFLOW_SERVE_TOKEN: 'serve-tok-9' } })],
  ])('from %s: ingest and /stats need it, /health does not', async (_from, how) => {
    const { args, env: e } = how(file('serve-ok', 'serve-tok-9\n'));
    const s = await startServe(args, { env: e });
    serves.push(s);
    expect((await post(s.url)).status).toBe(401);
    expect((await post(s.url, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(s.url, { authorization: 'Bearer serve-tok-9' })).status).toBe(200);
    const open = await fetch(`${s.url}/stats`);
    expect(open.status).toBe(401);
    expect(await open.text()).not.toContain('records');
    const stats = await fetch(`${s.url}/stats`, { headers: { authorization: 'Bearer serve-tok-9' } });
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ records: 1, refused: { unauthorized: 3 } });
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(s.stderr()).not.toContain('serve-tok-9');
  });

  it('a control character in RECFLOW_SERVE_TOKEN: exit 2 before listening, token not shown', async () => {
    const res = await runCli(['serve', '--port', '0'], { env: { RECFLOW_SERVE_TOKEN: 'tok\u0002secret' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('RECFLOW_SERVE_TOKEN');
    expect(res.stderr).not.toContain('secret');
    expect(res.stderr).not.toContain('listening');
  });

  it('warns on a non-loopback --host without a token, not with one', async () => {
    const open = await startServe(['--host', '0.0.0.0'], { env: { RECFLOW_SERVE_TOKEN: undefined } });
    serves.push(open);
    expect(open.stderr()).toMatch(/warning: --host 0\.0\.0\.0 is not a loopback address and no token is set/);
    const guarded = await startServe(['--host', '0.0.0.0'], { env: { RECFLOW_SERVE_TOKEN: 'tok-x' } });
    serves.push(guarded);
    expect(guarded.stderr()).not.toContain('warning');
    const local = await startServe([], { env: { RECFLOW_SERVE_TOKEN: undefined } });
    serves.push(local);
    expect(local.stderr()).not.toContain('warning');
  });
});
