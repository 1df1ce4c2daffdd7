// --contract FILE (repeatable; `contracts:` in a config file): load the files once at
// start, compile their kinds and check --kind against every known kind, all before
// anything is read or written (a bad file is a config error: exit 2).
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { RecflowError } from '../errors.js';
import { editedBuiltinFiles } from './builtin-files.js';
import { compileKind, declaredKind, knownKinds, registerKinds } from './declared.js';
import { log } from '../log.js';

let warned = false;

/**
 * Shipped built-in contract files edited in place (see builtin-files.ts), unless a given
 * file may declare that kind: a --contract file wins (it is read first and declares once).
 */
function editedBuiltins(given: readonly string[] | undefined): string[] {
  const edited = editedBuiltinFiles();
  if (edited.length === 0) return [];
  const out = edited.filter((e) => !(given ?? []).some((g) => mentionsKind(g, e.kind))).map((e) => e.file);
  if (out.length > 0 && !warned && isMainThread) { // (worker threads load them too: say it once)
    warned = true;
    log('warn', `${out.join(', ')}: edited after install; these rules replace the built-in ones`);
  }
  return out;
}

/** A given contract file declares this kind (a cheap text test: the file is parsed after). */
function mentionsKind(file: string, kind: string): boolean {
  try {
    return new RegExp(`^\\s+${kind}\\s*:`, 'm').test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** Load and register the kinds of these contract files; then check the --kind value, if any. */
export async function useContracts(given: readonly string[] | undefined, kindHint: string | undefined): Promise<void> {
  const seen = new Map<string, string>();
  const files = [...(given ?? []), ...editedBuiltins(given)];
  // the YAML parser and zod load only when a contract file is given: a plain run starts without them
  const { loadContractFile } = files.length ? await import('./contract-file.js') : { loadContractFile: undefined };
  for (const file of files) {
    const kinds = loadContractFile!(file);
    // registered from this very file by an earlier call (the stage field check loads them before the run): nothing to do
    if (kinds.length > 0 && kinds.every((k) => !seen.has(k.name) && declaredKind(k.name)?.decl.file === file)) {
      for (const k of kinds) seen.set(k.name, file);
      continue;
    }
    for (const k of kinds) {
      const before = seen.get(k.name) ?? declaredKind(k.name)?.decl.file;
      if (before !== undefined) {
        throw new RecflowError('config', `${file}: kinds.${k.name}: kind "${k.name}" is already declared in ${before}; declare each kind once`);
      }
      seen.set(k.name, file);
    }
    registerKinds(kinds.map(compileKind));
  }
  if (kindHint !== undefined && !knownKinds().includes(kindHint)) {
    const known = knownKinds().map((n) => `'${n}'`).join(', ');
    throw new RecflowError('usage', `--kind '${kindHint}': not a known kind; expected one of ${known}${given?.length ? '' : ' (other kinds need --contract FILE)'}`);
  }
}
