// A component's options, declared once (as a stage declares its options schema): the
// flag, its help, its default, its environment name and the check that types its value.
// One table drives the commander flags, the help text, the resolved values and the
// messages; options.ts then fills unset flags from env and config (flag > env > config),
// and read() applies the default only when none of them gave a value.
import { Option, type Command } from 'commander';
import { RecflowError } from '../errors.js';
import { envName, withEnv } from './options.js';
import { switchFromText } from '../bool.js';

export interface OptionSpec<T = unknown> {
  /** commander flags, e.g. `--batch-records <n>`; the table's key must be its attribute name. */
  flags: string;
  description: string;
  /** Shown in help, applied by read() (not commander), so env and config can fill an unset flag. */
  default?: string;
  /** The environment name when it is not RECFLOW_<NAME>, and older names still read. */
  env?: { name: string; deprecated?: readonly string[] };
  /** Say the environment name in help (always said when `env` declares one). */
  showEnv?: boolean;
  repeatable?: boolean;
  choices?: readonly string[];
  /** Another option of the same table that this one excludes. */
  conflicts?: string;
  /** Checks and types the value (undefined: not given and no default); `flag` names it in messages. */
  parse: (value: unknown, flag: string) => T;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type OptionValues<S extends OptionSpecs> = { [K in keyof S]: ReturnType<S[K]['parse']> };

export interface OptionSchema<S extends OptionSpecs> {
  readonly specs: S;
  /** Adds the flags to a command; a flag another component already declared is shared, not redeclared. */
  add(cmd: Command): Command;
  /** `--batch-records` for `batchRecords`. */
  flag(key: keyof S & string): string;
  /** The value given (flag, env or config), else the default, unchecked. */
  raw(opts: Record<string, unknown>, key: keyof S & string): unknown;
  /** Every option checked and typed. */
  read(opts: Record<string, unknown>): OptionValues<S>;
  /** The first option of the table that was given (`given(attr)` says which count), if any. */
  firstGiven(opts: Record<string, unknown>, given?: (attr: string) => boolean): (keyof S & string) | undefined;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function helpOf(key: string, spec: OptionSpec): string {
  const env = spec.env || spec.showEnv ? `env ${spec.env?.name ?? envName(key)}` : '';
  const notes = [spec.default !== undefined ? `default: ${spec.default}` : '', env].filter(Boolean);
  return notes.length === 0 ? spec.description : `${spec.description} (${notes.join('; ')})`;
}

function optionOf(key: string, spec: OptionSpec): Option {
  const opt = new Option(spec.flags, helpOf(key, spec));
  // a programming mistake in a table, caught by any test that builds the command
  if (opt.attributeName() !== key) throw new Error(`option table: ${spec.flags} is read as '${opt.attributeName()}', not '${key}'`);
  if (spec.repeatable) opt.argParser(collect);
  if (spec.choices) opt.choices(spec.choices);
  if (spec.conflicts) opt.conflicts(spec.conflicts);
  return spec.env ? withEnv(opt, spec.env.name, spec.env.deprecated) : opt;
}

export function defineOptions<S extends OptionSpecs>(specs: S): OptionSchema<S> {
  const flag = (key: string): string => specs[key]!.flags.split(/[ ,]/)[0]!;
  const raw = (opts: Record<string, unknown>, key: string): unknown => {
    const v = opts[key];
    return v !== undefined && v !== null ? v : specs[key]!.default;
  };
  return {
    specs,
    flag,
    raw,
    add(cmd) {
      for (const [key, spec] of Object.entries(specs)) {
        if (cmd.options.some((o) => o.long === flag(key))) continue;
        cmd.addOption(optionOf(key, spec));
      }
      return cmd;
    },
    read(opts) {
      const out: Record<string, unknown> = {};
      for (const [key, spec] of Object.entries(specs)) out[key] = spec.parse(raw(opts, key), flag(key));
      return out as OptionValues<S>;
    },
    firstGiven(opts, given = () => true) {
      return Object.keys(specs).find((k) => opts[k] !== undefined && opts[k] !== false && given(k));
    },
  };
}

// Checks shared by the tables. Values come from flags and env as text, from a config
// file maybe typed: each accepts both, and names the flag and the value it got.

const usage = (message: string): RecflowError => new RecflowError('usage', message);
export const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A whole number in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (v: unknown, flag: string) => number {
  return (v, flag) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const what = min === 0 ? 'a whole number >= 0' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
      const upTo = max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : '';
      throw usage(`${flag} must be ${what}${upTo}, got '${shown(v)}'`);
    }
    return n;
  };
}

/** One of a few words. */
export function oneOf<const T extends string>(choices: readonly T[]): (v: unknown, flag: string) => T {
  return (v, flag) => {
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    throw usage(`${flag} must be ${choices.join(' or ')}, got '${shown(v)}'`);
  };
}

/** Text as given, undefined when not given. */
export const optionalText = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

/** An optional value: `check` runs only when one was given. */
export function optional<T>(check: (v: unknown, flag: string) => T): (v: unknown, flag: string) => T | undefined {
  return (v, flag) => (v === undefined ? undefined : check(v, flag));
}

/** An on/off flag: false when not given. */
export function onOff(v: unknown, flag: string): boolean {
  if (v === undefined || typeof v === 'boolean') return v === true;
  const b = switchFromText(String(v));
  if (b === undefined) throw usage(`${flag} must be true or false, got '${shown(v)}'`);
  return b;
}
