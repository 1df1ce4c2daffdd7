// The HTTP sink's options: one table drives the `run` flags, their help and the parser.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../config/options.js';
import { defineOptions, integer, oneOf, onOff, optionalText, shown } from '../../config/schema.js';
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

const usage = (message: string): RecflowError => new RecflowError('usage', message);

/** Every HTTP sink flag (docs/http.md describes them in full), declared once. */
export const HTTP_SINK_OPTIONS = defineOptions({
  batchRecords: { flags: '--batch-records <n>', description: 'HTTP sink: most records in one request', default: '5000', parse: integer(1) },
  batchBytes: { flags: '--batch-bytes <size>', description: 'HTTP sink: most body bytes before gzip in one request (e.g. 512k, 1m)', default: '1m', parse: (v, f) => parseSize(v, f) },
  lingerMs: { flags: '--linger-ms <ms>', description: 'HTTP sink: Kafka sources only, send a partial batch after this long', default: '200', parse: integer(0) },
  concurrency: { flags: '--concurrency <n>', description: 'HTTP sink: batches in flight at once', default: '4', parse: integer(1, 256) },
  body: { flags: '--body <format>', description: 'HTTP sink: request body, ndjson or json ({"records":[...]})', default: 'ndjson', parse: oneOf(['ndjson', 'json'] as const) },
  gzip: { flags: '--gzip', description: 'HTTP sink: gzip request bodies (Content-Encoding: gzip)', parse: onOff },
  idempotencyKey: {
    flags: '--idempotency-key <mode>',
    description: 'HTTP sink: source (a hash of the source, positions, records and pipeline: the same on reruns of the same input) or random',
    default: 'source',
    parse: oneOf(['source', 'random'] as const),
  },
  tokenFile: { flags: '--token-file <path>', description: 'HTTP sink: file holding the bearer token (else RECFLOW_HTTP_TOKEN)', parse: optionalText },
  header: { flags: '--header <header>', description: "HTTP sink: extra request header 'Name: value' (repeatable)", repeatable: true, parse: (v) => parseHeaders(v) },
  timeoutMs: { flags: '--timeout-ms <ms>', description: 'HTTP sink: timeout of one request', default: '30000', parse: integer(1) },
  retries: { flags: '--retries <n>', description: 'HTTP sink: retries of a batch after its first try', default: '8', parse: integer(0) },
  retryMaxTime: {
    flags: '--retry-max-time <duration>',
    description: 'HTTP sink: give up a batch this long after its first try (e.g. 90s, 5m)',
    default: '120s',
    // 0: the first try only (no retry starts later than 0 after it)
    parse: (v, f) => parseDuration(v, f, 'zero-allowed'),
  },
  retryBaseMs: { flags: '--retry-base-ms <ms>', description: 'HTTP sink: back-off of the first retry (doubles each retry, full jitter)', default: '250', parse: integer(1) },
  retryCapMs: { flags: '--retry-cap-ms <ms>', description: 'HTTP sink: longest back-off (Retry-After may ask for more)', default: '30000', parse: integer(1) },
  retryOn: { flags: '--retry-on <statuses>', description: 'HTTP sink: statuses retried, e.g. 408,425,429,5xx', default: '408,425,429,5xx', parse: (v) => parseRetryOn(v) },
  breakerThreshold: { flags: '--breaker-threshold <n>', description: 'HTTP sink: failed tries in a row that open the circuit breaker', default: '10', parse: integer(1) },
  authFailures: {
    flags: '--auth-failures <n>',
    description: 'HTTP sink: stop the run (exit 3) after this many 401/403 answers in a row with no 2xx between',
    default: '3',
    parse: integer(1),
  },
  breakerPauseMs: { flags: '--breaker-pause-ms <ms>', description: 'HTTP sink: how long an open breaker waits before a probe', default: '5000', parse: integer(0) },
});

/** Adds the HTTP sink flags to `run`; a flag another sink already declared is shared, not redeclared. */
export function addHttpSinkOptions(cmd: Command): Command {
  return HTTP_SINK_OPTIONS.add(cmd);
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
  const url = parseUrl(address);
  const { tokenFile: _file, header, retryMaxTime, ...rest } = HTTP_SINK_OPTIONS.read(opts);
  return { url, ...rest, token: readToken(opts, env), headers: header, retryMaxTimeMs: retryMaxTime };
}
