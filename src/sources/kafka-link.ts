// The connections of a Kafka source: its consumer and admin client, the admin calls in
// flight, and the disconnect (made by close(), once the runner's last acks are in).
import type { Admin, Consumer } from 'kafkajs';
import { boundedRetry, createKafkaClient, isRebalanceError, withTimeout } from '../kafka/client.js';
import type { KafkaOptions } from '../kafka/options.js';
import { roundRobinAllMembers } from '../kafka/assigner.js';
import type { ComponentContext } from '../pipeline/types.js';

export class KafkaLink {
  readonly consumer: Consumer;
  readonly admin: Admin;
  /** Admin calls in flight: a disconnect lets them end first, or kafkajs reconnects behind its back. */
  private readonly adminCalls = new Set<Promise<unknown>>();
  /** eachBatch calls held until the consumer stops (park()). */
  private readonly parked = new Set<() => void>();
  private stopping = false;

  constructor(
    brokers: string[],
    private readonly opts: KafkaOptions,
    ctx: ComponentContext,
  ) {
    const kafka = createKafkaClient(brokers, opts, ctx);
    this.admin = kafka.admin();
    this.consumer = kafka.consumer({
      groupId: opts.group,
      maxWaitTimeInMs: opts.maxWaitMs,
      sessionTimeout: opts.sessionTimeoutMs,
      // Heartbeats are how a member learns of a rebalance: the sooner, the fewer records
      // it reads that it can no longer commit (fewer duplicates after the partition moves).
      heartbeatInterval: Math.min(3_000, Math.floor(opts.sessionTimeoutMs / 10)),
      allowAutoTopicCreation: false,
      // The consumer's own default (5 retries) would override the client's bounded retry.
      // A crash while the group is moving is restarted; any other is reported (exit 3).
      retry: { ...boundedRetry(opts.timeoutMs), restartOnFailure: async (e) => isRebalanceError(e) },
      partitionAssigners: [roundRobinAllMembers],
    });
  }

  /** An admin call, tracked until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    const tracked = call.catch(() => undefined).finally(() => this.adminCalls.delete(tracked));
    this.adminCalls.add(tracked);
    return call;
  }

  /**
   * Resolves once the consumer's disconnect has begun. An eachBatch that kafkajs is kept
   * in meanwhile stops it fetching again: with every partition paused, kafkajs's next
   * fetch would sleep --kafka-max-wait, and its disconnect would wait out that sleep.
   */
  park(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.parked.add(resolve));
  }

  /** Lets go of both connections, errors ignored, each step bounded. */
  async disconnectQuietly(): Promise<void> {
    const bound = Math.min(10_000, this.opts.timeoutMs);
    const quietly = (p: Promise<unknown>): Promise<unknown> => withTimeout(p, bound, () => new Error('timed out')).catch(() => undefined);
    await quietly(Promise.allSettled([...this.adminCalls]));
    this.stopping = true;
    // kafkajs marks its fetchers stopped synchronously here, so the parked batches may end now
    const consumer = this.consumer.disconnect();
    for (const resolve of this.parked) resolve();
    this.parked.clear();
    await quietly(Promise.allSettled([consumer, this.admin.disconnect()]));
    this.stopping = false;
  }
}
