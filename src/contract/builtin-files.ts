// The built-in kinds are defined by the contract files shipped beside the build
// (contracts/customer.yaml, contracts/inventory.yaml); the hand-tuned code implements
// exactly them (test/contract/builtin-files.test.ts). At start each file is read and
// hashed (no YAML parse): a file as shipped keeps the fast code, a file edited in place
// is loaded and replaces that kind, as `--contract` would.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** sha256 of the files as shipped (test/contract/builtin-hash.test.ts keeps these in step). */
export const SHIPPED_SHA256: Readonly<Record<'customer' | 'inventory', string>> = {
  customer: '34e6b9a4c368ce38f6aaddd5630dd8644eed3e985c9722960d45c57880c019f8',
  inventory: '273454936e79d8bbf906b3a791ffecfb27790f4fcb2aafa89b427de4b0b2f23e',
};

/** The shipped file of a built-in kind (dist/contract/ and src/contract/ both sit two levels below the package). */
export function builtinFile(kind: 'customer' | 'inventory'): string {
  return fileURLToPath(new URL(`../../contracts/${kind}.yaml`, import.meta.url));
}

/** The shipped files that no longer hold what the built-in code implements: they are loaded as contracts. */
export function editedBuiltinFiles(): { kind: 'customer' | 'inventory'; file: string }[] {
  const out: { kind: 'customer' | 'inventory'; file: string }[] = [];
  for (const kind of ['customer', 'inventory'] as const) {
    const file = builtinFile(kind);
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch {
      continue; // not shipped (a trimmed install): the built-in code stands
    }
    if (createHash('sha256').update(text).digest('hex') !== SHIPPED_SHA256[kind]) out.push({ kind, file });
  }
  return out;
}
