// Writing ready-made NDJSON text through the file/stdout sink.
//
// The Sink interface takes Rec objects; the workers hand back text. The file sink
// (src/sinks/file.ts, NdjsonSink) writes text per output (`out(kind).write(text)`)
// and counts `written`; we use exactly that, so files are opened, gzipped, split
// by {kind}, flushed, closed and reported (stats()) by the sink's own code. Its
// members are private to TypeScript only, so this adapter checks their shape and
// declines (→ the sequential runner) if the sink ever changes.
// TODO(lead): a public `writeText(kind, text, count)` on NdjsonSink would remove this.
import type { Sink } from '../types.js';

export interface TextOut {
  /** One output per kind ({kind} in the path). */
  readonly split: boolean;
  /** Write the NDJSON of one piece (UTF-8); `count` records. Resolves when handed to the OS. */
  write(out: Uint8Array | null, byKind: [string, Uint8Array][], count: number): Promise<void>;
}

interface NdjsonSinkShape {
  split: boolean;
  written: number;
  // takes a string in its type; the stream under it takes bytes just as well
  out(kind: string): { write(text: string | Uint8Array): Promise<void> };
}

export function textOutOf(sink: Sink): TextOut | null {
  const s = sink as unknown as Partial<NdjsonSinkShape>;
  if (sink.constructor?.name !== 'NdjsonSink') return null;
  if (typeof s.split !== 'boolean' || typeof s.written !== 'number' || typeof s.out !== 'function') return null;
  const shape = s as NdjsonSinkShape;
  return {
    split: shape.split,
    async write(out, byKind, count) {
      if (count === 0) return;
      if (!shape.split) {
        if (out) await shape.out('all').write(out);
      } else {
        // outputs are opened in the order kinds are first met, as the sink does
        await Promise.all(byKind.map(([kind, t]) => shape.out(kind).write(t)));
      }
      shape.written += count;
    },
  };
}
