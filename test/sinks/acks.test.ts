// AckGate, the rule that a source batch is acknowledged only once its records are
// durable where they land: for a file sink (durableAt 'close') after the sink reported
// the writes durable (a rotated file renamed into place) or closed; always in batch
// order; never after the run failed; the dead-letter file synced before each ack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckGate } from '../../src/pipeline/acks.js';
import type { DeadLetter } from '../../src/pipeline/dlq.js';
import type { Sink } from '../../src/pipeline/types.js';

/** A sink that only counts write calls and lets the test report durability. */
function fakeSink(durableAt: 'write' | 'close'): Sink & { writeCount: number; report(mark: number): void } {
  const listeners: ((mark: number) => void)[] = [];
  return {
    name: 'fake',
    maxInFlight: 4,
    durableAt,
    writeCount: 0,
    write: async () => ({}),
    close: async () => {},
    onDurable: (l) => void listeners.push(l),
    report: (mark) => listeners.forEach((l) => l(mark)),
  };
}

function fakeDlq(log: string[]): DeadLetter {
  return { write() {}, flush: async () => {}, sync: async () => void log.push('sync'), needsDrain: () => false, close: async () => {} };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AckGate', () => {
  it('durableAt write: each batch is acked as it settles, after a dead-letter sync', async () => {
    const log: string[] = [];
    const sink = fakeSink('write');
    const gate = new AckGate(sink, fakeDlq(log), { failed: () => false, fail: () => {} });
    for (const n of [1, 2]) {
      sink.writeCount++;
      await gate.settled(async () => void log.push(`ack${n}`), gate.mark());
    }
    expect(log).toEqual(['sync', 'ack1', 'sync', 'ack2']);
  });

  it('durableAt close: batches are acked in order, only once written and reported durable, even while the runner waits', async () => {
    // steps: send a batch (a sink write call), its write resolves (oldest first), the sink reports durability up to now
    const step = fc.constantFrom('send', 'written', 'report', 'send');
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const sink = fakeSink('close');
        const gate = new AckGate(sink, fakeDlq([]), { failed: () => false, fail: () => {} });
        const marks: number[] = [];
        const resolvers: ((ok: boolean) => void)[] = [];
        let written = 0;
        let durable = 0;
        const acked: number[] = [];
        for (const s of steps) {
          if (s === 'send') {
            sink.writeCount++;
            const i = marks.length;
            marks.push(gate.mark());
            gate.sent(async () => {
              // never before the batch is written and its writes are durable
              expect(i).toBeLessThan(written);
              expect(marks[i]!).toBeLessThanOrEqual(durable);
              acked.push(i);
            }, marks[i]!, new Promise<boolean>((r) => resolvers.push(r)));
          } else if (s === 'written' && written < marks.length) {
            resolvers[written++]!(true);
          } else if (s === 'report') {
            durable = sink.writeCount;
            sink.report(durable);
          }
          await tick();
          // what is written and durable has been acked, in order
          expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i));
          expect(acked.length).toBe(Math.min(written, marks.filter((m) => m <= durable).length));
        }
        // the sink closed: everything written is acked
        while (written < marks.length) resolvers[written++]!(true);
        durable = Infinity;
        await gate.closed();
        expect(acked).toEqual(Array.from({ length: marks.length }, (_, i) => i));
        expect(gate.pending).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('after a failed write or a failed run nothing more is acked; a failing ack is reported', async () => {
    let failed = false;
    const errors: string[] = [];
    const sink = fakeSink('close');
    const gate = new AckGate(sink, fakeDlq([]), { failed: () => failed, fail: (e) => void errors.push(e.message) });
    const acked: string[] = [];
    sink.writeCount = 1;
    gate.sent(async () => {
      throw new Error('commit refused');
    }, 1, Promise.resolve(true));
    sink.report(1);
    await tick();
    expect(errors).toEqual(['cannot acknowledge: commit refused']);
    sink.writeCount = 2;
    gate.sent(async () => void acked.push('late'), 2, Promise.resolve(true));
    failed = true;
    await gate.closed();
    expect(acked).toEqual([]);

    const other = new AckGate(sink, fakeDlq([]), { failed: () => false, fail: () => {} });
    other.sent(async () => void acked.push('lost write'), 1, Promise.resolve(false));
    other.sent(async () => void acked.push('after it'), 2, Promise.resolve(true));
    await other.closed();
    expect(acked).toEqual([]);
  });
});
