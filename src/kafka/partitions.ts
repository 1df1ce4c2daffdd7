// Per-partition bookkeeping of the Kafka source: where reading stands, what is acked and
// committed, the end offsets for --until caught-up, and the lag shown in the live status.

export interface PartitionState {
  topic: string;
  partition: number;
  /** Oldest offset at start; where a partition without committed offset starts with --from-beginning. */
  low: number;
  /** End offset (high watermark) when the run started: the --until caught-up target. */
  target: number;
  /** Latest high watermark seen (start, then from each fetched batch). */
  highWatermark: number;
  /** Group's committed offset as last read from the broker (-1: none). */
  groupCommitted: number;
  /** Next offset after the last message handed to the pipeline. */
  yielded: number;
  /** Next offset after the last message acked by the runner (written or dead-lettered). */
  acked: number;
  /** Next offset this process committed. */
  committed: number;
  assigned: boolean;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export class PartitionTable {
  readonly parts = new Map<string, PartitionState>();

  constructor(private readonly fromBeginning: boolean) {}

  add(topic: string, partition: number, low: number, high: number, groupCommitted: number): void {
    this.parts.set(partitionKey(topic, partition), {
      topic,
      partition,
      low,
      target: high,
      highWatermark: high,
      groupCommitted,
      yielded: -1,
      acked: -1,
      committed: -1,
      assigned: false,
    });
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.parts.get(partitionKey(topic, partition));
  }

  /** Where the group stands on a partition, as far as this process knows. */
  position(p: PartitionState): number {
    const start = p.groupCommitted >= 0 ? p.groupCommitted : this.fromBeginning ? p.low : p.target;
    return Math.max(start, p.yielded, p.acked, p.committed);
  }

  /** Messages left before every assigned partition reaches the end offset that stood at start. */
  remaining(): number {
    let n = 0;
    for (const p of this.parts.values()) if (p.assigned) n += Math.max(0, p.target - this.position(p));
    return n;
  }

  isCaughtUp(p: PartitionState): boolean {
    return this.position(p) >= p.target;
  }

  /**
   * Batch mode ends when the group has reached the start's end offsets on every partition:
   * its own reading for the partitions it holds, the other members' commits for the rest.
   */
  allCaughtUp(): boolean {
    return [...this.parts.values()].every((p) => this.isCaughtUp(p));
  }

  /** Marks exactly the given partitions as assigned to this member. */
  assign(assignment: Record<string, number[]>): void {
    for (const p of this.parts.values()) p.assigned = (assignment[p.topic] ?? []).includes(p.partition);
  }

  assigned(): PartitionState[] {
    return [...this.parts.values()].filter((p) => p.assigned);
  }

  /** Offsets acked but not yet committed, as kafkajs commitOffsets wants them. */
  pendingCommits(): { topic: string; partition: number; offset: string }[] {
    return [...this.parts.values()]
      .filter((p) => p.acked > p.committed)
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: String(p.acked) }));
  }

  /** `lag p0=12 p1=0` (with topic names when reading several topics); committed-side lag. */
  status(multiTopic: boolean): string {
    const parts = this.assigned().sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    if (parts.length === 0) return 'lag: no partitions assigned';
    const shown = parts.slice(0, 16).map((p) => {
      const name = multiTopic ? `${p.topic}/${p.partition}` : `p${p.partition}`;
      return `${name}=${Math.max(0, p.highWatermark - this.position(p))}`;
    });
    return `lag ${shown.join(' ')}${parts.length > 16 ? ` (+${parts.length - 16} more)` : ''}`;
  }

  stats(): Record<string, { committed: number | null; highWatermark: number; lag: number; assigned: boolean }> {
    const out: Record<string, { committed: number | null; highWatermark: number; lag: number; assigned: boolean }> = {};
    for (const [key, p] of this.parts) {
      const committed = Math.max(p.committed, p.groupCommitted);
      out[key] = {
        committed: committed >= 0 ? committed : null,
        highWatermark: p.highWatermark,
        lag: Math.max(0, p.highWatermark - this.position(p)),
        assigned: p.assigned,
      };
    }
    return out;
  }
}
