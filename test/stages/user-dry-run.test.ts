// `run --dry-run` checks a user stage module without running it: a stage module is
// code, and a dry run must not execute any of it (not even its top level).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { fx } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

// Its top level writes a marker next to itself: proof that it ran.
const MARKING = `import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./marker', import.meta.url), 'ran');
export default { name: 'marking', create: () => ({ name: 'marking', process: (r) => ({ kept: r, rejected: [] }) }) };
`;

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('run --dry-run with a user stage', () => {
  it('does not execute the module; a real run does', async () => {
    write('m.mjs', MARKING);
    const csv = fx('customers.csv');
    const dry = await runCli(['run', csv, '--dry-run', '--stage', './m.mjs:api_token=tok-1,level=2'], { cwd: dir });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(existsSync(join(dir, 'marker'))).toBe(false);
    expect(dry.stdout).toContain('- name: ./m.mjs # user stage (not loaded in dry run');
    expect(dry.stdout).not.toContain('tok-1');
    const doc = YAML.parse(dry.stdout) as { stages: { name: string; options: unknown }[] };
    expect(doc.stages.at(-1)).toEqual({ name: './m.mjs', options: { api_token: '<redacted>', level: '2' } });

    const real = await runCli(['run', csv, '--stage', './m.mjs', '-q', '--to', join(dir, 'out.ndjson')], { cwd: dir });
    expect(real.code).toBe(0);
    expect(existsSync(join(dir, 'marker'))).toBe(true);
  });

  it('a module in a config file is checked relative to the config, and not run', async () => {
    write('m.mjs', MARKING);
    const cfg = write('p.yaml', `sources: [${JSON.stringify(fx('customers.csv'))}]\nstages:\n  - name: m.mjs\n`);
    const dry = await runCli(['run', '--config', cfg, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(existsSync(join(dir, 'marker'))).toBe(false);
    expect(dry.stdout).toContain('user stage (not loaded in dry run');
  });

  it.each([
    ['broken.mjs', () => fx('broken.mjs'), /cannot load stage .*broken\.mjs: Unexpected identifier 'rejected' at .*broken\.mjs:4; /],
    ['a missing file', () => join(dir, 'nope.mjs'), /cannot load stage .*nope\.mjs: file not found \(.*nope\.mjs\); /],
    ['a folder', () => dir + '/', /cannot load stage .*: it is not a file/],
    ['TypeScript', () => write('s.ts', 'export const x: number = 1;\n'), /cannot load stage .*s\.ts: Unknown file extension "\.ts" for \S+s\.ts \(compile TypeScript stages to \.js\/\.mjs first\); /],
  ])('%s: exit 2 and nothing on stdout, as a real run', async (_what, path, message) => {
    const res = await runCli(['run', fx('customers.csv'), '--dry-run', '--stage', path()]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
  });
});
