// `recflow stages`: the built-in stages with their options and examples, generated from their definitions.
import { Command } from 'commander';
import { RecflowError } from '../errors.js';
import { didYouMean } from '../stages/suggest.js';

export function stagesCommand(): Command {
  return new Command('stages')
    .description('list the stages that `run --stage` takes, with their options and an example')
    .argument('[name]', 'show only this stage')
    .option('--markdown', 'print the reference as Markdown (the reference part of docs/stages.md)')
    .option('--json', 'print the stages and their options as JSON')
    .action(async (name: string | undefined, opts: { markdown?: boolean; json?: boolean }) => {
      // loaded here, not at start-up: the stage modules bring zod along
      const { stageDoc, stagesMarkdown, stagesText } = await import('../stages/docs.js');
      const { BUILTIN_STAGES } = await import('../stages/index.js');
      // `recflow stages | head` closing the pipe early is not an error: main() handles EPIPE for every command
      let defs = BUILTIN_STAGES;
      if (name !== undefined) {
        defs = BUILTIN_STAGES.filter((d) => d.name === name);
        if (defs.length === 0) {
          const names = BUILTIN_STAGES.map((d) => d.name);
          throw new RecflowError('usage', `no stage named '${name}'${didYouMean(name, names)}; stages: ${names.join(', ')}`);
        }
      }
      if (opts.json) process.stdout.write(JSON.stringify(defs.map(stageDoc), null, 2) + '\n');
      else if (opts.markdown) process.stdout.write(stagesMarkdown(defs));
      else {
        const width = Math.min(process.stdout.columns || 100, 120);
        process.stdout.write(stagesText(defs, width, name !== undefined));
        if (name === undefined) {
          process.stdout.write(
            "Stages run in the order given; the record contract (validate+normalize) runs first unless you place\n" +
              "validate or normalize yourself or pass --no-validate. User stages: --stage ./my-stage.mjs[:k=v]. See docs/stages.md.\n",
          );
        }
      }
    });
}
