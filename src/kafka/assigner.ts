// Round-robin partition assignment that lists every member, even one left without
// partitions. kafkajs's own round robin leaves such members out of SyncGroup; Apache
// Kafka then hands them an empty assignment, but librdkafka's mock cluster waits for
// them until the session times out and the group never settles. Same name and
// metadata as kafkajs's assigner, so both kinds of member can share a group.
//
// The leader also waits a moment before answering: the mock completes the sync on the
// leader's SyncGroup and then rejects the other members' SyncGroup (INVALID_REQUEST).
// Apache Kafka waits for the leader anyway; a quarter second per rebalance costs nothing.
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const LEADER_DELAY_MS = 250;

export const roundRobinAllMembers: PartitionAssigner = ({ cluster }) => ({
  name: 'RoundRobinAssigner',
  version: 0,
  async assign({ members, topics }) {
    if (members.length > 1) await new Promise((r) => setTimeout(r, LEADER_DELAY_MS));
    const ids = members.map((m) => m.memberId).sort();
    const assignment = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
    let i = 0;
    for (const topic of [...topics].sort()) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId).sort((a, b) => a - b);
      for (const partition of partitions) {
        const mine = assignment.get(ids[i++ % ids.length]!)!;
        (mine[topic] ??= []).push(partition);
      }
    }
    return ids.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: assignment.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'RoundRobinAssigner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
