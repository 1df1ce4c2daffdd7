// The one place an option gets its value: flag > environment (RECFLOW_*) > config file >
// default, for every command and component. Components declare their options on the
// commander command (with `withEnv` when the environment name is not RECFLOW_<NAME>) and
// read only the resolved values. Imports nothing of the pipeline, so any component may use it.
import type { Command, Option } from 'commander';
import { RecflowError } from '../errors.js';
import { log } from '../log.js';
import { switchFromText } from '../bool.js';

export type Origin = 'flag' | 'env' | 'config' | 'default';

/** Options that only make sense on the command line (or are read elsewhere). */
export const NOT_CONFIGURABLE = new Set(['help', 'version', 'config', 'dryRun', 'stage']);

/** `maxRejects` → `RECFLOW_MAX_REJECTS`: the environment name of an option, unless declared otherwise. */
export const envName = (attr: string): string => 'RECFLOW_' + attr.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

interface EnvDecl {
  name: string;
  /** Older names still read (the documented one wins), each warned about once. */
  deprecated: readonly string[];
}
const DECLARED = new WeakMap<Option, EnvDecl>();

/** Declares an option's environment name when it is not RECFLOW_<NAME> (e.g. RECFLOW_KAFKA_GROUP for --group). */
export function withEnv<T extends Option>(opt: T, name: string, deprecated: readonly string[] = []): T {
  DECLARED.set(opt, { name, deprecated });
  return opt;
}

export function envOf(opt: Option): EnvDecl {
  return DECLARED.get(opt) ?? { name: envName(opt.attributeName()), deprecated: [] };
}

const warned = new Set<string>();

/** The option's value in the environment and the variable it came from; a deprecated name warns once. */
export function envValue(opt: Option, env: NodeJS.ProcessEnv): { name: string; value: string } | undefined {
  const decl = envOf(opt);
  const current = env[decl.name];
  for (const old of decl.deprecated) {
    if (env[old] === undefined || warned.has(old)) continue;
    warned.add(old);
    log('warn', `${old} is deprecated: use ${decl.name}${current !== undefined ? ` (ignored: ${decl.name} is set)` : ''}`);
  }
  if (current !== undefined) return { name: decl.name, value: current };
  const old = decl.deprecated.find((n) => env[n] !== undefined);
  return old === undefined ? undefined : { name: old, value: env[old]! };
}

/** A value from the environment or a config file, checked as commander checks the flag (`where` names its origin). */
export function parseValue(opt: Option, value: unknown, where: string): unknown {
  const fail = (msg: string): never => {
    throw new RecflowError('config', `${where}: ${msg.replace(/\.$/, '')}`);
  };
  if (!opt.required && !opt.optional) {
    const b = typeof value === 'boolean' ? value : typeof value === 'string' || typeof value === 'number' ? switchFromText(String(value)) : undefined;
    return b ?? fail(`expected true or false, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(value) && (opt.variadic || (opt.parseArg?.length ?? 0) >= 2)) {
    // a repeatable or variadic option: a list in the config, fed in like repeated flags
    let acc: unknown = opt.variadic && !opt.parseArg ? [] : undefined;
    for (const item of value) {
      if (typeof item !== 'string' && typeof item !== 'number') fail(`expected a list of texts or numbers, got ${JSON.stringify(item)}`);
      const text = String(item);
      try {
        acc = opt.parseArg ? opt.parseArg(text, acc) : [...(acc as string[]), text];
      } catch (err) {
        fail(`${(err as Error).message.replace(/\.$/, '')}, got ${JSON.stringify(text)}`);
      }
    }
    return acc;
  }
  if (typeof value !== 'string' && typeof value !== 'number') return fail(`expected a text or a number, got ${JSON.stringify(value)}`);
  const text = String(value);
  if (opt.argChoices && !opt.argChoices.includes(text)) fail(`expected one of ${opt.argChoices.join(', ')}, got ${JSON.stringify(text)}`);
  if (!opt.parseArg) return text;
  try {
    return opt.parseArg(text, undefined);
  } catch (err) {
    return fail(`${(err as Error).message.replace(/\.$/, '')}, got ${JSON.stringify(text)}`);
  }
}

/**
 * Fills every option of `cmd` that no flag set: from the environment, else from `fromConfig`
 * (values already checked, by attribute name), else it keeps its default. Returns the origins.
 */
export function resolveOptions(cmd: Command, env: NodeJS.ProcessEnv = process.env, fromConfig: ReadonlyMap<string, unknown> = new Map()): Record<string, Origin> {
  const origins: Record<string, Origin> = {};
  for (const opt of cmd.options) {
    const attr = opt.attributeName();
    if (NOT_CONFIGURABLE.has(attr) || !opt.long || attr in origins) continue;
    const src = cmd.getOptionValueSource(attr);
    if (src === 'cli' || src === 'env') {
      origins[attr] = src === 'cli' ? 'flag' : 'env';
      continue;
    }
    const fromEnv = envValue(opt, env);
    if (fromEnv) {
      cmd.setOptionValueWithSource(attr, parseValue(opt, fromEnv.value, fromEnv.name), 'env');
      origins[attr] = 'env';
    } else if (fromConfig.has(attr)) {
      cmd.setOptionValueWithSource(attr, fromConfig.get(attr), 'config');
      origins[attr] = 'config';
    } else origins[attr] = 'default';
  }
  return origins;
}

/**
 * What 0 means for a duration option: `positive` refuses it (a Kafka timeout or batch
 * duration of 0 would end at once), `zero-allowed` takes it (`--retry-max-time 0`: the first try only).
 */
export type DurationRule = 'positive' | 'zero-allowed';
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `500ms`, `1h`, `1.5s`; a bare number is seconds. The one duration parser of recflow. */
export function parseDuration(value: unknown, name: string, rule: DurationRule): number {
  const m = typeof value === 'number' ? [String(value), String(value), ''] : typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value) : null;
  const ms = m ? Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? '').toLowerCase()]!) : NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RecflowError('usage', `${name} must be a duration such as 90s, 5m or 500ms, got '${typeof value === 'string' ? value : String(value)}'`);
  }
  if (ms === 0 && rule === 'positive') throw new RecflowError('usage', `${name} must be longer than 0`);
  return ms;
}
