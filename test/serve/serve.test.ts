// `recflow serve` as a user runs it: a child process on a free port.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededUniform } from '../../src/serve/faults.js';
import { tempDir } from '../support/cli.js';
import { runRecflow, startServe, type ServeHandle } from '../support/serve.js';

let tmp: ReturnType<typeof tempDir>;
let serves: ServeHandle[] = [];
beforeEach(() => {
  tmp = tempDir('recflow-serve-');
});
afterEach(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  serves = [];
  tmp.cleanup();
});

async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<ServeHandle> {
  const s = await startServe(args, { env });
  serves.push(s);
  return s;
}

const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', ...headers } });

const lines = (recs: object[]): string => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('recflow serve', () => {
  it('says where it listens, answers /health and /stats, and stops on SIGTERM with 143', async () => {
    const s = await serve();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.port).toBeGreaterThan(0);
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: 'ok' });
    const stats = await s.stats();
    expect(stats).toMatchObject({ batches: 0, records: 0, byKind: {}, duplicates: { batches: 0, records: 0 }, rate: { perSecond: 0, perHour: 0 } });
    const res = await s.stop('SIGTERM');
    expect(res.code).toBe(143);
    expect(res.stderr).toMatch(/stopped by SIGTERM\n$/);
    expect(res.stdout).toBe('');
  });

  it('stops on SIGINT with 130 after answering the request in progress', async () => {
    const s = await serve(['--latency-ms', '500']);
    const pending = post(`${s.url}/in`, lines([{ kind: 'customer', customer_id: 'A' }]));
    // signal once the receiver holds the request, not after a guessed time
    for (let i = 0; i < 1000 && (await s.stats()).inFlight === 0; i++) await new Promise((r) => setImmediate(r));
    expect((await s.stats()).inFlight).toBe(1);
    const stopped = s.stop('SIGINT');
    expect((await pending).status).toBe(200);
    const res = await stopped;
    expect(res.code).toBe(130);
    expect(res.stderr).toContain('1 records in 1 batches');
  });

  it('takes NDJSON, {"records":[...]} and gzip, appends to --out, counts by kind and rate', async () => {
    const out = join(tmp.dir, 'got.ndjson');
    const s = await serve(['--out', out]);
    expect((await post(`${s.url}/a`, lines([{ kind: 'customer', customer_id: 'A' }, { kind: 'inventory', sku: 'S' }]))).status).toBe(200);
    const json = JSON.stringify({ records: [{ kind: 'customer', customer_id: 'B' }] });
    expect((await post(`${s.url}/b`, gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post(`${s.url}/c`, gzipSync(lines([{ kind: 'inventory', sku: 'T' }])), { 'content-encoding': 'gzip' })).status).toBe(200);
    const bad = await post(`${s.url}/d`, '{"kind":"customer"}\nnot json\n');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'line 2 is not valid JSON' });
    const stats = await s.stats();
    expect(stats).toMatchObject({ batches: 3, records: 4, byKind: { customer: 2, inventory: 2 }, refused: { badRequest: 1 } });
    expect(stats.rate.perSecond).toBeGreaterThan(0);
    expect(stats.rate.perHour).toBe(stats.rate.perSecond * 3600);
    await s.stop();
    expect(readFileSync(out, 'utf8')).toBe(lines([{ kind: 'customer', customer_id: 'A' }, { kind: 'inventory', sku: 'S' }, { kind: 'customer', customer_id: 'B' }, { kind: 'inventory', sku: 'T' }]));
  });

  it('appends one clean line per record whatever the body looks like: CRLF, blank lines, blanks around, no last newline, bad UTF-8', async () => {
    const out = join(tmp.dir, 'got.ndjson');
    const s = await serve(['--out', out]);
    const bodies: (string | Buffer)[] = [
      '{"kind":"customer","id":"a"}\n{"kind":"customer","id":"b"}\n', // appended as sent
      '{"kind":"customer","id":"c"}\r\n  {"kind":"customer","id":"d"}  \n\n{"kind":"customer","id":"e"}', // cleaned
      Buffer.concat([Buffer.from('{"kind":"customer","id":"'), Buffer.from([0xff]), Buffer.from('"}\n')]), // U+FFFD, as decoded
      '{"kind":"customer","id":"f","name":"Zoë \\"Z\\""}\n', // non-ASCII and escapes, as sent
    ];
    for (const b of bodies) expect((await post(`${s.url}/x`, b)).status).toBe(200);
    await s.stop();
    expect(readFileSync(out, 'utf8')).toBe(
      ['a', 'b', 'c', 'd', 'e'].map((id) => `{"kind":"customer","id":"${id}"}\n`).join('') +
        '{"kind":"customer","id":"\ufffd"}\n' +
        '{"kind":"customer","id":"f","name":"Zoë \\"Z\\""}\n',
    );
  });

  it('drops a batch whose Idempotency-Key it already took (200, counted), also across restarts with --keys-file', async () => {
    const out = join(tmp.dir, 'got.ndjson');
    const keys = join(tmp.dir, 'keys');
    const args = ['--out', out, '--keys-file', keys];
    let s = await serve(args);
    const body = lines([{ kind: 'customer', customer_id: 'A' }]);
    expect(await (await post(`${s.url}/x`, body, { 'idempotency-key': 'k1' })).json()).toEqual({ accepted: 1, duplicate: false });
    expect(await (await post(`${s.url}/x`, body, { 'idempotency-key': 'k1' })).json()).toEqual({ accepted: 0, duplicate: true });
    expect((await s.stats()).duplicates).toEqual({ batches: 1, records: 1 });
    await s.stop();
    s = await serve(args);
    expect(await (await post(`${s.url}/x`, body, { 'idempotency-key': 'k1' })).json()).toEqual({ accepted: 0, duplicate: true });
    expect(await (await post(`${s.url}/x`, body, { 'idempotency-key': 'k2' })).json()).toEqual({ accepted: 1, duplicate: false });
    await s.stop();
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('checks the bearer token (--token or RECFLOW_SERVE_TOKEN) and leaves /health open', async () => {
    for (const s of [await serve(['--token', 'tok']), await serve([], { RECFLOW_SERVE_TOKEN: 'tok' })]) {
      const body = lines([{ kind: 'customer' }]);
      expect((await post(`${s.url}/x`, body)).status).toBe(401);
      expect((await post(`${s.url}/x`, body, { authorization: 'Bearer nope' })).status).toBe(401);
      expect((await post(`${s.url}/x`, body, { authorization: 'Bearer tok' })).status).toBe(200);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await s.stats()).refused.unauthorized).toBe(2);
    }
  });

  it('injects 503, 429 with Retry-After, and dropped connections, reproducibly from the seed', async () => {
    const fates = async (seed: string): Promise<string[]> => {
      const s = await serve(['--fail-rate', '0.3', '--throttle-rate', '0.3', '--drop-rate', '0.2', '--retry-after', '2', '--seed', seed]);
      expect(s.stderr()).toContain(`injecting faults (503 0.3, 429 0.3, drop 0.2; seed ${seed})`);
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        const key = `batch-${i % 10}`; // each key four times: its fate sequence counts tries
        const res = await post(`${s.url}/x`, lines([{ kind: 'customer', customer_id: String(i) }]), { 'idempotency-key': key }).catch(() => null);
        seen.push(res === null ? 'drop' : res.status === 429 ? `429 after ${res.headers.get('retry-after')}` : String(res.status));
      }
      await s.stop();
      return seen;
    };
    const a = await fates('42');
    expect(await fates('42')).toEqual(a);
    expect(await fates('43')).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set(['200', '503', '429 after 2', 'drop']));
  });

  it('draws fates near the asked shares', () => {
    let failed = 0;
    for (let n = 0; n < 10_000; n++) if (seededUniform('1', 'k', n) < 0.3) failed++;
    expect(failed).toBeGreaterThan(2800);
    expect(failed).toBeLessThan(3200);
  });

  it('refuses bad options with exit 2 and a message naming the option', async () => {
    const res = await runRecflow(['serve', '--fail-rate', '0.7', '--throttle-rate', '0.5']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--fail-rate, --throttle-rate and --drop-rate add up to more than 1');
    const res2 = await runRecflow(['serve', '--port', 'eighty']);
    expect(res2.code).toBe(2);
    expect(res2.stderr).toContain("--port must be a whole number from 0 to 65535, got 'eighty'");
  });

  it('says when the port is taken', async () => {
    const s = await serve();
    const res = await runRecflow(['serve', '--port', String(s.port)]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`cannot listen on 127.0.0.1:${s.port}: the port is in use (try --port 0 for a free one)`);
  });
});
