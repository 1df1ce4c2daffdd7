// CI reports, metrics, JSON logs and the status line through the built CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, FIXTURES, runCli, spawnCli, tempDir } from '../support/cli.js';
import { startServe } from '../support/serve.js';

const CSV = join(FIXTURES, 'customers.csv');

describe('--report', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-rep-')));
  afterEach(() => cleanup());

  it('run --report-json FILE writes the JSON report (as validate does)', async () => {
    const file = join(dir, 'run-report.json');
    const res = await runCli(['run', CSV, '--to', join(dir, 'out.ndjson'), '-q', '--report-json', file]);
    expect(res.code).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { records: { in: number; rejected: number } };
    expect(json.records.in).toBeGreaterThan(0);
    expect(json.records.rejected).toBeGreaterThan(0);
  });

  it('github, junit and sarif on the shipped fixtures, with counts and locations', async () => {
    const res = await runCli(['validate', CSV, 'fixtures/inventory.csv', '-q', '--annotations', '3', '--report', 'github', '--report', `junit:${join(dir, 'j.xml')}`, '--report', `sarif:${join(dir, 'r.sarif')}`, '--report-json', join(dir, 'r.json')]);
    expect(res.code).toBe(1);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).every((l) => /^::error file=[^,]+,line=\d+,title=[a-z_]+::/.test(l))).toBe(true);
    expect(new Set(lines.slice(0, 3).map((l) => /title=([a-z_]+)/.exec(l)![1])).size).toBe(3); // spread across codes
    expect(lines[3]).toMatch(new RegExp(`^::notice title=recflow::\\d+ more rejected findings not annotated; full report: ${join(dir, 'r.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { records: { rejected: number }; rejectedByCode: Record<string, number> };
    const findings = Object.values(json.rejectedByCode).reduce((a, b) => a + b, 0);
    expect(Number(/::(\d+) more/.exec(lines[3]!)![1])).toBe(findings - 3);

    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(readFileSync(join(dir, 'j.xml'), 'utf8'));
    const suites = junit.testsuites.testsuite as Array<{ name: string; testcase: Array<{ name: string; failure?: { message: string } }> }>;
    expect(suites.map((s) => s.name)).toEqual([CSV, 'fixtures/inventory.csv']);
    const email = suites[0]!.testcase.find((t) => t.name === 'invalid_email')!;
    expect(email.failure!.message).toMatch(new RegExp(`^${json.rejectedByCode.invalid_email === 1 ? '1 record' : '\\d+ records'} rejected with invalid_email; first at .*customers\\.csv:7`));

    const sarif = JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toHaveLength(findings);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBeGreaterThan(1);
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toContain('invalid_email');
  });

  it('under GitHub Actions, github is the default and the step summary gets a table', async () => {
    const summary = join(dir, 'step.md');
    writeFileSync(summary, '');
    const res = await runCli(['validate', CSV, '-q'], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^::error file=/m);
    expect(readFileSync(summary, 'utf8')).toMatch(/\| `invalid_email` \| .*customers\.csv \| 1 \|/);
  });

  it('a clean source is a passing JUnit case; a report on stdout and data on stdout would mix (exit 2)', async () => {
    const ok = join(dir, 'ok.ndjson');
    writeFileSync(ok, '{"customer_id":"C1","email":"a@b.cc"}\n');
    const res = await runCli(['validate', ok, '-q', '--report', `junit:${join(dir, 'j.xml')}`]);
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'j.xml'), 'utf8')).toMatch(/<testcase classname="recflow.validate" name="all records pass"/);
    const mix = await runCli(['run', ok, '-q', '--report', 'github']);
    expect(mix.code).toBe(2);
    expect(mix.stderr).toMatch(/would mix/);
    const bad = await runCli(['validate', ok, '--report', 'xml:x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown format 'xml'/);
  });
});

describe('--log-format json, --fail-on-empty, status lines', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('recflow-ops-')));
  afterEach(() => cleanup());

  it('every stderr line is one JSON object: status lines, warnings, the error and the summary', async () => {
    const res = await runCli(['validate', CSV, '--log-format', 'json', '--progress-interval', '1']);
    expect(res.code).toBe(1);
    const rows = res.stderr.trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string; message: string; fields?: Record<string, unknown> });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(Date.parse(r.time)).not.toBeNaN();
    const summary = rows.find((r) => r.message === 'summary')!;
    expect(summary.fields).toMatchObject({ command: 'recflow validate', exitCode: 1, records: { in: 25 } });
    const bad = await runCli(['run', 'nope.csv', '--log-format', 'json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr.trim())).toMatchObject({ level: 'error', message: expect.stringMatching(/nope\.csv/) });
  });

  it('--fail-on-empty: zero records is exit 1; validate on nothing says "no records read"', async () => {
    const empty = join(dir, 'e.csv');
    writeFileSync(empty, 'customer_id,email\n');
    const plain = await runCli(['validate', empty]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/no records read/);
    expect(plain.stderr).not.toMatch(/all records pass/);
    const strict = await runCli(['run', empty, '--fail-on-empty', '--to', join(dir, 'o.ndjson')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/no records read \(--fail-on-empty\)/);
  });

  it('status lines show the time left while a file is read; /metrics and /ready answer during the run', async () => {
    const serve = await startServe(['--latency-ms', '150', '--quiet']);
    try {
      const big = join(dir, 'c.csv');
      const gen = await runCli(['generate', 'customers', '--count', '20000', '--seed', '2']);
      writeFileSync(big, gen.stdout);
      const child = spawnCli(['run', big, '--to', `${serve.url}/ingest`, '--batch-records', '500', '--concurrency', '1', '--progress-interval', '1', '--metrics', '127.0.0.1:0'], { env: { RECFLOW_WORKERS: '0' } });
      const done = collect(child, { timeoutMs: 120_000 });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const url = await waitFor(() => /metrics on (http:\/\/\S+)\/metrics/.exec(err)?.[1]);
      await waitFor(() => (/ETA \d\d:\d\d:\d\d \(about \d\d:\d\d UTC\)/.test(err) ? true : undefined));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^recflow_records_in_total [1-9]\d*$/m);
      expect(metrics).toMatch(/^recflow_sink_batches_total [1-9]\d*$/m);
      expect(metrics).toMatch(/^recflow_sink_request_duration_seconds_count [1-9]\d*$/m);
      expect(metrics).toMatch(/^recflow_sink_request_duration_seconds_bucket{le="0.5"} \d+$/m);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      child.kill('SIGINT');
      const res = await done;
      expect(res.code).toBe(130);
    } finally {
      await serve.stop();
    }
  });
});

async function waitFor<T>(get: () => T | undefined, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

