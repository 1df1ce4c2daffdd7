// From how a run ended to its exit status and the one-line outcome of the summary.
import { EXIT_STATUS, exitCodeFor, signalExitStatus, type RecflowError } from '../errors.js';
import type { RunOutcome } from './runner.js';
import type { RunStats } from './stats.js';

export interface VerdictRules {
  command: 'run' | 'validate';
  maxRejects?: number;
  maxRejectRate?: number;
  /** Allowance when neither limit is given: validate allows 0, run any number. */
  defaultMaxRejects?: number;
  /** --fail-on-empty: zero records read is exit 1. */
  failOnEmpty?: boolean;
  /** The reader of stdout (the sink) went away, as `| head` does. */
  readerLeft?: boolean;
}

export interface Verdict {
  exitCode: number;
  outcome: string;
  /** The failure to report as an error line, when the run failed for good. */
  failure?: RecflowError;
}

export function verdictFor(result: RunOutcome, stats: RunStats, r: VerdictRules): Verdict {
  const allowed = r.maxRejects ?? (r.maxRejectRate === undefined ? r.defaultMaxRejects : undefined);
  const tooMany =
    (allowed !== undefined && stats.rejected > allowed) ||
    (r.maxRejectRate !== undefined && stats.recordsIn > 0 && stats.rejected / stats.recordsIn > r.maxRejectRate);
  if (r.readerLeft) {
    // exit 0 is right for a one-liner; what was not written is counted (and dead-lettered) as failed
    const lost = stats.failed > 0 ? `; ${stats.failed} records read were not written` : '';
    return { exitCode: 0, outcome: `the stdout reader left after ${stats.recordsOut} records were written${lost}` };
  }
  // a sink that failed because of the stop (its records dead-lettered) is the interruption, not a sink failure
  const failure = result.failure && !(result.interrupted && result.failure.signal) ? result.failure : undefined;
  if (failure) return { exitCode: exitCodeFor(failure), outcome: `failed: ${failure.message}`, failure };
  if (result.interrupted) {
    return {
      exitCode: signalExitStatus(result.interrupted),
      outcome:
        stats.failed > 0
          ? `interrupted by ${result.interrupted}; ${stats.failed} records not delivered (in the dead-letter output as delivery_failed)`
          : `interrupted by ${result.interrupted}; what was read is written`,
    };
  }
  if (r.failOnEmpty && stats.recordsIn === 0) return { exitCode: EXIT_STATUS.data, outcome: 'no records read (--fail-on-empty)' };
  if (tooMany) {
    return {
      exitCode: EXIT_STATUS.data,
      outcome:
        `too many rejected records: ${stats.rejected} of ${stats.recordsIn}` +
        (allowed !== undefined ? ` (allowed: ${allowed})` : ` (allowed share: ${r.maxRejectRate})`),
    };
  }
  if (r.command === 'validate') {
    if (stats.recordsIn === 0) return { exitCode: 0, outcome: 'no records read' };
    return { exitCode: 0, outcome: stats.rejected === 0 ? 'all records pass' : 'within the allowed rejects' };
  }
  return { exitCode: 0, outcome: 'done' };
}
