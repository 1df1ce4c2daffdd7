// Who opens closes (docs/decisions.md): the stages built for a run are closed on every
// path, an early usage error after they were built included; the run ends with the
// status of the errors.ts table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, tempDir } from '../support/cli.js';
import { startServe } from '../support/serve.js';

let dir: string;
let cleanup: () => void;
let stage: string;
let marker: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('recflow-execute-'));
  marker = join(dir, 'closed.txt');
  stage = join(dir, 'closing-stage.mjs');
  // a user stage whose close() leaves a mark: the only way to see from outside that it ran
  writeFileSync(
    stage,
    `import { appendFileSync } from 'node:fs';\n` +
      `export default { name: 'closing', process: (records) => ({ kept: records, rejected: [] }), close() { appendFileSync(${JSON.stringify(marker)}, 'closed\\n'); } };\n`,
  );
});
afterAll(() => cleanup());

const input = (): string => join(FIXTURES, 'customers.csv');

describe('the stages of a run are closed once, on every path', () => {
  it.each<{ name: string; args: () => string[]; code: number; stderr?: RegExp }>([
    { name: 'a run that succeeds', args: () => [input(), '--to', join(dir, 'ok.ndjson'), '--no-validate'], code: 0 },
    {
      name: 'a usage error after the stages were built (--append on stdout)',
      args: () => [input(), '--append'],
      code: 2,
      stderr: /--append applies to a file sink/,
    },
    {
      name: 'a sink refused after the sources were opened (--to is an input)',
      args: () => {
        const copy = join(dir, 'in.csv');
        writeFileSync(copy, readFileSync(input()));
        return [copy, '--to', copy];
      },
      code: 2,
    },
    { name: 'a missing source', args: () => [join(dir, 'missing.csv'), '--to', join(dir, 'never.ndjson')], code: 2, stderr: /file not found/ },
  ])('$name', async ({ args, code, stderr }) => {
    writeFileSync(marker, '');
    const r = await runCli(['run', ...args(), '--stage', stage, '-q']);
    expect(r.code, r.stderr).toBe(code);
    if (stderr) expect(r.stderr).toMatch(stderr);
    expect(readFileSync(marker, 'utf8')).toBe('closed\n');
  });

  it('--dry-run reads nothing and leaves no stage open (a user stage is parsed, not run, so never closed)', async () => {
    writeFileSync(marker, '');
    const r = await runCli(['run', input(), '--stage', stage, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recflow run --dry-run/);
    expect(readFileSync(marker, 'utf8')).toBe('');
    expect(existsSync(join(dir, 'never.ndjson'))).toBe(false);
  });
});

describe('one signal rule for every command', () => {
  it.each<[NodeJS.Signals, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('serve: a second %s while it drains exits at once with %i', async (signal, code) => {
    // a request held 3 s keeps the drain going: the second signal must not wait for it
    const s = await startServe(['--latency-ms', '3000']);
    const pending = fetch(`${s.url}/in`, { method: 'POST', body: '{"kind":"customer","customer_id":"A"}\n' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    s.child.kill(signal);
    await new Promise((r) => setTimeout(r, 300));
    const res = await s.stop(signal);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(code);
    expect(Date.now() - began).toBeLessThan(2500);
    await pending;
  });
});
