// Start `recflow serve` as a child on a free port, talk to it, stop it after.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Rec, Sink } from '../../src/pipeline/types.js';
import { createHttpSink } from '../../src/sinks/http/index.js';
import { collect, runCli, spawnCli, type CliOptions, type CliResult } from './cli.js';

/** The CLI as a child process (names kept for the HTTP tests). */
export const spawnRecflow = spawnCli;
export const runRecflow = runCli;

export interface ServeHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the receiver wrote to stderr so far. */
  stderr(): string;
  stats(): Promise<ServeStatsJson>;
  /** SIGTERM (or the given signal), then the exit result. Safe to call twice. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

export interface ServeStatsJson {
  batches: number;
  records: number;
  byKind: Record<string, number>;
  duplicates: { batches: number; records: number };
  requests: number;
  refused: Record<string, number>;
  faults: { fail: number; throttle: number; dropBefore: number; dropAfter: number };
  inFlight: number;
  maxInFlight: number;
  rate: { perSecond: number; perHour: number; averagePerSecond: number };
}

export async function startServe(args: string[] = [], opts: CliOptions = {}): Promise<ServeHandle> {
  const child = spawnRecflow(['serve', '--port', '0', ...args], { ...opts, input: undefined });
  const done = collect(child, { timeoutMs: opts.timeoutMs ?? 300_000 });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`recflow serve did not say where it listens within 10 s:\n${err}`)), 10_000);
    const look = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`recflow serve exited (${code}) before listening:\n${err}`)));
  });
  let stopped: Promise<CliResult> | undefined;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => err,
    stats: async () => {
      // /stats needs the token when the receiver has one
      const token = serveTokenOf(args, opts.env ?? {});
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      return (await (await fetch(`${url}/stats`, { headers })).json()) as ServeStatsJson;
    },
    stop: (signal = 'SIGTERM') => {
      if (!stopped) {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        stopped = done;
      }
      return stopped;
    },
  };
}

/** The token `recflow serve` was started with: --token, --token-file, else RECFLOW_SERVE_TOKEN. */
function serveTokenOf(args: string[], env: Record<string, string | undefined>): string | undefined {
  const after = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const file = after('--token-file');
  if (file !== undefined) return readFileSync(file, 'utf8').trim();
  const fromEnv = 'RECFLOW_SERVE_TOKEN' in env ? env.RECFLOW_SERVE_TOKEN : process.env.RECFLOW_SERVE_TOKEN;
  return (after('--token') ?? fromEnv)?.trim();
}

export interface SeenRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ScriptedServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * An in-process endpoint that answers each POST as `answer` says (status, headers,
 * body, or 'drop' to close the connection), for tests of exact sender behaviour.
 */
export async function scriptedServer(
  answer: (req: SeenRequest, n: number) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'drop',
): Promise<ScriptedServer> {
  const { createServer } = await import('node:http');
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      const a = answer(seen, requests.length);
      if (a === 'drop') return void req.socket.destroy();
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Records and sinks for HTTP sink tests, built by hand (no runner needed).

export const FILE_ORIGIN = 'file:/data/customers.ndjson:123456:1700000000000';

/** n customer records as a file source would make them: lines from `firstLine`. */
export function customers(n: number, origin = FILE_ORIGIN, firstLine = 1): Rec[] {
  return Array.from({ length: n }, (_, i) => {
    const line = firstLine + i;
    const value = { kind: 'customer', customer_id: `C${line}`, email: `c${line}@example.com` };
    return { value, raw: { ...value, email: ` C${line}@Example.com ` }, source: 'customers.ndjson', line, origin, pos: line, kind: 'customer' as const };
  });
}

export interface SinkUnderTest {
  sink: Sink;
  logs: string[];
}

/** An HTTP sink with small back-off so tests run fast; `opts` as commander would give them. */
export async function httpSink(url: string, opts: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<SinkUnderTest> {
  const logs: string[] = [];
  const sink = await createHttpSink(url, {
    opts: { retryBaseMs: '5', retryCapMs: '50', breakerPauseMs: '20', ...opts },
    env,
    log: (m) => logs.push(m),
    debug: true,
  });
  return { sink, logs };
}

export function ids(ndjson: string): string[] {
  return ndjson
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { customer_id: string }).customer_id);
}
