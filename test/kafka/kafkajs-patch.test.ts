// kafkajs 2.2.4 as patched by patches/kafkajs+2.2.4.patch (applied by `npm ci`'s postinstall;
// docs/decisions.md says why): the records it encodes must be byte for byte what the Kafka
// protocol defines, which a reference written here from the protocol's definition checks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface EncoderLike {
  writeVarInt(v: number): EncoderLike;
  writeVarLong(v: number): EncoderLike;
  buffer: Buffer;
}
type EncoderClass = (new () => EncoderLike) & { sizeOfVarLong(v: number): number; sizeOfVarInt(v: number): number };
const Encoder = require('kafkajs/src/protocol/encoder') as EncoderClass;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => EncoderLike;
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (a: object) => Record<string, unknown[]>;

/** Zigzag varint of a 64-bit integer, as the protocol defines it. */
function varlong(v: bigint): number[] {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

const bytesOf = (b: Buffer | string | null): number[] => (b === null ? [] : [...Buffer.from(b)]);
const lenBytes = (b: Buffer | string | null): number[] => (b === null ? varlong(-1n) : [...varlong(BigInt(Buffer.byteLength(b))), ...bytesOf(b)]);

/** A v2 record: length, attributes, timestamp delta, offset delta, key, value, headers. */
function referenceRecord(r: { offsetDelta: number; timestampDelta: number; key: string | null; value: Buffer; headers: Record<string, string | Buffer> }): number[] {
  const headers = Object.entries(r.headers).flatMap(([k, v]) => [...lenBytes(k), ...lenBytes(v)]);
  const body = [0, ...varlong(BigInt(r.timestampDelta)), ...varlong(BigInt(r.offsetDelta)), ...lenBytes(r.key), ...lenBytes(r.value), ...varlong(BigInt(Object.keys(r.headers).length)), ...headers];
  return [...varlong(BigInt(body.length)), ...body];
}

describe('the patched kafkajs', () => {
  it('is the patched one (npm ci applied patches/)', () => {
    const text = readFileSync(require.resolve('kafkajs/src/protocol/encoder'), 'utf8');
    expect(text).toContain('recflow patch');
    expect(require('kafkajs/package.json').version).toBe('2.2.4');
  });

  it('writes varints and varlongs as the protocol defines them, on both sides of the fast path (fast-check)', () => {
    const int = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, -1, 1, 63, 64, -64, -65, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)));
    fc.assert(
      fc.property(int, (v) => {
        expect([...new Encoder().writeVarInt(v).buffer]).toEqual(varlong(BigInt(v)));
        expect(Encoder.sizeOfVarInt(v)).toBe(varlong(BigInt(v)).length);
      }),
      { numRuns: 3000 },
    );
    const long = fc.oneof(int, fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.constantFrom(Date.now(), -Date.now(), Number.MAX_SAFE_INTEGER));
    fc.assert(
      fc.property(long, (v) => {
        expect([...new Encoder().writeVarLong(v).buffer]).toEqual(varlong(BigInt(v)));
        expect(Encoder.sizeOfVarLong(v)).toBe(varlong(BigInt(v)).length);
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes records byte for byte as the protocol defines them (fast-check)', () => {
    const record = fc.record({
      offsetDelta: fc.nat({ max: 100_000 }),
      timestampDelta: fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
      key: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
      value: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
      headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a))), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(record, (r) => {
        expect([...Record(r).buffer]).toEqual(referenceRecord(r));
      }),
      { numRuns: 2000 },
    );
  });

  it('groups messages by partition in their order (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 7 }), { maxLength: 300 }), (parts) => {
        const messages = parts.map((p, i) => ({ partition: p, value: String(i) }));
        const got = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}], messages, partitioner: ({ message }: { message: { partition: number } }) => message.partition });
        const want: Record<string, unknown[]> = {};
        for (const m of messages) (want[m.partition] ??= []).push(m);
        expect(got).toEqual(want);
      }),
    );
  });
});
