// NDJSON to stdout or to files (`.gz` compresses; `{kind}` splits by kind).
// Files are crash-safe (file-output.ts): written aside, renamed into place at a clean
// close, or at each rotation (--rotate-records / --rotate-seconds). Records are in their
// final place only then, so the sink says `durableAt: 'close'` and reports each rotated
// set through onDurable: the runner acknowledges source batches (Kafka commits) after.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { RecflowError } from '../errors.js';
import type { ComponentContext, EncodedKind, Rec, Refusal, Rejected, Sink, SinkBatch, SinkWriteResult } from '../pipeline/types.js';
import { invalidKindMessage, isPlainName, kindOf } from './output-names.js';
export { invalidKind, invalidKindMessage, kindOf } from './output-names.js';
import { FileOut, isSpecialFile, NdjsonOut, stamp, syncDir, withSuffix } from './file-output.js';
import { endOutput, formatOf, makeEncoder, outputChoice, withFormat, type RecordEncoder } from './format/index.js';
import { log } from '../log.js';

/** Where the sink's records go: stdout, or one file per kind and per rotated set. */
interface Output {
  readonly label: string;
  readonly failed: Error | null;
  /** Records written to it. */
  records: number;
  /** Its records' text: NDJSON, CSV, TSV or JSON (src/sinks/format/). */
  readonly encoder: RecordEncoder;
  write(text: string | Uint8Array): Promise<void>;
  /** Finish it: complete and in its final place. */
  commit(): Promise<void>;
  /** The run failed: let go of it; returns the temp file left behind, if any. */
  abandon(): string | null;
}

interface Rotation {
  records?: number;
  seconds?: number;
}

export interface OutputPlan {
  split: boolean;
  durableAt: 'write' | 'close';
  rotate?: Rotation;
  /** The output of `kind` in rotated set `seq` (0: no rotation). */
  open(kind: string, seq: number): Output;
  /** Whether the outputs of set `seq` would overwrite existing files (rotated names are never reused). */
  taken?(seq: number, kinds: string[]): boolean;
  /** Kinds not written this run whose file from an earlier run must be replaced (emptied). */
  stale?(seen: string[]): string[];
}

/** Kinds a `{kind}` path may get from the contract (`unknown`: no kind decided). */
const KINDS = ['customer', 'inventory', 'unknown'];

/** Offset just past the `n`-th newline of `bytes` from `from`. */
function afterLines(bytes: Uint8Array, from: number, n: number): number {
  let at = from;
  for (let i = 0; i < n; i++) at = bytes.indexOf(10, at) + 1;
  return at;
}

export class NdjsonSink implements Sink {
  readonly maxInFlight = 4;
  readonly split: boolean;
  readonly durableAt: 'write' | 'close';
  /** write()/writeEncoded() calls so far: onDurable marks count in these. */
  writeCount = 0;
  private outs = new Map<string, Output>();
  private setRecords = 0;
  private seq = 1;
  private written = 0;
  private readonly labels: string[] = [];
  private readonly seen = new Set<string>();
  private finishing: Promise<void> = Promise.resolve();
  /** Rotated sets not finished yet: past one, writes wait (fsync sets the pace, and bounds what a crash redelivers). */
  private unfinished = 0;
  private failure: Error | null = null;
  private readonly listeners: ((mark: number) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly plan: OutputPlan,
  ) {
    this.split = plan.split;
    this.durableAt = plan.durableAt;
    // an empty input still leaves an (empty) output file; rotated sets exist only with records
    if (!this.split && !plan.rotate) this.out('all');
  }

  onDurable(listener: (mark: number) => void): void {
    this.listeners.push(listener);
  }

  /** NDJSON output takes the workers' lines: of one output, or one write per kind ({kind}). */
  get encoded(): EncodedKind | undefined {
    const format = formatOf(this);
    if (format !== undefined && format !== 'ndjson') return undefined;
    return this.split ? 'ndjson-by-kind' : 'ndjson';
  }

  write(batch: SinkBatch): Promise<SinkWriteResult> {
    if (batch.lines) return this.writeEncoded(batch.lines.kind ?? 'all', batch.lines.bytes, batch.lines.count).then(() => ({}));
    return this.writeRecords(batch.records);
  }

  private writeRecords(input: Rec[]): Promise<SinkWriteResult> {
    this.writeCount++;
    if (input.length === 0) return Promise.resolve({});
    if (this.failure) return Promise.reject(this.failure);
    // a {kind} value is a file name: one that is not a plain name is refused, never a path
    const refused: Refusal[] = [];
    if (this.split) input.forEach((r, i) => isPlainName(kindOf(r)) || refused.push({ from: i, to: i + 1, code: 'invalid_kind', message: invalidKindMessage(r) }));
    const records = refused.length > 0 ? input.filter((r) => isPlainName(kindOf(r))) : input;
    const result: SinkWriteResult = refused.length > 0 ? { refused } : {};
    if (records.length === 0) return Promise.resolve(result);
    // placed synchronously: a rotation (timer or count) cuts between whole write calls' data
    const pending: Promise<void>[] = [];
    for (let from = 0; from < records.length; ) {
      const to = Math.min(records.length, from + this.room());
      this.place(records.slice(from, to), pending);
      from = to;
      this.rotateIfFull(from === records.length);
    }
    return this.settle(pending, records.length).then(() => result);
  }

  /**
   * NDJSON already encoded (UTF-8, whole lines) of `count` records: the parallel
   * runner's workers encode, this writes. `kind` picks the output when split.
   */
  private writeEncoded(kind: string, bytes: Uint8Array, count: number): Promise<void> {
    this.writeCount++;
    if (count === 0) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    const k = this.split ? kind : 'all';
    const pending: Promise<void>[] = [];
    for (let offset = 0, left = count; left > 0; ) {
      const n = Math.min(left, this.room());
      const end = n === left ? bytes.length : afterLines(bytes, offset, n);
      pending.push(this.account(k, n).write(bytes.subarray(offset, end)));
      offset = end;
      left -= n;
      this.rotateIfFull(left === 0);
    }
    return this.settle(pending, count);
  }

  private settle(pending: Promise<void>[], count: number): Promise<void> {
    if (this.unfinished > 1) pending.push(this.finishing);
    return Promise.all(pending).then(
      () => {
        this.written += count;
      },
      (err: unknown) => {
        this.failure ??= err as Error;
        throw err;
      },
    );
  }

  private place(records: Rec[], pending: Promise<void>[]): void {
    if (!this.split) {
      const o = this.account('all', records.length);
      pending.push(o.write(o.encoder.encode(records)));
      return;
    }
    const byKind = new Map<string, Rec[]>();
    for (const r of records) {
      const k = kindOf(r);
      let list = byKind.get(k);
      if (!list) byKind.set(k, (list = []));
      list.push(r);
    }
    for (const [k, list] of byKind) {
      const o = this.account(k, list.length);
      pending.push(o.write(o.encoder.encode(list)));
    }
  }

  /** Records the current set may still take. */
  private room(): number {
    const max = this.plan.rotate?.records;
    return max === undefined ? Infinity : max - this.setRecords;
  }

  private account(kind: string, n: number): Output {
    const o = this.out(kind);
    o.records += n;
    this.setRecords += n;
    return o;
  }

  private out(kind: string): Output {
    let o = this.outs.get(kind);
    if (o) return o;
    const rotate = this.plan.rotate;
    if (rotate && this.outs.size === 0) {
      // a new set: a name no earlier run left behind, and its clock
      const kinds = [...new Set([...KINDS, ...this.seen, kind])];
      while (this.plan.taken?.(this.seq, this.split ? kinds : ['all'])) this.seq++;
      if (rotate.seconds !== undefined) {
        this.timer = setTimeout(() => this.rotate(this.writeCount), rotate.seconds * 1000);
        this.timer.unref();
      }
    }
    this.seen.add(kind);
    o = this.plan.open(kind, rotate ? this.seq : 0);
    this.outs.set(kind, o);
    this.labels.push(o.label);
    return o;
  }

  /** `whole`: the current write call's records all went into the set being finished. */
  private rotateIfFull(whole: boolean): void {
    const max = this.plan.rotate?.records;
    if (max !== undefined && this.setRecords >= max) this.rotate(whole ? this.writeCount : this.writeCount - 1);
  }

  /** Finish the current set (in the background, in order), then report `mark` durable. */
  private rotate(mark: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const outs = [...this.outs.values()];
    this.outs = new Map();
    this.setRecords = 0;
    this.seq++;
    if (outs.length === 0) return;
    this.unfinished++;
    this.finishing = this.finishing.then(async () => {
      try {
        if (this.failure) return void this.abandon(outs);
        await this.commit(outs);
      } catch (err) {
        this.failure ??= err as Error;
        return;
      } finally {
        this.unfinished--;
      }
      for (const l of this.listeners) l(mark);
    });
  }

  private async commit(outs: Output[]): Promise<void> {
    const dirs = new Set<string>();
    for (let i = 0; i < outs.length; i++) {
      try {
        await outs[i]!.commit();
      } catch (err) {
        this.abandon(outs.slice(i));
        throw err;
      }
      dirs.add(dirname(outs[i]!.label));
    }
    for (const d of dirs) syncDir(d);
  }

  /** Let go of outputs after a failure; say where their records are. */
  private abandon(outs: Output[]): void {
    for (const o of outs) {
      const temp = o.abandon();
      if (temp && o.records > 0) {
        log('warn', `${o.label} was not written (the run failed); its ${o.records} record(s) so far are in ${temp}, left for inspection`);
      }
    }
  }

  close(): Promise<void> {
    return (this.closing ??= this.finish());
  }

  private async finish(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.finishing;
    const outs = [...this.outs.values()];
    this.outs = new Map();
    const failed = this.failure ?? outs.find((o) => o.failed)?.failed;
    if (failed) {
      this.abandon(outs);
      throw failed instanceof RecflowError ? failed : new RecflowError('sink', `file sink failed: ${failed.message}`, { cause: failed });
    }
    // {kind} files of kinds absent this run are replaced too (emptied), not left stale
    for (const k of this.plan.rotate ? [] : (this.plan.stale?.([...this.seen]) ?? [])) outs.push(this.out(k));
    this.outs = new Map();
    await this.commit(outs);
  }

  stats(): Record<string, unknown> {
    return { type: 'file', written: this.written, files: this.labels };
  }
}

/** Stdout: written as it comes; nothing to rename. */
function stdoutOutput(encoder: RecordEncoder): Output {
  const out = new NdjsonOut(process.stdout, false, 'stdout');
  return {
    label: 'stdout',
    get failed() {
      return out.failed;
    },
    records: 0,
    encoder,
    write: (text) => out.write(text),
    commit: () => endOutput(encoder, (t) => out.write(t), () => out.end()),
    abandon: () => null,
  };
}

function fileOutput(target: string, gzip: boolean, encoder: RecordEncoder, append = false): Output {
  const f = new FileOut(target, gzip, append);
  for (const t of f.leftovers) log('info', `removed ${t}, a temp file left by an earlier run that did not finish`);
  if (f.cutBytes > 0) log('warn', `${target} ended in a torn line (a run killed mid-write?); cut its last ${f.cutBytes} bytes before appending`);
  return {
    label: target,
    get failed() {
      return f.out.failed;
    },
    records: 0,
    encoder,
    write: (text) => f.out.write(text),
    commit: () => endOutput(encoder, (t) => f.out.write(t), () => f.commit()),
    abandon: () => f.abandon(),
  };
}

export function createStdoutSink(ctx: ComponentContext): Sink {
  const { format, kind } = outputChoice('-', ctx.opts);
  const out = stdoutOutput(makeEncoder(format, kind, 'stdout'));
  return withFormat(new NdjsonSink('stdout', { split: false, durableAt: 'write', open: () => out }), format);
}

/** --rotate-records / --rotate-seconds, as parsed (whole numbers >= 1). */
export function rotationOf(opts: Record<string, unknown>): Rotation | undefined {
  const records = typeof opts.rotateRecords === 'number' ? opts.rotateRecords : undefined;
  const seconds = typeof opts.rotateSeconds === 'number' ? opts.rotateSeconds : undefined;
  return records === undefined && seconds === undefined ? undefined : { records, seconds };
}

export function createFileSink(path: string, ctx: ComponentContext): Sink {
  const choice = outputChoice(path, ctx.opts); // CSV/TSV: one kind per file, checked before any file exists
  const split = path.includes('{kind}');
  const gzip = path.toLowerCase().endsWith('.gz');
  const rotate = rotationOf(ctx.opts);
  const append = ctx.opts.append === true;
  if (append && rotate) throw new RecflowError('usage', '--append and --rotate-records/--rotate-seconds exclude each other: rotation writes new files');
  if (append && choice.format !== 'ndjson') {
    throw new RecflowError('usage', `--append works with NDJSON outputs only: a ${choice.format.toUpperCase()} file cannot grow by another run's lines (its header or array would repeat)`);
  }
  const inPlace = !split && isSpecialFile(path);
  if (rotate && inPlace) {
    throw new RecflowError('usage', `--rotate-records/--rotate-seconds need a file path to name the rotated files; ${path} is a device or pipe`);
  }
  const started = stamp(new Date());
  const name = (kind: string, seq: number): string => {
    const file = ctx.outputs?.pathFor(kind) ?? path.replaceAll('{kind}', kind);
    return seq === 0 ? file : withSuffix(file, `-${started}-${String(seq).padStart(6, '0')}`);
  };
  return withFormat(new NdjsonSink(path, {
    split,
    // a device or pipe is written in place: records are where they go once handed to the OS
    durableAt: inPlace ? 'write' : 'close',
    rotate,
    open: (kind, seq) => {
      const file = name(kind, seq);
      return fileOutput(file, gzip, makeEncoder(choice.format, split ? kind : choice.kind, file), append);
    },
    taken: (seq, kinds) => kinds.some((k) => existsSync(name(k, seq))),
    // appending: files of kinds absent this run keep what earlier runs wrote
    stale: (seen) => (split && !append ? KINDS.filter((k) => !seen.includes(k) && existsSync(name(k, 0))) : []),
  }), choice.format);
}
