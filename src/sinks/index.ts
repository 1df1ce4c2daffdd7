// Maps a sink address (`-`, a path, http(s)://, kafka://) to a Sink.
import type { Sink } from '../pipeline/types.js';
