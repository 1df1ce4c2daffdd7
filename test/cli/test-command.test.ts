// `recflow test`: pipeline test files through the built CLI — passing, failing with a
// diff, a bad file (exit 2 naming the path in it), config-file cases, JUnit output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../support/cli.js';

describe('recflow test', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-test-')));
  afterEach(() => cleanup());
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('the shipped example passes, the user stage case included (the shape from the docs accepted as written)', async () => {
    const res = await runCli(['test', 'examples/pipeline.test.yaml']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^PASS keeps big spenders/m);
    expect(res.stdout).toMatch(/^PASS the user stage tags VIPs from 500 on/m);
    expect(res.stdout).toMatch(/^3 passed, 0 failed$/m);
  });

  it('a failing case exits 1 with a readable diff; the other cases still run', async () => {
    const f = file('t.yaml', `cases:
  - name: wrong expectation
    stages: [ "filter:expr=lifetime_value > 1" ]
    input:
      - { customer_id: A1, email: a@example.com, lifetime_value: 500 }
      - { customer_id: A2, email: b@example.com, lifetime_value: 5 }
    expect:
      output: [ { customer_id: A1 }, { customer_id: A3 } ]
      dropped: 1
  - name: right
    input: [ { customer_id: A1, email: nope } ]
    expect:
      output: []
      rejected: [ { codes: [invalid_email], line: 1, field: email } ]
`);
    const res = await runCli(['test', f]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^FAIL wrong expectation/m);
    expect(res.stdout).toContain('output[1].customer_id: expected "A3", got "A2"');
    expect(res.stdout).toContain('dropped: expected 1, got 0');
    expect(res.stdout).toMatch(/^PASS right/m);
    expect(res.stdout).toMatch(/^1 passed, 1 failed$/m);
  });

  it('a case may name a config file; its stages and validate: false apply', async () => {
    file('job.yaml', 'validate: false\nstages:\n  - { name: select, options: { fields: [customer_id] } }\n');
    const f = file('t.yaml', `cases:
  - name: from the job's config
    config: job.yaml
    input: [ { customer_id: " A1 ", email: not-checked } ]
    expect:
      output: [ { customer_id: " A1 " } ]
      rejected: []
`);
    const res = await runCli(['test', f]);
    expect(res.stdout).toMatch(/^PASS from the job's config/m);
    expect(res.code).toBe(0);
  });

  it.each([
    ['cases:\n  - name: x\n    input: []\n', /t\.yaml: cases\.0\.expect: Required/],
    ['cases:\n  - name: x\n    input: []\n    expect: { outputs: [] }\n', /t\.yaml: cases\.0\.expect: Unrecognized key\(s\) in object: 'outputs'/],
    ['cases:\n  - name: x\n    expect: {}\n', /exactly one of input .* or input_file/],
    ['cases: [\n', /t\.yaml:\d+:\d+: not valid YAML/],
    ['cases:\n  - name: x\n    stages: [ "nosuch" ]\n    input: []\n    expect: {}\n', /no stage named 'nosuch'/],
  ])('a bad test file exits 2 and says where: %j', async (text, message) => {
    const res = await runCli(['test', file('t.yaml', text)]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).not.toMatch(/PASS|FAIL/);
  });

  it('--report junit:FILE writes one testcase per case, failures with the diff', async () => {
    const f = file('t.yaml', 'cases:\n  - name: ok\n    input: []\n    expect: { output: [] }\n  - name: bad\n    input: []\n    expect: { dropped: 2 }\n');
    const res = await runCli(['test', f, '--report', `junit:${join(dir, 'r.xml')}`]);
    expect(res.code).toBe(1);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(dir, 'r.xml'), 'utf8'));
    const cases = doc.testsuites.testsuite.testcase as Array<{ name: string; failure?: { message: string } }>;
    expect(cases.map((c) => [c.name, c.failure?.message])).toEqual([
      ['ok', undefined],
      ['bad', 'dropped: expected 2, got 0'],
    ]);
    expect((await runCli(['test', f, '--report', 'sarif:x'])).code).toBe(2);
  });

  it('reads fixtures as run does (CSV headers normalized, parse errors are rejects)', async () => {
    const f = file('t.yaml', `cases:
  - name: csv fixture
    input_file: ${JSON.stringify(join(ROOT, 'fixtures', 'customers.csv'))}
    stages: [ "select:fields=customer_id" ]
    expect:
      dropped: 0
`);
    const res = await runCli(['test', f]);
    expect(res.stdout).toMatch(/^PASS csv fixture/m);
  });
});
