// When the runner may acknowledge a source batch (a Kafka commit): once every record
// of it is durable where it lands. For most sinks that is when the write resolved; a
// file sink (durableAt 'close') renames its files into place only at close or at a
// rotation, so its batches' acks are held until the sink reports them durable. Acks
// are called in batch order, after the dead-letter file is fsynced.
import { RecflowError } from '../errors.js';
import type { DeadLetter } from './dlq.js';
import type { Sink } from './types.js';

type Ack = () => Promise<void>;

/** Acks that need nothing kept open (a checkpoint file write), so they may be made late. */
const lateAcks = new WeakSet<Ack>();

/**
 * Marks an ack that may wait until the end of input: the runner holds such acks while
 * a stage holds records back (dedupe keep_last, sample n), as a batch is done only once
 * those are written too. A Kafka commit is not one: its client closes with its source.
 */
export function mayAckLate(ack: Ack): Ack {
  lateAcks.add(ack);
  return ack;
}

export function isLateAck(ack: Ack | undefined): boolean {
  return ack !== undefined && lateAcks.has(ack);
}

export interface AckHooks {
  /** The run failed: acknowledge nothing more. */
  failed(): boolean;
  /** An ack failed (e.g. the commit was refused for good). */
  fail(err: RecflowError): void;
}

export class AckGate {
  /** Acks wait for the sink to report durability (file sinks). */
  readonly holding: boolean;
  /** Batches sent to a holding sink, in order: `written` tells whether the sink took them. */
  private readonly held: { ack: Ack; mark: number; written: Promise<boolean> }[] = [];
  /** A held batch's write failed: nothing after it is acked. */
  private broken = false;
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

  /**
   * A batch was just handed to the sink (its rejects already in the dead-letter output).
   * A holding sink's batches are tracked from here, not from settled(): a rotation timer
   * may make them durable while the runner waits for the source (an idle stream).
   */
  sent(ack: Ack | undefined, mark: number, written: Promise<boolean>): void {
    if (!this.holding || !ack) return;
    this.held.push({ ack, mark, written });
    this.release();
  }

  /** A batch is written (or dead-lettered): acknowledge it now (sinks that do not hold acks). */
  async settled(ack: Ack, _mark: number): Promise<void> {
    if (this.holding) return; // tracked since sent()
    await this.chain;
    await this.dlq.flush();
    await this.dlq.sync();
    try {
      await ack();
    } catch (err) {
      throw ackError(err); // a source failure, as for held acks (not a crash)
    }
  }

  /** The sink closed cleanly: everything it was given is durable; acks done when this resolves. */
  async closed(): Promise<void> {
    this.durable = Infinity;
    this.release();
    await this.chain;
  }

  /** Acks now durable run as one step of the chain: called in order, their commits left to coalesce. */
  private release(): void {
    const ready: { ack: Ack; written: Promise<boolean> }[] = [];
    while (this.held.length > 0 && this.held[0]!.mark <= this.durable) ready.push(this.held.shift()!);
    if (ready.length === 0) return;
    this.running++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.broken || this.hooks.failed()) return;
        await this.dlq.flush();
        await this.dlq.sync();
        // each ack marks its offsets synchronously, in this order; the source serializes commits
        const calls: Promise<void>[] = [];
        for (const r of ready) {
          if (!(await r.written)) this.broken = true;
          if (this.broken || this.hooks.failed()) break;
          const call = r.ack();
          call.catch(() => {}); // reported through Promise.all below
          calls.push(call);
        }
        await Promise.all(calls);
      } catch (err) {
        this.hooks.fail(ackError(err));
      } finally {
        this.running--;
      }
    });
  }
}

function ackError(err: unknown): RecflowError {
  return err instanceof RecflowError ? err : new RecflowError('source', `cannot acknowledge: ${(err as Error)?.message ?? err}`, { cause: err });
}
