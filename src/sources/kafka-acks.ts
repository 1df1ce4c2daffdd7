// The acks of a Kafka source's batches: how many the runner still holds, the commit each
// ack makes, and close()'s wait for the last ones. close() waits here itself, so that the
// disconnect happens inside the call that closes (never later, from a timer).
import type { OffsetCommitter } from '../kafka/offsets.js';
import { partitionKey, type PartitionState } from '../kafka/partitions.js';
import type { Handoff } from './kafka-handoff.js';

/** close() gives up on the runner's last acks once none has come for this long. */
export const ACK_WAIT_MS = 5_000;

export class AckLedger {
  /** Chunks yielded to the runner and not acked yet. */
  private outstanding = 0;
  /** close() stopped waiting: the consumer is leaving, later acks commit nothing. */
  private sealed = false;
  /** Wakes close()'s wait (an ack came, or the source failed). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly committer: OffsetCommitter,
    private readonly handoff: Handoff,
    private readonly log: (message: string) => void,
  ) {}

  /** A chunk goes to the runner. */
  yielded(): void {
    this.outstanding++;
  }

  /** A batch's ack; built apart so that it keeps only `p` and `next` alive (a file sink holds acks to the end). */
  ackFor(p: PartitionState, next: number): () => Promise<void> {
    return async () => {
      this.outstanding--;
      if (this.sealed) {
        this.log(`kafka: records up to ${p.topic}/${p.partition}@${next - 1} were written after the source closed; they are not committed and will be read again`);
        return;
      }
      p.acked = Math.max(p.acked, next);
      this.handoff.acked(partitionKey(p.topic, p.partition), p.acked);
      this.wake?.();
      await this.committer.commit();
    };
  }

  /**
   * close(): commits what was acked, waits for the acks of the batches the runner still
   * holds (each commits as it comes), and commits once more. Then, errors too, seals:
   * the consumer may go. The wait's timer is cleared before this resolves.
   */
  async drain(failed: () => boolean, idleMs = ACK_WAIT_MS): Promise<void> {
    try {
      await this.committer.commit();
      await this.waitForAcks(failed, idleMs);
      if (!failed()) await this.committer.commit();
    } finally {
      this.seal();
    }
  }

  /** Until every batch is acked, none has been for `idleMs`, or `failed()` (checked at each wake). */
  private async waitForAcks(failed: () => boolean, idleMs: number): Promise<void> {
    try {
      while (this.outstanding > 0 && !failed()) {
        let timer: NodeJS.Timeout | undefined;
        const acked = await new Promise<boolean>((resolve) => {
          this.wake = () => resolve(true);
          timer = setTimeout(() => resolve(false), idleMs);
        });
        clearTimeout(timer);
        if (!acked) {
          this.log(`kafka: no ack for ${idleMs / 1000} s while closing; ${this.outstanding} batch(es) held by the runner are not committed and will be read again`);
          break;
        }
      }
    } finally {
      this.wake = null;
    }
  }

  /** Acks from now on commit nothing (the consumer is leaving). */
  seal(): void {
    this.sealed = true;
  }

  /** Lets a wait under way check failed() now. */
  nudge(): void {
    this.wake?.();
  }
}
