// The Kafka sink's partitioner: kafkajs's DefaultPartitioner (the Java client's murmur2 of
// the key), with the hash done in 32-bit integers. kafkajs computes it with 64-bit BigInt
// Longs, a tenth of the producer's CPU on short records; the partitions are the same.
import { Partitioners, type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** murmur2 of the bytes `at(0..length-1)`, as kafkajs's (and the Java client's) murmur2. */
function murmur2Of(length: number, at: (i: number) => number): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    h = Math.imul(h, M) ^ Math.imul(k, M);
  }
  switch (length & 3) {
    case 3:
      h ^= at(whole + 2) << 16;
    // falls through
    case 2:
      h ^= at(whole + 1) << 8;
    // falls through
    case 1:
      h ^= at(whole);
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** A string of ASCII characters only: its UTF-8 bytes are its character codes. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** murmur2 of a key as kafkajs hashes it: a Buffer as it is, anything else as the UTF-8 of String(key). */
export function murmur2(key: Buffer | string): number {
  if (Buffer.isBuffer(key)) return murmur2Of(key.length, (i) => key[i]!);
  const s = String(key);
  if (isAscii(s)) return murmur2Of(s.length, (i) => s.charCodeAt(i));
  const bytes = Buffer.from(s);
  return murmur2Of(bytes.length, (i) => bytes[i]!);
}

/**
 * kafkajs's DefaultPartitioner: a message's own partition, else murmur2 of its key over all
 * the topic's partitions, else kafkajs's round robin (delegated, with its random start).
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs): number => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key === null || message.key === undefined) return fallback(args);
    return (murmur2(message.key) & 0x7fffffff) % partitionMetadata.length;
  };
};
