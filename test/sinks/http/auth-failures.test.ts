// A run whose batches are refused for auth (401/403) stops after --auth-failures in a
// row: every record is still accounted for, and the run fails (exit 3) naming the cause.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../support/cli.js';
import { startServe, type ServeHandle } from '../../support/serve.js';

describe('--auth-failures', () => {
  let dir: string;
  let cleanup: () => void;
  let serve: ServeHandle;
  let input: string;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('recflow-auth-'));
    writeFileSync(join(dir, 'token'), 'right-token\n');
    serve = await startServe(['--token-file', join(dir, 'token'), '--quiet']);
    input = join(dir, 'c.ndjson');
    writeFileSync(input, Array.from({ length: 40 }, (_, i) => JSON.stringify({ customer_id: `C${i}`, email: `u${i}@example.com` })).join('\n') + '\n');
  });
  afterAll(async () => {
    await serve?.stop();
    cleanup();
  });

  const run = (extra: string[], env: Record<string, string | undefined> = {}) =>
    runCli(['run', input, '--to', `${serve.url}/ingest`, '--batch-records', '5', '--concurrency', '1', '--dlq', join(dir, 'd.ndjson'), '--summary-json', join(dir, 's.json'), '-q', ...extra], {
      env: { RECFLOW_HTTP_TOKEN: undefined, ...env },
    });

  it('without the token: stops after 3 refused batches, exit 3, says to check the token; nothing lost', async () => {
    const res = await run([]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/HTTP 401 3 times in a row: .* does not accept the credentials; check the token/);
    expect(res.stderr).not.toMatch(/right-token/);
    // every record is in the dead-letter output, each with the status or the reason the run stopped
    const rows = readFileSync(join(dir, 'd.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { errors: Array<{ code: string; message: string }> });
    expect(rows).toHaveLength(40);
    for (const r of rows) {
      expect(['http_rejected', 'delivery_failed']).toContain(r.errors[0]!.code);
      expect(r.errors[0]!.message).toMatch(/HTTP 401/);
    }
    const s = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')) as { records: Record<string, number> };
    expect(s.records.in).toBe(s.records.out + s.records.rejected + s.records.dropped + s.records.failed);
  });

  it('--auth-failures 1 stops at the first; with the right token everything is delivered', async () => {
    const one = await run(['--auth-failures', '1']);
    expect(one.code).toBe(3);
    expect(one.stderr).toMatch(/HTTP 401 1 times in a row/);
    const ok = await run([], { RECFLOW_HTTP_TOKEN: 'right-token' });
    expect(ok.code).toBe(0);
  });
});
