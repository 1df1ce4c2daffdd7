// The CI report formats against their required structure: GitHub workflow commands
// (parsed back), JUnit XML (parsed with an XML parser), SARIF 2.1.0 (required properties).
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Rejected } from '../../src/pipeline/types.js';
import { ReportCollector } from '../../src/report/collect.js';
import { githubCommands, githubStepSummary, junitXml, sarifLog } from '../../src/report/formats.js';

const rej = (source: string, line: number | null, code: Rejected['errors'][number]['code'], field: string | null = 'email', message = 'bad'): Rejected => ({
  source,
  line,
  kind: 'customer',
  errors: [{ field, code, message }],
  record: {},
});

function sample(max = 1000): ReportCollector {
  const c = new ReportCollector(max, ['a.csv', 'clean.csv']);
  c.add([rej('a.csv', 2, 'invalid_email'), rej('a.csv', 3, 'invalid_email'), rej('a.csv', 4, 'missing_required', 'customer_id', 'customer_id is required')]);
  c.add([{ ...rej('a.csv', 5, 'invalid_email'), errors: [{ field: 'email', code: 'invalid_email', message: 'x' }, { field: 'country', code: 'invalid_country', message: 'y' }] }]);
  return c;
}

/** Parses `::cmd k=v,k=v::data` back, undoing the escaping. */
function parseCommand(line: string): { cmd: string; props: Record<string, string>; data: string } {
  const m = /^::(\w+)(?: ([^:]*))?::(.*)$/.exec(line)!;
  const un = (s: string): string => s.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
  const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]).map(([k, v]) => [k, un(v)]));
  return { cmd: m[1]!, props, data: un(m[3]!) };
}

describe('github', () => {
  it('annotations spread across codes, capped, then a notice naming the full report', () => {
    const lines = githubCommands(sample(), 2, 'report.json').trim().split('\n').map(parseCommand);
    expect(lines.map((l) => l.props.title ?? l.cmd)).toEqual(['invalid_email', 'missing_required', 'recflow']);
    expect(lines[0]).toEqual({ cmd: 'error', props: { file: 'a.csv', line: '2', title: 'invalid_email' }, data: 'email: bad' });
    expect(lines[2]!.cmd).toBe('notice');
    expect(lines[2]!.data).toBe('3 more rejected findings not annotated; full report: report.json');
  });

  it('escapes so that any file name and message survive', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (file, message) => {
        const c = new ReportCollector(10);
        c.add([rej(file, 7, 'invalid_email', null, message)]);
        const [line] = githubCommands(c, 10).split('\n');
        expect(line!.includes('\n')).toBe(false);
        const back = parseCommand(line!);
        expect(back.props.file).toBe(file);
        expect(back.data).toBe(message);
      }),
    );
  });

  it('step summary: a table by code and file, or "All records pass"', () => {
    const md = githubStepSummary(sample(), 'recflow validate');
    expect(md).toContain('| `invalid_email` | a.csv | 3 | a.csv:2, a.csv:3, a.csv:5 |');
    expect(md).toContain('| `missing_required` | a.csv | 1 | a.csv:4 |');
    expect(githubStepSummary(new ReportCollector(10, ['x.csv']), 't')).toContain('All records pass.');
  });
});

describe('junit', () => {
  it('is well-formed XML: a suite per source, a failing case per code with count and examples, a passing case for a clean source', () => {
    const xml = junitXml(sample(), 'validate');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml);
    const suites = doc.testsuites.testsuite as Array<{ name: string; tests: string; failures: string; testcase: Array<Record<string, unknown>> }>;
    expect(suites.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['a.csv', '3', '3'],
      ['clean.csv', '1', '0'],
    ]);
    const email = suites[0]!.testcase.find((t) => t.name === 'invalid_email') as { failure: { message: string; type: string } };
    expect(email.failure.type).toBe('invalid_email');
    expect(email.failure.message).toBe('3 records rejected with invalid_email; first at a.csv:2, a.csv:3, a.csv:5');
    expect(suites[1]!.testcase[0]).toMatchObject({ name: 'all records pass' });
    expect(suites[1]!.testcase[0]!.failure).toBeUndefined();
  });

  it('stays well-formed for any source name and message', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (file, message) => {
        const c = new ReportCollector(10);
        c.add([rej(file || 'x', 1, 'invalid_email', null, message)]);
        expect(XMLValidator.validate(junitXml(c, 'run'))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('sarif', () => {
  it('has the 2.1.0 required properties, one rule per code with help, results with URI and startLine', () => {
    const log = JSON.parse(JSON.stringify(sarifLog(sample(), '0.1.0'))) as any;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('recflow');
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['invalid_country', 'invalid_email', 'missing_required']);
    for (const r of run.tool.driver.rules) expect(r.help.text.length).toBeGreaterThan(10);
    expect(run.results).toHaveLength(5);
    for (const r of run.results) {
      expect(typeof r.message.text).toBe('string');
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('a.csv');
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
    }
    expect(run.invocations[0].toolExecutionNotifications).toEqual([]);
  });

  it('caps results at --report-max with a run-level note', () => {
    const run = (sarifLog(sample(2), '0.1.0') as any).runs[0];
    expect(run.results).toHaveLength(2);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toMatch(/^3 more findings were not listed \(--report-max 2\)/);
  });

  it('file names become URI references; Kafka records have no region', () => {
    const c = new ReportCollector(10);
    c.add([rej('data dir/a#1.csv', 4, 'invalid_email'), rej('kafka:orders/0@17', null, 'parse_error')]);
    const results = (sarifLog(c, '0.1.0') as any).runs[0].results;
    expect(results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('data%20dir/a%231.csv');
    expect(results[1].locations[0].physicalLocation.region).toBeUndefined();
  });
});
