// Fault injection, reproducible from a seed: the fate of a request is a pure function
// of (seed, Idempotency-Key, how many times that key was seen), so the same run
// meets the same faults whatever order concurrent requests arrive in.
import { createHash } from 'node:crypto';

export interface FaultRates {
  /** Share of requests answered 503. */
  failRate: number;
  /** Share answered 429 with Retry-After. */
  throttleRate: number;
  /** Share whose connection is closed without an answer: half before taking the batch, half after. */
  dropRate: number;
}

export type Fate = 'ok' | 'fail' | 'throttle' | 'drop-before' | 'drop-after';

/** A counter-mode PRNG: sha256(seed, stream, n) read as a uniform number in [0, 1). */
export function seededUniform(seed: string, stream: string, n: number): number {
  const digest = createHash('sha256').update(`${seed}\0${stream}\0${n}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export class FaultInjector {
  private readonly seen = new Map<string, number>();
  private anonymous = 0;

  constructor(
    private readonly rates: FaultRates,
    private readonly seed: string,
  ) {}

  get active(): boolean {
    return this.rates.failRate + this.rates.throttleRate + this.rates.dropRate > 0;
  }

  /** Decides the fate of one request; requests without a key draw from one sequence. */
  decide(key: string | undefined): Fate {
    if (!this.active) return 'ok';
    const stream = key ?? '';
    const n = key === undefined ? this.anonymous++ : this.seen.get(key) ?? 0;
    if (key !== undefined) this.seen.set(key, n + 1);
    const r = seededUniform(this.seed, stream, n);
    const { dropRate, failRate, throttleRate } = this.rates;
    if (r < dropRate) return r < dropRate / 2 ? 'drop-before' : 'drop-after';
    if (r < dropRate + failRate) return 'fail';
    if (r < dropRate + failRate + throttleRate) return 'throttle';
    return 'ok';
  }
}
