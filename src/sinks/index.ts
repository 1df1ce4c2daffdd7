// Maps a sink address (`-`, a path, http(s)://, kafka://) to a Sink.
import type { Sink } from '../pipeline/types.js';

export interface ComponentContext {
  /** Every option of the command as parsed (flags > env > config > defaults already applied). */
  opts: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Log one line to stderr (respects --quiet for info lines). Never pass secrets. */
  log: (message: string) => void;
  debug: boolean;
  /** Output paths planned and checked before the run (src/sinks/outputs.ts); pathFor(kind) names the file sink's files. */
  outputs?: import('./outputs.js').OutputPlan;
  /**
   * Fingerprint of what turns input into output (stages and their options, kind,
   * contract version): part of every HTTP idempotency key (src/config/fingerprint.ts).
   */
  pipeline?: string;
  /** Told the duration of each answered HTTP request, in seconds (--metrics' latency histogram). */
  observeLatency?: (seconds: number) => void;
}

export function sinkKind(address: string): 'stdout' | 'file' | 'http' | 'kafka' {
  if (address === '-') return 'stdout';
  if (/^https?:\/\//i.test(address)) return 'http';
  if (/^kafka:\/\//i.test(address)) return 'kafka';
  return 'file';
}

export async function createSink(address: string, ctx: ComponentContext): Promise<Sink> {
  (await import('./format/index.js')).checkFormatApplies(sinkKind(address), ctx.opts);
  switch (sinkKind(address)) {
    case 'http':
      return (await import('./http/index.js')).createHttpSink(address, ctx);
    case 'kafka':
      return (await import('./kafka.js')).createKafkaSink(address, ctx);
    case 'stdout':
      return (await import('./file.js')).createStdoutSink(ctx);
    case 'file':
      return (await import('./file.js')).createFileSink(address, ctx);
  }
}
