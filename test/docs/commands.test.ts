// Every shell command shown in README.md and docs/*.md is run as written, in a scratch
// directory holding the files the examples name. A command that needs something this
// machine cannot have (a real broker, a remote API, a crontab, a path of the user's) is
// checked with --dry-run instead, and the reason is printed; npm lifecycle commands are
// what CI itself runs, so they are listed, not run again from inside the suite.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, tempDir } from '../support/cli.js';

interface Shown {
  file: string;
  block: number;
  lines: string[];
}

/** The sh/bash/shell fenced blocks of a Markdown file, continuation lines joined, comments dropped. */
export function shellBlocks(file: string, text: string): Shown[] {
  const out: Shown[] = [];
  const re = /^```(?:sh|bash|shell|console)\s*\n([\s\S]*?)^```/gm;
  let m: RegExpExecArray | null;
  let block = 0;
  while ((m = re.exec(text))) {
    block++;
    const joined = m[1]!.replace(/\\\n\s*/g, ' ');
    const lines = joined
      .split('\n')
      .map((l) => l.replace(/^\$\s+/, '').replace(/\s+#\s[^'"]*$/, '').trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length > 0) out.push({ file, block, lines });
  }
  return out;
}

/** Why a command cannot run here as written, or undefined when it can. */
export function cannotRun(cmd: string): string | undefined {
  if (/^\d+ [\d*]+ [\d*]+ [\d*]+ [\d*]+\s/.test(cmd)) return 'a crontab line';
  if (/^(npm|npx vitest|gcc|RECFLOW_TEST_KAFKA=)/.test(cmd)) {
    return 'a build/test command: CI runs npm ci, the build and npm test itself';
  }
  if (/^export\s/.test(cmd)) return 'an environment setting for the next command';
  if (/\/srv\/|\/run\/secrets|\/var\/log/.test(cmd)) return "names a path of the user's machine";
  if (/kafka:\/\/(?!127\.0\.0\.1)/.test(cmd)) return 'needs a real Kafka broker';
  if (/https?:\/\/(?!127\.0\.0\.1)/.test(cmd)) return 'needs a remote HTTP API';
  return undefined;
}

function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A scratch directory with every file the examples name, and `recflow` on PATH. */
function sandbox(dir: string): void {
  cpSync(FIXTURES, join(dir, 'fixtures'), { recursive: true });
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  cpSync(join(ROOT, 'contracts'), join(dir, 'contracts'), { recursive: true }); // shipped with the package
  for (const name of ['customers.csv', 'in.csv', 'data.csv']) copyFileSync(join(FIXTURES, 'customers.csv'), join(dir, name));
  copyFileSync(join(FIXTURES, 'inventory.csv'), join(dir, 'inventory.csv'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'customers.csv.gz'), gzipSync(readFileSync(join(FIXTURES, 'customers.csv'))));
  writeFileSync(join(dir, 'export.csv.gz'), gzipSync(readFileSync(join(FIXTURES, 'customers.csv'))));
  writeFileSync(join(dir, 'suppliers.csv'), 'name,country\nAcme,DE\nGlobex,US\n');
  writeFileSync(join(dir, 'regions.ndjson'), '{"country":"DE","region":"EMEA"}\n{"country":"US","region":"AMER"}\n');
  mkdirSync(join(dir, 'bin'));
  const shim = join(dir, 'bin', 'recflow');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
}

interface Ran {
  cmd: string;
  status: number;
  stderr: string;
}

/** Runs one block as a bash script: each command's status is recorded; background jobs are stopped at the end. */
async function runBlock(dir: string, lines: string[], port: number): Promise<Ran[]> {
  const script: string[] = ['set -u', `exec 3>"${join(dir, 'status.log')}"`];
  lines.forEach((raw, i) => {
    const cmd = raw.replace(/\b8080\b/g, String(port)).replace(/^npx recflow\b/, 'recflow');
    if (cmd.endsWith('&')) {
      script.push(`${cmd.slice(0, -1)} 2>"err${i}.log" &`);
      script.push(`for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; sleep 0.1; done`);
      script.push(`echo "${i} 0" >&3`);
    } else {
      script.push(`{ ${cmd} ; } >"out${i}.log" 2>"err${i}.log" </dev/null; echo "${i} $?" >&3`);
    }
  });
  script.push('kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; exit 0');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-c', script.join('\n')], {
      cwd: dir,
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const statuses = readFileSync(join(dir, 'status.log'), 'utf8').trim().split('\n').filter(Boolean);
  return statuses.map((row) => {
    const [i, status] = row.split(' ').map(Number) as [number, number];
    let stderr = '';
    try {
      stderr = readFileSync(join(dir, `err${i}.log`), 'utf8');
    } catch {
      /* a background command's log may be gone */
    }
    return { cmd: lines[i]!, status, stderr };
  });
}

const blocks = docFiles().flatMap((f) => shellBlocks(f, readFileSync(join(ROOT, f), 'utf8')));

describe('every command in README.md and docs/ works as written', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('recflow-docs-'));
    sandbox(dir);
  });
  afterAll(() => cleanup());

  it('finds the commands', () => {
    expect(blocks.length).toBeGreaterThan(5);
    expect(blocks.flatMap((b) => b.lines).some((l) => l.startsWith('recflow run'))).toBe(true);
  });

  for (const b of blocks) {
    // `npm install && npx recflow ...`: CI did the install; the rest is run as shown
    const lines = b.lines.flatMap((l) => (/^npm (install|ci)\b.*? && /.test(l) ? [l.replace(/ && .*$/, ''), l.replace(/^.*? && /, '')] : [l]));
    const runnable = lines.filter((l) => !cannotRun(l));
    const skipped = lines.filter((l) => cannotRun(l));
    // `export NAME=value` lines of the block hold for the dry runs below them
    const exported: Record<string, string> = {};
    for (const l of lines) {
      const m = /^export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l);
      if (m) exported[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    }
    const exportsUserPath = Object.values(exported).some((v) => /\/srv\/|\/run\/secrets/.test(v));
    it(`${b.file} block ${b.block}`, async () => {
      for (const l of skipped) {
        const why = cannotRun(l)!;
        if (/^recflow (run|validate)\b/.test(l)) {
          // still check that the options parse and the plan builds
          const args = ['-c', `recflow ${l.slice('recflow '.length).replace(/\s+2>>.*$/, '')} --dry-run`];
          let status = 0;
          let stderr = '';
          try {
            execFileSync('bash', args, { cwd: dir, env: { ...process.env, ...exported, PATH: `${join(dir, 'bin')}:${process.env.PATH}` }, stdio: 'pipe' });
          } catch (err) {
            status = (err as { status: number }).status;
            stderr = String((err as { stderr: Buffer }).stderr);
          }
          const userPath = /\/srv\/|\/run\/secrets/.test(l) || exportsUserPath;
          console.log(`docs: not run as written (${why}); --dry-run exit ${status}: ${l}`);
          if (!userPath) expect(status, `${l} --dry-run\n${stderr}`).toBe(0);
        } else {
          console.log(`docs: not run (${why}): ${l}`);
        }
      }
      if (runnable.length === 0) return;
      const ran = await runBlock(dir, runnable, await freePort());
      expect(ran.map((r) => r.cmd)).toEqual(runnable);
      for (const r of ran) {
        // 1 is a documented outcome (rejects beyond the allowance, e.g. validate on the fixtures)
        expect([0, 1], `${r.cmd}\nexit ${r.status}\n${r.stderr}`).toContain(r.status);
        expect(r.stderr).not.toMatch(/internal error/);
      }
    });
  }
});
