// The body of prepareRun (index.ts): resolve options, build the stages, handle --dry-run.
// Apart from index.ts so that declaring the options loads none of this.
import type { Command } from 'commander';
import type { Stage, StageSpec } from '../pipeline/types.js';
import { planStages } from '../stages/plan.js';
import { pipelineFingerprint } from './fingerprint.js';
import { resolveRun } from './resolve.js';
import { log } from '../log.js';
import { Owner } from '../pipeline/owner.js';

export interface PreparedRun {
  sources: string[];
  stages: Stage[];
  /** How the stages were given, so worker threads can build the same ones (see pipeline/parallel). */
  stageSpec: StageSpec;
  /** What turns input into output, for the HTTP idempotency keys (see fingerprint.ts). */
  fingerprint: string;
  /** Release the stages (user stages may hold resources); a second call does nothing. */
  close(): Promise<void>;
}

/** See index.ts. */
export async function prepareRun(cmd: Command, args: string[], alsoKnown?: Command): Promise<PreparedRun | null> {
  const run = await resolveRun(cmd, args, process.env, alsoKnown);
  const opts = cmd.opts<{ validate?: boolean; dryRun?: boolean; kind?: string; contract?: string[]; strict?: boolean }>();
  const plan = await planStages(run.stageRefs, {
    validate: opts.validate !== false,
    dryRun: opts.dryRun === true, // user stage modules are parsed, not run
    warn: (m) => log('warn', m),
  });
  // the stages are open from here: whoever fails or ends the command before the run closes them
  const owner = new Owner();
  const close = owner.defer('stages', async () => {
    for (const s of plan.stages) await s.close?.();
  });
  try {
    // a misspelt field in a stage warns (exit 2 with --strict) before anything is read or written
    if (run.stageRefs.length > 0) await (await import('../stages/field-check.js')).checkStageFields(run.stageRefs, { ...opts, warn: (m) => log('warn', m) });
    if (opts.dryRun) {
      process.stdout.write(await (await import('./dry-run.js')).dryRun(cmd, run, plan));
      await close();
      return null;
    }
  } catch (err) {
    await owner.dispose();
    throw err;
  }
  return {
    sources: run.sources,
    stages: plan.stages,
    stageSpec: { refs: run.stageRefs, validate: opts.validate !== false },
    fingerprint: pipelineFingerprint({ described: plan.described, refs: run.stageRefs, kind: opts.kind }),
    close,
  };
}
