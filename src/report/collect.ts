// What the CI report formats need of a run: per source, the rejects by error code with
// their first examples, and the first N rejected records one by one (for SARIF and
// annotations). Fed from RunStats.countRejected, the one place every reject passes.
import type { ErrorCode, Kind, Rejected } from '../pipeline/types.js';

export interface Finding {
  source: string;
  line: number | null;
  kind: Kind | null;
  code: ErrorCode;
  field: string | null;
  message: string;
}

export interface CodeFindings {
  count: number;
  /** The first few, in input order. */
  examples: Finding[];
}

const EXAMPLES_PER_CODE = 5;

export class ReportCollector {
  /** Source name → code → findings (a record counts once per code). */
  readonly bySource = new Map<string, Map<ErrorCode, CodeFindings>>();
  /** Every finding up to `max`, in arrival order. */
  readonly findings: Finding[] = [];
  /** Findings beyond `max` that were counted but not kept. */
  capped = 0;

  constructor(
    readonly max: number,
    sources: string[] = [],
  ) {
    for (const s of sources) this.bySource.set(s, new Map());
  }

  add(rows: Rejected[]): void {
    for (const r of rows) {
      const codes = this.codesOf(r.source);
      const seen = new Set<ErrorCode>();
      for (const e of r.errors) {
        if (seen.has(e.code)) continue;
        seen.add(e.code);
        const f: Finding = { source: r.source, line: r.line, kind: r.kind, code: e.code, field: e.field, message: e.message };
        const entry = codes.get(e.code) ?? { count: 0, examples: [] };
        entry.count++;
        if (entry.examples.length < EXAMPLES_PER_CODE) entry.examples.push(f);
        codes.set(e.code, entry);
        if (this.findings.length < this.max) this.findings.push(f);
        else this.capped++;
      }
    }
  }

  /** Findings spread across codes (round robin, each code in input order), at most n. */
  spread(n: number): Finding[] {
    const queues = new Map<ErrorCode, Finding[]>();
    for (const f of this.findings) (queues.get(f.code) ?? queues.set(f.code, []).get(f.code)!).push(f);
    const out: Finding[] = [];
    while (out.length < n && [...queues.values()].some((q) => q.length > 0)) {
      for (const q of queues.values()) if (q.length > 0 && out.length < n) out.push(q.shift()!);
    }
    return out;
  }

  total(): number {
    return this.findings.length + this.capped;
  }

  private codesOf(source: string): Map<ErrorCode, CodeFindings> {
    let m = this.bySource.get(source);
    if (!m) this.bySource.set(source, (m = new Map()));
    return m;
  }
}
