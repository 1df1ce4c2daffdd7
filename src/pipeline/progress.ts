// Live status on stderr: a cli-progress line on a TTY, a plain line every few
// seconds otherwise (cron logs stay readable), nothing with --quiet.
import cliProgress from 'cli-progress';
import type { RunStats } from './stats.js';

export interface ProgressOptions {
  quiet: boolean;
  tty: boolean;
  /** Seconds between plain status lines when stderr is not a TTY. */
  intervalSeconds: number;
  /** Extra live status from the sink or source (breaker, lag). */
  status: () => string | undefined;
  label: string;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

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

export function statusLine(stats: RunStats, extra?: string): string {
  const share = stats.totalBytes > 0 ? `, ${Math.min(100, (100 * stats.bytesRead) / stats.totalBytes).toFixed(0)}% of bytes` : '';
  const parts = [
    `${fmtInt(stats.recordsIn)} in, ${fmtInt(stats.recordsOut)} out, ${fmtInt(stats.rejected)} rejected`,
    fmtRate(stats.rate()),
    fmtElapsed(stats.elapsedSeconds()) + share,
  ];
  if (extra) parts.push(extra);
  return parts.join(' | ');
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
    if (this.opts.tty) {
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
        process.stderr.write(`${this.opts.label}: ${statusLine(this.stats, this.opts.status())}\n`);
      }, ms);
    }
    this.timer.unref();
  }

  private tick(): void {
    this.stats.samplePeakRss();
    this.bar?.update(Math.min(this.stats.bytesRead, this.stats.totalBytes), {
      line: statusLine(this.stats, this.opts.status()),
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
