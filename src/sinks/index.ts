// Maps a sink address (`-`, a path, http(s)://, kafka://) to a Sink.
import type { ComponentContext, Sink } from '../pipeline/types.js';

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
