// Runs `recflow run` on real files with a dead-letter file and a JSON summary, and reads all three back.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ndjsonLines, ROOT, runCli, type CliOptions, type CliResult } from '../support/cli.js';

export const SF = join(ROOT, 'test', 'fixtures', 'stages');
export const fx = (name: string): string => join(SF, name);

export type Row = Record<string, unknown>;
export interface DeadLetter {
  source: string;
  line: number | null;
  kind: string | null;
  errors: { field: string | null; code: string; message: string }[];
  record: Row;
}
export interface Summary {
  records: { in: number; out: number; rejected: number; dropped: number };
  rejectedByCode: Record<string, number>;
}

export interface RunResult extends CliResult {
  out: Row[];
  dlq: DeadLetter[];
  summary: Summary | null;
}

/** `recflow run <args> --dlq <dir>/dlq.ndjson --summary-json <dir>/summary.json -q`. */
export async function runStages(dir: string, args: string[], opts: CliOptions = {}): Promise<RunResult> {
  const dlqPath = join(dir, 'dlq.ndjson');
  const sumPath = join(dir, 'summary.json');
  const res = await runCli(['run', ...args, '--dlq', dlqPath, '--summary-json', sumPath, '-q'], opts);
  return {
    ...res,
    out: res.code === 0 || res.code === 1 ? (ndjsonLines(res.stdout) as Row[]) : [],
    dlq: existsSync(dlqPath) ? (ndjsonLines(readFileSync(dlqPath, 'utf8')) as DeadLetter[]) : [],
    summary: existsSync(sumPath) ? (JSON.parse(readFileSync(sumPath, 'utf8')) as Summary) : null,
  };
}

export const codes = (d: DeadLetter[]): string[] => d.map((x) => x.errors.map((e) => e.code).join('+'));
