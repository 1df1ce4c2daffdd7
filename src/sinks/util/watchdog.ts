// A check that a sink with work pending is still waiting on something real. Every
// wait of the HTTP sink is a request, an encoding, or a timer; if none exists while
// batches are pending, nothing will ever settle them: a bug, which must fail the run
// loudly (exit 3, the records dead-lettered) rather than hang or let the process exit 0.

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private strikes = 0;

  constructor(
    /** True when work is pending and nothing live (request, timer, encoding) can move it. */
    private readonly stalled: () => boolean,
    private readonly onStall: () => void,
    private readonly periodMs = 1000,
    /** Checks in a row that must find a stall (a state seen between two events is not one). */
    private readonly needed = 2,
  ) {}

  /** Work is pending: watch (a referenced timer, so the process cannot exit meanwhile). */
  arm(): void {
    if (this.timer) return;
    this.strikes = 0;
    this.timer = setInterval(() => this.check(), this.periodMs);
  }

  disarm(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (!this.stalled()) {
      this.strikes = 0;
      return;
    }
    if (++this.strikes < this.needed) return;
    this.disarm();
    this.onStall();
  }
}
