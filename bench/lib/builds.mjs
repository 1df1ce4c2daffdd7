// Which recflow builds a bench run times: A (RECFLOW_BIN or --bin, default this tree's
// bin/recflow.js) and, optionally, B (RECFLOW_BIN_B, --bin-b, or --baseline DIR =
// DIR/bin/recflow.js), interleaved in the same rounds so a before/after is one command.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { q } from './measure.mjs';

/**
 * @param {string} root   this repository
 * @param {{bin?: string, binB?: string, baseline?: string, labelA?: string, labelB?: string}} o
 * @returns {{key: string, label: string, bin: string, desc: string, cmd: (args: string) => string}[]}
 */
export function resolveBuilds(root, o) {
  const env = process.env;
  const a = o.bin || env.RECFLOW_BIN || join(root, 'bin', 'recflow.js');
  const b = o.binB || env.RECFLOW_BIN_B || (o.baseline ? join(o.baseline, 'bin', 'recflow.js') : '');
  const list = [make('A', o.labelA || env.RECFLOW_BIN_LABEL || 'recflow', a)];
  if (b) list.push(make('B', o.labelB || env.RECFLOW_BIN_B_LABEL || 'recflow B', b));
  return list;
}

function make(key, label, bin) {
  const abs = resolve(bin);
  const tree = join(dirname(abs), '..');
  if (!existsSync(abs)) throw new Error(`recflow build ${key}: ${abs} does not exist`);
  if (!existsSync(join(tree, 'dist', 'cli', 'main.js'))) throw new Error(`recflow build ${key}: no build beside ${abs}; run \`npx tsc -p tsconfig.json\` in ${tree}`);
  return { key, label, bin: abs, tree, desc: describe(tree), cmd: (args) => `${q(process.execPath)} ${q(abs)} ${args}` };
}

/** The commit a tree was built from: bench/snapshot.sh's stamp, else git (with "+ uncommitted edits"). */
function describe(tree) {
  const stamp = join(tree, '.commit');
  if (existsSync(stamp)) return `commit ${readFileSync(stamp, 'utf8').trim().slice(0, 10)} (snapshot)`;
  const head = spawnSync('git', ['-C', tree, 'rev-parse', '--short=10', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'not a git tree';
  const dirty = spawnSync('git', ['-C', tree, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim();
  return `commit ${head.stdout.trim()}${dirty ? ' + uncommitted edits in src/' : ''}`;
}

/** RECFLOW_THREADS / RECFLOW_WORKERS as given to this bench (they reach every recflow run). */
export function threadEnv() {
  const set = ['RECFLOW_THREADS', 'RECFLOW_WORKERS'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);
  return set.length ? set.join(' ') : 'RECFLOW_THREADS/RECFLOW_WORKERS unset (each build\'s default)';
}
