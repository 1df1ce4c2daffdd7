// Synthetic customer and inventory records for demos, tests and benchmarks.
export { DEFAULT_SEED, GENERATORS, generate, type GenerateOptions, type GenerateResult } from './generate.js';
export { customerId } from './customers.js';
export { sku } from './inventory.js';
export { INVALID_CODES } from './invalid.js';
export type { OutputFormat } from './format.js';
