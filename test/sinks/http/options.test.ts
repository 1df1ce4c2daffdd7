// The HTTP sink's flags: defaults, values, and usage errors that name the flag.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { RecflowError } from '../../../src/errors.js';
import { addHttpSinkOptions, isRetriedStatus, parseHttpSinkOptions } from '../../../src/sinks/http/options.js';
import { tempDir } from '../../support/cli.js';

const URL_ = 'https://api.example.com/v1/batch';
const parse = (opts: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) => parseHttpSinkOptions(URL_, opts, env);

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RecflowError);
    return `${(err as RecflowError).code}: ${(err as Error).message}`;
  }
  throw new Error('expected an error');
}

describe('HTTP sink options', () => {
  it('has documented defaults', () => {
    const o = parse();
    expect({ ...o, url: o.url.href }).toEqual({
      url: URL_,
      batchRecords: 5000,
      batchBytes: 1024 * 1024,
      lingerMs: 200,
      concurrency: 4,
      body: 'ndjson',
      gzip: false,
      idempotencyKey: 'source',
      token: undefined,
      headers: {},
      timeoutMs: 30000,
      retries: 8,
      retryMaxTimeMs: 120000,
      retryBaseMs: 250,
      retryCapMs: 30000,
      retryOn: { statuses: [408, 425, 429], classes: [5] },
      breakerThreshold: 10,
      authFailures: 3,
      breakerPauseMs: 5000,
    });
  });

  it('reads flags as commander gives them (strings) and config files give them (numbers)', () => {
    const o = parse({ batchRecords: '500', batchBytes: '256k', concurrency: 8, retryMaxTime: '5m', body: 'json', gzip: true, header: ['X-A: 1', 'X-B:two words '], retryOn: '429,503' });
    expect(o).toMatchObject({ batchRecords: 500, batchBytes: 262144, concurrency: 8, retryMaxTimeMs: 300000, body: 'json', gzip: true, headers: { 'X-A': '1', 'X-B': 'two words' } });
    expect(parse({ retryMaxTime: '90' }).retryMaxTimeMs).toBe(90000);
    expect(parse({ retryMaxTime: '500ms' }).retryMaxTimeMs).toBe(500);
    expect(parse({ header: { 'X-C': 'c' } }).headers).toEqual({ 'X-C': 'c' });
  });

  it.each([
    [{ concurrency: 'x' }, "usage: --concurrency must be a positive integer and at most 256, got 'x'"],
    [{ concurrency: '0' }, "usage: --concurrency must be a positive integer and at most 256, got '0'"],
    [{ batchRecords: '1.5' }, "usage: --batch-records must be a positive integer, got '1.5'"],
    [{ retries: '-1' }, "usage: --retries must be a whole number >= 0, got '-1'"],
    [{ batchBytes: '1 gallon' }, "usage: --batch-bytes must be a size such as 65536, 512k or 1m, got '1 gallon'"],
    [{ retryMaxTime: 'soon' }, "usage: --retry-max-time must be a duration such as 90s, 5m or 500ms, got 'soon'"],
    [{ body: 'xml' }, "usage: --body must be ndjson or json, got 'xml'"],
    [{ idempotencyKey: 'none' }, "usage: --idempotency-key must be source or random, got 'none'"],
    [{ retryOn: '429,6xx' }, "usage: --retry-on takes statuses 400-599 or 4xx/5xx separated by commas, got '6xx' in '429,6xx'"],
    [{ retryOn: '200' }, "usage: --retry-on takes statuses 400-599 or 4xx/5xx separated by commas, got '200' in '200'"],
    [{ header: ['NoColon'] }, "usage: --header takes 'Name: value', got 'NoColon'"],
    [{ header: ['Authorization: Bearer abc'] }, 'usage: --header cannot set Authorization: put the token in RECFLOW_HTTP_TOKEN or --token-file'],
    [{ header: ['Idempotency-Key: 1'] }, 'usage: --header cannot set Idempotency-Key: the HTTP sink sets it'],
  ])('refuses %j', (opts, message) => {
    expect(usageMessage(() => parse(opts))).toBe(message);
  });

  it('refuses URLs it cannot send to, and credentials in them', () => {
    expect(usageMessage(() => parseHttpSinkOptions('http://', {}, {}))).toBe('usage: --to http:// is not a valid URL');
    expect(usageMessage(() => parseHttpSinkOptions('https://user:pw@h/x', {}, {}))).toMatch(/^usage: --to: credentials in the URL are not supported/);
  });

  it('takes the token from --token-file before RECFLOW_HTTP_TOKEN, and never shows it in errors', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'token');
      writeFileSync(file, 'from-file\n');
      expect(parse({}, { RECFLOW_HTTP_TOKEN: ' from-env ' }).token).toBe('from-env');
      expect(parse({ tokenFile: file }, { RECFLOW_HTTP_TOKEN: 'from-env' }).token).toBe('from-file');
      writeFileSync(file, 'two words');
      expect(usageMessage(() => parse({ tokenFile: file }))).toBe(`config: the token in --token-file ${file} holds whitespace or control characters`);
      expect(usageMessage(() => parse({ tokenFile: join(t.dir, 'nope') }))).toBe(`config: cannot read --token-file ${join(t.dir, 'nope')} (ENOENT): give a readable file holding the bearer token`);
      writeFileSync(file, '  \n');
      expect(usageMessage(() => parse({ tokenFile: file }))).toMatch(/is empty/);
    } finally {
      t.cleanup();
    }
  });

  it('tells retried statuses from the rest', () => {
    const { retryOn } = parse();
    expect([408, 425, 429, 500, 502, 503, 504, 599].every((s) => isRetriedStatus(retryOn, s))).toBe(true);
    expect([400, 401, 404, 409, 413, 422].some((s) => isRetriedStatus(retryOn, s))).toBe(false);
  });

  it('adds its flags to run once, sharing any another sink declared, with defaults in the help only', () => {
    const cmd = new Command('run').exitOverride().option('--batch-records <n>', 'kafka sink batch').argument('<src...>').action(() => {});
    addHttpSinkOptions(cmd);
    expect(cmd.options.filter((o) => o.long === '--batch-records')).toHaveLength(1);
    cmd.parse(['x', '--concurrency', '3', '--header', 'A: 1', '--header', 'B: 2', '--gzip', '--retry-max-time', '1m'], { from: 'user' });
    expect(cmd.opts()).toEqual({ concurrency: '3', header: ['A: 1', 'B: 2'], gzip: true, retryMaxTime: '1m' });
    expect(cmd.helpInformation()).toContain('(default: 408,425,429,5xx)');
    expect(cmd.options.some((o) => o.long === '--token')).toBe(false);
  });
});
