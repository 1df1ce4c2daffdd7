// The HTTP sink's options: one table drives the `run` flags, their help and the parser.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../config/options.js';
import { RecflowError } from '../../errors.js';

export type BodyFormat = 'ndjson' | 'json';
export type KeyMode = 'source' | 'random';

export interface RetryOn {
  /** Exact statuses retried, e.g. 429. */
  statuses: number[];
  /** Whole classes retried, e.g. 5 for `5xx`. */
  classes: number[];
}

export interface HttpSinkOptions {
  url: URL;
  batchRecords: number;
  batchBytes: number;
  /** Kafka origins only: a batch also closes this long after its first record. */
  lingerMs: number;
  concurrency: number;
  body: BodyFormat;
  gzip: boolean;
  idempotencyKey: KeyMode;
  /** Bearer token; never logged. */
  token?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Retries after the first try (tries = retries + 1). */
  retries: number;
  retryMaxTimeMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  retryOn: RetryOn;
  breakerThreshold: number;
  /** 401/403 answers in a row (no 2xx between) after which the run stops: the token is wrong. */
  authFailures: number;
  breakerPauseMs: number;
}

interface OptionSpec {
  flags: string;
  /** The camelCased name in commander's opts() and in config files. */
  key: string;
  description: string;
  /** Shown in help; the parser applies it, not commander, so config files can override. */
  default?: string;
  repeatable?: boolean;
}

/** Every HTTP sink flag (docs/http.md describes them in full). */
export const HTTP_SINK_OPTIONS: OptionSpec[] = [
  { flags: '--batch-records <n>', key: 'batchRecords', description: 'HTTP sink: most records in one request', default: '5000' },
  { flags: '--batch-bytes <size>', key: 'batchBytes', description: 'HTTP sink: most body bytes before gzip in one request (e.g. 512k, 1m)', default: '1m' },
  { flags: '--linger-ms <ms>', key: 'lingerMs', description: 'HTTP sink: Kafka sources only, send a partial batch after this long', default: '200' },
  { flags: '--concurrency <n>', key: 'concurrency', description: 'HTTP sink: batches in flight at once', default: '4' },
  { flags: '--body <format>', key: 'body', description: 'HTTP sink: request body, ndjson or json ({"records":[...]})', default: 'ndjson' },
  { flags: '--gzip', key: 'gzip', description: 'HTTP sink: gzip request bodies (Content-Encoding: gzip)' },
  { flags: '--idempotency-key <mode>', key: 'idempotencyKey', description: 'HTTP sink: source (a hash of the source, positions, records and pipeline: the same on reruns of the same input) or random', default: 'source' },
  { flags: '--token-file <path>', key: 'tokenFile', description: 'HTTP sink: file holding the bearer token (else RECFLOW_HTTP_TOKEN)' },
  { flags: '--header <header>', key: 'header', description: "HTTP sink: extra request header 'Name: value' (repeatable)", repeatable: true },
  { flags: '--timeout-ms <ms>', key: 'timeoutMs', description: 'HTTP sink: timeout of one request', default: '30000' },
  { flags: '--retries <n>', key: 'retries', description: 'HTTP sink: retries of a batch after its first try', default: '8' },
  { flags: '--retry-max-time <duration>', key: 'retryMaxTime', description: 'HTTP sink: give up a batch this long after its first try (e.g. 90s, 5m)', default: '120s' },
  { flags: '--retry-base-ms <ms>', key: 'retryBaseMs', description: 'HTTP sink: back-off of the first retry (doubles each retry, full jitter)', default: '250' },
  { flags: '--retry-cap-ms <ms>', key: 'retryCapMs', description: 'HTTP sink: longest back-off (Retry-After may ask for more)', default: '30000' },
  { flags: '--retry-on <statuses>', key: 'retryOn', description: 'HTTP sink: statuses retried, e.g. 408,425,429,5xx', default: '408,425,429,5xx' },
  { flags: '--breaker-threshold <n>', key: 'breakerThreshold', description: 'HTTP sink: failed tries in a row that open the circuit breaker', default: '10' },
  { flags: '--auth-failures <n>', key: 'authFailures', description: 'HTTP sink: stop the run (exit 3) after this many 401/403 answers in a row with no 2xx between', default: '3' },
  { flags: '--breaker-pause-ms <ms>', key: 'breakerPauseMs', description: 'HTTP sink: how long an open breaker waits before a probe', default: '5000' },
];

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the HTTP sink flags to `run`; a flag another sink already declared is shared, not redeclared. */
export function addHttpSinkOptions(cmd: Command): Command {
  for (const spec of HTTP_SINK_OPTIONS) {
    const long = spec.flags.split(/[ ,]/)[0];
    if (cmd.options.some((o) => o.long === long)) continue;
    const description = spec.default === undefined ? spec.description : `${spec.description} (default: ${spec.default})`;
    if (spec.repeatable) cmd.option(spec.flags, description, collect);
    else cmd.option(spec.flags, description);
  }
  return cmd;
}

const usage = (message: string): RecflowError => new RecflowError('usage', message);
const flagOf = (key: string): string => HTTP_SINK_OPTIONS.find((s) => s.key === key)!.flags.split(' ')[0];
const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function pick(opts: Record<string, unknown>, key: string): unknown {
  const v = opts[key];
  if (v !== undefined && v !== null) return v;
  return HTTP_SINK_OPTIONS.find((s) => s.key === key)?.default;
}

function integer(opts: Record<string, unknown>, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = pick(opts, key);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const what = min === 0 ? 'a whole number >= 0' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    const upTo = max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : '';
    throw usage(`${flagOf(key)} must be ${what}${upTo}, got '${shown(v)}'`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };

export function parseSize(v: unknown, flag: string): number {
  const m = typeof v === 'number' ? [String(v), String(v), ''] : typeof v === 'string' ? /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(v) : null;
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw usage(`${flag} must be a size such as 65536, 512k or 1m, got '${shown(v)}'`);
  return n;
}

export function parseRetryOn(v: unknown): RetryOn {
  const text = Array.isArray(v) ? v.join(',') : String(v);
  const out: RetryOn = { statuses: [], classes: [] };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const cls = /^([45])xx$/i.exec(part);
    if (cls) out.classes.push(Number(cls[1]));
    else if (/^\d{3}$/.test(part) && Number(part) >= 400 && Number(part) <= 599) out.statuses.push(Number(part));
    else throw usage(`--retry-on takes statuses 400-599 or 4xx/5xx separated by commas, got '${part}' in '${text}'`);
  }
  return out;
}

export function isRetriedStatus(retryOn: RetryOn, status: number): boolean {
  return retryOn.statuses.includes(status) || retryOn.classes.includes(Math.floor(status / 100));
}

function oneOf<T extends string>(opts: Record<string, unknown>, key: string, choices: readonly T[]): T {
  const v = pick(opts, key);
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  throw usage(`${flagOf(key)} must be ${choices.join(' or ')}, got '${shown(v)}'`);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the sink itself, or a secret that belongs in RECFLOW_HTTP_TOKEN, not in argv.
const RESERVED_HEADERS = ['authorization', 'content-length', 'content-encoding', 'idempotency-key', 'host', 'transfer-encoding', 'connection'];

// Field values may hold tabs and bytes >= 0x80 (RFC 9110), never other control characters:
// CR/LF would split the request, and the rest make every try fail as if it were transient.
const BAD_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;

export function parseHeaders(v: unknown): Record<string, string> {
  const entries: string[] = v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : typeof v === 'object' ? Object.entries(v).map(([k, val]) => `${k}: ${String(val)}`) : [String(v)];
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    const value = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!HEADER_NAME.test(name)) throw usage(`--header takes 'Name: value', got '${entry}'`);
    // The value is not shown: headers such as X-Api-Key hold secrets.
    if (BAD_HEADER_VALUE.test(value)) throw usage(`--header ${name}: the value holds a control character (CR, LF or another) or a character beyond U+00FF; give it on one line of plain text`);
    if (RESERVED_HEADERS.includes(name.toLowerCase())) {
      const hint = name.toLowerCase() === 'authorization' ? ': put the token in RECFLOW_HTTP_TOKEN or --token-file' : ': the HTTP sink sets it';
      throw usage(`--header cannot set ${name}${hint}`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * A bearer token is printable ASCII without spaces (RFC 6750 is stricter still). Anything
 * else is refused up front, naming where it came from (`from`) and never showing it:
 * sent as is, it would make every try fail (as if transient) or be refused as wrong.
 */
export function checkToken(token: string, from: string): string {
  if (token === '') throw new RecflowError('config', `the token in ${from} is empty: it should hold the bearer token`);
  if (/[\x00-\x20\x7f]/.test(token)) {
    throw new RecflowError('config', `the token in ${from} holds whitespace or control characters`);
  }
  if (/[^\x21-\x7e]/.test(token)) {
    throw new RecflowError('config', `the token in ${from} holds a character that is not printable ASCII`);
  }
  return token;
}

/** A token file's text, trimmed (a trailing newline is normal), then checked. */
export function readTokenFile(path: string, flag = '--token-file'): string {
  const from = `${flag} ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RecflowError('config', `cannot read ${from} (${code}): give a readable file holding the bearer token`);
  }
  return checkToken(text.trim(), from);
}

/** The token from --token-file, else RECFLOW_HTTP_TOKEN (set but empty is an error); never echoed in messages. */
export function readToken(opts: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const file = opts.tokenFile;
  if (typeof file === 'string' && file !== '') return readTokenFile(file);
  const v = env.RECFLOW_HTTP_TOKEN;
  if (v === undefined) return undefined;
  // Set but empty is most often a failed `$(cat file)`: say so rather than send no token.
  if (v.trim() === '') throw new RecflowError('config', 'the token in RECFLOW_HTTP_TOKEN is empty: give the bearer token, or unset the variable to send none');
  return checkToken(v.trim(), 'RECFLOW_HTTP_TOKEN');
}

export function parseUrl(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw usage(`--to ${address} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--to ${address}: only http:// and https:// URLs are HTTP sinks`);
  if (url.username || url.password) throw usage('--to: credentials in the URL are not supported: put the token in RECFLOW_HTTP_TOKEN or --token-file');
  return url;
}

/** Parses the run command's resolved options (flag > env > config, see config/options.ts) and the token's environment. */
export function parseHttpSinkOptions(address: string, opts: Record<string, unknown>, env: NodeJS.ProcessEnv): HttpSinkOptions {
  const options: HttpSinkOptions = {
    url: parseUrl(address),
    batchRecords: integer(opts, 'batchRecords', 1),
    batchBytes: parseSize(pick(opts, 'batchBytes'), '--batch-bytes'),
    lingerMs: integer(opts, 'lingerMs', 0),
    concurrency: integer(opts, 'concurrency', 1, 256),
    body: oneOf(opts, 'body', ['ndjson', 'json'] as const),
    gzip: opts.gzip === true || opts.gzip === 'true',
    idempotencyKey: oneOf(opts, 'idempotencyKey', ['source', 'random'] as const),
    token: readToken(opts, env),
    headers: parseHeaders(opts.header),
    timeoutMs: integer(opts, 'timeoutMs', 1),
    retries: integer(opts, 'retries', 0),
    // 0: the first try only (no retry starts later than 0 after it)
    retryMaxTimeMs: parseDuration(pick(opts, 'retryMaxTime'), '--retry-max-time', 'zero-allowed'),
    retryBaseMs: integer(opts, 'retryBaseMs', 1),
    retryCapMs: integer(opts, 'retryCapMs', 1),
    retryOn: parseRetryOn(pick(opts, 'retryOn')),
    breakerThreshold: integer(opts, 'breakerThreshold', 1),
    authFailures: integer(opts, 'authFailures', 1),
    breakerPauseMs: integer(opts, 'breakerPauseMs', 0),
  };
  return options;
}
