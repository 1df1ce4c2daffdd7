// NDJSON to stdout or to files (`.gz` compresses; `{kind}` splits by kind).
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { RecflowError } from '../errors.js';
import type { Rec, Sink, SinkWriteResult } from '../pipeline/types.js';
import type { ComponentContext } from './index.js';

/** One output stream; write() resolves when the data was handed to the OS. */
class NdjsonOut {
  private failure: Error | null = null;
  private readonly file: Writable;
  private readonly head: Writable;

  constructor(file: Writable, gzip: boolean, readonly label: string) {
    this.file = file;
    this.head = gzip ? createGzip({ level: 6 }) : file;
    if (gzip) this.head.pipe(file);
    const onError = (err: Error): void => {
      this.failure = err;
    };
    this.file.on('error', onError);
    this.head.on('error', onError);
  }

  write(text: string | Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.wrap(this.failure));
    return new Promise((resolve, reject) => {
      this.head.write(text, (err) => (err ? reject(this.wrap(err)) : resolve()));
    });
  }

  async end(): Promise<void> {
    if (this.failure) throw this.wrap(this.failure);
    if (this.file === process.stdout) {
      await new Promise<void>((resolve) => this.head.write('', () => resolve()));
      return;
    }
    const done = new Promise<void>((resolve, reject) => {
      this.file.on('finish', resolve);
      this.file.on('close', resolve);
      this.file.on('error', reject);
    });
    this.head.end();
    await done;
  }

  private wrap(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return new RecflowError('sink', `${this.label}: the reader closed the pipe`, { cause: err });
    return new RecflowError('sink', `cannot write ${this.label}: ${err.message}; check the path and free space`, { cause: err });
  }
}

function encode(records: Rec[]): string {
  let text = '';
  for (let i = 0; i < records.length; i++) text += JSON.stringify(records[i]!.value) + '\n';
  return text;
}

export class NdjsonSink implements Sink {
  readonly maxInFlight = 4;
  private readonly outs = new Map<string, NdjsonOut>();
  private written = 0;

  constructor(
    readonly name: string,
    private readonly open: (kind: string) => NdjsonOut,
    readonly split: boolean,
  ) {
    if (!split) this.out('all'); // an empty input still leaves an (empty) output file
  }

  async write(records: Rec[]): Promise<SinkWriteResult> {
    if (records.length === 0) return {};
    if (!this.split) {
      await this.out('all').write(encode(records));
    } else {
      const byKind = new Map<string, Rec[]>();
      for (const r of records) {
        const k = String(r.value.kind ?? r.kind ?? 'unknown');
        let list = byKind.get(k);
        if (!list) byKind.set(k, (list = []));
        list.push(r);
      }
      await Promise.all([...byKind].map(([k, list]) => this.out(k).write(encode(list))));
    }
    this.written += records.length;
    return {};
  }

  /**
   * NDJSON already encoded (UTF-8, whole lines) of `count` records: the parallel
   * runner's workers encode, this writes. `kind` picks the output when split.
   */
  async writeEncoded(kind: string, bytes: Uint8Array, count: number): Promise<void> {
    if (count === 0) return;
    await this.out(this.split ? kind : 'all').write(bytes);
    this.written += count;
  }

  private out(kind: string): NdjsonOut {
    let o = this.outs.get(kind);
    if (!o) this.outs.set(kind, (o = this.open(kind)));
    return o;
  }

  async close(): Promise<void> {
    await Promise.all([...this.outs.values()].map((o) => o.end()));
  }

  stats(): Record<string, unknown> {
    return { type: 'file', written: this.written, files: [...this.outs.values()].map((o) => o.label) };
  }
}

export function createStdoutSink(_ctx: ComponentContext): Sink {
  const out = new NdjsonOut(process.stdout, false, 'stdout');
  return new NdjsonSink('stdout', () => out, false);
}

export function createFileSink(path: string, _ctx: ComponentContext): Sink {
  const split = path.includes('{kind}');
  const gzip = path.toLowerCase().endsWith('.gz');
  return new NdjsonSink(
    path,
    (kind) => {
      const file = path.replaceAll('{kind}', kind);
      return new NdjsonOut(createWriteStream(file, { flags: 'w' }), gzip, file);
    },
    split,
  );
}
