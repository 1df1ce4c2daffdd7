// The pure half of the output planner (outputs.ts): URL schemes, plain names and
// the `{kind}`/`{date}`/`{time}`/`{run}` templates of output paths.
import { randomBytes } from 'node:crypto';
import { RecflowError } from '../errors.js';
import { recordRow } from '../pipeline/dead-row.js';
import type { Rec, Rejected } from '../pipeline/types.js';

/** The values every template but `{kind}` takes, fixed once at the start of a run. */
export interface RunStamp {
  /** UTC date, YYYY-MM-DD. */
  date: string;
  /** UTC time, HHMMSS. */
  time: string;
  /** YYYYMMDDTHHMMSSZ-<4 hex>: sortable, and two runs in the same second still differ. */
  run: string;
}

export const TEMPLATE_NAMES = ['kind', 'date', 'time', 'run'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const SCHEMES: Record<'source' | 'sink', readonly string[]> = {
  source: ['kafka'],
  sink: ['http', 'https', 'kafka'],
};
const WHAT = "recflow reads files, stdin ('-') and kafka://, and writes files, stdout, http(s):// and kafka://";

/** The lower-case URL scheme of `arg` (`s3` for `s3://b/k`), or null for a plain path. */
export function schemeOf(arg: string): string | null {
  const m = SCHEME.exec(arg);
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * Refuses (exit 2) an address whose URL scheme recflow cannot use in that role, so
 * `--to s3://b/k` is not quietly written to a local file called `s3:/b/k`.
 * Only the scheme is quoted: the rest of a URL may hold credentials.
 */
export function checkScheme(arg: string, role: 'source' | 'sink'): void {
  const scheme = schemeOf(arg);
  if (scheme === null || SCHEMES[role].includes(scheme)) return;
  const where = role === 'sink' ? 'the sink (--to)' : 'a source';
  throw new RecflowError('usage', `unsupported scheme ${scheme}:// in ${where}; ${WHAT}`);
}

/**
 * True when `v` can stand for one file name inside a folder: not empty, no `/`,
 * `\`, `..` or NUL, and not hidden (leading `.`). A template value that is not
 * a plain name must never become part of a path (a record's kind `../../x`).
 */
export function isPlainName(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && !v.startsWith('.') && !/[/\\\0]/.test(v) && !v.includes('..');
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The run's date, time and id from one instant (UTC), so all three agree. */
export function runStamp(now: Date = new Date(), hex: string = randomBytes(2).toString('hex')): RunStamp {
  const date = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return { date, time, run: `${date.replaceAll('-', '')}T${time}Z-${hex}` };
}

/** The `{name}` templates used in `path`, in order of first use. */
export function templatesIn(path: string): string[] {
  const names: string[] = [];
  for (const m of path.matchAll(/\{([A-Za-z_]+)\}/g)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/**
 * Checks the templates of one output path: only known names, and `{kind}` only
 * where outputs are split by kind (the sink). A typo like `{data}` in a cron job
 * would otherwise give a file literally named `{data}.ndjson` every night.
 */
export function checkTemplates(arg: string, path: string, kindAllowed: boolean): void {
  for (const name of templatesIn(path)) {
    if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) {
      throw new RecflowError('usage', `${arg} ${path}: unknown template {${name}}; use {kind}, {date}, {time} or {run}`);
    }
    if (name === 'kind' && !kindAllowed) {
      throw new RecflowError('usage', `${arg} ${path}: {kind} splits only the sink (--to); ${arg} is one file`);
    }
  }
}

/** `path` with `{date}`, `{time}`, `{run}` (and `{kind}` when given) replaced. */
export function expandPath(path: string, stamp: RunStamp, kind?: string): string {
  if (kind !== undefined && !isPlainName(kind)) {
    throw new RecflowError('sink', `kind ${JSON.stringify(kind)} is not a plain name and cannot be part of a file name`);
  }
  return path.replace(/\{(kind|date|time|run)\}/g, (whole, name: TemplateName) =>
    name === 'kind' ? (kind ?? whole) : stamp[name],
  );
}

/** The kind that names a record's `{kind}` file. */
export const kindOf = (r: Pick<Rec, 'value' | 'kind'>): string => String(r.value.kind ?? r.kind ?? 'unknown');

export function invalidKindMessage(r: Pick<Rec, 'value' | 'kind'>): string {
  return `kind ${JSON.stringify(kindOf(r).slice(0, 80))} is not a plain name (letters, digits, '.', '_', '-'; no '/', '\\', '..' or leading '.'), so it cannot name a {kind} file`;
}

/** The dead-letter row of a record whose kind cannot name a `{kind}` file. */
export function invalidKind(r: Rec): Rejected {
  return recordRow(r, 'invalid_kind', 'kind', invalidKindMessage(r), null);
}
