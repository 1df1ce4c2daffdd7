// The pipeline's fingerprint: what turns input into output, as part of every HTTP
// idempotency key. The same stages with the same options (in order), kind and
// contract give the same fingerprint, so a rerun sends the same keys; a changed
// stage, option or user stage module gives new ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { PlannedStage } from '../stages/plan.js';
import { isModulePath, type StageRef } from '../stages/parse-spec.js';

/** Bump when the record contract's checks or normalized form change meaning. */
export const CONTRACT_VERSION = 1;

export interface FingerprintInput {
  /** The stages as planned (the implicit contract pass included), options with defaults filled. */
  described: readonly PlannedStage[];
  /** The stages as given, for the paths of user stage modules. */
  refs: readonly StageRef[];
  kind?: string;
}

/** JSON with object keys sorted, so option order in a flag or config file does not matter. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v) ?? String(v); // undefined, functions: their text
}

/** A user stage module's content: editing the module is changing the stage. */
function moduleHash(ref: StageRef): string {
  const path = isAbsolute(ref.name) ? ref.name : resolve(ref.baseDir, ref.name);
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'unreadable'; // the stage loaded already; a module read differently changes nothing here
  }
}

/** 32 hex digits of sha256 over the contract version, kind, stages and user modules. */
export function pipelineFingerprint(x: FingerprintInput): string {
  const doc = {
    contract: CONTRACT_VERSION,
    kind: x.kind ?? null,
    stages: x.described.map((s) => ({ name: s.name, options: s.options })),
    modules: x.refs.filter((r) => isModulePath(r.name)).map((r) => [r.name, moduleHash(r)]),
  };
  return createHash('sha256').update(canonicalJson(doc)).digest('hex').slice(0, 32);
}
