// Secrets in addresses never appear in messages, the summary or --dry-run output.
import { describe, expect, it } from 'vitest';
import { redactAddress } from '../../src/redact.js';
import { runCli } from '../support/cli.js';

describe('redactAddress', () => {
  it.each([
    ['kafka://user:s3cret@host:9092/t', 'kafka://<redacted>@host:9092/t'],
    ['https://u:p@example.com/x?api_key=abc', 'https://<redacted>@example.com/x?<redacted>'],
    ['http://127.0.0.1:8080/ingest', 'http://127.0.0.1:8080/ingest'],
    ['https://example.com/x?token=abc#frag', 'https://example.com/x?<redacted>'],
    ['data/customers.csv', 'data/customers.csv'],
    ['weird?name.csv', 'weird?name.csv'],
  ])('%s → %s', (input, shown) => {
    expect(redactAddress(input)).toBe(shown);
  });
});

describe('secrets in Kafka addresses', () => {
  it.each([
    [['fixtures/customers.csv', '--to', 'kafka://loader:s3cret@broker:9092/t']],
    [['kafka://loader:s3cret@broker:9092/t', '--group', 'g']],
    [['kafka://broker:9092/t?password=s3cret', '--group', 'g']],
  ])('%j is refused without echoing the password', async (args) => {
    const res = await runCli(['run', ...args, '-q']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bad Kafka address/);
    expect(res.stderr + res.stdout).not.toContain('s3cret');
  });
});

describe('--dry-run refuses what the run refuses, and prints no secret', () => {
  it.each([
    [['--to', 'https://u:p4ss@example.com/x?api_key=abc'], /credentials in the URL/],
    [['--to', 'ftp://x/y'], /unsupported scheme/],
    [['--to', 'kafka://u:p4ss@broker:9092/t'], /bad Kafka address/],
  ])('%j → exit 2', async (args, message) => {
    const res = await runCli(['run', 'fixtures/customers.csv', '--dry-run', ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout + res.stderr).not.toMatch(/p4ss|api_key=abc/);
  });

  it('a bad token in the environment is refused by the dry run too', async () => {
    const res = await runCli(['run', 'fixtures/customers.csv', '--dry-run', '--to', 'https://example.com/x'], { env: { RECFLOW_HTTP_TOKEN: 'a b' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/RECFLOW_HTTP_TOKEN/);
  });
});
