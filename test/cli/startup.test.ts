// What a command loads at start: the option declarations of every command, and only the
// code the command itself runs. Each module costs start-up time (a short run is mostly
// start-up), so engines, generators and optional packages load when used.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir, type CliResult } from '../support/cli.js';

const TRACE = pathToFileURL(join(ROOT, 'test', 'support', 'load-trace.mjs')).href;

/** Loaded by no command's start-up, only by what runs. */
const RUN_ONLY = ['dist/pipeline/execute.js', 'dist/config/prepare.js', 'dist/sources/index.js', 'dist/pipeline/finish.js', 'node_modules/chalk/', 'node_modules/cli-progress/'];
/** Loaded only by the command or option that needs it. */
const ON_DEMAND = [
  'dist/generate/generate.js',
  'dist/serve/',
  'dist/sources/dlq-replay.js',
  'dist/sources/checkpoint.js',
  'node_modules/tinyglobby/',
  'node_modules/csv-parse/',
  'node_modules/yaml/',
  'node_modules/kafkajs/',
  'node_modules/undici/',
];

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** Runs the CLI and returns what it printed and the modules it loaded (paths under the package). */
async function traced(args: string[]): Promise<{ res: CliResult; loaded: string[] }> {
  const log = join(tmp.dir, 'loads.txt');
  const res = await runCli(args, { env: { NODE_OPTIONS: `--import=${TRACE}`, RECFLOW_TEST_LOAD_LOG: log, RECFLOW_WORKERS: '0' } });
  const root = pathToFileURL(ROOT).href.replace(/\/?$/, '/');
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { res, loaded: [...new Set(urls.filter((u) => u.startsWith(root)).map((u) => u.slice(root.length)))] };
}

const among = (loaded: string[], prefixes: string[]): string[] => loaded.filter((m) => prefixes.some((p) => m.startsWith(p)));

describe('start-up loads what the command runs', () => {
  const declarationsOnly = [['--version'], ['--help'], ['run', '--help'], ['generate', '--help'], ['serve', '--help']];
  it.each(declarationsOnly.map((a) => [a.join(' '), a] as const))('%s: the declarations only', async (_name, args) => {
    const { res, loaded } = await traced(args);
    expect(res.code).toBe(0);
    expect(loaded).toContain('dist/cli/run.js'); // the trace works
    expect(among(loaded, [...RUN_ONLY, ...ON_DEMAND])).toEqual([]);
  });

  it('run of a CSV file to stdout: the engine, no generator, server, replay, checkpoint or glob', async () => {
    const { res, loaded } = await traced(['run', join(FIXTURES, 'customers.csv'), '-q']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('"kind":"customer"');
    expect(loaded).toContain('dist/pipeline/execute.js');
    expect(among(loaded, ON_DEMAND)).toEqual([]);
  });

  it('a source that is a pattern loads the glob package, and is expanded', async () => {
    const { res, loaded } = await traced(['run', join(FIXTURES, 'customers.c?v'), '-q']);
    expect(res.stdout).toContain('"kind":"customer"');
    expect(among(loaded, ['node_modules/tinyglobby/'])).not.toEqual([]);
  });
});
