// One table per component: flags, help, defaults, env names and checks come from it.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/config/options.js';
import { defineOptions, integer, oneOf, onOff, optional } from '../../src/config/schema.js';
import { RecflowError } from '../../src/errors.js';
import { HTTP_SINK_OPTIONS } from '../../src/sinks/http/options.js';
import { KAFKA_CLIENT_OPTIONS, KAFKA_SOURCE_OPTIONS } from '../../src/kafka/options.js';

const table = defineOptions({
  size: { flags: '--size <n>', description: 'how many', default: '5', parse: integer(1, 10) },
  mode: { flags: '--mode <m>', description: 'which way', default: 'fast', env: { name: 'RECFLOW_THE_MODE' }, parse: oneOf(['fast', 'slow'] as const) },
  loud: { flags: '--loud', description: 'say more', parse: onOff },
  limit: { flags: '--limit <n>', description: 'at most', showEnv: true, parse: optional(integer(0)) },
});

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('usage');
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('defineOptions', () => {
  it('applies a default only where no flag, variable or config key gave a value', () => {
    expect(table.read({})).toEqual({ size: 5, mode: 'fast', loud: false, limit: undefined });
    expect(table.read({ size: '7', mode: 'slow', loud: true, limit: 0 })).toEqual({ size: 7, mode: 'slow', loud: true, limit: 0 });
    const cmd = table.add(new Command('x').exitOverride()).parse(['--size', '3'], { from: 'user' });
    resolveOptions(cmd, { RECFLOW_THE_MODE: 'slow', RECFLOW_SIZE: '9', RECFLOW_LOUD: 'yes' });
    expect(table.read(cmd.opts())).toEqual({ size: 3, mode: 'slow', loud: true, limit: undefined });
  });

  it.each([
    [{ size: '0' }, "--size must be a positive integer and at most 10, got '0'"],
    [{ size: 'x' }, "--size must be a positive integer and at most 10, got 'x'"],
    [{ mode: 'medium' }, "--mode must be fast or slow, got 'medium'"],
    [{ loud: 'perhaps' }, "--loud must be true or false, got 'perhaps'"],
    [{ limit: '-1' }, "--limit must be a whole number >= 0, got '-1'"],
  ])('refuses %j naming the flag', (opts, message) => {
    expect(usage(() => table.read(opts))).toBe(message);
  });

  it('writes the default and the environment name into the help', () => {
    const help = table.add(new Command('x')).helpInformation();
    expect(help).toContain('how many (default: 5)');
    expect(help).toContain('which way (default: fast; env RECFLOW_THE_MODE)');
    expect(help).toContain('at most (env RECFLOW_LIMIT)');
    expect(help).toMatch(/say more\n/);
  });

  it('says which option was given first, and its flag', () => {
    expect(table.firstGiven({ loud: false, limit: 3 })).toBe('limit');
    expect(table.firstGiven({ size: 2, limit: 3 }, (k) => k !== 'size')).toBe('limit');
    expect(table.firstGiven({})).toBeUndefined();
    expect(table.flag('limit')).toBe('--limit');
  });

  it('refuses a table whose key is not the flag attribute (a programming mistake)', () => {
    const bad = defineOptions({ sizes: { flags: '--size <n>', description: 'd', parse: String } });
    expect(() => bad.add(new Command('x'))).toThrow(/--size <n> is read as 'size', not 'sizes'/);
  });

  it('shares a flag two components declare instead of declaring it twice', () => {
    const other = defineOptions({ size: { flags: '--size <n>', description: 'other', parse: String } });
    const cmd = other.add(table.add(new Command('x')));
    expect(cmd.options.filter((o) => o.long === '--size')).toHaveLength(1);
  });

  it.each([
    ['HTTP sink', HTTP_SINK_OPTIONS],
    ['Kafka source', KAFKA_SOURCE_OPTIONS],
    ['Kafka client', KAFKA_CLIENT_OPTIONS],
  ])('the %s table reads its defaults without error, and every key is its flag', (_name, t) => {
    const cmd = (t as typeof table).add(new Command('x'));
    expect(cmd.options.map((o) => o.attributeName()).sort()).toEqual(Object.keys(t.specs).sort());
    expect(() => (t as typeof table).read({})).not.toThrow();
  });
});
