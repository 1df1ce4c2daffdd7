// The body of resolveJob (index.ts): resolve options now, build the stages (and handle
// --dry-run) when execute asks, under execute's owner. Apart from index.ts so that
// declaring the options loads none of this.
import type { Command } from 'commander';
import type { OpenedStages } from '../pipeline/execute.js';
import type { Owner } from '../pipeline/owner.js';
import { planStages } from '../stages/plan.js';
import { pipelineFingerprint } from './fingerprint.js';
import { resolveRun } from './resolve.js';
import { log } from '../log.js';

export interface ResolvedJob {
  /** The sources to read (flags, else the config, else stdin). */
  sources: string[];
  /**
   * Builds the stages and registers their close on `owner` (user stages may hold
   * resources); checks stage fields; null when --dry-run has printed the pipeline.
   */
  openStages(owner: Owner): Promise<OpenedStages | null>;
}

/** See index.ts. */
export async function resolveJob(cmd: Command, args: string[], alsoKnown?: Command): Promise<ResolvedJob> {
  const run = await resolveRun(cmd, args, process.env, alsoKnown);
  const opts = cmd.opts<{ validate?: boolean; dryRun?: boolean; kind?: string; contract?: string[]; strict?: boolean }>();
  return {
    sources: run.sources,
    async openStages(owner) {
      const plan = await planStages(run.stageRefs, {
        validate: opts.validate !== false,
        dryRun: opts.dryRun === true, // user stage modules are parsed, not run
        warn: (m) => log('warn', m),
      });
      // open from here: the owner closes them on every path, this one's errors included
      owner.defer('stages', async () => {
        for (const s of plan.stages) await s.close?.();
      });
      // a misspelt field in a stage warns (exit 2 with --strict) before anything is read or written
      if (run.stageRefs.length > 0) await (await import('../stages/field-check.js')).checkStageFields(run.stageRefs, { ...opts, warn: (m) => log('warn', m) });
      if (opts.dryRun) {
        process.stdout.write(await (await import('./dry-run.js')).dryRun(cmd, run, plan));
        return null;
      }
      return {
        stages: plan.stages,
        spec: { refs: run.stageRefs, validate: opts.validate !== false },
        fingerprint: pipelineFingerprint({ described: plan.described, refs: run.stageRefs, kind: opts.kind }),
      };
    },
  };
}
