// Build once before the suite so CLI tests run the code as it is now.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    throw new Error('TypeScript build failed: fix the errors above before running the tests.');
  }
}
