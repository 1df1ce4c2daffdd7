// A `recflow serve` receiver on a free loopback port, for the HTTP bench cases.
import { spawn } from 'node:child_process';

/** Starts `node BIN serve --port 0 --quiet --out OUT`; resolves once it says where it listens. */
export function startServe(bin, out) {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--quiet', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1], stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}
