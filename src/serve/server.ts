// `recflow serve`: a small analytics endpoint that takes what `run --to http://...`
// sends, drops batches whose Idempotency-Key it already took, and can inject faults.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { BadRequest, decodeRecords, readBody, type Decoded } from './decode.js';
import { FaultInjector, type FaultRates } from './faults.js';
import { ServeStats } from './stats.js';
import { IdempotencyStore } from './store.js';

export interface ServeOptions extends FaultRates {
  host: string;
  port: number;
  /** NDJSON file the records are appended to. */
  out?: string;
  /** Bearer token requests must carry. */
  token?: string;
  /** File of taken keys, so duplicates are dropped across restarts too. */
  keysFile?: string;
  latencyMs: number;
  /** Retry-After of 429 answers, in seconds. */
  retryAfterS: number;
  seed: string;
  maxBodyBytes: number;
}

export interface RunningServer {
  url: string;
  port: number;
  stats: ServeStats;
  /** Stops taking connections, lets requests in progress finish (up to graceMs), closes the file. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const stats = new ServeStats();
  const faults = new FaultInjector(opts, opts.seed);
  const store = new IdempotencyStore(opts.keysFile);
  const out = opts.out ? await open(opts.out, 'a') : undefined;
  // Appends one batch at a time, so batches never interleave in the file.
  let appending: Promise<void> = Promise.resolve();
  const append = (d: Decoded): Promise<void> => {
    if (!out || d.count === 0) return Promise.resolve();
    const next = appending.then(() => out.appendFile(d.text()));
    appending = next.catch(() => {});
    return next;
  };
  const ctx: HandlerContext = { opts, stats, faults, store, append };
  const server = createServer((req, res) => {
    stats.requests++;
    handle(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: `receiver failed: ${(err as Error).message}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await listen(server, opts.host, opts.port).catch(async (err: unknown) => {
    await out?.close();
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    stats,
    close: (graceMs = 5000) => shutdown(server, stats, graceMs, async () => {
      await appending;
      await out?.close();
    }),
  };
}

interface HandlerContext {
  opts: ServeOptions;
  stats: ServeStats;
  faults: FaultInjector;
  store: IdempotencyStore;
  append: (d: Decoded) => Promise<void>;
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { opts, stats } = ctx;
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/health') return reply(res, 200, { status: 'ok' });
  // /stats tells what was received (counts by kind, rates): with a token set, it needs it too.
  if (req.method === 'GET' && path === '/stats') {
    if (!allowed(ctx, req)) return unauthorized(res, stats);
    return reply(res, 200, stats.snapshot());
  }
  if (req.method !== 'POST' || path === '/health' || path === '/stats') {
    stats.refused.notFound++;
    req.resume();
    return reply(res, 404, { error: 'POST batches to any path; GET /health or /stats' });
  }
  stats.enter();
  try {
    if (!allowed(ctx, req)) {
      await readBody(req, opts.maxBodyBytes).catch(() => undefined);
      return unauthorized(res, stats);
    }
    const keyHeader = req.headers['idempotency-key'];
    const key = typeof keyHeader === 'string' && keyHeader !== '' ? keyHeader : undefined;
    const fate = ctx.faults.decide(key);
    if (fate === 'drop-before') {
      stats.faults.dropBefore++;
      req.socket.destroy();
      return;
    }
    const body = await readBody(req, opts.maxBodyBytes);
    if (opts.latencyMs > 0) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (fate === 'fail') {
      stats.faults.fail++;
      return reply(res, 503, { error: 'injected failure (--fail-rate)' });
    }
    if (fate === 'throttle') {
      stats.faults.throttle++;
      return reply(res, 429, { error: 'injected throttling (--throttle-rate)' }, { 'retry-after': String(opts.retryAfterS) });
    }
    const decoded = await decodeRecords(body, req.headers['content-type'], req.headers['content-encoding'], opts.maxBodyBytes);
    const ticket = key === undefined ? undefined : await ctx.store.begin(key);
    if (ticket === 'duplicate') {
      stats.duplicates.batches++;
      stats.duplicates.records += decoded.count;
    } else {
      try {
        await ctx.append(decoded);
      } catch (err) {
        ticket?.abort();
        throw err;
      }
      ticket?.commit();
      stats.took(decoded.byKind, decoded.count);
    }
    if (fate === 'drop-after') {
      // Taken, but the sender never hears so: its retry must be dropped as a duplicate.
      stats.faults.dropAfter++;
      req.socket.destroy();
      return;
    }
    const duplicate = ticket === 'duplicate';
    reply(res, 200, { accepted: duplicate ? 0 : decoded.count, duplicate });
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    if (err.status === 413) stats.refused.tooLarge++;
    else stats.refused.badRequest++;
    reply(res, err.status, { error: err.message });
  } finally {
    stats.leave();
  }
}

const allowed = (ctx: HandlerContext, req: IncomingMessage): boolean =>
  ctx.opts.token === undefined || authorized(req.headers.authorization, ctx.opts.token);

function unauthorized(res: ServerResponse, stats: ServeStats): void {
  stats.refused.unauthorized++;
  reply(res, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer' });
}

function authorized(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function shutdown(server: Server, stats: ServeStats, graceMs: number, release: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = Date.now() + graceMs;
  while (stats.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  server.closeAllConnections();
  await closed;
  await release();
}
