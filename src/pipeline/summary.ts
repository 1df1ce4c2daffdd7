// The end-of-run report: a human summary on stderr and the same figures as JSON.
import type { RunStats } from './stats.js';
import { fmtInt, fmtRate } from './progress.js';

export interface SummaryExtras {
  command: string;
  exitCode: number;
  sink?: Record<string, unknown>;
  sources?: Record<string, unknown>[];
  deadLetter?: string | null;
  outcome: string;
}

export function summaryJson(stats: RunStats, x: SummaryExtras): Record<string, unknown> {
  const seconds = stats.elapsedSeconds();
  const rate = stats.rate();
  return {
    command: x.command,
    outcome: x.outcome,
    exitCode: x.exitCode,
    records: {
      in: stats.recordsIn,
      out: stats.recordsOut,
      rejected: stats.rejected,
      dropped: stats.dropped,
      failed: stats.failed,
    },
    byKind: { out: stats.outByKind, rejected: stats.rejectedByKind },
    rejectedByCode: stats.rejectedByCode,
    examples: stats.examples,
    durationSeconds: Number(seconds.toFixed(3)),
    recordsPerSecond: Math.round(rate),
    recordsPerHour: Math.round(rate * 3600),
    bytesRead: stats.bytesRead,
    peakRssBytes: stats.peakRss,
    deadLetter: x.deadLetter ?? null,
    sink: x.sink ?? null,
    sources: x.sources ?? [],
  };
}

export interface Paint {
  bold: (s: string) => string;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  dim: (s: string) => string;
}

export function summaryText(stats: RunStats, x: SummaryExtras, paint: Paint): string {
  const lines: string[] = [];
  const head =
    `${x.command}: ${fmtInt(stats.recordsIn)} read, ${fmtInt(stats.recordsOut)} ${x.command.endsWith('validate') ? 'valid' : 'written'}, ` +
    `${fmtInt(stats.rejected)} rejected` +
    (stats.dropped > 0 ? `, ${fmtInt(stats.dropped)} dropped by stages` : '') +
    (stats.failed > 0 ? `, ${fmtInt(stats.failed)} failed to deliver` : '') +
    ` in ${stats.elapsedSeconds().toFixed(2)}s (${fmtRate(stats.rate())})`;
  lines.push(paint.bold(head));
  const kinds = Object.entries(stats.outByKind).map(([k, n]) => `${k} ${fmtInt(n)}`);
  if (kinds.length > 0) lines.push(`  ${x.command.endsWith('validate') ? 'valid' : 'written'}: ${kinds.join(', ')}`);
  const codes = Object.entries(stats.rejectedByCode).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) {
    lines.push(`  rejected by error code:`);
    for (const [code, n] of codes) {
      const ex = stats.examples[code] ?? [];
      lines.push(`    ${paint.red(code.padEnd(18))} ${fmtInt(n).padStart(8)}  ${paint.dim(ex.join(', '))}`);
    }
  }
  if (x.sink && typeof x.sink === 'object') {
    const s = x.sink;
    const parts = ['batches', 'retries', 'delivered', 'deadLettered']
      .filter((k) => typeof s[k] === 'number')
      .map((k) => `${k} ${fmtInt(s[k] as number)}`);
    if (parts.length > 0) lines.push(`  sink: ${parts.join(', ')}`);
  }
  if (x.deadLetter && (stats.rejected > 0 || stats.failed > 0)) lines.push(`  dead-letter output: ${x.deadLetter}`);
  const verdict = x.exitCode === 0 ? paint.green(x.outcome) : paint.yellow(x.outcome);
  lines.push(`  ${verdict}`);
  return lines.join('\n') + '\n';
}
