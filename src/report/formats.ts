// The CI report formats: GitHub Actions workflow commands and step summary, JUnit XML,
// SARIF 2.1.0. Each is a pure function of the collected findings, so each is tested
// against its format's required structure without running a pipeline.
import { basename } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import type { Finding, ReportCollector } from './collect.js';
import { helpFor } from './codes.js';

// A CommonJS package whose typings say `export default`: under NodeNext the default import is module.exports.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as Builder;

// --- GitHub Actions ---------------------------------------------------------------

/** Workflow command escaping (as @actions/core does it): data escapes %, CR, LF; properties also : and ,. */
const escData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string): string => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function where(f: Finding): string {
  return f.line === null ? f.source : `${f.source}:${f.line}`;
}

/** `::error` lines, at most `max` spread across codes, then a `::notice` for the rest. */
export function githubCommands(c: ReportCollector, max: number, fullReport?: string): string {
  const shown = c.spread(max);
  const lines = shown.map((f) => {
    const props = [`file=${escProp(f.source)}`, ...(f.line !== null ? [`line=${f.line}`] : []), `title=${escProp(f.code)}`];
    return `::error ${props.join(',')}::${escData(`${f.field ? `${f.field}: ` : ''}${f.message}`)}`;
  });
  const more = c.total() - shown.length;
  if (more > 0) {
    lines.push(`::notice title=recflow::${escData(`${more} more rejected ${more === 1 ? 'finding' : 'findings'} not annotated${fullReport ? `; full report: ${fullReport}` : ''}`)}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** A Markdown table by code and file, for $GITHUB_STEP_SUMMARY. */
export function githubStepSummary(c: ReportCollector, title: string): string {
  const rows: string[] = [];
  for (const [source, codes] of c.bySource) {
    for (const [code, e] of codes) rows.push(`| \`${code}\` | ${mdCell(source)} | ${e.count} | ${mdCell(e.examples.map(where).join(', '))} |`);
  }
  const head = `### ${title}\n\n`;
  if (rows.length === 0) return `${head}All records pass.\n\n`;
  return `${head}| code | file | records | first at |\n|---|---|---:|---|\n${rows.join('\n')}\n\n`;
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

// --- JUnit ----------------------------------------------------------------------

/** One testsuite per source, one testcase per error code (failing), a passing one for a clean source. */
export function junitXml(c: ReportCollector, command: string): string {
  const b = junit.newBuilder();
  for (const [source, codes] of c.bySource) {
    const suite = b.testSuite().name(source);
    if (codes.size === 0) {
      suite.testCase().className(`recflow.${command}`).name('all records pass').file(source);
      continue;
    }
    for (const [code, e] of codes) {
      const examples = e.examples.map((f) => `${where(f)}: ${f.field ? `${f.field}: ` : ''}${f.message}`).join('\n');
      suite
        .testCase()
        .className(`recflow.${command}`)
        .name(code)
        .file(source)
        .failure(`${e.count} ${e.count === 1 ? 'record' : 'records'} rejected with ${code}; first at ${e.examples.map(where).join(', ')}`, code)
        .stacktrace(`${helpFor(code)}\n${examples}`);
    }
  }
  return b.build();
}

// --- SARIF 2.1.0 ------------------------------------------------------------------

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** One rule per error code met, one result per kept finding, a run-level note when capped. */
export function sarifLog(c: ReportCollector, version: string): Record<string, unknown> {
  const codes = [...new Set([...c.bySource.values()].flatMap((m) => [...m.keys()]))].sort();
  const ruleIndex = new Map(codes.map((code, i) => [code, i]));
  const results = c.findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: ruleIndex.get(f.code),
    level: 'error',
    message: { text: `${f.field ? `${f.field}: ` : ''}${f.message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(f.source) },
          ...(f.line !== null ? { region: { startLine: f.line } } : {}),
        },
      },
    ],
  }));
  const notes =
    c.capped > 0
      ? [{ level: 'note', message: { text: `${c.capped} more findings were not listed (--report-max ${c.max}); the counts per code are complete in the JSON report` } }]
      : [];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'recflow',
            version,
            informationUri: 'https://www.npmjs.com/package/recflow',
            rules: codes.map((code) => ({ id: code, name: code, shortDescription: { text: code }, help: { text: helpFor(code) }, defaultConfiguration: { level: 'error' } })),
          },
        },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notes }],
        results,
      },
    ],
  };
}

/** A relative path as a URI reference (SARIF wants URIs); Kafka and stdin names as they are. */
function artifactUri(source: string): string {
  if (source === '-' || source.startsWith('kafka:')) return encodeURI(source === '-' ? 'stdin' : source);
  return source.split(/[\\/]/).map(encodeURIComponent).join('/') || basename(source);
}
