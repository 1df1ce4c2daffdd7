// The stages a piece runs through in its thread: the stateless head of the plan
// (Stage.parallel), the same Stage objects the sequential Runner would apply, each
// thread holding its own instances. The worker builds them from the StageSpec
// (planStages again, with the contract files loaded); the main thread uses the plan's.
import type { Rec, Rejected, Stage, StageSpec } from '../types.js';

/** What the stages made of a piece's records. */
export interface StagesOutcome {
  kept: Rec[];
  rejected: Rejected[];
  /** Records a stage left out on purpose (filter, sample). */
  dropped: number;
}

let current: readonly Stage[] | null = null;

/**
 * The stages every piece of this thread runs (null: the contract alone, which
 * PieceWork does in its fused pass without building records).
 */
export function usePieceStages(stages: readonly Stage[] | null): void {
  current = stages;
}

export function pieceStages(): readonly Stage[] | null {
  return current;
}

/** How many stages from the start of the plan can run in any thread, on any piece. */
export function parallelPrefix(stages: readonly Stage[]): number {
  let n = 0;
  while (n < stages.length && stages[n]!.parallel === true) n++;
  return n;
}

/** Apply the stages in order; synchronous unless a stage answers with a promise (a user stage). */
export function applyPieceStages(stages: readonly Stage[], records: Rec[]): StagesOutcome | Promise<StagesOutcome> {
  const out: StagesOutcome = { kept: records, rejected: [], dropped: 0 };
  for (let i = 0; i < stages.length; i++) {
    const res = stages[i]!.process(out.kept);
    if (res instanceof Promise) return finishAsync(stages, i, res, out);
    take(out, res);
  }
  return out;
}

function take(out: StagesOutcome, res: { kept: Rec[]; rejected: Rejected[] }): void {
  out.dropped += out.kept.length - res.kept.length - res.rejected.length;
  for (const r of res.rejected) out.rejected.push(r);
  out.kept = res.kept;
}

async function finishAsync(
  stages: readonly Stage[],
  at: number,
  first: Promise<{ kept: Rec[]; rejected: Rejected[] }>,
  out: StagesOutcome,
): Promise<StagesOutcome> {
  take(out, await first);
  for (let i = at + 1; i < stages.length; i++) take(out, await stages[i]!.process(out.kept));
  return out;
}

/**
 * Build the plan's stages in a worker thread: the contract files first (declared
 * kinds), then the same planStages call the main thread made, cut at `count`.
 * Warnings were shown by the main thread already.
 */
export async function buildWorkerStages(spec: StageSpec, count: number): Promise<readonly Stage[]> {
  const { useContracts } = await import('../../contract/contracts.js');
  await useContracts(spec.contracts, undefined);
  const { planStages } = await import('../../stages/plan.js');
  const plan = await planStages(spec.refs, { validate: spec.validate, warn: () => {} });
  return plan.stages.slice(0, count);
}
