// The built-in stages by name, in the order `recflow stages` lists them.
import type { StageDefinition } from './define.js';
import { dedupeStage } from './dedupe.js';
import { dropStage } from './drop.js';
import { enrichStage } from './enrich.js';
import { filterStage } from './filter.js';
import { headStage } from './head.js';
import { normalizeStage } from './normalize.js';
import { renameStage } from './rename.js';
import { sampleStage } from './sample.js';
import { selectStage } from './select.js';
import { setStage } from './set.js';
import { validateStage } from './validate.js';

export const BUILTIN_STAGES: readonly StageDefinition[] = [
  validateStage,
  normalizeStage,
  filterStage,
  selectStage,
  dropStage,
  renameStage,
  setStage,
  dedupeStage,
  enrichStage,
  sampleStage,
  headStage,
] as unknown as StageDefinition[];

export function findStage(name: string): StageDefinition | undefined {
  return BUILTIN_STAGES.find((d) => d.name === name);
}

export { defineStage, type StageContext, type StageDefinition } from './define.js';
export { contractStage } from './contract.js';
