// Turns the source arguments of a command into checked Sources, before any output:
// globs expanded, files stat'ed and readable, CSV headers checked.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { RecflowError } from '../errors.js';
import type { Kind, Source } from '../pipeline/types.js';
import type { ComponentContext } from '../sinks/index.js';
import { FileSource, headerNames, readCsvHeader, type FileSpec, type Format } from './file.js';

export interface SourceOptions {
  format?: Format;
  kind?: Kind;
}

export function formatFromName(name: string): { format?: Format; gzip?: boolean } {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl') || base.endsWith('.json')) return { format: 'ndjson', gzip };
  return { gzip: gzip || undefined };
}

async function expand(arg: string): Promise<string[]> {
  if (!isDynamicPattern(arg)) return [arg];
  try {
    await stat(arg);
    return [arg]; // a real file whose name merely looks like a pattern
  } catch {
    const matches = await glob(arg, { onlyFiles: true, expandDirectories: false });
    if (matches.length === 0) {
      throw new RecflowError('input', `no files match the pattern '${arg}'; check the path or quote the pattern`);
    }
    return matches.sort();
  }
}

async function fileSpec(name: string, opts: SourceOptions): Promise<FileSpec> {
  const path = resolve(name);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot stat it (${code})`;
    throw new RecflowError('input', `cannot read ${name}: ${why}; check the path`, { cause: err });
  }
  if (st.isDirectory()) throw new RecflowError('input', `cannot read ${name}: it is a directory; give files or a glob like '${name}/*.csv'`);
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new RecflowError('input', `cannot read ${name}: permission denied; check the file's permissions`, { cause: err });
  }
  const byName = formatFromName(name);
  return {
    name,
    path,
    format: opts.format ?? byName.format,
    gzip: byName.gzip,
    size: st.size,
    origin: `file:${path}:${st.size}:${Math.trunc(st.mtimeMs)}`,
  };
}

/** Check a CSV file's header now, so a duplicate column stops the run before any output. */
async function checkHeader(spec: FileSpec): Promise<void> {
  if (spec.path === null || spec.format === 'ndjson') return;
  const cells = await readCsvHeader(spec);
  if (cells === null || spec.format === undefined) return;
  headerNames(cells, spec.name);
}

export async function openSources(args: string[], opts: SourceOptions, ctx: ComponentContext): Promise<Source[]> {
  const sources: Source[] = [];
  let stdinUsed = false;
  for (const arg of args) {
    if (/^kafka:\/\//i.test(arg)) {
      sources.push(await (await import('./kafka.js')).createKafkaSource(arg, ctx));
      continue;
    }
    if (arg === '-') {
      if (stdinUsed) throw new RecflowError('usage', "stdin ('-') can be given only once as a source");
      stdinUsed = true;
      const spec: FileSpec = { name: '-', path: null, format: opts.format, origin: `stdin:${process.pid}:${Date.now()}` };
      sources.push(new FileSource(spec, { kindHint: opts.kind }));
      continue;
    }
    for (const name of await expand(arg)) {
      const spec = await fileSpec(name, opts);
      await checkHeader(spec);
      sources.push(new FileSource(spec, { kindHint: opts.kind }));
    }
  }
  return sources;
}
