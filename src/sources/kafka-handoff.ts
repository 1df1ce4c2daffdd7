// The hand-over between kafkajs's eachBatch calls and the runner's batches() loop: the
// chunks of each kafkajs batch queued in order, and the batch held (its eachBatch kept
// waiting) until released, so a rebalance cannot move a partition with records unwritten.
import type { SourceBatch } from '../pipeline/types.js';

export interface Waiter {
  /** Lets eachBatch return; with `resolve`, kafkajs fetches on after the batch. */
  release: (resolve: boolean) => void;
  /** Chunks of the kafkajs batch not yet handed to the runner. */
  unyielded: number;
  /** `topic/partition` of the batch, and the offset after its last message. */
  partition: string;
  end: number;
}

export class Handoff {
  /** Chunks not handed over yet: built (decoded) only when taken, so a big kafkajs batch is never decoded all at once. */
  private readonly queue: { i: number; make: (i: number) => SourceBatch; waiter: Waiter }[] = [];
  private readonly waiters = new Set<Waiter>();
  private wake: (() => void) | null = null;

  /**
   * Queues the `count` chunks of one kafkajs batch of `partition` ending before offset
   * `end` (`make` builds chunk i). Resolves once released: true, resolve its offsets.
   */
  hold(count: number, partition: string, end: number, make: (i: number) => SourceBatch): Promise<boolean> {
    let resolve!: (ok: boolean) => void;
    const released = new Promise<boolean>((r) => (resolve = r));
    const w = this.waiter(count, partition, end, resolve);
    for (let i = 0; i < count; i++) this.queue.push({ i, make, waiter: w });
    return released;
  }

  /**
   * Built apart from hold() so that its closure cannot see `make`, which sees the whole
   * kafkajs batch (messages and fetch buffers): a waiter must not keep that alive.
   */
  private waiter(count: number, partition: string, end: number, resolve: (ok: boolean) => void): Waiter {
    const w: Waiter = {
      unyielded: count,
      partition,
      end,
      release: (ok) => {
        if (this.waiters.delete(w)) resolve(ok);
      },
    };
    this.waiters.add(w);
    return w;
  }

  /**
   * The runner acked `partition` up to offset `acked`: the batches it finished may go.
   * Acks find their waiter here rather than holding it, as a file sink keeps every ack
   * to the end of the run: each keeps only its partition and offset alive.
   */
  acked(partition: string, acked: number): void {
    for (const w of this.waiters) if (w.partition === partition && w.end <= acked) w.release(true);
  }

  /** The next queued chunk, counted as handed to the runner. */
  take(): SourceBatch | undefined {
    const next = this.queue.shift();
    if (!next) return undefined;
    next.waiter.unyielded--;
    return next.make(next.i);
  }

  /** Drops the queued chunks (left unacked: read again next time). */
  drop(): void {
    this.queue.length = 0;
  }

  /** The runner waits for more while it may hold unacked batches: let kafkajs fetch on past them. */
  releaseHandedOver(): void {
    for (const w of [...this.waiters]) if (w.unyielded === 0) w.release(true);
  }

  releaseAll(ok: boolean): void {
    for (const w of [...this.waiters]) w.release(ok);
  }

  /** Resolves at the next notify(). */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** Waits for a held batch's release, heartbeating each second to keep the group membership alive. */
export async function heldWithHeartbeats(released: Promise<boolean>, heartbeat: () => Promise<void>): Promise<boolean> {
  let ok: boolean | undefined;
  void released.then((v) => (ok = v));
  while (ok === undefined) {
    // the timer is cleared on release: a pending one would keep the process alive a second
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([released, new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    if (ok === undefined) await Promise.race([heartbeat().catch(() => undefined), released]);
  }
  return ok;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
