// Entry point: builds the program, maps errors to exit statuses and one-line messages.
import { Command, CommanderError, Option } from 'commander';
import { EXIT_OK, EXIT_STATUS, RecflowError, exitCodeFor } from '../errors.js';
import { log, logFormat, logFormatFrom, setLogFormat } from '../log.js';
import { VERSION } from '../version.js';
import { stdoutGone } from '../pipeline/epipe.js';
import { contractCommand } from './contract.js';
import { generateCommand } from './generate.js';
import { peekCommand } from './peek.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { stagesCommand } from './stages.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

export function program(): Command {
  const prog = new Command('recflow')
    .description('batch and stream integration for customer and inventory records')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .addOption(
      new Option('--log-format <format>', "stderr as 'text' (default) or 'json': one object a line (time, level, message, fields) for log shippers; no colour, no bar")
        .choices(['text', 'json'])
        .env('RECFLOW_LOG_FORMAT'),
    );
  prog.addCommand(runCommand());
  prog.addCommand(validateCommand());
  prog.addCommand(generateCommand());
  prog.addCommand(serveCommand());
  prog.addCommand(peekCommand());
  prog.addCommand(testCommand());
  prog.addCommand(stagesCommand());
  prog.addCommand(contractCommand());
  configure(prog);
  return prog;
}

/** `contract infer`: a subcommand's name under its parents (recflow left out). */
function commandPath(cmd: Command): string {
  return cmd.parent && cmd.parent.name() !== 'recflow' ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name();
}

/** Usage errors exit 2 with one line; --help and --version exit 0. */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({
    outputError: (str, write) => {
      const message = `${str.replace(/^error: /, '').trim()} (see 'recflow ${cmd.name() === 'recflow' ? '' : commandPath(cmd) + ' '}--help')`;
      if (logFormat() === 'json') log('error', message);
      else write(`recflow: ${message}\n`);
    },
  });
  for (const sub of cmd.commands) configure(sub);
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug') || Boolean(process.env.RECFLOW_DEBUG);
  setLogFormat(logFormatFrom(argv, process.env));
  // `recflow ... | head`: the reader left; stop quietly like other Unix tools.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') return;
    if (stdoutGone.handler) stdoutGone.handler();
    else process.exit(EXIT_OK);
  });
  try {
    const prog = program();
    if (argv.length === 0) {
      // no command is a usage error: the help on stderr (stdout stays for data), exit 2
      process.stderr.write(prog.helpInformation());
      process.exitCode = EXIT_STATUS.usage;
      return;
    }
    await prog.parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = await report(err, debug);
  }
}

async function report(err: unknown, debug: boolean): Promise<number> {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_STATUS.usage;
  }
  // the colours (chalk) load only when there is an error to paint
  const red = (await import('../pipeline/finish.js')).paintFor(process.stderr).red;
  if (err instanceof RecflowError) {
    log('error', err.message, { code: err.code, ...(debug ? { stack: err.stack } : {}) }, `recflow: ${red('error:')} ${err.message}\n${debug && err.stack ? err.stack + '\n' : ''}`);
    return exitCodeFor(err);
  }
  const e = err as Error;
  const text = `recflow: ${red('internal error:')} ${e?.message ?? String(err)}${debug ? '' : ' (run with --debug for details)'}\n`;
  log('error', `internal error: ${e?.message ?? String(err)}`, debug ? { stack: e?.stack } : undefined, text + (debug && e?.stack ? e.stack + '\n' : ''));
  return exitCodeFor(err); // not a RecflowError: internal
}
