// The default seed on its own, so `recflow generate --help` (and every other command's
// start) can show it without loading the generators and their precomputed tables.
export const DEFAULT_SEED = '1';
