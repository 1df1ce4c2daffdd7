// Fake sources, stages, sinks and dead-letter writers for unit tests of the runner:
// each one records what happened to it, so a test can say what the runner did and when.
import type { DeadLetter } from '../../src/pipeline/dlq.js';
import type { Rec, Refusal, Rejected, Sink, SinkBatch, SinkWriteResult, Source, SourceBatch, Stage, StageResult } from '../../src/pipeline/types.js';

/** `source:line`: how a record and its dead-letter row are told apart. */
export const keyOf = (r: { source: string; line: number | null }): string => `${r.source}:${r.line}`;

export function rec(line: number, source = 'in.ndjson'): Rec {
  return { value: { kind: 'customer', id: `C${line}` }, raw: { id: `C${line}` }, source, line, origin: source, pos: line, kind: 'customer' };
}

export function rejectOf(r: Rec, code: Rejected['errors'][number]['code']): Rejected {
  return { source: r.source, line: r.line, kind: r.kind ?? null, errors: [{ field: null, code, message: code }], record: r.raw };
}

/** A refused record's row as the index a sink reports it by. */
function refusalOf(records: Rec[], row: Rejected): Refusal {
  const i = records.findIndex((r) => keyOf(r) === keyOf(row));
  const { code, message } = row.errors[0]!;
  return { from: i, to: i + 1, code: code as Refusal['code'], message };
}

export function parseError(line: number, source = 'in.ndjson'): Rejected {
  return { source, line, kind: null, errors: [{ field: null, code: 'parse_error', message: 'not JSON' }], record: `bad ${line}` };
}

/** A batch as a test gives it: good records at `lines`, parse errors at `bad`. */
export interface BatchSpec {
  lines: number[];
  bad?: number[];
}

/** What the runner can see of a record at the moment a batch is acked. */
export interface AckSnapshot {
  batch: number;
  /** Records whose sink write resolved by then. */
  delivered: Set<string>;
  /** Dead-letter rows synced by then. */
  synced: Set<string>;
}

export interface FakeSource extends Source {
  /** Batches handed to the runner, in order. */
  yielded: BatchSpec[];
  acks: AckSnapshot[];
  stops: number;
  closed: boolean;
}

export interface SourceOptions {
  /** After the given batches, make more (10 records each) until stopped. */
  forever?: boolean;
  /** After the given batches, wait until stopped or `more` resolves (an idle stream). */
  more?: Promise<void>;
  /** Acks made with mayAckLate (a checkpoint). */
  wrapAck?: (ack: () => Promise<void>) => () => Promise<void>;
  /** Told at each ack, to snapshot what is delivered. */
  snapshot?: (batch: number) => AckSnapshot;
  /** Called before batch i is handed over (e.g. to stop the runner there). */
  onYield?: (i: number) => void;
  onClose?: () => void;
}

export function fakeSource(specs: BatchSpec[], o: SourceOptions = {}): FakeSource {
  let wake: (() => void) | null = null;
  const src: FakeSource = {
    name: 'fake',
    yielded: [],
    acks: [],
    stops: 0,
    closed: false,
    async *batches(): AsyncIterable<SourceBatch> {
      const next = (i: number): BatchSpec | undefined => {
        if (i < specs.length) return specs[i];
        if (!o.forever) return undefined;
        const from = i * 10 + 1;
        return { lines: Array.from({ length: 10 }, (_, k) => from + k) };
      };
      for (let i = 0; src.stops === 0; i++) {
        const spec = next(i);
        if (!spec) break;
        o.onYield?.(i);
        src.yielded.push(spec);
        const ack = async (): Promise<void> => {
          src.acks.push(o.snapshot ? o.snapshot(i) : { batch: i, delivered: new Set(), synced: new Set() });
        };
        yield { records: spec.lines.map((l) => rec(l)), rejected: (spec.bad ?? []).map((l) => parseError(l)), ack: o.wrapAck ? o.wrapAck(ack) : ack };
        await null; // a real source awaits its reads between batches
      }
      if (o.more && src.stops === 0) await Promise.race([o.more, new Promise<void>((r) => (wake = r))]);
    },
    stop() {
      src.stops++;
      wake?.();
    },
    async close() {
      src.closed = true;
      o.onClose?.();
    },
  };
  return src;
}

/** A fake dead-letter writer: flush and sync take a few turns, so an ack that does not wait for them shows. */
export interface FakeDlq extends DeadLetter {
  rows: Rejected[];
  synced: number;
  events: string[];
}

export function fakeDlq(events: string[] = []): FakeDlq {
  let flushed = 0;
  const dlq: FakeDlq = {
    rows: [],
    synced: 0,
    events,
    write(rows) {
      dlq.rows.push(...rows);
      if (rows.length > 0) events.push(`dlq ${rows.map(keyOf).join(' ')}`);
    },
    async flush() {
      const upTo = dlq.rows.length;
      for (let i = 0; i < 3; i++) await null;
      flushed = Math.max(flushed, upTo);
    },
    async sync() {
      const upTo = flushed;
      for (let i = 0; i < 3; i++) await null;
      dlq.synced = Math.max(dlq.synced, upTo);
    },
    needsDrain: () => false,
    close: async () => {},
  };
  return dlq;
}

export interface FakeSink extends Sink {
  /** Records whose write resolved (minus those it rejected). */
  delivered: Set<string>;
  writes: Rec[][];
  /** Per write: whether the runner marked it streaming. */
  streaming: boolean[];
  closes: number;
  aborted: NodeJS.Signals | undefined;
  events: string[];
  listener: ((mark: number) => void) | undefined;
}

export interface SinkOptions {
  maxInFlight?: number;
  /** Milliseconds (timers) before write n (0-based) resolves; default: resolves at once. */
  delay?: (n: number) => number;
  /**
   * What write n does instead of succeeding: throw this error, refuse these records (reported
   * by index, with the row's code and message), or answer this result (e.g. a `failure`).
   */
  outcome?: (n: number, records: Rec[]) => Error | Rejected[] | SinkWriteResult | undefined;
  /** Called as write n starts (e.g. to stop the runner mid-run). */
  onWrite?: (n: number, sink: FakeSink) => void;
  durableAt?: 'write' | 'close';
  /** With abort(): pending writes fail with this error. */
  abortWith?: (signal: NodeJS.Signals) => Error;
  /** Hold each write until release(records) names it (an HTTP sink filling a batch across writes). */
  holdUntilRelease?: boolean;
}

export function fakeSink(o: SinkOptions = {}, events: string[] = []): FakeSink {
  const pending = new Set<(err: Error) => void>();
  /** Writes held until released (holdUntilRelease), by their records. */
  const held = new Map<Rec[], () => void>();
  let holding = false;
  const sink: FakeSink = {
    name: 'fake-sink',
    maxInFlight: o.maxInFlight ?? 1,
    delivered: new Set(),
    writes: [],
    streaming: [],
    closes: 0,
    aborted: undefined,
    events,
    listener: undefined,
    durableAt: o.durableAt,
    get writeCount() {
      return sink.writes.length;
    },
    write(batch: SinkBatch): Promise<SinkWriteResult> {
      const records = batch.records ?? [];
      const n = sink.writes.length;
      sink.writes.push(records);
      sink.streaming.push(batch.streaming);
      events.push(`write ${n}`);
      o.onWrite?.(n, sink);
      const ms = o.delay?.(n);
      return new Promise<SinkWriteResult>((resolve, reject) => {
        const fail = (err: Error): void => {
          pending.delete(fail);
          reject(err);
        };
        pending.add(fail);
        const finish = (): void => {
          if (!pending.has(fail)) return;
          pending.delete(fail);
          const out = o.outcome?.(n, records);
          if (out instanceof Error) return reject(out); // none of the write delivered
          const result: SinkWriteResult = Array.isArray(out) ? { refused: out.map((row) => refusalOf(records, row)) } : (out ?? {});
          const gone = new Set<number>();
          for (const r of result.refused ?? []) for (let i = r.from; i < r.to; i++) gone.add(i);
          records.forEach((r, i) => gone.has(i) || sink.delivered.add(keyOf(r)));
          events.push(`written ${n}`);
          resolve(result);
        };
        const start = (): void => {
          if (ms === undefined) queueMicrotask(finish);
          else setTimeout(finish, ms);
        };
        if (holding) held.set(records, start);
        else start();
      });
    },
    async close() {
      sink.closes++;
      events.push('close');
      if (o.durableAt === 'close') sink.listener?.(sink.writes.length); // files renamed into place
    },
    ...(o.holdUntilRelease
      ? {
          holdAcrossWrites() {
            holding = true;
            events.push('hold');
          },
          release(records: Rec[]) {
            events.push(`release ${sink.writes.indexOf(records)}`);
            held.get(records)?.();
            held.delete(records);
          },
        }
      : {}),
    ...(o.abortWith
      ? {
          abort(signal: NodeJS.Signals) {
            sink.aborted = signal;
            for (const fail of [...pending]) fail(o.abortWith!(signal));
          },
        }
      : {}),
    ...(o.durableAt === 'close' ? { onDurable: (l: (mark: number) => void) => (sink.listener = l) } : {}),
  };
  return sink;
}

/** Records a stage left out on purpose (filter, head, dedupe): the test checks nothing else went missing. */
export type Dropped = Set<string>;

/** A stateless stage: rejects with `code` what `reject` says, drops what `drop` says. */
export function pickStage(name: string, dropped: Dropped, o: { reject?: (r: Rec) => boolean; drop?: (r: Rec) => boolean; code?: 'filtered' | 'stage_error' }): Stage {
  return {
    name,
    process(records: Rec[]): StageResult {
      const kept: Rec[] = [];
      const rejected: Rejected[] = [];
      for (const r of records) {
        if (o.reject?.(r)) rejected.push(rejectOf(r, o.code ?? 'filtered'));
        else if (o.drop?.(r)) dropped.add(keyOf(r));
        else kept.push(r);
      }
      return { kept, rejected };
    },
  };
}

/** Holds every record until flush (dedupe keep_last): then drops lines divisible by 3, rejects those by 5. */
export function holdingStage(dropped: Dropped): Stage {
  const held: Rec[] = [];
  return {
    name: 'hold',
    process(records: Rec[]): StageResult {
      held.push(...records);
      return { kept: [], rejected: [] };
    },
    flush(): StageResult {
      const out = held.splice(0);
      for (const r of out) if (r.line! % 3 === 0) dropped.add(keyOf(r));
      return { kept: out.filter((r) => r.line! % 3 !== 0 && r.line! % 5 !== 0), rejected: out.filter((r) => r.line! % 3 !== 0 && r.line! % 5 === 0).map((r) => rejectOf(r, 'filtered')) };
    },
  };
}

/** Keeps the first n records and is then done (the head stage). */
export function headStage(n: number, dropped: Dropped): Stage {
  let left = n;
  return {
    name: 'head',
    process(records: Rec[]): StageResult {
      const kept = records.slice(0, left);
      for (const r of records.slice(left)) dropped.add(keyOf(r));
      left -= kept.length;
      return { kept, rejected: [] };
    },
    done: () => left === 0,
  };
}
