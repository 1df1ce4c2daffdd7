// `--report FORMAT[:FILE]` (repeatable) on run and validate: which reports to write and
// where, checked before the run; written after it from the collector and the summary.
// Report files are replaced atomically; GITHUB_STEP_SUMMARY is appended to, as Actions expects.
import { appendFileSync } from 'node:fs';
import { RecflowError } from '../errors.js';
import { writeFileAtomic } from '../sinks/util/atomic-file.js';
import { ReportCollector } from './collect.js';

export type ReportFormat = 'text' | 'json' | 'github' | 'junit' | 'sarif';
const FORMATS: readonly ReportFormat[] = ['text', 'json', 'github', 'junit', 'sarif'];

export interface ReportSpec {
  format: ReportFormat;
  /** undefined: the format's default stream (text: stderr; json, github: stdout); junit and sarif need a file. */
  file?: string;
}

export interface ReportOptions {
  report?: string[];
  reportJson?: string;
  annotations?: number;
  reportMax?: number;
}

/** The reports asked for; `github` is added under GitHub Actions when none is given. */
export function parseReports(opts: ReportOptions, env: NodeJS.ProcessEnv): ReportSpec[] {
  const specs = (opts.report ?? []).map(parseSpec);
  if (opts.reportJson) specs.push({ format: 'json', file: opts.reportJson === '-' ? undefined : opts.reportJson });
  if (specs.length === 0 && env.GITHUB_ACTIONS === 'true') specs.push({ format: 'github' });
  return specs;
}

function parseSpec(text: string): ReportSpec {
  const i = text.indexOf(':');
  const format = (i < 0 ? text : text.slice(0, i)).trim().toLowerCase() as ReportFormat;
  const file = i < 0 ? undefined : text.slice(i + 1);
  if (!FORMATS.includes(format)) throw new RecflowError('usage', `--report '${text}': unknown format '${format}'; use ${FORMATS.join(', ')}, each optionally :FILE`);
  if (file === '') throw new RecflowError('usage', `--report '${text}': no file after ':'`);
  if ((format === 'junit' || format === 'sarif') && (file === undefined || file === '-')) {
    throw new RecflowError('usage', `--report ${format} needs a file: --report ${format}:${format === 'junit' ? 'junit.xml' : 'results.sarif'}`);
  }
  return { format, file: file === '-' ? undefined : file };
}

/** Reports that would write to stdout (to refuse mixing them with data there). */
export function onStdout(specs: ReportSpec[]): ReportSpec[] {
  return specs.filter((s) => s.file === undefined && (s.format === 'json' || s.format === 'github'));
}

/** Output files the reports write (for the collision check before the run). */
export function reportFiles(specs: ReportSpec[]): string[] {
  return specs.flatMap((s) => (s.file ? [s.file] : []));
}

export interface ReportInputs {
  collector: ReportCollector;
  command: 'run' | 'validate';
  version: string;
  summaryText: string;
  summaryJson: string;
  annotations: number;
  env: NodeJS.ProcessEnv;
}

export async function writeReports(specs: ReportSpec[], x: ReportInputs): Promise<void> {
  if (specs.length === 0) return;
  const formats = await import('./formats.js'); // junit-report-builder loads only when a report is asked for
  const jsonFile = specs.find((s) => s.format === 'json' && s.file)?.file;
  for (const spec of specs) {
    if (spec.format === 'text' && !spec.file) continue; // the summary on stderr is that report
    const body = render(formats, spec, x, jsonFile);
    if (spec.file) await writeFileAtomic(spec.file, body); // crash-safe: the old report or the whole new one
    else process.stdout.write(body);
    if (spec.format === 'github' && x.env.GITHUB_STEP_SUMMARY) appendFileSync(x.env.GITHUB_STEP_SUMMARY, formats.githubStepSummary(x.collector, `recflow ${x.command}`));
  }
}

function render(f: typeof import('./formats.js'), spec: ReportSpec, x: ReportInputs, jsonFile: string | undefined): string {
  switch (spec.format) {
    case 'text':
      return x.summaryText;
    case 'json':
      return x.summaryJson;
    case 'github':
      return f.githubCommands(x.collector, x.annotations, jsonFile);
    case 'junit':
      return f.junitXml(x.collector, x.command);
    case 'sarif':
      return JSON.stringify(f.sarifLog(x.collector, x.version), null, 2) + '\n';
  }
}

export { ReportCollector };
