// Counters of a run, shared by the live status and the final summary.
import type { Kind, Rejected } from './types.js';

/** Rejected records counted: in all, by kind and code, and the first few places per code. */
export interface RejectSummary {
  rejected: number;
  readonly rejectedByKind: Record<string, number>;
  readonly rejectedByCode: Record<string, number>;
  /** First few file:line examples per error code, for the human report. */
  readonly examples: Record<string, string[]>;
}

/** Examples kept per error code. */
const EXAMPLES_PER_CODE = 3;

/**
 * The reject counters alone: what a worker counts for a piece (its result carries them,
 * so the main thread need not parse the rows back) and what RunStats keeps for a run.
 */
export class RejectCounts implements RejectSummary {
  rejected = 0;
  readonly rejectedByKind: Record<string, number> = {};
  readonly rejectedByCode: Record<string, number> = {};
  readonly examples: Record<string, string[]> = {};

  countRejected(rows: Rejected[]): void {
    for (const r of rows) {
      this.rejected++;
      bump(this.rejectedByKind, r.kind ?? 'unknown');
      const seen = new Set<string>();
      for (const e of r.errors) {
        if (seen.has(e.code)) continue;
        seen.add(e.code);
        bump(this.rejectedByCode, e.code);
        const ex = (this.examples[e.code] ??= []);
        if (ex.length < EXAMPLES_PER_CODE) ex.push(r.line === null ? r.source : `${r.source}:${r.line}`);
      }
    }
  }

  /** Counts made elsewhere (a piece's, in input order after what is counted here). */
  addRejects(s: RejectSummary): void {
    this.rejected += s.rejected;
    for (const k in s.rejectedByKind) this.rejectedByKind[k] = (this.rejectedByKind[k] ?? 0) + s.rejectedByKind[k]!;
    for (const c in s.rejectedByCode) this.rejectedByCode[c] = (this.rejectedByCode[c] ?? 0) + s.rejectedByCode[c]!;
    for (const c in s.examples) {
      const ex = (this.examples[c] ??= []);
      for (const e of s.examples[c]!) if (ex.length < EXAMPLES_PER_CODE) ex.push(e);
    }
  }
}

export class RunStats extends RejectCounts {
  readonly started = Date.now();
  recordsIn = 0;
  recordsOut = 0;
  /** Records a stage dropped on purpose (filter, head, sample, dedupe keep-first...). */
  dropped = 0;
  /** Records the sink failed to deliver (also written to the dead-letter output). */
  failed = 0;
  bytesRead = 0;
  totalBytes = 0;
  peakRss = 0;
  readonly inByKind: Record<string, number> = {};
  readonly outByKind: Record<string, number> = {};

  countOut(kinds: (Kind | null | undefined)[]): void {
    this.recordsOut += kinds.length;
    for (const k of kinds) bump(this.outByKind, k ?? 'unknown');
  }

  /** Told every reject (the CI reports collect them); every reject path passes here. */
  onRejected?: (rows: Rejected[]) => void;

  override countRejected(rows: Rejected[]): void {
    this.onRejected?.(rows);
    super.countRejected(rows);
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  samplePeakRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  /** Records per second over the run so far, counting every record read. */
  rate(): number {
    const s = this.elapsedSeconds();
    return s > 0 ? this.recordsIn / s : 0;
  }
}

function bump(m: Record<string, number>, key: string): void {
  m[key] = (m[key] ?? 0) + 1;
}
