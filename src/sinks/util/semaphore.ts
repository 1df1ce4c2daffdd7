// A FIFO counting semaphore: bounds how many batches a sink holds encoded and in flight.

export class Semaphore {
  private active = 0;
  private queue: Array<() => void> = [];

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve)); // the slot is handed over, active unchanged
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }
}
