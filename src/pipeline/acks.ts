// When the runner may acknowledge a source batch (a Kafka commit): once every record
// of it is durable where it lands. For most sinks that is when the write resolved; a
// file sink (durableAt 'close') renames its files into place only at close or at a
// rotation, so its batches' acks are held until the sink reports them durable. Acks
// are called in batch order, after the dead-letter file is fsynced.
import { RecflowError } from '../errors.js';
import type { DeadLetter } from './dlq.js';
import type { Sink } from './types.js';

type Ack = () => Promise<void>;

export interface AckHooks {
  /** The run failed: acknowledge nothing more. */
  failed(): boolean;
  /** An ack failed (e.g. the commit was refused for good). */
  fail(err: RecflowError): void;
}

export class AckGate {
  /** Acks wait for the sink to report durability (file sinks). */
  readonly holding: boolean;
  private readonly held: { ack: Ack; mark: number }[] = [];
  /** The records of the first `durable` sink write calls are in their final place. */
  private durable = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Release steps queued in the chain and not done. */
  private running = 0;

  constructor(
    private readonly sink: Sink | null,
    private readonly dlq: DeadLetter,
    private readonly hooks: AckHooks,
  ) {
    this.holding = sink?.durableAt === 'close';
    sink?.onDurable?.((mark) => {
      this.durable = Math.max(this.durable, mark);
      this.release();
    });
  }

  /** Acks held or being made: the source they belong to must stay open (a Kafka commit needs it). */
  get pending(): boolean {
    return this.held.length > 0 || this.running > 0;
  }

  /** The mark of a batch sent now: the sink write calls made so far (its own included). */
  mark(): number {
    return this.sink?.writeCount ?? 0;
  }

  /** A batch is written (or dead-lettered): acknowledge it now, or once the sink says it is durable. */
  async settled(ack: Ack, mark: number): Promise<void> {
    if (!this.holding) {
      await this.chain;
      await this.dlq.flush();
      await this.dlq.sync();
      await ack();
      return;
    }
    this.held.push({ ack, mark });
    this.release();
  }

  /** The sink closed cleanly: everything it was given is durable; acks done when this resolves. */
  async closed(): Promise<void> {
    this.durable = Infinity;
    this.release();
    await this.chain;
  }

  /** Acks now durable run as one step of the chain: called in order, their commits left to coalesce. */
  private release(): void {
    const ready: Ack[] = [];
    while (this.held.length > 0 && this.held[0]!.mark <= this.durable) ready.push(this.held.shift()!.ack);
    if (ready.length === 0) return;
    this.running++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.hooks.failed()) return;
        await this.dlq.flush();
        await this.dlq.sync();
        // each ack marks its offsets synchronously, in this order; the source serializes commits
        await Promise.all(ready.map((ack) => ack()));
      } catch (err) {
        this.hooks.fail(err instanceof RecflowError ? err : new RecflowError('source', `cannot acknowledge: ${(err as Error)?.message ?? err}`, { cause: err }));
      } finally {
        this.running--;
      }
    });
  }
}
