// `recflow serve`: a local analytics endpoint for demos and tests (see docs/http.md).
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { RecflowError, signalExitStatus } from '../errors.js';
import { onStopSignals } from '../pipeline/signals.js';
import type { ServeOptions } from '../serve/server.js';
import { checkToken, parseSize, readTokenFile } from '../sinks/http/options.js';
import { log } from '../log.js';
import { defineOptions, onOff, optionalText } from '../config/schema.js';

const usage = (message: string): RecflowError => new RecflowError('usage', message);

const SERVE_OPTIONS = defineOptions({
  port: { flags: '--port <port>', description: 'port to listen on, 0 for a free one', default: '8080', parse: (v, f) => int(v, f, 0, 65535) },
  host: { flags: '--host <host>', description: 'address to bind', default: '127.0.0.1', parse: (v) => (String(v) === '' ? '127.0.0.1' : String(v)) },
  out: { flags: '--out <file>', description: 'append received records to this NDJSON file', parse: optionalText },
  token: { flags: '--token <token>', description: 'require this bearer token on POST and /stats (shows in ps: better RECFLOW_SERVE_TOKEN or --token-file)', parse: optionalText },
  tokenFile: { flags: '--token-file <path>', description: 'file holding the bearer token to require (else RECFLOW_SERVE_TOKEN)', parse: optionalText },
  keysFile: { flags: '--keys-file <path>', description: 'remember taken Idempotency-Keys in this file, across restarts', parse: optionalText },
  failRate: { flags: '--fail-rate <share>', description: 'share of requests answered 503, 0..1', default: '0', parse: share },
  throttleRate: { flags: '--throttle-rate <share>', description: 'share of requests answered 429 with Retry-After, 0..1', default: '0', parse: share },
  dropRate: { flags: '--drop-rate <share>', description: 'share of connections closed without an answer, 0..1', default: '0', parse: share },
  latencyMs: { flags: '--latency-ms <ms>', description: 'wait this long before each answer', default: '0', parse: (v, f) => int(v, f, 0, 3_600_000) },
  retryAfter: { flags: '--retry-after <seconds>', description: 'Retry-After of injected 429 answers', default: '1', parse: (v, f) => int(v, f, 0, 86_400) },
  seed: { flags: '--seed <seed>', description: 'seed of the fault injection', default: '1', parse: (v) => String(v) },
  maxBodyBytes: { flags: '--max-body-bytes <size>', description: 'largest request body, also once gunzipped', default: '64m', parse: (v, f) => parseSize(v, f) },
  quiet: { flags: '--quiet', description: 'no status lines, only where it listens and the final count', parse: onOff },
});

export function serveCommand(): Command {
  const cmd = new Command('serve').description('a local analytics HTTP endpoint that receives what `run --to http://...` sends');
  return SERVE_OPTIONS.add(cmd).action(async (raw: Record<string, unknown>) => {
    const opts = parseServeOptions(raw, process.env);
    await runServer(opts, raw.quiet === true);
  });
}

export function parseServeOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): ServeOptions {
  const { token: _t, tokenFile: _f, quiet: _q, retryAfter, ...o } = SERVE_OPTIONS.read(raw);
  if (o.failRate + o.throttleRate + o.dropRate > 1) {
    throw usage('--fail-rate, --throttle-rate and --drop-rate add up to more than 1');
  }
  return { ...o, token: serveToken(raw, env), retryAfterS: retryAfter };
}

function share(v: unknown, flag: string): number {
  const n = Number(v);
  if (typeof v === 'boolean' || String(v).trim() === '' || !(n >= 0 && n <= 1)) throw usage(`${flag} must be a share between 0 and 1 such as 0.05, got '${String(v)}'`);
  return n;
}

function int(v: unknown, flag: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(String(v)) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw usage(`${flag} must be a whole number from ${min} to ${max}, got '${String(v)}'`);
  return n;
}

/**
 * --token or --token-file (not both), else RECFLOW_SERVE_TOKEN: a flag wins over the
 * environment as everywhere in recflow. The file or the environment keeps the token out
 * of `ps`. Checked as the sink checks its token; never echoed.
 */
function serveToken(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const flag = typeof raw.token === 'string' ? raw.token : undefined;
  const file = typeof raw.tokenFile === 'string' ? raw.tokenFile : undefined;
  if (flag !== undefined && file !== undefined) throw usage('give the token once: --token or --token-file, not both');
  if (file !== undefined) return readTokenFile(file);
  if (flag !== undefined) return checkToken(flag.trim(), '--token');
  const v = env.RECFLOW_SERVE_TOKEN;
  return v === undefined ? undefined : checkToken(v.trim(), 'RECFLOW_SERVE_TOKEN');
}

/** Loopback addresses reach this machine only; anything else (0.0.0.0, ::, a name) may be reachable from others. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  // node:net on demand: every command's start-up would load it for this one check
  const { isIPv4 } = createRequire(import.meta.url)('node:net') as typeof import('node:net');
  return isIPv4(v4) && v4.startsWith('127.');
}

/** Serves until SIGINT/SIGTERM, then drains and stops with 130/143 as the CLI contract says. */
async function runServer(opts: ServeOptions, quiet: boolean): Promise<void> {
  const { startServer } = await import('../serve/server.js'); // node:http and the store load only for serve
  const server = await startServer(opts).catch((err: NodeJS.ErrnoException) => {
    const where = `${opts.host}:${opts.port}`;
    if (err.code === 'EADDRINUSE') throw new RecflowError('config', `cannot listen on ${where}: the port is in use (try --port 0 for a free one)`);
    if (err.syscall === 'listen') throw new RecflowError('config', `cannot listen on ${where} (${err.code}): try another --port or --host`);
    if (err.path) throw new RecflowError('config', `cannot open ${err.path} (${err.code}): check --out and --keys-file`);
    throw err;
  });
  const say = (line: string): void => log('info', line, undefined, `${line}\n`);
  const faults = [
    opts.failRate && `503 ${opts.failRate}`,
    opts.throttleRate && `429 ${opts.throttleRate}`,
    opts.dropRate && `drop ${opts.dropRate}`,
    opts.latencyMs && `latency ${opts.latencyMs} ms`,
  ].filter(Boolean);
  if (opts.token === undefined && !isLoopback(opts.host)) {
    say(`recflow serve: warning: --host ${opts.host} is not a loopback address and no token is set: anyone who can reach it can post records and read /stats; set RECFLOW_SERVE_TOKEN or --token-file`);
  }
  if (faults.length > 0) say(`recflow serve: injecting faults (${faults.join(', ')}; seed ${opts.seed})`);
  // Before the line below: whoever waits for it may signal at once.
  let stopSignals = (): void => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    stopSignals = onStopSignals(resolve).dispose;
  });
  // Last, so that whoever waits for this line finds everything above it printed.
  say(`recflow serve listening on ${server.url}${opts.out ? ` (appending to ${opts.out})` : ''}`);

  const line = (): string => {
    const s = server.stats;
    const rate = Math.round(s.recentRate());
    return `recflow serve: ${s.records} records in ${s.batches} batches, ${s.duplicates.batches} duplicate batches dropped, ${rate} records/s (${rate * 3600} records/h)`;
  };
  let last = '';
  const ticker = setInterval(() => {
    const now = line();
    if (!quiet && now !== last) say(now);
    last = now;
  }, 10_000);
  ticker.unref();

  const signal = await stopped;
  clearInterval(ticker);
  try {
    await server.close();
  } finally {
    stopSignals();
  }
  say(`${line()}; stopped by ${signal}`);
  process.exitCode = signalExitStatus(signal);
}
