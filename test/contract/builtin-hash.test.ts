// The shipped contract files are the definition of the built-in kinds: as shipped, the
// hand-tuned code runs; edited in place (an installed copy), the file's rules replace the
// kind. Checked on a copy of the built package, so the repository's files stay untouched.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_SHA256 } from '../../src/contract/builtin-files.js';
import { FIXTURES, ROOT } from '../support/cli.js';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the shipped contract files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recflow-install-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('their hashes in builtin-files.ts are those of contracts/*.yaml (update both together)', () => {
    for (const kind of ['customer', 'inventory'] as const) expect(sha(join(ROOT, 'contracts', `${kind}.yaml`)), kind).toBe(SHIPPED_SHA256[kind]);
  });

  it('an installed copy with contracts/customer.yaml edited uses the edited rules (with a warning), on one thread and in the workers', () => {
    for (const part of ['bin', 'dist', 'contracts', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [join(dir, 'bin', 'recflow.js'), 'run', join(FIXTURES, 'customers.csv'), '-q'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const before = run({ RECFLOW_WORKERS: '0' });
    expect(before.stderr).not.toContain('edited after install');
    const file = join(dir, 'contracts', 'customer.yaml');
    const text = readFileSync(file, 'utf8');
    const loose = text.replace('lifetime_value: { type: number, min: 0 }', 'lifetime_value: { type: number }');
    expect(loose).not.toBe(text);
    writeFileSync(file, loose);
    for (const env of [{ RECFLOW_WORKERS: '0' }, { RECFLOW_WORKERS: '1', RECFLOW_CHUNK_BYTES: '500' }]) {
      const after = run(env);
      expect(after.status, after.stderr).toBe(0);
      expect(after.stderr).toContain('customer.yaml: edited after install; these rules replace the built-in ones');
      // C0000020 (lifetime_value -15.00) passes without the lower bound
      expect(before.stdout).not.toContain('"customer_id":"C0000020"');
      expect(after.stdout).toContain('"customer_id":"C0000020"');
    }
  });
});
