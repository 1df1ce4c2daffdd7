// Who opens closes: an AsyncDisposableStack equivalent (Node 20 has none). Whatever a
// command opens is registered here right after opening; dispose() closes what is left in
// reverse order on every path, each step best-effort and bounded in time.

export type CloseFn = () => unknown;

export interface Closable {
  close?(): unknown;
}

export interface OwnerOptions {
  /** Longest wait for one step; a step that hangs must not keep the process (default 5 s). */
  stepTimeoutMs?: number;
}

interface Step {
  label: string;
  own: () => Promise<void>;
  close: () => Promise<void>;
}

export class Owner {
  private readonly steps: Step[] = [];
  private readonly errors: unknown[] = [];
  private disposing: Promise<unknown> | undefined;
  private readonly timeoutMs: number;

  constructor(opts: OwnerOptions = {}) {
    this.timeoutMs = opts.stepTimeoutMs ?? 5000;
  }

  /**
   * Registers a closing step and returns it: calling it closes now, unbounded (its error is
   * thrown to the caller, as a plain await would) and dispose() then skips it. Runs at most once.
   */
  defer(label: string, fn: CloseFn): () => Promise<void> {
    // the opener's own call waits as long as it takes; only dispose() bounds a step
    const run = once(async () => {
      await fn();
    });
    const close = (): Promise<void> => {
      const i = this.steps.findIndex((s) => s.own === close);
      if (i >= 0) this.steps.splice(i, 1); // closed by its opener: dispose() skips it
      return run();
    };
    if (this.disposing) {
      // registered after dispose began (an open that finished late): close it at once
      void withTimeout(close(), this.timeoutMs, label).catch((err) => this.errors.push(err));
      return close;
    }
    this.steps.push({ label, own: close, close: () => withTimeout(close(), this.timeoutMs, label) });
    return close;
  }

  /** Registers `resource.close()` (if it has one) and returns the resource. */
  use<T extends Closable | null | undefined>(label: string, resource: T): T {
    if (resource && typeof resource.close === 'function') this.defer(label, () => resource.close!());
    return resource;
  }

  /** Closes every step not closed yet, last registered first; resolves with the first error, if any. */
  dispose(): Promise<unknown> {
    this.disposing ??= this.run();
    return this.disposing;
  }

  private async run(): Promise<unknown> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.close();
      } catch (err) {
        this.errors.push(err);
      }
    }
    return this.errors[0];
  }
}

/** A function that runs `fn` once; later calls get the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

function withTimeout(p: Promise<unknown>, ms: number, label: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`closing ${label} did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p.then(() => undefined), late]).finally(() => clearTimeout(timer));
}
