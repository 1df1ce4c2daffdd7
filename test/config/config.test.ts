// --config files, precedence (flag > env > config > default) and --dry-run, through the CLI.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ndjsonLines, ROOT, runCli } from '../support/cli.js';
import { tempDir } from '../support/cli.js';

const SF = join(ROOT, 'test', 'fixtures', 'stages');
let dir: string;
let cleanup: () => void;
let jobDir: string;

/** A cron-like layout: /job/pipeline.yaml next to its data; the CLI runs from elsewhere. */
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  jobDir = join(dir, 'job');
  mkdirSync(join(jobDir, 'in'), { recursive: true });
  copyFileSync(join(SF, 'customers.csv'), join(jobDir, 'in', 'customers-1.csv'));
  copyFileSync(join(SF, 'regions.ndjson'), join(jobDir, 'regions.ndjson'));
});
afterEach(() => cleanup());

const PIPELINE = `
sources: [in/customers-*.csv]
stages:
  - name: enrich
    options: { file: regions.ndjson, key: country, fields: [region], on_missing: reject }
  - "filter:expr=region == 'EMEA'"
  - name: dedupe
    options: { key: customer_id, on-duplicate: drop }
to: out/good.ndjson
dlq: out/rejects.ndjson
maxRejects: 5
quiet: true
`;

function write(name: string, text: string): string {
  writeFileSync(join(jobDir, name), text);
  return join(jobDir, name);
}
const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(['run', ...args], { cwd: dir, env });

describe('--config', () => {
  it('runs a YAML pipeline; relative paths resolve against the config file', async () => {
    mkdirSync(join(jobDir, 'out'));
    const res = await run(['--config', write('pipeline.yaml', PIPELINE)]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    const good = ndjsonLines(readFileSync(join(jobDir, 'out', 'good.ndjson'), 'utf8')) as Record<string, unknown>[];
    expect(good.map((r) => `${r.customer_id}:${r.region}`)).toEqual(['C001:EMEA', 'C002:EMEA', 'C003:EMEA']);
    const bad = ndjsonLines(readFileSync(join(jobDir, 'out', 'rejects.ndjson'), 'utf8')) as { errors: { code: string }[] }[];
    expect(bad.map((b) => b.errors[0]!.code)).toEqual(['invalid_email', 'enrich_missing']);
  });

  it('runs the same pipeline from JSON with kebab-case keys', async () => {
    const json = { sources: ['in/customers-1.csv'], stages: [{ name: 'select', options: { fields: 'customer_id' } }, 'head:n=2'], 'max-rejects': 0, 'no-validate': true };
    const res = await run(['--config', write('p.json', JSON.stringify(json)), '-q']);
    expect(res.code).toBe(0); // no-validate: nothing rejected
    expect(ndjsonLines(res.stdout)).toEqual([{ customer_id: 'C001' }, { customer_id: 'C002' }]);
  });

  it('precedence: flag > RECFLOW_* > config > default', async () => {
    const cfg = write('p.yaml', 'sources: [in/customers-1.csv]\nmaxRejects: 0\nquiet: true\n');
    expect((await run(['--config', cfg])).code).toBe(1); // config: 0 allowed, 1 rejected
    expect((await run(['--config', cfg], { RECFLOW_MAX_REJECTS: '5' })).code).toBe(0); // env over config
    expect((await run(['--config', cfg, '--max-rejects', '0'], { RECFLOW_MAX_REJECTS: '5' })).code).toBe(1); // flag over env
    expect((await run([join(jobDir, 'in', 'customers-1.csv'), '-q'])).code).toBe(0); // default: any number
    const dry = await run(['--config', cfg, '--dry-run', '--to', '-'], { RECFLOW_MAX_REJECTS: '5' });
    expect(dry.stdout).toMatch(/^maxRejects: 5 # from environment$/m);
    expect(dry.stdout).toMatch(/^quiet: true # from config .*p\.yaml$/m);
    expect(dry.stdout).toMatch(/^to: "-" # from flag$/m);
    expect(dry.stdout).toMatch(/^progressInterval: 5 # from default$/m);
  });

  it('RECFLOW_CONFIG names the config; flags replace its sources and stages', async () => {
    const cfg = write('p.yaml', 'sources: [does-not-exist.csv]\nstages: ["head:n=1"]\nquiet: true\n');
    const res = await run([join(jobDir, 'in', 'customers-1.csv'), '--stage', 'select:fields=customer_id', '--stage', 'head:n=2'], { RECFLOW_CONFIG: cfg });
    expect(res.code).toBe(0);
    expect(ndjsonLines(res.stdout)).toEqual([{ kind: 'customer', customer_id: 'C001' }, { kind: 'customer', customer_id: 'C002' }]);
  });

  it('validate: false in the config and RECFLOW_VALIDATE=0 turn the contract pass off', async () => {
    const cfg = write('p.yaml', 'sources: [in/customers-1.csv]\nvalidate: false\nquiet: true\n');
    const off = await run(['--config', cfg]);
    expect(ndjsonLines(off.stdout)).toHaveLength(7);
    const env = await run([join(jobDir, 'in', 'customers-1.csv'), '-q'], { RECFLOW_VALIDATE: '0' });
    expect(ndjsonLines(env.stdout)).toHaveLength(7);
  });

  it.each([
    ['unknown key', 'p.yaml', 'sources: [a.csv]\nmaxReject: 3\n', /p\.yaml: maxReject: unknown key \(did you mean 'maxRejects'\?\); known keys: sources, stages, to, .*\bdlq\b/],
    ['bad value', 'p.yaml', 'sources: [a.csv]\nmax-rejects: lots\n', /p\.yaml: max-rejects: expected an integer >= 0, got "lots"/],
    ['bad boolean', 'p.yaml', 'sources: [a.csv]\nquiet: maybe\n', /p\.yaml: quiet: expected true or false, got "maybe"/],
    ['stage option', 'p.yaml', 'stages:\n  - head\n  - select:fields=a\n  - name: dedupe\n    options: { key: id, max_keys: 0 }\n', /p\.yaml: stages\[2\]\.options\.max_keys: expected an integer >= 1, got 0/],
    ['unknown stage option', 'p.yaml', 'stages: [{ name: dedupe, options: { kee: id } }]\n', /p\.yaml: stages\[0\]\.options\.kee: stage dedupe has no option 'kee' \(did you mean 'key'\?\)/],
    ['unknown stage', 'p.yaml', 'stages: [{ name: dedup }]\n', /p\.yaml: stages\[0\]: no stage named 'dedup' \(did you mean 'dedupe'\?\)/],
    ['stage entry key', 'p.yaml', 'stages: [{ name: head, option: { n: 1 } }]\n', /p\.yaml: stages\[0\]\.option: unknown key \(did you mean 'options'\?\)/],
    ['stages not a list', 'p.yaml', 'stages: head\n', /p\.yaml: stages: expected a list of stages/],
    ['sources wrong type', 'p.yaml', 'sources: { a: 1 }\n', /p\.yaml: sources: expected a file, glob or kafka:\/\/ address, or a list of them/],
    ['YAML syntax', 'p.yaml', 'sources: [a.csv\nstages: [\n', /p\.yaml:2:\d+: not valid YAML: /],
    ['JSON syntax', 'p.json', '{"sources": ["a.csv"],\n "quiet" true}', /p\.json:2:\d+: not valid JSON: /],
    ['top level', 'p.yaml', '- a.csv\n', /p\.yaml: expected a mapping of option names to values at the top level/],
    ['extension', 'p.toml', 'a = 1', /config .*p\.toml: expected a \.yaml, \.yml or \.json file/],
  ])('%s: names the file, the path in it and what was expected; exit 2, nothing written', async (_what, name, text, message) => {
    const res = await run(['--config', write(name, text), join(jobDir, 'in', 'customers-1.csv'), '--dlq', join(dir, 'dlq.ndjson')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
    expect(existsSync(join(dir, 'dlq.ndjson'))).toBe(false);
  });

  it('a missing config file and a bad RECFLOW_* value are errors (exit 2)', async () => {
    const missing = await run(['--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config .*nope\.yaml: file not found/);
    const env = await run([join(jobDir, 'in', 'customers-1.csv')], { RECFLOW_MAX_REJECTS: 'abc' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('RECFLOW_MAX_REJECTS: expected an integer >= 0, got "abc"');
    // no source and no `sources:`: piped stdin is read (a terminal is exit 2: test/cli/inputs.test.ts)
    const none = await run(['-q']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('0 read');
  });
});

describe('--dry-run', () => {
  it('prints the resolved pipeline (globs expanded, defaults filled in) and reads and writes nothing', async () => {
    copyFileSync(join(SF, 'customers.csv'), join(jobDir, 'in', 'customers-2.csv'));
    const res = await run(['--config', write('pipeline.yaml', PIPELINE), '--dry-run']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(existsSync(join(jobDir, 'out'))).toBe(false);
    const doc = YAML.parse(res.stdout) as Record<string, unknown>;
    // the names the run itself will use (and show as `source` in the dead-letter output)
    expect(doc.sources).toEqual(['job/in/customers-1.csv', 'job/in/customers-2.csv']);
    expect((doc.stages as { name: string }[]).map((s) => s.name)).toEqual(['validate', 'normalize', 'enrich', 'filter', 'dedupe']);
    expect((doc.stages as { options: unknown }[])[4]!.options).toEqual({ key: ['customer_id'], on_duplicate: 'drop', max_keys: 5_000_000, on_full: 'warn' });
    expect(res.stdout).toContain('- name: validate # implicit contract pass (validate+normalize fused)');
    expect(doc).toMatchObject({ to: join(jobDir, 'out', 'good.ndjson'), dlq: join(jobDir, 'out', 'rejects.ndjson'), maxRejects: 5, validate: true });
  });

  it('the printed pipeline is itself a config that runs', async () => {
    mkdirSync(join(jobDir, 'out'));
    const dry = await run(['--config', write('pipeline.yaml', PIPELINE), '--dry-run']);
    const saved = join(dir, 'saved.yaml');
    writeFileSync(saved, dry.stdout.replace('file: regions.ndjson', `file: ${join(jobDir, 'regions.ndjson')}`));
    const res = await run(['--config', saved]);
    expect(res.code).toBe(0);
    expect(ndjsonLines(readFileSync(join(jobDir, 'out', 'good.ndjson'), 'utf8'))).toHaveLength(3);
  });

  it('checks: a missing source or a bad stage exits 2', async () => {
    const missing = await run([join(dir, 'none-*.csv'), '--dry-run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no files match the pattern/);
    const stage = await run([join(jobDir, 'in', 'customers-1.csv'), '--dry-run', '--stage', 'enrich:file=nope.csv,key=x']);
    expect(stage.code).toBe(2);
    expect(stage.stdout).toBe('');
  });

  it('JSON output for a JSON config; secrets are never printed', async () => {
    // a user stage without a schema gets its options as given, secrets included
    write('auth-stage.mjs', "export default { name: 'auth', create: (o) => ({ name: 'auth', process: (r) => ({ kept: r, rejected: [] }) }) };\n");
    const cfg = write('p.json', JSON.stringify({ sources: ['in/customers-1.csv'], stages: [{ name: 'auth-stage.mjs', options: { api_token: 'tok-123', user: 'me' } }] }));
    // what the run refuses (credentials in the URL), the dry run refuses too, without echoing them
    const refused = await run(['--config', cfg, '--dry-run', '--to', 'https://ingest:s3cret@example.com/records']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/credentials in the URL are not supported/);
    expect(refused.stderr + refused.stdout).not.toMatch(/s3cret/);
    const res = await run(['--config', cfg, '--dry-run', '--to', 'https://example.com/records?api_key=s3cret', '--header', 'X-Api-Key: s3cret']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(doc.to).toBe('https://example.com/records?<redacted>');
    expect(doc.header).toEqual(['X-Api-Key: <redacted>']);
    expect(doc.stages).toEqual([
      { name: 'validate', options: {} },
      { name: 'normalize', options: {} },
      { name: 'auth-stage.mjs', options: { api_token: '<redacted>', user: 'me' } },
    ]);
    expect(res.stdout).not.toMatch(/s3cret|tok-123/);
  });
});
