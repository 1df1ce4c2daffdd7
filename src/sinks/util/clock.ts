// Time as the retry machinery sees it: injected, so a model test can run thousands of
// fault sequences on a fake clock (and fire timers early, as real timers may do
// relative to Date.now()), and so the sink can tell whether a live timer exists.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** A referenced timer: while it is pending, the process stays alive. */
  after(ms: number, fn: () => void): Timer;
}

/** The real clock, counting pending timers for the sink's watchdog. */
export class SystemClock implements Clock {
  /** Timers set and neither fired nor cancelled. */
  pending = 0;

  now(): number {
    return Date.now();
  }

  after(ms: number, fn: () => void): Timer {
    this.pending++;
    let live = true;
    const done = (): void => {
      if (!live) return;
      live = false;
      this.pending--;
    };
    const handle = setTimeout(() => {
      done();
      fn();
    }, ms);
    return {
      cancel: () => {
        if (!live) return;
        clearTimeout(handle);
        done();
      },
    };
  }
}
