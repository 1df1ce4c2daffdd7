// --contract FILE (repeatable; `contracts:` in a config file): load the files once at
// start, compile their kinds and check --kind against every known kind, all before
// anything is read or written (a bad file is a config error: exit 2).
import { RecflowError } from '../errors.js';
import { compileKind, declaredKind, knownKinds, registerKinds } from './declared.js';

/** Load and register the kinds of these contract files; then check the --kind value, if any. */
export async function useContracts(files: readonly string[] | undefined, kindHint: string | undefined): Promise<void> {
  const seen = new Map<string, string>();
  // the YAML parser and zod load only when a contract file is given: a plain run starts without them
  const { loadContractFile } = files?.length ? await import('./contract-file.js') : { loadContractFile: undefined };
  for (const file of files ?? []) {
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
    throw new RecflowError('usage', `--kind '${kindHint}': not a known kind; expected one of ${known}${files?.length ? '' : ' (other kinds need --contract FILE)'}`);
  }
}
