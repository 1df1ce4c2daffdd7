// The Kafka sink's partitioner sends every message to the partition kafkajs's
// DefaultPartitioner (the Java client's murmur2) would: same keys, same partitions.
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from '../../src/kafka/partitioner.js';

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

/** Keys of every length mod 4, ASCII and not, random and sequential. */
function keys(): string[] {
  const out = ['', 'a', 'ab', 'abc', 'abcd', 'C1', 'AB-1', 'K0000001', 'ünïcødé', '日本語キー', '\u{1F600}x', 'a\u0000b', '\u007f\u0080'];
  let seed = 7;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 3000; i++) {
    out.push(`C${i}`);
    out.push(Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => String.fromCharCode(32 + Math.floor(rnd() * (rnd() < 0.9 ? 95 : 3000)))).join(''));
  }
  return out;
}

describe('Kafka sink partitioner', () => {
  it('picks the partition of kafkajs DefaultPartitioner for string and Buffer keys', () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    let compared = 0;
    for (const n of [1, 2, 3, 8, 12, 100]) {
      const partitionMetadata = metadata(n);
      for (const k of keys()) {
        for (const key of [k, Buffer.from(k)]) {
          const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
          expect(ours(args), `key ${JSON.stringify(k)} over ${n}`).toBe(theirs(args));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(30_000);
  });

  it('keeps a partition given with the message, and spreads keyless messages over the partitions', () => {
    const ours = keyPartitioner();
    const partitionMetadata = metadata(4);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'C1', value: 'v', partition: 3 } })).toBe(3);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) seen.add(ours({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } }));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('hashes a few known keys as the Java client does', () => {
    // values of org.apache.kafka.common.utils.Utils.murmur2
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });
});
