// What the receiver counts, for GET /stats and its status lines.

const WINDOW_S = 10;

export class ServeStats {
  requests = 0;
  batches = 0;
  records = 0;
  readonly byKind: Record<string, number> = {};
  readonly duplicates = { batches: 0, records: 0 };
  readonly refused = { unauthorized: 0, badRequest: 0, tooLarge: 0, notFound: 0 };
  readonly faults = { fail: 0, throttle: 0, dropBefore: 0, dropAfter: 0 };
  inFlight = 0;
  maxInFlight = 0;
  private readonly startedAt = Date.now();
  private firstAt = 0;
  private lastAt = 0;
  /** Records taken per whole second, for the recent receive rate. */
  private readonly perSecond = new Map<number, number>();

  took(kinds: Record<string, number>, count: number): void {
    const now = Date.now();
    if (this.firstAt === 0) this.firstAt = now;
    this.lastAt = now;
    this.batches++;
    this.records += count;
    for (const [kind, n] of Object.entries(kinds)) this.byKind[kind] = (this.byKind[kind] ?? 0) + n;
    const sec = Math.floor(now / 1000);
    this.perSecond.set(sec, (this.perSecond.get(sec) ?? 0) + count);
    for (const s of this.perSecond.keys()) if (s <= sec - WINDOW_S) this.perSecond.delete(s);
  }

  enter(): void {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  leave(): void {
    this.inFlight--;
  }

  /** Records per second over the last 10 s (or since the first record, when sooner). */
  recentRate(now = Date.now()): number {
    if (this.firstAt === 0) return 0;
    const sec = Math.floor(now / 1000);
    let n = 0;
    for (const [s, count] of this.perSecond) if (s > sec - WINDOW_S) n += count;
    const span = Math.min(WINDOW_S, Math.max(1, (now - this.firstAt) / 1000));
    return n / span;
  }

  snapshot(): Record<string, unknown> {
    const now = Date.now();
    const activeS = (this.lastAt - this.firstAt) / 1000;
    const perSecond = this.recentRate(now);
    return {
      batches: this.batches,
      records: this.records,
      byKind: { ...this.byKind },
      duplicates: { ...this.duplicates },
      requests: this.requests,
      refused: { ...this.refused },
      faults: { ...this.faults },
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      rate: {
        perSecond: Math.round(perSecond),
        perHour: Math.round(perSecond * 3600),
        averagePerSecond: activeS > 0 ? Math.round(this.records / activeS) : this.records,
      },
      uptimeSeconds: Math.round((now - this.startedAt) / 100) / 10,
    };
  }
}
