// @duckdb/node-api for the bench's DuckDB anchor, installed into bench/.duck (a private
// folder that ignores itself in git), never into the project's dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './measure.mjs';

const VERSION = process.env.BENCH_DUCKDB_VERSION || '1.5.6-r.1';

/** { ok, version } or { ok: false, note } saying why the DuckDB rows are skipped. */
export function ensureDuck(root) {
  const dir = join(root, 'bench', '.duck');
  const pkg = join(dir, 'node_modules', '@duckdb', 'node-api', 'package.json');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.gitignore'), '*\n');
  if (!existsSync(pkg)) {
    log(`installing @duckdb/node-api@${VERSION} into bench/.duck (once)`);
    const res = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel', 'error', `@duckdb/node-api@${VERSION}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 240_000 });
    if (res.status !== 0 || !existsSync(pkg)) {
      const lines = (res.error?.message ?? res.stderr ?? '').trim().split('\n').filter((l) => l && !/complete log|_logs/.test(l));
      const why = lines.slice(0, 2).join(' ') || `npm exited ${res.status}`;
      return { ok: false, note: `DuckDB skipped: \`npm install --prefix bench/.duck @duckdb/node-api@${VERSION}\` failed (${why})` };
    }
  }
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(dir, 'node_modules', '@duckdb', 'node-api'))})`], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, note: `DuckDB skipped: @duckdb/node-api does not load here (${probe.stderr.trim().split('\n').pop()})` };
  return { ok: true, version: JSON.parse(readFileSync(pkg, 'utf8')).version };
}
