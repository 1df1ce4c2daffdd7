// Live status on stderr: a cli-progress line on a TTY, a plain line every few
// seconds otherwise (cron logs stay readable), nothing with --quiet.
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { log, logFormat } from '../log.js';
import type { RunStats } from './stats.js';

export interface ProgressOptions {
  quiet: boolean;
  tty: boolean;
  /** Seconds between plain status lines when stderr is not a TTY. */
  intervalSeconds: number;
  /** Extra live status from the sink or source (breaker, lag). */
  status: () => string | undefined;
  /** Records left when the sources know it without reading (Kafka batch mode), for the ETA. */
  remaining?: () => number | undefined;
  label: string;
}

export const fmtInt = (n: number): string => {
  const r = Math.round(n);
  // toLocaleString's first call sets up ICU (tens of ms of a short run): the same text for safe integers
  if (!Number.isSafeInteger(r) || Object.is(r, -0)) return r.toLocaleString('en-US');
  return String(r).replace(/\B(?=(\d{3})+$)/g, ',');
};

/** cli-progress, loaded for a TTY bar only (it costs a short run ~15 ms to load). */
const loadBar = (): typeof cliProgress => createRequire(import.meta.url)('cli-progress') as typeof cliProgress;

export function fmtRate(perSecond: number): string {
  const h = perSecond * 3600;
  const hour = h >= 1e9 ? `${(h / 1e9).toFixed(2)}G` : h >= 1e6 ? `${(h / 1e6).toFixed(2)}M` : h >= 1e3 ? `${(h / 1e3).toFixed(1)}k` : fmtInt(h);
  return `${fmtInt(perSecond)} rec/s, ${hour} rec/h`;
}

export function fmtElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

/**
 * Seconds left, from the share of bytes read so far (files: their sizes are known at
 * start); undefined before there is enough to go on (2 s and 1% read) or without a total.
 */
export function etaSeconds(stats: RunStats, remainingRecords?: number): number | undefined {
  const elapsed = stats.elapsedSeconds();
  if (elapsed < 2) return undefined;
  if (stats.totalBytes <= 0 && remainingRecords !== undefined && stats.recordsIn > 0) {
    // Kafka batch mode: records still to read against records read so far
    return remainingRecords === 0 ? 0 : (elapsed * remainingRecords) / stats.recordsIn;
  }
  if (stats.totalBytes <= 0 || stats.bytesRead <= 0) return undefined;
  const share = Math.min(1, stats.bytesRead / stats.totalBytes);
  if (share < 0.01) return undefined;
  return (elapsed * (1 - share)) / share;
}

/** `ETA 00:01:05 (about 14:32 UTC)`. */
export function fmtEta(seconds: number, now = Date.now()): string {
  const at = new Date(now + seconds * 1000).toISOString().slice(11, 16);
  return `ETA ${fmtElapsed(seconds)} (about ${at} UTC)`;
}

export function statusLine(stats: RunStats, extra?: string, remainingRecords?: number): string {
  const share = stats.totalBytes > 0 ? `, ${Math.min(100, (100 * stats.bytesRead) / stats.totalBytes).toFixed(0)}% of bytes` : '';
  const eta = etaSeconds(stats, remainingRecords);
  const parts = [
    `${fmtInt(stats.recordsIn)} in, ${fmtInt(stats.recordsOut)} out, ${fmtInt(stats.rejected)} rejected`,
    fmtRate(stats.rate()),
    fmtElapsed(stats.elapsedSeconds()) + share,
  ];
  if (eta !== undefined) parts.push(fmtEta(eta));
  if (extra) parts.push(extra);
  return parts.join(' | ');
}

/** The same figures as statusLine, as fields of a JSON log line. */
export function statusFields(stats: RunStats, extra?: string, remainingRecords?: number): Record<string, unknown> {
  const eta = etaSeconds(stats, remainingRecords);
  return {
    in: stats.recordsIn,
    out: stats.recordsOut,
    rejected: stats.rejected,
    recordsPerSecond: Math.round(stats.rate()),
    recordsPerHour: Math.round(stats.rate() * 3600),
    elapsedSeconds: Number(stats.elapsedSeconds().toFixed(1)),
    ...(stats.totalBytes > 0 ? { bytesRead: stats.bytesRead, totalBytes: stats.totalBytes } : {}),
    ...(eta !== undefined ? { etaSeconds: Math.round(eta) } : {}),
    ...(extra ? { status: extra } : {}),
  };
}

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly stats: RunStats,
    private readonly opts: ProgressOptions,
  ) {}

  start(): void {
    if (this.opts.quiet) return;
    if (this.opts.tty && logFormat() === 'text') {
      const cliProgress = loadBar();
      this.bar = new cliProgress.SingleBar(
        {
          format: (_o, params, payload: { line: string }) =>
            `${this.opts.label} ${params.total > 0 ? `[${barText(params.progress)}] ` : ''}${payload.line}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          fps: 4,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.stats.totalBytes, 0, { line: '' });
      this.timer = setInterval(() => this.tick(), 250);
    } else {
      const ms = Math.max(1, this.opts.intervalSeconds) * 1000;
      this.timer = setInterval(() => {
        this.stats.samplePeakRss();
        const extra = this.opts.status();
        const left = this.opts.remaining?.();
        log('info', 'status', statusFields(this.stats, extra, left), `${this.opts.label}: ${statusLine(this.stats, extra, left)}\n`);
      }, ms);
    }
    this.timer.unref();
  }

  private tick(): void {
    this.stats.samplePeakRss();
    this.bar?.update(Math.min(this.stats.bytesRead, this.stats.totalBytes), {
      line: statusLine(this.stats, this.opts.status(), this.opts.remaining?.()),
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }
}

function barText(progress: number): string {
  const width = 20;
  const full = Math.round(Math.max(0, Math.min(1, progress)) * width);
  return '#'.repeat(full) + '-'.repeat(width - full);
}
