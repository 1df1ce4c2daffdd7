// Shared by the bench scripts: run a shell command once under GNU time (wall, user,
// sys, peak RSS), small statistics and number formats, the machine line.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

export const HAVE_TIME = existsSync('/usr/bin/time');
export const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const log = (m) => process.stderr.write(`bench: ${m}\n`);
/** A shell word. */
export const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/**
 * Run `c.shell` once; wall/user/sys seconds and peak RSS (KB) of the biggest process.
 * `c.stdout`: a file for its stdout (default /dev/null); `c.env`: extra environment.
 */
export async function measure(c, dir) {
  const timeFile = join(dir, '.time');
  const out = openSync(c.stdout ?? '/dev/null', 'w');
  const env = { ...process.env, ...(c.env ?? {}) };
  const started = process.hrtime.bigint();
  let peakSampled = 0;
  const child = HAVE_TIME
    ? spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'sh', '-c', c.shell], { stdio: ['ignore', out, 'pipe'], env })
    : spawn('sh', ['-c', c.shell], { stdio: ['ignore', out, 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // without GNU time: sample VmHWM of the process tree every 100 ms
  const sampler = HAVE_TIME ? null : setInterval(() => (peakSampled = Math.max(peakSampled, treeHwm(child.pid))), 100);
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (sampler) clearInterval(sampler);
  closeSync(out);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0 && !(c.okCodes ?? []).includes(code)) {
    const saved = join(dir, `failed-${Date.now()}.txt`);
    writeFileSync(saved, `${c.shell}\nexit ${code}\n${stderr}`);
    log(`${c.shell} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')} (whole stderr: ${saved})`);
    return { wall, user: NaN, sys: NaN, rssKb: NaN, failed: code, stderr };
  }
  if (HAVE_TIME) {
    const [, u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { wall, user: u, sys: s, rssKb: m, stderr };
  }
  return { wall, user: NaN, sys: NaN, rssKb: peakSampled, stderr };
}

function treeHwm(pid) {
  let peak = 0;
  const walk = (p) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+)/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]));
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) walk(t);
    } catch {}
  };
  walk(pid);
  return peak;
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '');
export const fmtHour = (perSec) => {
  const h = perSec * 3600;
  return h >= 1e9 ? `${(h / 1e9).toFixed(2)} G` : `${(h / 1e6).toFixed(0)} M`;
};
export const fmtX = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '');
export const loadNow = () => loadavg().map((x) => x.toFixed(1)).join(' ');

export function machine() {
  const mlr = have('mlr') ? spawnSync('mlr', ['--version'], { encoding: 'utf8' }).stdout.trim() : 'mlr not installed';
  const c = cpus();
  return `${c.length} cores (${c[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${platform()} ${release()}, Node ${process.version}, ${mlr}`;
}
