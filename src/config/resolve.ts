// Precedence for `run`: flag > environment (RECFLOW_*) > config file > default.
// Reads the config file (its keys, sources and stages) and hands the layering to
// options.ts, the one resolver every command uses. Works over whatever options the command has (including ones added later, such as
// the HTTP and Kafka options), so every option has the same three other spellings:
//   --max-rejects 10  =  RECFLOW_MAX_REJECTS=10  =  `maxRejects: 10` (or `max-rejects:`) in the config.
import { isAbsolute, join } from 'node:path';
import type { Command, Option } from 'commander';
import { RecflowError } from '../errors.js';
import { NOT_CONFIGURABLE, parseValue, resolveOptions, type Origin } from './options.js';
import { stageRefFromFlag, type StageRef } from '../stages/parse-spec.js';
import { didYouMean } from '../stages/suggest.js';
import { sourceSettings, sourceSettingsOf } from '../sources/index.js';
import type { LoadedConfig } from './load.js';

export type { Origin } from './options.js';
export { envName } from './options.js';

export interface ResolvedRun {
  sources: string[];
  stageRefs: StageRef[];
  /** Where each option value came from, by attribute name (plus `sources` and `stages`). */
  origins: Record<string, Origin>;
  config?: LoadedConfig;
}

const camel = (key: string): string => key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Path-relative values in a config file resolve against the config file's folder. */
export function relativeTo(dir: string, p: string): string {
  if (p === '-' || isAbsolute(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return p;
  return join(dir, p);
}

/** `--to <sink>` and options whose argument is a `<file>`, `<path>` or `<dir>` name a place on disk. */
export function isPathOption(opt: Option): boolean {
  return opt.attributeName() === 'to' || /<(file|path|dir)>/.test(opt.flags);
}

/** The config key for each option: camelCase attribute and kebab long name; `no-x` keys invert. */
function keyTable(cmd: Command): Map<string, { opt: Option; attr: string; invert: boolean }> {
  const table = new Map<string, { opt: Option; attr: string; invert: boolean }>();
  for (const opt of cmd.options) {
    const attr = opt.attributeName();
    if (NOT_CONFIGURABLE.has(attr) || !opt.long) continue;
    const long = opt.long.replace(/^--/, '');
    const invert = opt.negate;
    table.set(long, { opt, attr, invert });
    table.set(camel(long), { opt, attr, invert });
    if (!table.has(attr)) table.set(attr, { opt, attr, invert: false });
  }
  // `contracts:` reads better than `contract:` for a list of contract files
  const contract = table.get('contract');
  if (contract) table.set('contracts', contract);
  return table;
}

function configSources(cfg: LoadedConfig, s: unknown): string[] {
  const list = typeof s === 'string' ? [s] : s;
  const what = `${cfg.file}: sources: expected a file, glob or kafka:// address, or a list of them (each a string or { path, delimiter, encoding })`;
  if (!Array.isArray(list) || list.length === 0) throw new RecflowError('config', what);
  return list.map((x: unknown, i: number) => {
    if (typeof x === 'string' && x !== '') return relativeTo(cfg.dir, x);
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new RecflowError('config', what);
    const { path, ...rest } = x as Record<string, unknown>;
    if (typeof path !== 'string' || path === '') throw new RecflowError('config', `${cfg.file}: sources[${i}]: expected a path`);
    const arg = relativeTo(cfg.dir, path);
    sourceSettings.set(arg, sourceSettingsOf(rest, `${cfg.file}: sources[${i}]`));
    return arg;
  });
}

export function configStages(cfg: LoadedConfig, value: unknown): StageRef[] {
  const fail = (path: string, msg: string): never => {
    throw new RecflowError('config', `${cfg.file}: ${path}: ${msg}`);
  };
  if (!Array.isArray(value)) fail('stages', 'expected a list of stages ({ name, options } or "name:k=v")');
  return (value as unknown[]).map((item, i) => {
    const where = `${cfg.file}: stages[${i}]`;
    if (typeof item === 'string') return { ...stageRefFromFlag(item, cfg.dir, `${where} ${JSON.stringify(item)}`), where, inConfig: true };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`stages[${i}]`, 'expected { name, options } or "name:k=v"');
    const { name, options, ...rest } = item as Record<string, unknown>;
    for (const k of Object.keys(rest)) fail(`stages[${i}].${k}`, `unknown key${didYouMean(k, ['name', 'options'])}; a stage has name and options`);
    if (typeof name !== 'string' || name.trim() === '') fail(`stages[${i}].name`, 'expected a stage name (see `recflow stages`) or a module path');
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      fail(`stages[${i}].options`, 'expected a mapping of option names to values');
    }
    const opts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((options ?? {}) as Record<string, unknown>)) opts[k.replaceAll('-', '_')] = v;
    return { name: (name as string).trim(), options: opts, where, baseDir: cfg.dir, inConfig: true };
  });
}

/**
 * Apply env and config under the flags; returns sources and stages with their origins.
 * `alsoKnown`: another command whose keys a shared config file may hold (validate reads
 * a run job's file): those keys are accepted and left alone, typos are still refused.
 */
export async function resolveRun(cmd: Command, args: string[], env: NodeJS.ProcessEnv = process.env, alsoKnown?: Command): Promise<ResolvedRun> {
  const opts = cmd.opts<Record<string, unknown>>();
  // the YAML parser costs ~40 ms to load: only with --config
  const config = typeof opts.config === 'string' ? (await import('./load.js')).loadConfigFile(opts.config) : undefined;
  const table = keyTable(cmd);
  const other = alsoKnown ? keyTable(alsoKnown) : new Map<string, unknown>();
  const fromConfig = new Map<string, unknown>();
  const origins: Record<string, Origin> = {};
  if (config) {
    const problems: string[] = [];
    for (const [key, value] of Object.entries(config.data)) {
      if (key === 'sources' || key === 'stages') continue;
      const hit = table.get(key) ?? table.get(camel(key));
      if (!hit && (other.has(key) || other.has(camel(key)))) continue;
      if (!hit) {
        const known = ['sources', 'stages', ...new Set([...table.values()].map((t) => t.attr))];
        problems.push(`${config.file}: ${key}: unknown key${didYouMean(key, known)}; known keys: ${known.join(', ')}`);
        continue;
      }
      try {
        let v = parseValue(hit.opt, value, `${config.file}: ${key}`);
        if (hit.invert) v = !v;
        if (isPathOption(hit.opt) && typeof v === 'string') v = relativeTo(config.dir, v);
        else if (isPathOption(hit.opt) && Array.isArray(v)) v = v.map((p: unknown) => (typeof p === 'string' ? relativeTo(config.dir, p) : p));
        fromConfig.set(hit.attr, v);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length) throw new RecflowError('config', problems.join('\n'));
  }
  Object.assign(origins, resolveOptions(cmd, env, fromConfig));
  // The whole config is checked even where flags win: a bad file should not wait for the day the flag is gone.
  const cfgSources = config?.data.sources === undefined ? undefined : configSources(config, config.data.sources);
  const cfgStages = config?.data.stages === undefined ? undefined : configStages(config, config.data.stages);
  let sources = args;
  origins.sources = 'flag';
  if (sources.length === 0 && cfgSources) {
    sources = cfgSources;
    origins.sources = 'config';
  }
  if (sources.length === 0 && !process.stdin.isTTY) {
    sources = ['-']; // piped or redirected input, as jq and mlr read it
    origins.sources = 'default';
  }
  if (sources.length === 0) {
    throw new RecflowError('usage', `no sources: give files, globs or - on the command line, pipe data in, or set \`sources:\` in a --config file\nusage: recflow ${cmd.name()} [options] <source...>   (e.g. recflow ${cmd.name()} data.csv, or: cat data.csv | recflow ${cmd.name()})`);
  }
  const flags = (opts.stage as string[] | undefined) ?? [];
  let stageRefs: StageRef[] = flags.map((s) => stageRefFromFlag(s));
  origins.stages = 'flag';
  if (flags.length === 0) {
    stageRefs = cfgStages ?? [];
    origins.stages = cfgStages ? 'config' : 'default';
  }
  return { sources, stageRefs, origins, config };
}
