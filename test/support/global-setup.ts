// Build once before the suite so CLI tests run the code as it is now.
// `npm run build` (CI runs it first) is the strict check; here a type error only warns,
// since tsc still emits and the tests will show what is broken.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const res = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (res.status !== 0) process.stderr.write(`warning: the TypeScript build reported errors:\n${res.stdout}${res.stderr}\n`);
}
