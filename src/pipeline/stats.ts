// Counters of a run, shared by the live status and the final summary.
import type { Kind, Rejected } from './types.js';

export class RunStats {
  readonly started = Date.now();
  recordsIn = 0;
  recordsOut = 0;
  rejected = 0;
  /** Records a stage dropped on purpose (filter, head, sample, dedupe keep-first...). */
  dropped = 0;
  /** Records the sink failed to deliver (also written to the dead-letter output). */
  failed = 0;
  bytesRead = 0;
  totalBytes = 0;
  peakRss = 0;
  readonly inByKind: Record<string, number> = {};
  readonly outByKind: Record<string, number> = {};
  readonly rejectedByKind: Record<string, number> = {};
  readonly rejectedByCode: Record<string, number> = {};
  /** First few file:line examples per error code, for the human report. */
  readonly examples: Record<string, string[]> = {};

  countOut(kinds: (Kind | null | undefined)[]): void {
    this.recordsOut += kinds.length;
    for (const k of kinds) bump(this.outByKind, k ?? 'unknown');
  }

  /** Told every reject (the CI reports collect them); every reject path passes here. */
  onRejected?: (rows: Rejected[]) => void;

  countRejected(rows: Rejected[], examplesPerCode = 3): void {
    this.onRejected?.(rows);
    for (const r of rows) {
      this.rejected++;
      bump(this.rejectedByKind, r.kind ?? 'unknown');
      const seen = new Set<string>();
      for (const e of r.errors) {
        if (seen.has(e.code)) continue;
        seen.add(e.code);
        bump(this.rejectedByCode, e.code);
        const ex = (this.examples[e.code] ??= []);
        if (ex.length < examplesPerCode) ex.push(r.line === null ? r.source : `${r.source}:${r.line}`);
      }
    }
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
